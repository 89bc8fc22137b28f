#pragma once
// Announcing a VIP after becoming master (RFC 5798 section 6.4.2): a gratuitous ARP for
// IPv4 and an unsolicited Neighbor Advertisement for IPv6 (RFC 4861 section 4.4 and
// 7.2.6). The frame builders are pure so tests can check bytes without root.

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/ip.hpp"
#include "net/error.hpp"
#include "net/netlink.hpp"

namespace xvrrp::net {

inline constexpr size_t kEthMinFrame = 60;  // without FCS; short frames are zero-padded

// Ethernet broadcast frame carrying an ARP request with sender = target = vip, like
// keepalived sends: hosts and switches update their entry for vip to mac.
std::vector<uint8_t> buildGratuitousArp(const MacAddr& mac, const IpAddr& vip);

// ICMPv6 Neighbor Advertisement body (no IPv6 header): override flag set, solicited
// clear, target = vip, target link-layer address option = mac. Checksum left zero:
// the kernel fills it in for ICMPv6 raw sockets.
std::vector<uint8_t> buildUnsolicitedNa(const MacAddr& mac, const IpAddr& vip, bool router);

// Holds the sockets; opened on first use so an IPv4-only daemon has no ICMPv6 socket.
// Neither socket ever queues received packets.
class Announcer {
public:
    Announcer() = default;
    ~Announcer();
    Announcer(const Announcer&) = delete;
    Announcer& operator=(const Announcer&) = delete;

    // false (nothing sent) on IFF_NOARP links or links without an Ethernet address.
    bool sendGratuitousArp(const LinkInfo& link, const IpAddr& vip);
    // To ff02::1 with hop limit 255 (RFC 4861 section 7.1.2 makes receivers check it).
    // router sets the R flag; set it when the interface forwards IPv6.
    bool sendUnsolicitedNa(const LinkInfo& link, const IpAddr& vip, bool router = false);

private:
    // The source the kernel picks for ff02::1 on IFINDEX, asked once per interface: left to
    // the kernel at each send, source selection weighs every address of the interface, and
    // a master of 500 IPv6 VIPs on one interface spent most of its start there. nullopt when
    // the kernel has none to give (the send then leaves the choice to it).
    std::optional<IpAddr> naSource(int ifindex);
    bool sendNa(const std::vector<uint8_t>& na, int ifindex, const std::optional<IpAddr>& src);

    int packet_fd_ = -1;
    int icmp6_fd_ = -1;
    std::unordered_map<int, IpAddr> na_source_;
};

}  // namespace xvrrp::net
