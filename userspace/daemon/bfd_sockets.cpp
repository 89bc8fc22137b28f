#include "daemon/bfd_sockets.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "bfd/packet.hpp"

namespace xvrrp::daemon {
namespace {

std::runtime_error sysError(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

socklen_t toSockaddr(const IpAddr& a, uint16_t port, sockaddr_storage& ss) {
    std::memset(&ss, 0, sizeof(ss));
    if (a.isV4()) {
        auto* s = reinterpret_cast<sockaddr_in*>(&ss);
        s->sin_family = AF_INET;
        s->sin_port = htons(port);
        std::memcpy(&s->sin_addr, a.data(), 4);
        return sizeof(sockaddr_in);
    }
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    std::memcpy(&s->sin6_addr, a.data(), 16);
    return sizeof(sockaddr_in6);
}

IpAddr anyOf(Family f) { return *IpAddr::parse(f == Family::V4 ? "0.0.0.0" : "::"); }

void setInt(int fd, int level, int opt, int v, const std::string& what) {
    if (::setsockopt(fd, level, opt, &v, sizeof(v)) < 0) throw sysError("setsockopt(" + what + ")");
}

}  // namespace

BfdSockets::~BfdSockets() {
    for (auto& [n, t] : tx_) ::close(t.fd);
    for (auto& [f, fd] : rx_) ::close(fd);
}

uint16_t BfdSockets::open(const config::BfdInstance& cfg, uint16_t preferred) {
    close(cfg.name);
    const Family fam = cfg.neighbor->family();
    const int af = fam == Family::V4 ? AF_INET : AF_INET6;
    int fd = ::socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw sysError("socket(UDP) for BFD " + cfg.name);
    try {
        const int ttl = cfg.ttl ? cfg.ttl : (fam == Family::V4 ? 255 : 64);
        if (fam == Family::V4) {
            setInt(fd, IPPROTO_IP, IP_TTL, ttl, "IP_TTL");
        } else {
            setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
            setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, "IPV6_UNICAST_HOPS");
        }
        const IpAddr src = cfg.source.value_or(anyOf(fam));
        // RFC 5881 section 4: a source port in 49152-65535, the same for the session's life.
        constexpr uint32_t kSpan = uint32_t{bfd::kSourcePortMax} - bfd::kSourcePortMin + 1;
        for (uint32_t i = 0; i < kSpan; ++i) {
            const auto port = static_cast<uint16_t>(
                bfd::kSourcePortMin + (uint32_t{preferred} - bfd::kSourcePortMin + i) % kSpan);
            sockaddr_storage ss;
            const socklen_t len = toSockaddr(src, port, ss);
            if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
                tx_[cfg.name] = Tx{fd, *cfg.neighbor};
                return port;
            }
            if (errno != EADDRINUSE) throw sysError("bind(" + src.str() + ") for BFD " + cfg.name);
        }
        errno = EADDRINUSE;
        throw sysError("bind(" + src.str() + ", 49152-65535) for BFD " + cfg.name);
    } catch (...) {
        ::close(fd);
        throw;
    }
}

void BfdSockets::close(const std::string& name) {
    auto it = tx_.find(name);
    if (it == tx_.end()) return;
    ::close(it->second.fd);
    tx_.erase(it);
}

bool BfdSockets::send(const std::string& name, std::span<const uint8_t> bytes) {
    auto it = tx_.find(name);
    if (it == tx_.end()) return false;
    sockaddr_storage ss;
    const socklen_t len = toSockaddr(it->second.neighbor, bfd::kControlPort, ss);
    return ::sendto(it->second.fd, bytes.data(), bytes.size(), MSG_DONTWAIT,
                    reinterpret_cast<sockaddr*>(&ss), len) == static_cast<ssize_t>(bytes.size());
}

int BfdSockets::listen(Family f) {
    if (rx_.contains(f)) return -1;
    const bool v4 = f == Family::V4;
    int fd = ::socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw sysError("socket(UDP) for BFD port 3784");
    try {
        if (v4) {
            setInt(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
            setInt(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
        } else {
            setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
            setInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
            setInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
        }
        sockaddr_storage ss;
        const socklen_t len = toSockaddr(anyOf(f), bfd::kControlPort, ss);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0)
            throw sysError(std::string("bind(") + (v4 ? "0.0.0.0" : "[::]") + ":3784) for BFD");
    } catch (...) {
        ::close(fd);
        throw;
    }
    rx_[f] = fd;
    return fd;
}

int BfdSockets::unlisten(Family f) {
    auto it = rx_.find(f);
    if (it == rx_.end()) return -1;
    const int fd = it->second;
    ::close(fd);
    rx_.erase(it);
    return fd;
}

void BfdSockets::drain(const OnPacket& on_packet) {
    for (const auto& [f, fd] : rx_) onReadable(fd, on_packet);
}

void BfdSockets::onReadable(int fd, const OnPacket& on_packet) {
    for (int n = 0; n < 256; ++n) {  // bounded: the loop has other work
        uint8_t buf[512];
        alignas(cmsghdr) uint8_t ctl[256];
        sockaddr_storage from{};
        iovec iov{buf, sizeof(buf)};
        msghdr mh{};
        mh.msg_name = &from;
        mh.msg_namelen = sizeof(from);
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof(ctl);
        const ssize_t got = ::recvmsg(fd, &mh, MSG_DONTWAIT);
        if (got < 0) {
            if (errno == EINTR) continue;
            return;  // EAGAIN, or an error the next read reports again
        }
        int ttl = -1;
        std::optional<IpAddr> dst;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
                std::memcpy(&ttl, CMSG_DATA(c), sizeof(int));
            } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
                std::memcpy(&ttl, CMSG_DATA(c), sizeof(int));
            } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                in_pktinfo pi;
                std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                dst = IpAddr::fromBytes(Family::V4, reinterpret_cast<const uint8_t*>(&pi.ipi_addr));
            } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                in6_pktinfo pi;
                std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                dst = IpAddr::fromBytes(Family::V6, reinterpret_cast<const uint8_t*>(&pi.ipi6_addr));
            }
        }
        IpAddr src;
        uint16_t port = 0;
        if (from.ss_family == AF_INET) {
            const auto* s = reinterpret_cast<const sockaddr_in*>(&from);
            src = IpAddr::fromBytes(Family::V4, reinterpret_cast<const uint8_t*>(&s->sin_addr));
            port = ntohs(s->sin_port);
        } else if (from.ss_family == AF_INET6) {
            const auto* s = reinterpret_cast<const sockaddr_in6*>(&from);
            src = IpAddr::fromBytes(Family::V6, reinterpret_cast<const uint8_t*>(&s->sin6_addr));
            port = ntohs(s->sin6_port);
        } else {
            continue;
        }
        if (ttl < 0 || ttl > 255) ttl = 0;  // unknown: fails a TTL check that is on
        on_packet({buf, static_cast<size_t>(got)}, src, dst, static_cast<uint8_t>(ttl), port);
    }
}

}  // namespace xvrrp::daemon
