#pragma once
// The send side of VRRP: a raw IPPROTO_VRRP (112) socket bound to one interface and
// source address. The kernel writes the IP header (TTL/hop limit 255 as RFC 5798
// section 5.1.1.3 / 5.1.2.3 require, TOS/traffic class 0xc0 like keepalived); the
// caller passes the VRRP packet with its checksum already computed. The socket never
// queues received packets: XDP is the receive path.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "common/ip.hpp"
#include "net/error.hpp"

namespace xvrrp::net {

inline constexpr int kIpProtoVrrp = 112;
inline constexpr int kVrrpTtl = 255;
inline constexpr int kVrrpTos = 0xc0;  // precedence "internetwork control"

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

private:
    VrrpSocket(int fd, Family f, int ifindex, std::string ifname)
        : fd_(fd), family_(f), ifindex_(ifindex), ifname_(std::move(ifname)) {}
    void membership(const IpAddr& group, bool join);

    int fd_;
    Family family_;
    int ifindex_;
    std::string ifname_;
};

}  // namespace xvrrp::net
