#include "net/vrrp_socket.hpp"

#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
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

}  // namespace

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
    return std::unique_ptr<VrrpSocket>(new VrrpSocket(s.release(), f, ifindex, ifname));
}

VrrpSocket::~VrrpSocket() { ::close(fd_); }

void VrrpSocket::send(std::span<const uint8_t> vrrp, const IpAddr& dst) {
    ssize_t n;
    if (family_ == Family::V4) {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr = dst.toV4();
        n = ::sendto(fd_, vrrp.data(), vrrp.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    } else {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_addr = dst.toV6();
        if (dst.isLinkLocal() || dst.isMulticast()) sa.sin6_scope_id = ifindex_;
        n = ::sendto(fd_, vrrp.data(), vrrp.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    }
    if (n < 0) throwErrno("sendto", "VRRP advert to " + dst.str() + " on " + ifname_);
    if (static_cast<size_t>(n) != vrrp.size())
        throw NetError("sendto VRRP advert to " + dst.str() + " on " + ifname_ + ": short write");
}

void VrrpSocket::sendMany(std::span<const Outgoing> packets, const SendError& on_error) {
    // One sockaddr, iovec and header per packet; sockaddr_in6 holds either family.
    std::vector<sockaddr_in6> addrs(packets.size());
    std::vector<iovec> iovs(packets.size());
    std::vector<mmsghdr> msgs(packets.size());
    for (size_t i = 0; i < packets.size(); ++i) {
        const auto& p = packets[i];
        socklen_t len;
        if (family_ == Family::V4) {
            auto* sa = reinterpret_cast<sockaddr_in*>(&addrs[i]);
            sa->sin_family = AF_INET;
            sa->sin_addr = p.dst.toV4();
            len = sizeof(sockaddr_in);
        } else {
            auto& sa = addrs[i];
            sa.sin6_family = AF_INET6;
            sa.sin6_addr = p.dst.toV6();
            if (p.dst.isLinkLocal() || p.dst.isMulticast()) sa.sin6_scope_id = ifindex_;
            len = sizeof(sockaddr_in6);
        }
        iovs[i] = {const_cast<uint8_t*>(p.vrrp.data()), p.vrrp.size()};
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_namelen = len;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    // sendmmsg stops at the first packet that fails and reports how many went before it;
    // the failing one is retried alone to learn its errno, then the batch goes on.
    for (size_t i = 0; i < msgs.size();) {
        int n = ::sendmmsg(fd_, &msgs[i], static_cast<unsigned>(msgs.size() - i), 0);
        if (n > 0) {
            for (int k = 0; k < n; ++k)
                if (msgs[i + k].msg_len != packets[i + k].vrrp.size())
                    on_error(i + k, "sendmmsg VRRP advert to " + packets[i + k].dst.str() +
                                        " on " + ifname_ + ": short write");
            i += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        on_error(i, "sendmmsg VRRP advert to " + packets[i].dst.str() + " on " + ifname_ + ": " +
                        std::strerror(n < 0 ? errno : EIO));
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
