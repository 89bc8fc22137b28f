#include "probes/icmp.hpp"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace xvrrp::arbiter {

namespace {

std::runtime_error sysError(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

uint16_t internetChecksum(const uint8_t* data, size_t len) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
    if (len & 1) sum += static_cast<uint32_t>(data[len - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

IcmpProber::IcmpProber() {
    fd4_ = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd4_ < 0) throw sysError("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)");
    fd6_ = ::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fd6_ < 0) {
        int e = errno;
        ::close(fd4_);
        errno = e;
        throw sysError("socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)");
    }
    // Only echo replies wake us up on IPv6 (RFC 3542 section 3.2 filter).
    icmp6_filter filt;
    ICMP6_FILTER_SETBLOCKALL(&filt);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
    ::setsockopt(fd6_, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt));
    // Several arbiters (or tests) may share a namespace: a random identifier keeps them apart.
    if (::getrandom(&ident_, sizeof(ident_), 0) != sizeof(ident_))
        ident_ = static_cast<uint16_t>(::getpid());
    next_seq_ = static_cast<uint16_t>(ident_ * 7);
}

IcmpProber::~IcmpProber() {
    if (fd4_ >= 0) ::close(fd4_);
    if (fd6_ >= 0) ::close(fd6_);
}

void IcmpProber::start(const std::vector<IpAddr>& targets) {
    targets_ = targets;
    answered_.assign(targets.size(), false);
    send_errors_.clear();
    seq_to_target_.clear();
    // A fresh nonce per round: a reply must echo it (RFC 792: the data is returned as sent).
    std::memcpy(payload_.data(), "xvrrp-ar", 8);
    if (::getrandom(payload_.data() + 8, 8, 0) != 8) {
        uint64_t t = static_cast<uint64_t>(next_seq_) << 32 ^ static_cast<uint64_t>(::getpid());
        std::memcpy(payload_.data() + 8, &t, 8);
    }
    for (size_t i = 0; i < targets.size(); ++i) {
        uint16_t seq = next_seq_++;
        seq_to_target_[seq] = i;
        uint8_t pkt[8 + kPayload] = {};
        pkt[0] = targets[i].isV4() ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
        pkt[4] = static_cast<uint8_t>(ident_ >> 8);
        pkt[5] = static_cast<uint8_t>(ident_);
        pkt[6] = static_cast<uint8_t>(seq >> 8);
        pkt[7] = static_cast<uint8_t>(seq);
        std::memcpy(pkt + 8, payload_.data(), kPayload);
        ssize_t rc;
        if (targets[i].isV4()) {
            uint16_t sum = internetChecksum(pkt, sizeof(pkt));
            pkt[2] = static_cast<uint8_t>(sum >> 8);
            pkt[3] = static_cast<uint8_t>(sum);
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_addr = targets[i].toV4();
            rc = ::sendto(fd4_, pkt, sizeof(pkt), 0, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
        } else {
            // The kernel fills in the ICMPv6 checksum (RFC 3542 section 3.1).
            sockaddr_in6 sa{};
            sa.sin6_family = AF_INET6;
            sa.sin6_addr = targets[i].toV6();
            rc = ::sendto(fd6_, pkt, sizeof(pkt), 0, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
        }
        if (rc < 0)
            send_errors_.push_back("sendto(ICMP echo) " + targets[i].str() + ": " +
                                   std::strerror(errno));
    }
}

void IcmpProber::onReadable(int fd) {
    uint8_t buf[1500];
    for (;;) {
        sockaddr_storage from{};
        socklen_t fl = sizeof(from);
        ssize_t n = ::recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // EAGAIN: drained
        }
        size_t len = static_cast<size_t>(n);
        if (fd == fd4_) {
            // Raw IPv4 sockets deliver the IP header too.
            if (len < sizeof(iphdr)) continue;
            size_t ihl = static_cast<size_t>(buf[0] & 0x0f) * 4;
            if (len < ihl + 8 || buf[ihl] != ICMP_ECHOREPLY) continue;
            handleReply(IpAddr::v4(reinterpret_cast<sockaddr_in*>(&from)->sin_addr), buf + ihl,
                        len - ihl);
        } else if (fd == fd6_) {
            if (len < 8 || buf[0] != ICMP6_ECHO_REPLY) continue;
            handleReply(IpAddr::v6(reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr), buf, len);
        } else {
            return;
        }
    }
}

void IcmpProber::handleReply(const IpAddr& from, const uint8_t* icmp, size_t len) {
    if (len < 8 + kPayload) return;
    const auto id = static_cast<uint16_t>(icmp[4] << 8 | icmp[5]);
    const auto seq = static_cast<uint16_t>(icmp[6] << 8 | icmp[7]);
    if (id != ident_) return;
    auto it = seq_to_target_.find(seq);
    if (it == seq_to_target_.end() || targets_[it->second] != from) return;
    if (std::memcmp(icmp + 8, payload_.data(), kPayload) != 0) return;  // not our echo
    answered_[it->second] = true;
}

uint16_t IcmpProber::sequenceOf(size_t i) const {
    for (const auto& [seq, target] : seq_to_target_)
        if (target == i) return seq;
    return 0;
}

bool IcmpProber::allAnswered() const {
    return std::all_of(answered_.begin(), answered_.end(), [](bool b) { return b; });
}

}  // namespace xvrrp::arbiter
