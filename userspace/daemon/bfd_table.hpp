#pragma once
// The BFD sessions of the running configuration (docs/bfd.md): one per enabled bfd_instance,
// each the pure bfd::Session (bfd/session.hpp) and what carries out its actions. The table
// demultiplexes received Control packets (RFC 5880 6.8.6: Your Discriminator, else the
// source address), keeps every session's next deadline in one ordered index (the daemon's
// timerfd is armed from next(), O(1)), and maps a reload onto the sessions: new intervals
// are a ParamsChanged (a Poll Sequence while Up), a new neighbour, source or TTL a new
// session, a removed instance goes away.
//
// keepalived 2.2.7 sends nothing when it stops or a reload removes a bfd_instance (measured:
// no AdminDown on the wire, the peer goes Down by Control Detection Time Expired); neither
// does xvrrpd, so a peer sees the same thing whichever daemon left.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "bfd/session.hpp"
#include "common/ip.hpp"
#include "config/config.hpp"
#include "dataplane/bfd_maps.hpp"

namespace xvrrp::daemon {

// The network side of the sessions; bfd_sockets.cpp has the daemon's, tests fake it.
class BfdTransport {
public:
    virtual ~BfdTransport() = default;
    // Opens what session CFG sends from, on a source port in 49152-65535 (RFC 5881 section
    // 4), trying PREFERRED first; returns the port, fixed for the session's life. Throws
    // std::runtime_error naming the call and the address when nothing can be opened.
    virtual uint16_t open(const config::BfdInstance& cfg, uint16_t preferred) = 0;
    virtual void close(const std::string& name) = 0;
    // Sends BYTES to the session's neighbour, port 3784; false when the send failed.
    virtual bool send(const std::string& name, std::span<const uint8_t> bytes) = 0;
    // Hands every datagram already waiting on port 3784 to ON_PACKET, without blocking.
    using OnPacket = std::function<void(std::span<const uint8_t> payload, const IpAddr& src,
                                        const std::optional<IpAddr>& dst, uint8_t ttl, uint16_t src_port)>;
    virtual void drain(const OnPacket& on_packet) = 0;
};

// The kernel side: xv_rx absorbs exact repeats of the packet an Up session accepted
// (docs/bfd.md). bfd_worker.cpp has the daemon's (xv_bfd_expect, xv_bfd_seen), tests fake
// it; none (no dataplane, -B): every packet reaches the socket, as before.
class BfdKernel {
public:
    virtual ~BfdKernel() = default;
    virtual void expect(uint32_t local_disc, const dataplane::BfdExpectation& e) = 0;
    virtual void forget(uint32_t local_disc) = 0;
    virtual void clear() = 0;  // every expectation (a start; before an exec)
    // The slot's stamp (bpf_ktime_get_ns, CLOCK_MONOTONIC; 0: never) and absorbed count.
    virtual xv_bfd_seen seen(uint32_t slot) const = 0;
};

struct BfdSession {
    config::BfdInstance cfg;
    bfd::Session session;
    uint16_t source_port = 0;
    bfd::Diag remote_diag = bfd::Diag::None;
    std::optional<vrrp::TimePoint> queued;  // its key in the table's timer index
    std::optional<vrrp::TimePoint> last_rx;
    uint64_t tx_errors = 0;
    std::map<std::string, uint64_t> rejected_by;  // checkRx reasons (bad_ttl, ...)
    // Absorbing in XDP: the xv_bfd_seen slot, what xv_bfd_expect holds for the session, and
    // the slot's absorbed count when the session took it.
    uint32_t slot = XV_BFD_SEEN_NONE;
    std::optional<dataplane::BfdExpectation> in_kernel;
    uint64_t absorbed_base = 0;
    bool up() const { return session.state == bfd::State::Up; }
};

// Session parameters of a bfd_instance (keepalived's units are milliseconds, ours micro).
bfd::Params bfdParams(const config::BfdInstance& b);
// RFC 5881 section 5 floor as keepalived applies it: ttl - max_hops; max_hops 255: none.
uint8_t bfdMinTtl(const config::BfdInstance& b);

class BfdTable {
public:
    // Called for every state change of a session, after its packets went out.
    using OnState = std::function<void(const BfdSession&, const bfd::StateChanged&)>;
    // SEED starts the discriminator counter (random in the daemon): discriminators are
    // unique in the process and never 0 (RFC 5880 6.8.1).
    BfdTable(BfdTransport& transport, OnState on_state, uint32_t seed);

