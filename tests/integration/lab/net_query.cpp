#include "lab/net_query.hpp"

#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <system_error>

#include "lab/netns.hpp"

namespace xvrrp::lab {

namespace {

std::atomic<uint16_t> gEchoId{static_cast<uint16_t>(::getpid() * 7)};

uint16_t inetChecksum(const uint8_t* p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
    if (n & 1) sum += p[n - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return htons(static_cast<uint16_t>(~sum));
}

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

bool hasAddress(const Netns& ns, const std::string& ifname, const IpAddr& ip) {
    auto r = ns.run({"ip", "-j", "addr", "show", "dev", ifname});
    if (!r.ok()) return false;
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (!doc.is_array()) return false;
    for (const auto& link : doc) {
        for (const auto& a : link.value("addr_info", nlohmann::json::array())) {
            auto parsed = IpAddr::parse(a.value("local", std::string()));
            if (parsed && *parsed == ip) return true;
        }
    }
    return false;
}

bool hasCarrier(const Netns& ns, const std::string& ifname) {
    auto r = ns.run({"ip", "-j", "link", "show", "dev", ifname});
    if (!r.ok()) return false;
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (!doc.is_array() || doc.empty()) return false;
    for (const auto& f : doc[0].value("flags", nlohmann::json::array()))
        if (f == "NO-CARRIER") return false;
    return doc[0].value("operstate", std::string()) == "UP";
}

std::optional<std::chrono::microseconds> ping(const Netns& ns, const IpAddr& dst,
                                              std::chrono::milliseconds timeout) {
    std::optional<std::chrono::microseconds> rtt;
    inNetns(ns.path(), [&] {
        const bool v6 = dst.isV6();
        // Raw, not SOCK_DGRAM: a fresh netns has ping_group_range "1 0", closed even to root.
        Fd s{::socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC,
                      v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP})};
        if (s.fd < 0)
            throw std::system_error(errno, std::generic_category(),
                                    "socket(raw icmp) in " + ns.name());
        const uint16_t id = gEchoId++;
        uint8_t pkt[16] = {};
        pkt[0] = static_cast<uint8_t>(v6 ? int{ICMP6_ECHO_REQUEST} : int{ICMP_ECHO});
        std::memcpy(pkt + 4, &id, 2);
        pkt[7] = 1;  // sequence 1
        if (!v6) {   // the kernel fills the ICMPv6 checksum (RFC 3542 section 3.1)
            uint16_t c = inetChecksum(pkt, sizeof pkt);
            std::memcpy(pkt + 2, &c, 2);
        }
        sockaddr_storage ss{};
        socklen_t sl;
        if (v6) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            a->sin6_addr = dst.toV6();
            sl = sizeof *a;
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            a->sin_addr = dst.toV4();
            sl = sizeof *a;
        }
        const auto start = std::chrono::steady_clock::now();
        if (::sendto(s.fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&ss), sl) < 0) {
            if (errno == ENETUNREACH || errno == EHOSTUNREACH) return;  // no route: no reply
            throw std::system_error(errno, std::generic_category(),
                                    "sendto(" + dst.str() + ") in " + ns.name());
        }
        const auto deadline = start + timeout;
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return;
            pollfd p{s.fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            uint8_t buf[1500];
            ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
            if (n <= 0) continue;
            const uint8_t* icmp = buf;
            if (!v6) {  // raw IPv4 sockets deliver the IP header too
                size_t ihl = (buf[0] & 0x0f) * 4u;
                if (static_cast<size_t>(n) < ihl + 8) continue;
                icmp = buf + ihl;
                n -= static_cast<ssize_t>(ihl);
            }
            if (n < 8) continue;
            uint16_t rid;
            std::memcpy(&rid, icmp + 4, 2);
            const int want = v6 ? int{ICMP6_ECHO_REPLY} : int{ICMP_ECHOREPLY};
            if (icmp[0] == want && rid == id) {
                rtt = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start);
                return;
            }
        }
    });
    return rtt;
}

}  // namespace xvrrp::lab
