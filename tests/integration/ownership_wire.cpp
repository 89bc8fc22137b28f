#include "ownership_wire.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>

namespace xvrrp::itest::wire {

namespace {

constexpr uint16_t kEthIp = 0x0800;
constexpr uint16_t kEthArp = 0x0806;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoVrrp = 112;

std::atomic<uint16_t> gEchoId{static_cast<uint16_t>(::getpid() * 13 + 1)};

void put16(Frame& f, size_t at, uint16_t v) {
    f[at] = static_cast<uint8_t>(v >> 8);
    f[at + 1] = static_cast<uint8_t>(v);
}

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// One's complement sum (RFC 1071), folded; `seed` carries a pseudo-header.
uint16_t checksum(const uint8_t* p, size_t n, uint32_t seed = 0) {
    uint32_t sum = seed;
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Frame ethernet(const Mac& dst, const Mac& src, uint16_t type) {
    Frame f(dst.begin(), dst.end());
    f.insert(f.end(), src.begin(), src.end());
    f.push_back(static_cast<uint8_t>(type >> 8));
    f.push_back(static_cast<uint8_t>(type));
    return f;
}

// Appends an IPv4 header (no options) for `payloadLen` bytes of `proto`.
void ipv4Header(Frame& f, const IpAddr& src, const IpAddr& dst, uint8_t proto, uint8_t ttl,
                size_t payloadLen) {
    const size_t at = f.size();
    f.resize(at + 20, 0);
    f[at] = 0x45;
    put16(f, at + 2, static_cast<uint16_t>(20 + payloadLen));
    put16(f, at + 6, 0x4000);  // DF
    f[at + 8] = ttl;
    f[at + 9] = proto;
    std::memcpy(&f[at + 12], src.data(), 4);
    std::memcpy(&f[at + 16], dst.data(), 4);
    put16(f, at + 10, checksum(&f[at], 20));
}

Mac macFromText(const std::string& s) {
    Mac m{};
    unsigned b[6];
    if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
        throw std::runtime_error("not a MAC address: '" + s + "'");
    for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(b[i]);
    return m;
}

}  // namespace

std::string str(const Mac& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                  m[5]);
    return buf;
}

Mac macOf(const lab::Netns& ns, const std::string& ifname) {
    auto j = nlohmann::json::parse(ns.runOk({"ip", "-j", "link", "show", "dev", ifname}));
    return macFromText(j.at(0).at("address").get<std::string>());
}

std::optional<Mac> neighbourMac(const lab::Netns& ns, const IpAddr& ip) {
    auto r = ns.run({"ip", "-j", "neigh", "show", "to", ip.str(), "dev", "eth0"});
    if (!r.ok()) return std::nullopt;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_array()) return std::nullopt;
    for (const auto& e : j) {
        if (!e.contains("lladdr")) continue;  // INCOMPLETE / FAILED carry none
        return macFromText(e["lladdr"].get<std::string>());
    }
    return std::nullopt;
}

Frame arpRequest(const Mac& src, const IpAddr& srcIp, const IpAddr& target) {
    Frame f = ethernet(kBroadcast, src, kEthArp);
    const uint8_t head[8] = {0, 1, 0x08, 0, 6, 4, 0, 1};  // Ethernet/IPv4, request
    f.insert(f.end(), head, head + 8);
    f.insert(f.end(), src.begin(), src.end());
    f.insert(f.end(), srcIp.data(), srcIp.data() + 4);
    f.insert(f.end(), 6, 0);
    f.insert(f.end(), target.data(), target.data() + 4);
    return f;
}

Frame icmpEcho(const Mac& src, const Mac& dst, const IpAddr& srcIp, const IpAddr& dstIp,
               uint16_t id, uint16_t seq) {
    Frame f = ethernet(dst, src, kEthIp);
    uint8_t icmp[16] = {8, 0};
    icmp[4] = static_cast<uint8_t>(id >> 8);
    icmp[5] = static_cast<uint8_t>(id);
    icmp[6] = static_cast<uint8_t>(seq >> 8);
    icmp[7] = static_cast<uint8_t>(seq);
    const uint16_t c = checksum(icmp, sizeof icmp);
    icmp[2] = static_cast<uint8_t>(c >> 8);
    icmp[3] = static_cast<uint8_t>(c);
    ipv4Header(f, srcIp, dstIp, kProtoIcmp, 64, sizeof icmp);
    f.insert(f.end(), icmp, icmp + sizeof icmp);
    return f;
}

