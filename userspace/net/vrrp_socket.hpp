#pragma once
// The send side of VRRP, bound to one interface and source address; the caller passes
// the VRRP packet with its checksum already computed. Unicast goes through a raw
// IPPROTO_VRRP (112) socket: the kernel routes it, resolves the peer's MAC and writes the
// IP header (TTL/hop limit 255 as RFC 5798 section 5.1.1.3 / 5.1.2.3 require,
// TOS/traffic class 0xc0 like keepalived). Adverts to the VRRP group on an Ethernet link
// go through a packet socket instead, with the IP header written here (the same fields
// the kernel would write) and the group's MAC: nothing needs routing or neighbour
// lookup, and skipping the IP output path more than halves the kernel's cost per advert
// when hundreds of VRIDs advertise every 10 ms. The packet socket still passes the
// qdisc, TC egress and packet taps (tcpdump sees every advert). Neither socket ever
// queues received packets: XDP is the receive path.

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "net/error.hpp"

namespace xvrrp::net {

inline constexpr int kIpProtoVrrp = 112;
inline constexpr int kVrrpTtl = 255;
inline constexpr int kVrrpTos = 0xc0;  // precedence "internetwork control"

// The IPv4 or IPv6 packet the raw socket would send: IPv4 with DF, the given ID, TTL 255,
// TOS 0xc0 and its header checksum; IPv6 with traffic class 0xc0, flow label 0 and hop
// limit 255.
std::vector<uint8_t> buildIpPacket(const IpAddr& src, const IpAddr& dst,
                                   std::span<const uint8_t> vrrp, uint16_t ipv4_id = 0);
// The same IP header alone, written into H for a VRRP message of VRRP_LEN bytes; returns
// its length (20 or 40). Throws NetError as buildIpPacket does.
inline constexpr size_t kMaxIpHeader = 40;
size_t writeIpHeader(std::span<uint8_t, kMaxIpHeader> h, const IpAddr& src, const IpAddr& dst,
                     size_t vrrp_len, uint16_t ipv4_id);
// The Ethernet address of an IPv4 (RFC 1112 section 6.4) or IPv6 (RFC 2464 section 7)
// multicast group.
std::array<uint8_t, 6> multicastMac(const IpAddr& group);

class VrrpSocket {
public:
    // src must be an address of ifname (for IPv6 its link-local address).
    static std::unique_ptr<VrrpSocket> open(Family f, int ifindex, const std::string& ifname,
                                            const IpAddr& src);
    ~VrrpSocket();
    VrrpSocket(const VrrpSocket&) = delete;
    VrrpSocket& operator=(const VrrpSocket&) = delete;

    // Sends one VRRP packet to dst (the group or a unicast peer). Throws NetError.
    void send(std::span<const uint8_t> vrrp, const IpAddr& dst);
    // Sends many packets with as few sendmmsg(2) calls as the kernel allows (hundreds of
    // VRIDs on one interface share one call per interval). A packet the kernel refuses is
    // reported through on_error with its index and the error text; the rest still go.
    struct Outgoing {
        std::span<const uint8_t> vrrp;
        IpAddr dst;
    };
    using SendError = std::function<void(size_t index, const std::string& error)>;
    void sendMany(std::span<const Outgoing> packets, const SendError& on_error);
    // Joins group on the interface so switches (IGMP/MLD snooping) and the NIC pass it.
    void joinGroup(const IpAddr& group);
    void leaveGroup(const IpAddr& group);

    int fd() const { return fd_; }
    Family family() const { return family_; }
    // Group adverts go through the packet socket (an Ethernet link).
    bool framesGroupAdverts() const { return packet_fd_ >= 0; }

private:
    VrrpSocket(int fd, int packet_fd, Family f, int ifindex, std::string ifname, IpAddr src)
        : fd_(fd), packet_fd_(packet_fd), family_(f), ifindex_(ifindex),
          ifname_(std::move(ifname)), src_(src) {}
    void membership(const IpAddr& group, bool join);
    // sendmmsg over one socket; msgs[i] carries packets[index[i]].
    void sendBatch(int fd, std::vector<mmsghdr>& msgs, const std::vector<size_t>& index,
                   std::span<const Outgoing> packets, const SendError& on_error);

    // sendMany's per-packet state, kept between calls for its capacity.
    struct Scratch {
        std::vector<sockaddr_storage> addrs;
        std::vector<std::array<iovec, 2>> iovs;  // [IP header,] VRRP message
        std::vector<std::array<uint8_t, kMaxIpHeader>> headers;
        std::vector<mmsghdr> raw, framed;
        std::vector<size_t> raw_index, framed_index;
    };

    int fd_;
    int packet_fd_;  // AF_PACKET SOCK_DGRAM, -1 when the link is not Ethernet
    Family family_;
    int ifindex_;
    std::string ifname_;
    IpAddr src_;
    uint16_t next_id_ = 0;  // IPv4 ID of framed adverts
    Scratch scratch_;
};

}  // namespace xvrrp::net
