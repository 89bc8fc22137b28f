#include "prober.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "support/packet_builder.hpp"

namespace xvrrp::chaos {

namespace {

constexpr const char* kIf = "eth0";

class Fd {
  public:
    explicit Fd(int fd, const std::string& what) : fd_(fd) {
        if (fd_ < 0) throw std::runtime_error(what + ": " + std::strerror(errno));
    }
    ~Fd() { ::close(fd_); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

void checked(int rc, const std::string& what) {
    if (rc < 0) throw std::runtime_error(what + ": " + std::strerror(errno));
}

int packetSocket(uint16_t proto, int ifindex) {
    int s = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(proto));
    if (s < 0) return s;
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(proto);
    ll.sll_ifindex = ifindex;
    const int on = 1;
    if (::bind(s, reinterpret_cast<sockaddr*>(&ll), sizeof ll) < 0 ||
        ::setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) {
        ::close(s);
        return -1;
    }
    return s;
}

int64_t clockNs(clockid_t c) {
    timespec ts{};
    ::clock_gettime(c, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string macText(const uint8_t* m) {
    char s[18];
    std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                  m[5]);
    return s;
}

// One frame and its kernel receive time on the run clock, or 0 bytes when none is queued.
size_t receive(int fd, uint8_t* buf, size_t cap, Clock::time_point epoch, double& t) {
    iovec iov{buf, cap};
    alignas(cmsghdr) char control[128];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n <= 0) return 0;
    // SO_TIMESTAMPNS stamps CLOCK_REALTIME; move it onto CLOCK_MONOTONIC (the run clock).
    int64_t mono = clockNs(CLOCK_MONOTONIC);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts{};
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            const int64_t rt = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
            mono += rt - clockNs(CLOCK_REALTIME);
        }
    t = std::chrono::duration<double>(Clock::time_point(std::chrono::nanoseconds(mono)) - epoch)
            .count();
    return static_cast<size_t>(n);
}

}  // namespace

Prober::Prober(const lab::Netns& client, const IpAddr& self, std::vector<IpAddr> vips,
               std::vector<std::string> macs, Clock::time_point epoch,
               std::chrono::milliseconds interval)
    : nsPath_(client.path()), self_(self), vips_(std::move(vips)), macs_(std::move(macs)),
      epoch_(epoch), interval_(interval), pending_(vips_.size()), doneByVip_(vips_.size()) {
    thread_ = std::thread([this] {
        try {
            lab::inNetns(nsPath_, [this] { run(); });
        } catch (const std::exception& e) {
            std::lock_guard lock(mu_);
            error_ = e.what();
        }
    });
}

Prober::~Prober() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

double Prober::now() const {
    return std::chrono::duration<double>(Clock::now() - epoch_).count();
}

uint8_t Prober::bitOf(const uint8_t* mac) const {
    const std::string m = macText(mac);
    for (size_t n = 0; n < macs_.size(); ++n)
        if (macs_[n] == m) return static_cast<uint8_t>(1u << n);
    return kForeign;
}

void Prober::run() {
    const int ifindex = static_cast<int>(::if_nametoindex(kIf));
    if (ifindex == 0) throw std::runtime_error(std::string("if_nametoindex(eth0): ") + std::strerror(errno));
    Fd arp(packetSocket(ETH_P_ARP, ifindex), "AF_PACKET ARP socket on eth0");
    Fd ip(packetSocket(ETH_P_IP, ifindex), "AF_PACKET IPv4 socket on eth0");
    Fd icmp(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP),
            "socket(AF_INET, SOCK_RAW, ICMP)");
    loop(ifindex, arp.get(), ip.get(), icmp.get());
}