Frame vrrpAdvert(const Mac& src, const Advert& a) {
    // RFC 5798 section 5.2: version 3, type 1, VRID, priority, count, 12-bit Max Adver Int.
    Frame msg = {static_cast<uint8_t>(a.version << 4 | 1),
                 static_cast<uint8_t>(a.vrid),
                 static_cast<uint8_t>(a.priority),
                 static_cast<uint8_t>(a.vips.size()),
                 0,
                 0,
                 0,
                 0};
    put16(msg, 4, static_cast<uint16_t>(a.intervalCs & 0x0fff));
    for (const auto& v : a.vips) msg.insert(msg.end(), v.data(), v.data() + 4);
    // Section 5.2.8: the checksum covers an IPv4 pseudo-header too.
    uint32_t seed = 0;
    for (const IpAddr* ip : {&a.src, &a.dst}) seed += get16(ip->data()) + get16(ip->data() + 2);
    seed += kProtoVrrp + static_cast<uint32_t>(msg.size());
    put16(msg, 6, checksum(msg.data(), msg.size(), seed));

    Frame f = ethernet(a.dstMac, src, kEthIp);
    ipv4Header(f, a.src, a.dst, kProtoVrrp, a.ttl, msg.size());
    f.insert(f.end(), msg.begin(), msg.end());
    return f;
}

std::optional<Ipv4View> parseIpv4(const Frame& f) {
    if (f.size() < 14 + 20 || get16(&f[12]) != kEthIp || (f[14] >> 4) != 4) return std::nullopt;
    const size_t ihl = (f[14] & 0x0f) * 4u;
    const size_t total = get16(&f[16]);
    if (ihl < 20 || total < ihl || f.size() < 14 + total) return std::nullopt;
    Ipv4View v;
    std::memcpy(v.dstMac.data(), &f[0], 6);
    std::memcpy(v.srcMac.data(), &f[6], 6);
    v.proto = f[14 + 9];
    v.src = IpAddr::fromBytes(Family::V4, &f[14 + 12]);
    v.dst = IpAddr::fromBytes(Family::V4, &f[14 + 16]);
    v.l4 = &f[14 + ihl];
    v.l4len = total - ihl;
    return v;
}

std::optional<Mac> arpReplyFor(const Frame& f, const IpAddr& target) {
    if (f.size() < 14 + 28 || get16(&f[12]) != kEthArp || get16(&f[14 + 6]) != 2)
        return std::nullopt;
    if (IpAddr::fromBytes(Family::V4, &f[14 + 14]) != target) return std::nullopt;
    Mac m;
    std::memcpy(m.data(), &f[14 + 8], 6);
    return m;
}

std::optional<std::pair<Mac, uint16_t>> echoReply(const Frame& f, uint16_t id) {
    auto v = parseIpv4(f);
    if (!v || v->proto != kProtoIcmp || v->l4len < 8 || v->l4[0] != 0) return std::nullopt;
    if (get16(v->l4 + 4) != id) return std::nullopt;
    return std::make_pair(v->srcMac, get16(v->l4 + 6));
}

RawPort::RawPort(const lab::Netns& ns, const std::string& ifname)
    : mac_(macOf(ns, ifname)), where_(ifname + " in " + ns.name()) {
    lab::inNetns(ns.path(), [&] {
        // Protocol 0 until bound to the interface: no frame of another one slips in.
        fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd_ < 0)
            throw std::system_error(errno, std::generic_category(),
                                    "socket(AF_PACKET) for " + where_);
        ifindex_ = static_cast<int>(::if_nametoindex(ifname.c_str()));
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(ETH_P_ALL);
        sll.sll_ifindex = ifindex_;
        if (ifindex_ == 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
            const int e = ifindex_ == 0 ? ENODEV : errno;
            ::close(fd_);
            fd_ = -1;
            throw std::system_error(e, std::generic_category(), "bind(AF_PACKET, " + where_ + ")");
        }
    });
}

RawPort::~RawPort() {
    if (fd_ >= 0) ::close(fd_);
}

