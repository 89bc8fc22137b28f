#include "net/vrrp_socket.hpp"

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace xvrrp::net {

namespace {

// Smallest receive buffer the kernel accepts; with the filter below nothing lands in it.
constexpr int kRcvBuf = 1;

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    int release() { return std::exchange(fd, -1); }
};

template <typename T>
void setOpt(int fd, int level, int name, const T& value, const char* name_text,
            const std::string& object) {
    if (::setsockopt(fd, level, name, &value, sizeof(value)) < 0)
        throwErrno(std::string("setsockopt(") + name_text + ")", object);
}

void attachDropAll(int fd, const std::string& object) {
    // Classic BPF "ret #0": accept nothing, so the raw socket never queues adverts.
    static sock_filter kDrop[] = {{BPF_RET | BPF_K, 0, 0, 0}};
    sock_fprog prog{1, kDrop};
    setOpt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog, "SO_ATTACH_FILTER", object);
}

// ARPHRD_* of the interface, or -1 when the kernel will not say.
int linkType(int fd, const std::string& ifname) {
    ifreq ifr{};
    ifname.copy(ifr.ifr_name, IFNAMSIZ - 1);
    if (::ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return -1;
    return ifr.ifr_hwaddr.sa_family;
}

// A packet socket that sends on ifindex and receives nothing (protocol 0 matches no frame).
int openPacketSocket(int ifindex, const std::string& object) {
    Fd p{::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (p.fd < 0) throwErrno("socket(AF_PACKET, SOCK_DGRAM)", object);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    if (::bind(p.fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) < 0)
        throwErrno("bind(AF_PACKET)", object);
    return p.release();
}

uint16_t ipv4HeaderChecksum(const uint8_t* h, size_t len) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(h[i] << 8 | h[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

}  // namespace

size_t writeIpHeader(std::span<uint8_t, kMaxIpHeader> h, const IpAddr& src, const IpAddr& dst,
                     size_t vrrp_len, uint16_t ipv4_id) {
    if (src.family() != dst.family()) throw NetError("buildIpPacket: source and destination families differ");
    uint8_t* p = h.data();
    if (src.family() == Family::V4) {
        const size_t total = 20 + vrrp_len;
        if (total > 0xffff) throw NetError("buildIpPacket: VRRP packet too long for IPv4");
        std::memset(p, 0, 20);
        p[0] = 0x45;  // version 4, 5 words of header
        p[1] = kVrrpTos;
        p[2] = static_cast<uint8_t>(total >> 8);
        p[3] = static_cast<uint8_t>(total);
        p[4] = static_cast<uint8_t>(ipv4_id >> 8);
        p[5] = static_cast<uint8_t>(ipv4_id);
        p[6] = 0x40;  // DF
        p[8] = kVrrpTtl;
        p[9] = kIpProtoVrrp;
        std::memcpy(&p[12], src.data(), 4);
        std::memcpy(&p[16], dst.data(), 4);
        const uint16_t sum = ipv4HeaderChecksum(p, 20);
        p[10] = static_cast<uint8_t>(sum >> 8);
        p[11] = static_cast<uint8_t>(sum);
        return 20;
    }
    if (vrrp_len > 0xffff) throw NetError("buildIpPacket: VRRP packet too long for IPv6");
    std::memset(p, 0, 40);
    p[0] = static_cast<uint8_t>(0x60 | kVrrpTos >> 4);  // version 6, traffic class 0xc0
    p[1] = static_cast<uint8_t>((kVrrpTos & 0x0f) << 4);
    p[4] = static_cast<uint8_t>(vrrp_len >> 8);
    p[5] = static_cast<uint8_t>(vrrp_len);
    p[6] = kIpProtoVrrp;
    p[7] = kVrrpTtl;
    std::memcpy(&p[8], src.data(), 16);
    std::memcpy(&p[24], dst.data(), 16);
    return 40;
}

std::vector<uint8_t> buildIpPacket(const IpAddr& src, const IpAddr& dst,
                                   std::span<const uint8_t> vrrp, uint16_t ipv4_id) {
    std::array<uint8_t, kMaxIpHeader> h;
    const size_t n = writeIpHeader(h, src, dst, vrrp.size(), ipv4_id);
    std::vector<uint8_t> p(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(n));
    p.insert(p.end(), vrrp.begin(), vrrp.end());
    return p;
}

std::array<uint8_t, 6> multicastMac(const IpAddr& group) {
    const uint8_t* a = group.data();
    if (group.family() == Family::V4)
        return {0x01, 0x00, 0x5e, static_cast<uint8_t>(a[1] & 0x7f), a[2], a[3]};
    return {0x33, 0x33, a[12], a[13], a[14], a[15]};
}

std::unique_ptr<VrrpSocket> VrrpSocket::open(Family f, int ifindex, const std::string& ifname,
                                             const IpAddr& src) {
    const std::string object = "VRRP socket on " + ifname + " src " + src.str();
    if (src.family() != f) throw NetError("VrrpSocket::open " + object + ": family mismatch");
    const int af = f == Family::V4 ? AF_INET : AF_INET6;
    Fd s{::socket(af, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, kIpProtoVrrp)};
    if (s.fd < 0) throwErrno("socket(SOCK_RAW, IPPROTO_VRRP)", object);

    attachDropAll(s.fd, object);
    setOpt(s.fd, SOL_SOCKET, SO_RCVBUF, kRcvBuf, "SO_RCVBUF", object);
    if (::setsockopt(s.fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), ifname.size() + 1) < 0)
        throwErrno("setsockopt(SO_BINDTODEVICE)", object);

    const int ttl = kVrrpTtl, tos = kVrrpTos, off = 0;
    if (f == Family::V4) {
        setOpt(s.fd, IPPROTO_IP, IP_TTL, ttl, "IP_TTL", object);
        setOpt(s.fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL", object);
        setOpt(s.fd, IPPROTO_IP, IP_TOS, tos, "IP_TOS", object);
        setOpt(s.fd, IPPROTO_IP, IP_MULTICAST_LOOP, off, "IP_MULTICAST_LOOP", object);
        ip_mreqn mif{};
        mif.imr_address = src.toV4();
        mif.imr_ifindex = ifindex;
        setOpt(s.fd, IPPROTO_IP, IP_MULTICAST_IF, mif, "IP_MULTICAST_IF", object);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr = src.toV4();
        if (::bind(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0)
            throwErrno("bind", object);
    } else {
        // The VRRP checksum is computed by the codec; the kernel must not touch it.
        const int no_checksum = -1;
        setOpt(s.fd, IPPROTO_IPV6, IPV6_CHECKSUM, no_checksum, "IPV6_CHECKSUM", object);
        setOpt(s.fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, "IPV6_UNICAST_HOPS", object);
        setOpt(s.fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl, "IPV6_MULTICAST_HOPS", object);
        setOpt(s.fd, IPPROTO_IPV6, IPV6_TCLASS, tos, "IPV6_TCLASS", object);
        setOpt(s.fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, off, "IPV6_MULTICAST_LOOP", object);
        setOpt(s.fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "IPV6_MULTICAST_IF", object);
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_addr = src.toV6();
        sa.sin6_scope_id = src.isLinkLocal() ? ifindex : 0;
        if (::bind(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0)
            throwErrno("bind", object);
    }
    // Group adverts in frames on Ethernet links; elsewhere (tun, WireGuard) the raw socket.
    Fd pkt{-1};
    if (linkType(s.fd, ifname) == ARPHRD_ETHER) pkt.fd = openPacketSocket(ifindex, object);
    return std::unique_ptr<VrrpSocket>(
        new VrrpSocket(s.release(), pkt.release(), f, ifindex, ifname, src));
}

VrrpSocket::~VrrpSocket() {
    ::close(fd_);
    if (packet_fd_ >= 0) ::close(packet_fd_);
}

void VrrpSocket::send(std::span<const uint8_t> vrrp, const IpAddr& dst) {
    const Outgoing one{vrrp, dst};
    std::string error;
    sendMany({&one, 1}, [&](size_t, const std::string& e) { error = e; });
    if (!error.empty()) throw NetError(error);
}

void VrrpSocket::sendMany(std::span<const Outgoing> packets, const SendError& on_error) {
    // Per packet: its address, its iovecs and, for frames, the IP header written here in
    // front of the caller's bytes. The scratch vectors keep their capacity from one call to
    // the next: a batch of adverts costs no allocation. sockaddr_in6 and sockaddr_ll both
    // fit in sockaddr_storage.
    auto& x = scratch_;
    const size_t n = packets.size();
    if (x.addrs.size() < n) {
        x.addrs.resize(n);
        x.iovs.resize(n);
        x.headers.resize(n);
    }
    x.raw.clear();
    x.framed.clear();
    x.raw_index.clear();
    x.framed_index.clear();
    for (size_t i = 0; i < n; ++i) {
        const auto& p = packets[i];
        mmsghdr m{};
        std::memset(&x.addrs[i], 0, sizeof(sockaddr_storage));
        m.msg_hdr.msg_name = &x.addrs[i];
        m.msg_hdr.msg_iov = x.iovs[i].data();
        if (packet_fd_ >= 0 && p.dst.isMulticast() && p.dst.family() == family_) {
            size_t hlen;
            try {
                hlen = writeIpHeader(x.headers[i], src_, p.dst, p.vrrp.size(), next_id_++);
            } catch (const NetError& e) {
                on_error(i, std::string(e.what()) + " (to " + p.dst.str() + " on " + ifname_ + ")");
                continue;
            }
            auto* sll = reinterpret_cast<sockaddr_ll*>(&x.addrs[i]);
            sll->sll_family = AF_PACKET;
            sll->sll_protocol = htons(family_ == Family::V4 ? ETH_P_IP : ETH_P_IPV6);
            sll->sll_ifindex = ifindex_;
            sll->sll_halen = 6;
            const auto mac = multicastMac(p.dst);
            std::memcpy(sll->sll_addr, mac.data(), mac.size());
            m.msg_hdr.msg_namelen = sizeof(sockaddr_ll);
            x.iovs[i][0] = {x.headers[i].data(), hlen};
            x.iovs[i][1] = {const_cast<uint8_t*>(p.vrrp.data()), p.vrrp.size()};
            m.msg_hdr.msg_iovlen = 2;
            x.framed.push_back(m);
            x.framed_index.push_back(i);
            continue;
        }
        if (family_ == Family::V4) {
            auto* sa = reinterpret_cast<sockaddr_in*>(&x.addrs[i]);
            sa->sin_family = AF_INET;
            sa->sin_addr = p.dst.toV4();
            m.msg_hdr.msg_namelen = sizeof(sockaddr_in);
        } else {
            auto* sa = reinterpret_cast<sockaddr_in6*>(&x.addrs[i]);
            sa->sin6_family = AF_INET6;
            sa->sin6_addr = p.dst.toV6();
            if (p.dst.isLinkLocal() || p.dst.isMulticast()) sa->sin6_scope_id = ifindex_;
            m.msg_hdr.msg_namelen = sizeof(sockaddr_in6);
        }
        x.iovs[i][0] = {const_cast<uint8_t*>(p.vrrp.data()), p.vrrp.size()};
        m.msg_hdr.msg_iovlen = 1;
        x.raw.push_back(m);
        x.raw_index.push_back(i);
    }
    sendBatch(packet_fd_, x.framed, x.framed_index, packets, on_error);
    sendBatch(fd_, x.raw, x.raw_index, packets, on_error);
}

void VrrpSocket::sendBatch(int fd, std::vector<mmsghdr>& msgs, const std::vector<size_t>& index,
                           std::span<const Outgoing> packets, const SendError& on_error) {
    // sendmmsg stops at the first packet that fails and reports how many went before it;
    // the failing one is tried alone to learn its errno, then the batch goes on.
    auto length = [](const msghdr& h) {
        size_t len = 0;
        for (size_t k = 0; k < h.msg_iovlen; ++k) len += h.msg_iov[k].iov_len;
        return len;
    };
    for (size_t i = 0; i < msgs.size();) {
        int n = ::sendmmsg(fd, &msgs[i], static_cast<unsigned>(msgs.size() - i), 0);
        if (n > 0) {
            for (int k = 0; k < n; ++k)
                if (msgs[i + k].msg_len != length(msgs[i + k].msg_hdr))
                    on_error(index[i + k], "sendmmsg VRRP advert to " +
                                               packets[index[i + k]].dst.str() + " on " +
                                               ifname_ + ": short write");
            i += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        on_error(index[i], "sendmmsg VRRP advert to " + packets[index[i]].dst.str() + " on " +
                               ifname_ + ": " + std::strerror(n < 0 ? errno : EIO));
        ++i;
    }
}

void VrrpSocket::joinGroup(const IpAddr& group) { membership(group, true); }
void VrrpSocket::leaveGroup(const IpAddr& group) { membership(group, false); }

void VrrpSocket::membership(const IpAddr& group, bool join) {
    const std::string object = "group " + group.str() + " on " + ifname_;
    if (group.family() != family_ || !group.isMulticast())
        throw NetError("VrrpSocket::joinGroup " + object + ": not a multicast address of this family");
    int rc;
    const char* opt;
    if (family_ == Family::V4) {
        ip_mreqn m{};
        m.imr_multiaddr = group.toV4();
        m.imr_ifindex = ifindex_;
        opt = join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP";
        rc = ::setsockopt(fd_, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m,
                          sizeof(m));
    } else {
        ipv6_mreq m{};
        m.ipv6mr_multiaddr = group.toV6();
        m.ipv6mr_interface = ifindex_;
        opt = join ? "IPV6_ADD_MEMBERSHIP" : "IPV6_DROP_MEMBERSHIP";
        rc = ::setsockopt(fd_, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP,
                          &m, sizeof(m));
    }
    // Joining twice (EADDRINUSE) or leaving a group not joined is not an error.
    if (rc < 0 && !(join && errno == EADDRINUSE) &&
        !(!join && (errno == EADDRNOTAVAIL || errno == ENOENT)))
        throwErrno(std::string("setsockopt(") + opt + ")", object);
}

}  // namespace xvrrp::net