void Prober::loop(int ifindex, int arpFd, int ipFd, int icmpFd) {
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, kIf, IFNAMSIZ - 1);
    checked(::ioctl(arpFd, SIOCGIFHWADDR, &ifr), "SIOCGIFHWADDR eth0");
    test::Mac mine{};
    std::memcpy(mine.data(), ifr.ifr_hwaddr.sa_data, 6);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    std::memset(to.sll_addr, 0xff, 6);
    const uint16_t identBase = static_cast<uint16_t>(::getpid() * 16);

    // Signed ticks: an unsigned duration would wrap once the next tick is in the past.
    for (int64_t tick = 1; !stop_; ++tick) {
        const auto due = epoch_ + interval_ * tick;
        if (Clock::now() > due + interval_)  // fell behind: skip the probes that are past
            tick = static_cast<int64_t>((Clock::now() - epoch_) / interval_) + 1;
        const Clock::time_point next = epoch_ + interval_ * tick;
        const uint16_t seq = static_cast<uint16_t>(tick);
        for (size_t v = 0; v < vips_.size(); ++v) {
            // Stamped before sending: a reply can arrive before sendto returns.
            const double sentAt = now();
            uint8_t req[42] = {};
            std::memset(req, 0xff, 6);
            std::memcpy(req + 6, mine.data(), 6);
            const uint8_t head[10] = {0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1};  // Ethernet, IPv4, request
            std::memcpy(req + 12, head, 10);
            std::memcpy(req + 22, mine.data(), 6);
            std::memcpy(req + 28, self_.data(), 4);
            std::memcpy(req + 38, vips_[v].data(), 4);
            ::sendto(arpFd, req, sizeof req, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
            uint8_t echo[8] = {ICMP_ECHO, 0, 0, 0};
            const uint16_t ident = htons(static_cast<uint16_t>(identBase + v)), nseq = htons(seq);
            std::memcpy(echo + 4, &ident, 2);
            std::memcpy(echo + 6, &nseq, 2);
            const uint16_t ck = htons(test::inetChecksum(echo, sizeof echo));  // host order
            std::memcpy(echo + 2, &ck, 2);
            sockaddr_in dst{};
            dst.sin_family = AF_INET;
            std::memcpy(&dst.sin_addr, vips_[v].data(), 4);
            // EHOSTUNREACH while nobody answers ARP: that probe stays unanswered.
            ::sendto(icmpFd, echo, sizeof echo, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
            pending_[v].push_back({{sentAt, static_cast<int>(v), 0, 0}, seq});
        }
        for (;;) {
            uint8_t buf[2048];
            double t = 0;
            for (size_t n; (n = receive(arpFd, buf, sizeof buf, epoch_, t)) > 0;) onArp(buf, n, t);
            for (size_t n; (n = receive(ipFd, buf, sizeof buf, epoch_, t)) > 0;)
                onIp(buf, n, identBase);
            while (::recv(icmpFd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
            if (left.count() <= 0 || stop_) break;
            pollfd p[3] = {{arpFd, POLLIN, 0}, {ipFd, POLLIN, 0}, {icmpFd, POLLIN, 0}};
            ::poll(p, 3, static_cast<int>(left.count()) + 1);
        }
        finish(now() - kAnswerTimeoutS);
    }
    finish(1e300);
}

void Prober::onArp(const uint8_t* f, size_t n, double t) {
    if (n < 42 || f[12] != 0x08 || f[13] != 0x06 || f[21] != 2) return;  // ARP reply
    for (size_t v = 0; v < vips_.size(); ++v) {
        if (std::memcmp(f + 28, vips_[v].data(), 4) != 0) continue;
        // The reply answers the last request of this VIP sent before it arrived.
        auto& q = pending_[v];
        for (auto it = q.rbegin(); it != q.rend(); ++it)
            if (it->p.t <= t) {
                it->p.arp |= bitOf(f + 6);
                break;
            }
    }
}

void Prober::onIp(const uint8_t* f, size_t n, uint16_t identBase) {
    if (n < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != IPPROTO_ICMP) return;
    const size_t ihl = static_cast<size_t>(f[14] & 0x0f) * 4;
    if (n < 14 + ihl + 8) return;
    const uint8_t* ic = f + 14 + ihl;
    if (ic[0] != ICMP_ECHOREPLY) return;
    const uint16_t ident = static_cast<uint16_t>(ic[4] << 8 | ic[5]);
    const uint16_t seq = static_cast<uint16_t>(ic[6] << 8 | ic[7]);
    const size_t v = static_cast<uint16_t>(ident - identBase);
    if (v >= vips_.size() || std::memcmp(f + 14 + 12, vips_[v].data(), 4) != 0) return;
    auto& q = pending_[v];
    for (auto it = q.rbegin(); it != q.rend(); ++it)
        if (it->seq == seq) {
            it->p.echo |= bitOf(f + 6);
            break;
        }
}

void Prober::finish(double before) {
    std::lock_guard lock(mu_);
    for (auto& q : pending_)
        while (!q.empty() && q.front().p.t < before) {
            doneByVip_[static_cast<size_t>(q.front().p.vip)].push_back(done_.size());
            done_.push_back(q.front().p);
            q.pop_front();
        }
}

bool Prober::steady(int vip, int node, double span) const {
    std::lock_guard lock(mu_);
    const auto& idx = doneByVip_.at(static_cast<size_t>(vip));
    if (idx.empty()) return false;
    const double from = done_[idx.back()].t - span;
    const uint8_t want = static_cast<uint8_t>(1u << node);
    int seen = 0;
    for (auto it = idx.rbegin(); it != idx.rend() && done_[*it].t >= from; ++it, ++seen)
        if (done_[*it].echo != want || (done_[*it].arp | want) != want) return false;
    return seen > 0;
}

std::string Prober::last(int vip) const {
    std::lock_guard lock(mu_);
    if (!error_.empty()) return "the prober failed: " + error_;
    const auto& idx = doneByVip_.at(static_cast<size_t>(vip));
    if (idx.empty()) return "no probe finished";
    const auto& p = done_[idx.back()];
    return "ARP from " + nodesText(p.arp) + ", echo from " + nodesText(p.echo);
}

std::vector<Probe> Prober::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    if (!error_.empty()) throw std::runtime_error("chaos prober: " + error_);
    return std::move(done_);
}

}  // namespace xvrrp::chaos