void RawPort::send(const Frame& f) {
    // The minimum Ethernet payload; veth does not pad short frames itself.
    Frame padded = f;
    if (padded.size() < 60) padded.resize(60, 0);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex_;
    sll.sll_halen = 6;
    std::memcpy(sll.sll_addr, f.data(), 6);
    if (::sendto(fd_, padded.data(), padded.size(), 0, reinterpret_cast<sockaddr*>(&sll),
                 sizeof sll) < 0)
        throw std::system_error(errno, std::generic_category(),
                                "sendto(AF_PACKET, " + where_ + ")");
}

bool RawPort::receive(const std::function<bool(const Frame&)>& onFrame, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    Frame buf(2048);
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        for (;;) {
            sockaddr_ll from{};
            socklen_t fl = sizeof from;
            ssize_t n =
                ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n < 0) break;  // EAGAIN: back to poll
            if (from.sll_pkttype == PACKET_OUTGOING) continue;
            if (onFrame(Frame(buf.begin(), buf.begin() + n))) return true;
        }
    }
}

void RawPort::drain() {
    uint8_t buf[2048];
    while (::recv(fd_, buf, sizeof buf, 0) > 0) {
    }
}

std::set<Mac> arpRepliers(RawPort& port, const IpAddr& srcIp, const IpAddr& target,
                          Clock::duration window, int requests) {
    std::set<Mac> who;
    port.drain();
    const auto step = window / std::max(requests, 1);
    for (int i = 0; i < requests; ++i) {
        port.send(arpRequest(port.mac(), srcIp, target));
        port.receive(
            [&](const Frame& f) {
                if (auto m = arpReplyFor(f, target)) who.insert(*m);
                return false;
            },
            step);
    }
    return who;
}

bool echoAnswered(RawPort& port, const Mac& dstMac, const IpAddr& srcIp, const IpAddr& dstIp,
                  Clock::duration timeout) {
    const uint16_t id = gEchoId++;
    port.drain();
    port.send(icmpEcho(port.mac(), dstMac, srcIp, dstIp, id, 1));
    return port.receive(
        [&](const Frame& f) {
            auto r = echoReply(f, id);
            return r && r->first == dstMac;
        },
        timeout);
}

EchoWatch::EchoWatch(const lab::Netns& ns, const Mac& dstMac, const IpAddr& srcIp,
                     const IpAddr& dstIp, Clock::duration interval)
    : port_(ns, "eth0"),
      dstMac_(dstMac),
      srcIp_(srcIp),
      dstIp_(dstIp),
      interval_(interval),
      id_(gEchoId++) {
    thread_ = std::thread([this] { run(); });
}

EchoWatch::~EchoWatch() { stop(); }

void EchoWatch::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void EchoWatch::run() {
    auto next = Clock::now();
    while (!stop_) {
        if (Clock::now() >= next) {
            std::lock_guard lock(mu_);
            if (sentAt_.size() >= 0xffff) return;  // sequence space used up: a bounded sender
            const auto seq = static_cast<uint16_t>(sentAt_.size());
            sentAt_.push_back(Clock::now());
            answered_.push_back(false);
            port_.send(icmpEcho(port_.mac(), dstMac_, srcIp_, dstIp_, id_, seq));
            next += interval_;
        }
        const auto wait = std::max<Clock::duration>(next - Clock::now(), Clock::duration::zero());
        port_.receive(
            [&](const Frame& f) {
                auto r = echoReply(f, id_);
                if (r && r->first == dstMac_) {
                    std::lock_guard lock(mu_);
                    if (r->second < answered_.size()) answered_[r->second] = true;
                }
                return false;
            },
            std::min<Clock::duration>(wait, std::chrono::milliseconds(5)));
    }
}

std::optional<Clock::time_point> EchoWatch::lastAnswered() const {
    std::lock_guard lock(mu_);
    for (size_t i = answered_.size(); i-- > 0;)
        if (answered_[i]) return sentAt_[i];
    return std::nullopt;
}

bool EchoWatch::answeredSince(Clock::time_point t) const {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < answered_.size(); ++i)
        if (answered_[i] && sentAt_[i] >= t) return true;
    return false;
}

int EchoWatch::sent() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(sentAt_.size());
}

}  // namespace xvrrp::itest::wire
