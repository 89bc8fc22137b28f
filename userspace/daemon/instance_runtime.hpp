#pragma once
// One configured VRRP instance at run time: its state machine value plus what the interpreter
// needs to carry out actions (addresses, destinations, pending announcements).

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "daemon/effects.hpp"
#include "daemon/timer_index.hpp"
#include "vrrp/types.hpp"

namespace xvrrp::daemon {

class InstanceRuntime;

// What an instance needs from the daemon around it, besides the system effects.
class InstanceHost {
public:
    virtual ~InstanceHost() = default;
    // A state change, after the step's other actions (notify scripts, sync group). It may
    // queue events for other instances but never steps one itself.
    virtual void stateChanged(const InstanceRuntime& rt, const vrrp::StateChanged& sc) = 0;
    // The sync group gate (vrrp::AskGroup): may this member go MASTER now? Reads only.
    virtual bool groupAllows(const InstanceRuntime& rt) = 0;
};

struct InstanceCounters {
    uint64_t rx_rejected = 0;     // failed decode or RFC 5798 section 7.1 checks
    uint64_t tx_errors = 0;
    uint64_t address_errors = 0;
    std::string last_reject;      // the last rejected advert, in keepalived's words
    std::map<std::string, uint64_t> rejected_by;  // vrrp::name() of the reason -> count
    uint64_t reject_lines = 0;    // rejects logged in keepalived's words
    uint64_t reject_unlogged = 0; // rejects over the log rate, not logged
    std::chrono::steady_clock::time_point reject_window{};  // start of the log window
};

// The last advert heard from one source (status `adverts_from`): the arbiter asks whether a
// given peer's adverts reach this node, not whether anybody's do (issue 9 item 7).
struct HeardSource {
    IpAddr source;
    vrrp::TimePoint at;
    uint8_t priority = 0;
};
// Sources remembered per instance; the oldest is forgotten past this.
inline constexpr size_t kMaxHeardSources = 16;

class InstanceRuntime {
public:
    InstanceRuntime(const config::Config& config, const config::Instance& inst);
    ~InstanceRuntime() {
        if (timers_) timers_->remove(*this);
    }
    InstanceRuntime(const InstanceRuntime&) = delete;
    InstanceRuntime& operator=(const InstanceRuntime&) = delete;

    const config::Instance& cfg() const { return *cfg_; }
    // After a reload that left this instance's configuration equal: point at the new copy.
    void adopt(const config::Config& config, const config::Instance& inst) {
        config_ = &config;
        cfg_ = &inst;
    }
    const vrrp::Instance& machine() const { return sm_; }
    Family family() const { return family_; }
    int version() const { return version_; }
    int ifindex() const { return ifindex_; }
    const IpAddr& primary() const { return primary_; }
    const std::vector<IpAddr>& destinations() const { return destinations_; }
    const InstanceCounters& counters() const { return counters_; }
    const std::vector<HeardSource>& heard() const { return heard_; }
    // Adverts refused by the kernel, here or after a batched send.
    uint64_t txErrors() const;
    InstanceCounters& counters() { return counters_; }

    // Binds the instance to its interface and source address; the state machine starts from
    // these (RFC 5798 section 6.1 Primary_IP_Address).
    void bind(int ifindex, const IpAddr& primary, std::unique_ptr<AdvertTransport> transport);
    bool bound() const { return transport_ != nullptr; }
    // The socket adverts leave by (-1 when unbound or unknown), for keepalived's dumps.
    int txFd() const { return transport_ ? transport_->fd() : -1; }

    // The machine's parameters from the configuration and the bound source address.
    vrrp::Params params() const;
    // A reload that changed nothing on the wire: the new configuration applies in place,
    // without a transition (vrrp::Reconfigured).
    void reconfigure(const config::Config& config, const config::Instance& inst,
                     vrrp::TimePoint now);
    // A reload that changed the advert: removes only what NEXT no longer has, so the new
    // runtime of the same instance adopts the rest (vrrp::Adopt).
    void releaseExcept(const config::Instance& next);