    // Start and reload: sessions for every enabled bfd_instance of CFG, as described above.
    // A session that cannot open its socket is logged and left out.
    void reconcile(const config::Config& cfg, vrrp::TimePoint now);
    // xvrrpctl restart: what the sessions need to go on in the next process (handoff), and
    // in that process, before the first reconcile, what the last one left (carry): a
    // session of the same name, neighbour and source goes on with its discriminators, its
    // source port and its state (bfd::resumeSession), so the peer sees no change.
    nlohmann::json handoff() const;
    void carry(const nlohmann::json& handoff);
    // Stops every session (nothing is sent, as keepalived).
    void clear();

    std::optional<vrrp::TimePoint> next() const;
    // Packets already waiting are read first: the loop may run the timer's handler before
    // the socket's in one turn, and a Detection Time must not expire on a packet that came.
    void fireDue(vrrp::TimePoint now);
    // A UDP payload that arrived on port 3784 from SRC (to DST) with TTL / hop limit TTL,
    // from UDP port SRC_PORT (0: unknown, never absorbed).
    void receive(std::span<const uint8_t> payload, const IpAddr& src, const std::optional<IpAddr>& dst,
                 uint8_t ttl, vrrp::TimePoint now, uint16_t src_port = 0);
    // Lets KERNEL absorb repeats (null: stop). Clears what it held; the table then writes
    // an expectation when an Up session accepts a packet that may be absorbed (only when it
    // differs from what the kernel holds) and removes it when the session leaves Up or goes,
    // and reads the kernel's stamp before any deadline of such a session is judged.
    void setKernel(BfdKernel* kernel);
    // Repeats the kernel absorbed for the session (0 without a kernel).
    uint64_t absorbed(const BfdSession& s) const;

    const BfdSession* find(const std::string& name) const;
    const std::map<std::string, std::unique_ptr<BfdSession>>& sessions() const { return sessions_; }
    bool up(const std::string& name) const;
    size_t size() const { return sessions_.size(); }
    bool hasFamily(Family f) const;
    // The status document's "bfd" part.
    nlohmann::json status(vrrp::TimePoint now) const;
    // Received packets no session took, by reason (decode errors, no_session).
    const std::map<std::string, uint64_t>& unmatched() const { return unmatched_; }

private:
    BfdSession* create(const config::BfdInstance& b, vrrp::TimePoint now);
    void remove(const std::string& name);
    void step(BfdSession& s, const bfd::Event& ev, vrrp::TimePoint now);
    void requeue(BfdSession& s);
    uint32_t nextDiscriminator();
    BfdSession* demux(const bfd::Control& c, const IpAddr& src, const std::optional<IpAddr>& dst);
    void expectRepeats(BfdSession& s, const bfd::Control& c);
    void stopExpecting(BfdSession& s);
    void takeKernelSeen(BfdSession& s, vrrp::TimePoint now);

    BfdTransport& transport_;
    OnState on_state_;
    uint32_t next_disc_;
    std::map<std::string, std::unique_ptr<BfdSession>> sessions_;  // by name
    std::unordered_map<uint32_t, BfdSession*> by_disc_;
    std::set<std::pair<vrrp::TimePoint, uint32_t>> timers_;  // (deadline, local discriminator)
    std::vector<bfd::Action> actions_;  // step()'s, kept for its capacity
    std::map<std::string, uint64_t> unmatched_;
    std::map<std::string, nlohmann::json> carried_;  // by name, until reconcile takes it
    BfdKernel* kernel_ = nullptr;
    std::vector<bool> slot_taken_ = std::vector<bool>(XV_MAX_BFD);
    // The packet being stepped, as it arrived (for ExpectRepeats).
    struct Arrival {
        IpAddr src;
        std::optional<IpAddr> dst;
        uint8_t ttl = 0;
        uint16_t src_port = 0;
    };
    std::optional<Arrival> arrival_;
};

}  // namespace xvrrp::daemon
