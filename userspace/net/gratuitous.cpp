#include "net/gratuitous.hpp"

#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xvrrp::net {

namespace {

constexpr MacAddr kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void put16(std::vector<uint8_t>& v, size_t off, uint16_t host) {
    v[off] = host >> 8;
    v[off + 1] = host & 0xff;
}

bool announceable(const LinkInfo& link) {
    return !link.noArp() && link.hasMac() && link.arptype == ARPHRD_ETHER;
}

std::string linkDesc(const LinkInfo& link) {
    return link.name + " (ifindex " + std::to_string(link.ifindex) + ")";
}

}  // namespace

std::vector<uint8_t> buildGratuitousArp(const MacAddr& mac, const IpAddr& vip) {
    if (!vip.isV4()) throw NetError("buildGratuitousArp " + vip.str() + ": not IPv4");
    std::vector<uint8_t> f(kEthMinFrame, 0);
    // Ethernet: broadcast destination, our source, EtherType ARP.
    std::memcpy(&f[0], kBroadcast.data(), 6);
    std::memcpy(&f[6], mac.data(), 6);
    put16(f, 12, ETH_P_ARP);
    // ARP (RFC 826): Ethernet/IPv4 request, sender and target protocol address = vip.
    put16(f, 14, ARPHRD_ETHER);
    put16(f, 16, ETH_P_IP);
    f[18] = 6;
    f[19] = 4;
    put16(f, 20, ARPOP_REQUEST);
    std::memcpy(&f[22], mac.data(), 6);         // sender hardware address
    std::memcpy(&f[28], vip.data(), 4);         // sender protocol address
    std::memcpy(&f[32], kBroadcast.data(), 6);  // target hardware address, as keepalived
    std::memcpy(&f[38], vip.data(), 4);         // target protocol address
    return f;
}

std::vector<uint8_t> buildUnsolicitedNa(const MacAddr& mac, const IpAddr& vip, bool router) {
    if (!vip.isV6()) throw NetError("buildUnsolicitedNa " + vip.str() + ": not IPv6");
    std::vector<uint8_t> p(32, 0);
    p[0] = ND_NEIGHBOR_ADVERT;  // type 136, code 0, checksum by the kernel
    // Flags R|S|O in the top bits: unsolicited, so S = 0; O = 1 to replace cached entries.
    p[4] = 0x20 | (router ? 0x80 : 0);
    std::memcpy(&p[8], vip.data(), 16);
    p[24] = ND_OPT_TARGET_LINKADDR;  // option type 2
    p[25] = 1;                       // length in units of 8 octets
    std::memcpy(&p[26], mac.data(), 6);
    return p;
}

Announcer::~Announcer() {
    if (packet_fd_ >= 0) ::close(packet_fd_);
    if (icmp6_fd_ >= 0) ::close(icmp6_fd_);
}

bool Announcer::sendGratuitousArp(const LinkInfo& link, const IpAddr& vip) {
    if (!announceable(link)) return false;
    const std::string object = "gratuitous ARP for " + vip.str() + " on " + linkDesc(link);
    auto frame = buildGratuitousArp(link.mac, vip);
    if (packet_fd_ < 0) {
        // Protocol 0: the socket is bound to no EtherType, so it receives nothing.
        packet_fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (packet_fd_ < 0) throwErrno("socket(AF_PACKET)", object);
    }
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ARP);
    ll.sll_ifindex = link.ifindex;
    ll.sll_halen = 6;
    std::memcpy(ll.sll_addr, kBroadcast.data(), 6);
    if (::sendto(packet_fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&ll),
                 sizeof(ll)) < 0)
        throwErrno("sendto", object);
    return true;
}

bool Announcer::sendUnsolicitedNa(const LinkInfo& link, const IpAddr& vip, bool router) {
    if (!announceable(link)) return false;
    const std::string object = "unsolicited NA for " + vip.str() + " on " + linkDesc(link);
    auto na = buildUnsolicitedNa(link.mac, vip, router);
    if (icmp6_fd_ < 0) {
        int fd = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
        if (fd < 0) throwErrno("socket(AF_INET6, IPPROTO_ICMPV6)", object);
        icmp6_filter block;
        ICMP6_FILTER_SETBLOCKALL(&block);  // never queue received ICMPv6
        const int hops = 255, off = 0;
        if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &block, sizeof(block)) < 0 ||
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
            ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) < 0) {
            const int e = errno;
            ::close(fd);
            errno = e;
            throwErrno("setsockopt(ICMP6_FILTER/IPV6_MULTICAST_HOPS/LOOP)", object);
        }
        icmp6_fd_ = fd;
    }
    auto src = naSource(link.ifindex);
    if (sendNa(na, link.ifindex, src)) return true;
    if (src && (errno == EINVAL || errno == EADDRNOTAVAIL)) {
        // The address asked for earlier is gone: ask again.
        na_source_.erase(link.ifindex);
        if (sendNa(na, link.ifindex, naSource(link.ifindex))) return true;
    }
    throwErrno("sendmsg", object);
}

namespace {

sockaddr_in6 allNodes(int ifindex) {
    sockaddr_in6 dst{};
    dst.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);  // all-nodes (RFC 4861 section 7.2.6)
    dst.sin6_scope_id = ifindex;                     // selects the outgoing interface
    return dst;
}

}  // namespace

std::optional<IpAddr> Announcer::naSource(int ifindex) {
    if (auto it = na_source_.find(ifindex); it != na_source_.end()) return it->second;
    // connect() on a UDP socket runs the same source selection a send would, once.
    int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    sockaddr_in6 dst = allNodes(ifindex);
    dst.sin6_port = htons(9);
    sockaddr_in6 me{};
    socklen_t len = sizeof(me);
    std::optional<IpAddr> src;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len) == 0 &&
        !IN6_IS_ADDR_UNSPECIFIED(&me.sin6_addr))
        src = IpAddr::v6(me.sin6_addr);
    ::close(fd);
    if (src) na_source_.emplace(ifindex, *src);
    return src;
}

// One NA from SRC (as the kernel would pick it; none: the kernel picks).
bool Announcer::sendNa(const std::vector<uint8_t>& na, int ifindex,
                       const std::optional<IpAddr>& src) {
    sockaddr_in6 dst = allNodes(ifindex);
    iovec iov{const_cast<uint8_t*>(na.data()), na.size()};
    msghdr msg{};
    msg.msg_name = &dst;
    msg.msg_namelen = sizeof(dst);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
    if (src) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
        in6_pktinfo info{};
        std::memcpy(&info.ipi6_addr, src->data(), 16);
        info.ipi6_ifindex = static_cast<unsigned>(ifindex);
        std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    }
    return ::sendmsg(icmp6_fd_, &msg, 0) >= 0;
}

}  // namespace xvrrp::net