    // Feeds one event through vrrp::step and carries out the actions it returns. Actions
    // that ask a question (ReadKernelLastSeen, AskGroup) are answered with a follow-up event
    // once the step's actions are done: no step ever runs inside another.
    void handle(const vrrp::Event& ev, vrrp::TimePoint now);
    // How an accepted advert arrived: what the kernel compares repeats with if the machine
    // lets it absorb them.
    struct Arrival {
        std::span<const uint8_t> message;  // the VRRP message as received
        IpAddr dst;
        uint8_t ttl = 255;
    };
    // An advert that passed the receive checks.
    void handleAdvert(const vrrp::AdvertReceived& rx, const Arrival& arrival, vrrp::TimePoint now);
    // xvrrp_bfd_failover: BFD session BFD (to PEER) expired (vrrp::PeerLost) after its last
    // packet at LAST_HEARD; the name is for the log lines.
    void handlePeerLost(const std::string& bfd, const IpAddr& peer,
                        std::optional<vrrp::TimePoint> last_heard, vrrp::TimePoint now);
    // Fault sources ("link", "fence", trackers later) combine: the instance is in FAULT while
    // any is active and leaves it when the last one clears.
    void setFault(const std::string& source, bool active, const std::string& reason,
                  vrrp::TimePoint now);
    bool faultActive(const std::string& source) const { return faults_.count(source) != 0; }
    const std::map<std::string, std::string>& faults() const { return faults_; }
    // In FAULT for a reason of its own (not only because of `source`).
    bool faultedBesides(const std::string& source) const {
        return faults_.size() > faults_.count(source);
    }

    // Fires everything due at `now`: state machine deadlines and pending announcements.
    void tick(vrrp::TimePoint now);  // fireTimers then announceDue
    // Protocol deadlines only (adverts, master down, kernel checks).
    void fireTimers(vrrp::TimePoint now);
    // GARP/NA rounds that are due.
    void announceDue(vrrp::TimePoint now);
    // Earliest moment tick() has work, for the event loop's timer.
    std::optional<vrrp::TimePoint> nextDeadline() const;
    // Earliest moment fireTimers() has work (a coalesced advert counts a little early).
    std::optional<vrrp::TimePoint> wakeAt() const;
    // The next GARP/NA round, if any.
    std::optional<vrrp::TimePoint> nextAnnouncement() const {
        if (announce_at_.empty()) return std::nullopt;
        return announce_at_.front().at;
    }

    // The instance table's timer index, told whenever these deadlines may have changed;
    // null outside a table. ORDER: the place in the table (timers fire in that order).
    void setTimerIndex(TimerIndex* index, size_t order);
    size_t tableOrder() const { return table_order_; }

    // Removes what this instance added, without sending anything (used on exit paths).
    void releaseAddresses();
    // Before any XDP program of this process is attached: every VIP drops its traffic (the
    // fresh maps know none of them yet, and a VIP a killed daemon left on the node would
    // answer ARP and pings through the new program until the instance starts).
    void guardVips(int ifindex);
    // A weight-0 tracker without a first result holds the instance in INIT: keepalived enters
    // no state until it has one, and then says "Entering BACKUP STATE" without "(init)".
    void hold() {
        held_ = true;
        clearLeftovers();
    }
    // keepalived's removal of the instance's VIPs, routes and rules at start; once.
    void clearLeftovers();
    bool held() const { return held_; }
    // Released with the first result: a failure (`fault`) faults it straight from INIT.
    void release(vrrp::TimePoint now, const std::optional<std::string>& fault);
    bool addressesInstalled() const { return installed_; }
    // ADDRESS on IFINDEX is one of the VIPs it installed and follows (not no_track).
    bool tracksVip(int ifindex, const IpPrefix& address);

    // keepalived sends unicast VRRPv3 IPv4 checksums over 224.0.0.18 once it has heard a
    // peer do so (old_unicast_checksum); we follow the peer the same way.
    void useOldUnicastChecksum() { old_unicast_checksum_ = true; }
    bool oldUnicastChecksum() const { return old_unicast_checksum_; }

    void setHost(InstanceHost* host) { host_ = host; }
    // Tracker sum behind the effective priority, for status. Shared and never changed once
    // set (a new one replaces it), so a /metrics capture keeps it without a copy.
    void setTrackReport(nlohmann::json report) {
        track_report_ = std::make_shared<const nlohmann::json>(std::move(report));
    }
    const nlohmann::json& trackReport() const {
        static const nlohmann::json kNone;
        return track_report_ ? *track_report_ : kNone;
    }
    std::shared_ptr<const nlohmann::json> sharedTrackReport() const { return track_report_; }

