#pragma once
// Raw Ethernet frames for the ownership tests (issue 3): a test must see which
// node answers, so requests go to a chosen MAC and replies are sorted by their
// source MAC instead of trusting the client's neighbour table. IPv4 only.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/ip.hpp"
#include "lab/netns.hpp"
#include "lab/wait.hpp"

namespace xvrrp::itest::wire {

using lab::Clock;
using Mac = std::array<uint8_t, 6>;
using Frame = std::vector<uint8_t>;

inline constexpr Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
// 224.0.0.18 mapped to Ethernet (RFC 1112 section 6.4).
inline constexpr Mac kVrrpMcastMac = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};

std::string str(const Mac& m);
// The hardware address of `ifname` in `ns` (`ip -j link show`). Throws on failure.
Mac macOf(const lab::Netns& ns, const std::string& ifname);
// The client's neighbour entry for `ip` on eth0 (any usable state), or nullopt.
std::optional<Mac> neighbourMac(const lab::Netns& ns, const IpAddr& ip);

Frame arpRequest(const Mac& src, const IpAddr& srcIp, const IpAddr& target);
Frame icmpEcho(const Mac& src, const Mac& dst, const IpAddr& srcIp, const IpAddr& dstIp,
               uint16_t id, uint16_t seq);

// A VRRPv3 advertisement over IPv4 (RFC 5798 section 5.2) with a correct checksum.
struct Advert {
    IpAddr src;
    IpAddr dst;  // 224.0.0.18 or a unicast peer
    Mac dstMac = kVrrpMcastMac;
    uint8_t ttl = 255;  // RFC 5798 section 5.1.1.3: a receiver drops anything else
    int vrid = 51;
    int priority = 100;
    int intervalCs = 10;
    std::vector<IpAddr> vips;
    int version = 3;  // another only to test that receivers refuse it (v3 layout kept)
};
Frame vrrpAdvert(const Mac& src, const Advert& a);

// The parts of an IPv4 frame the tests look at.
struct Ipv4View {
    Mac srcMac{}, dstMac{};
    IpAddr src, dst;
    uint8_t proto = 0;
    const uint8_t* l4 = nullptr;
    size_t l4len = 0;
};
std::optional<Ipv4View> parseIpv4(const Frame& f);
// The sender MAC of an ARP reply that resolves `target`, else nullopt.
std::optional<Mac> arpReplyFor(const Frame& f, const IpAddr& target);
// An ICMP echo reply with identifier `id`: its source MAC and sequence.
std::optional<std::pair<Mac, uint16_t>> echoReply(const Frame& f, uint16_t id);

// An AF_PACKET socket on `ifname` inside `ns`. Sees every frame the interface
// receives (its own transmissions are skipped). Closed on destruction.
class RawPort {
  public:
    RawPort(const lab::Netns& ns, const std::string& ifname);
    ~RawPort();
    RawPort(const RawPort&) = delete;
    RawPort& operator=(const RawPort&) = delete;

    const Mac& mac() const { return mac_; }
    void send(const Frame& f);
    // Calls onFrame for each received frame until it returns true (-> true) or
    // `timeout` passes (-> false).
    bool receive(const std::function<bool(const Frame&)>& onFrame, Clock::duration timeout);
    // Discards whatever is queued.
    void drain();

  private:
    int fd_ = -1;
    int ifindex_ = 0;
    Mac mac_{};
    std::string where_;
};

// Broadcasts `requests` ARP requests for `target` from `port` and returns the
// MACs that answered within `window`.
std::set<Mac> arpRepliers(RawPort& port, const IpAddr& srcIp, const IpAddr& target,
                          Clock::duration window, int requests = 3);
// One echo to `dstIp` through the node whose eth0 is `dstMac`; true when that node answered.
bool echoAnswered(RawPort& port, const Mac& dstMac, const IpAddr& srcIp, const IpAddr& dstIp,
                  Clock::duration timeout);

// Echo requests to (dstMac, dstIp) every `interval` from a thread, until stop().
// Records when each was sent and whether it was answered, so a test can say
// when a node stopped answering.
class EchoWatch {
  public:
    EchoWatch(const lab::Netns& ns, const Mac& dstMac, const IpAddr& srcIp, const IpAddr& dstIp,
              Clock::duration interval);
    ~EchoWatch();
    void stop();
    // Send time of the last answered echo.
    std::optional<Clock::time_point> lastAnswered() const;
    // Some echo sent at or after `t` was answered.
    bool answeredSince(Clock::time_point t) const;
    int sent() const;

  private:
    void run();

    RawPort port_;
    Mac dstMac_;
    IpAddr srcIp_, dstIp_;
    Clock::duration interval_;
    uint16_t id_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;
    std::vector<Clock::time_point> sentAt_;  // by sequence number
    std::vector<bool> answered_;
    std::thread thread_;
};

}  // namespace xvrrp::itest::wire