    // kernel: null runs without the kernel's quiet fast path (every advert reaches us).
    void setEffects(AddressTable* addresses, Announcer* announcer, Ownership* ownership,
                    KernelAbsorb* kernel = nullptr) {
        addresses_ = addresses;
        announcer_ = announcer;
        ownership_ = ownership;
        kernel_ = kernel;
    }
    dataplane::InstanceId id() const { return {ifindex_, family_, cfg_->vrid}; }
    // use_vmac: VIPs and announcements go on the VMAC; adverts are still received on the
    // base interface, where XDP runs. Set before bind().
    void setVmac(int ifindex, std::string name) {
        vmac_ifindex_ = ifindex;
        vmac_name_ = std::move(name);
    }
    int vmacIfindex() const { return vmac_ifindex_; }
    // Accept mode (RFC 5798 section 6.1): `accept`, else off under vrrp_strict/strict_mode.
    bool acceptMode() const;
    // Removes this instance's entries from the ownership map (it is going away).
    void forgetOwnership();

private:
    void logDecision(const std::vector<vrrp::Action>& actions, vrrp::TimePoint now);
    // Carries out one action; a question's answer goes to FOLLOW_UP.
    void execute(const vrrp::Action& a, vrrp::TimePoint now,
                 std::optional<vrrp::Event>& follow_up);
    void noteHeard(const vrrp::AdvertReceived& a);
    void sendAdvert(uint8_t priority);
    template <class F>
    void kernelCall(const char* what, F&& f);
    void flushAdverts() {
        if (transport_) transport_->flush();
    }
    void addVips();
    void removeVips();
    bool holdsVips();  // any of its VIPs is on the node already
    void scheduleAnnouncements(vrrp::TimePoint now, bool lowerPriority = false);
    void announceAll(bool first_of_burst);
    std::string vipIfname(const config::VirtualAddress& v) const;
    int vipIfindex(const config::VirtualAddress& v);
    int verdictIfindex(const config::VirtualAddress& v);
    void setVerdicts(VipVerdict v);

    const config::Config* config_;
    const config::Instance* cfg_;
    Family family_;
    int version_;
    int ifindex_ = 0;
    int vmac_ifindex_ = 0;
    std::string vmac_name_;
    IpAddr primary_;
    std::vector<IpAddr> advert_addrs_;   // VIPs listed in adverts (virtual_ipaddress)
    std::vector<IpAddr> destinations_;   // multicast group or unicast peers
    std::unique_ptr<AdvertTransport> transport_;
    AddressTable* addresses_ = nullptr;
    Announcer* announcer_ = nullptr;
    Ownership* ownership_ = nullptr;
    KernelAbsorb* kernel_ = nullptr;
    InstanceHost* host_ = nullptr;
    vrrp::Instance sm_;
    std::vector<vrrp::Action> actions_;  // handle()'s buffer, kept for its capacity
    TimerIndex* timers_ = nullptr;
    size_t table_order_ = 0;
    bool installed_ = false;
    bool held_ = false;      // hold()
    bool cleared_ = false;   // clearLeftovers() done
    bool released_ = false;  // left INIT through release(): no "(init)" in the log
    bool old_unicast_checksum_ = false;
    const Arrival* arrival_ = nullptr;  // the advert being handled, for AbsorbAdverts
    std::string peer_lost_bfd_;  // the BFD session of the last PeerLost, for its log lines
    std::vector<HeardSource> heard_;  // at most kMaxHeardSources, any order
    std::map<std::string, std::string> faults_;  // source -> reason
    std::shared_ptr<const nlohmann::json> track_report_;
    struct Round {
        vrrp::TimePoint at;
        bool first = false;  // the first round of a burst (keepalived logs it)
    };
    std::vector<Round> announce_at_;  // pending GARP/NA rounds, sorted
    InstanceCounters counters_;
    struct AdvertCache {
        bool valid = false;
        uint8_t priority = 0;
        IpAddr primary;
        std::vector<IpAddr> addrs, dsts;
        bool old_unicast_checksum = false;
        std::vector<std::vector<uint8_t>> bytes;  // one per destination
    } advert_cache_;
};

}  // namespace xvrrp::daemon
