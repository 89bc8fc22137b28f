// xvrrp-probe: a client that pings a VIP at a fixed rate and reports how long
// it went unanswered. Run inside the client namespace of a lab. The harness
// marks the moment it cuts a link (SIGUSR1, or --mark-file appearing) and the
// report measures the outage seen after that mark.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "loop_util.hpp"

namespace {

using xvrrp::bench::die;

int64_t nowNs() { return xvrrp::bench::clockNs(CLOCK_MONOTONIC); }

constexpr uint64_t kMagic = 0x7876727270726f62ULL;  // "xvrrprob"
constexpr int64_t kMaxDurationS = 3600;
constexpr uint64_t kMaxCount = 20'000'000;  // bounds memory: 16 bytes per probe
constexpr int64_t kDrainNs = 100'000'000;     // replies awaited after a stop

struct Options {
    std::string target;
    int64_t intervalUs = 1000;
    int64_t durationS = 30;
    std::string markFile;
    std::string out;
    bool untilReply = false;  // connectivity check: stop at the first reply
};

struct Probe {
    int64_t sentNs = 0;
    int64_t replyNs = -1;  // -1: no reply
};

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr,
                 "xvrrp-probe: %s\nusage: xvrrp-probe --target IP [--interval-us N] "
                 "[--duration-s S] [--mark-file PATH] [--out FILE] [--until-reply]\n"
                 "  --until-reply: exit 0 at the first reply, 1 if none within --duration-s\n",
                 msg);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + a).c_str());
            return argv[++i];
        };
        if (a == "--target")
            o.target = value();
        else if (a == "--interval-us")
            o.intervalUs = std::atoll(value().c_str());
        else if (a == "--duration-s")
            o.durationS = std::atoll(value().c_str());
        else if (a == "--mark-file")
            o.markFile = value();
        else if (a == "--out")
            o.out = value();
        else if (a == "--until-reply")
            o.untilReply = true;
        else
            usage(("unknown option " + a).c_str());
    }
    if (o.target.empty()) usage("--target is required");
    if (o.intervalUs < 100 || o.intervalUs > 10'000'000) usage("--interval-us must be 100..1e7");
    if (o.durationS < 1 || o.durationS > kMaxDurationS) usage("--duration-s must be 1..3600");
    return o;
}

uint16_t inetChecksum(const uint8_t* p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
    if (n & 1) sum += p[n - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return htons(static_cast<uint16_t>(~sum));
}

// A mark file holds CLOCK_MONOTONIC ns written by the harness; an empty or
// unreadable one means "now".
int64_t readMark(const std::string& path, int64_t now) {
    std::ifstream in(path);
    long long v = 0;
    if (in >> v && v > 0) return v;
    return now;
}

struct Gap {
    int64_t startNs = 0, endNs = 0;
    int64_t len() const { return endNs - startNs; }
};

std::string report(const Options& o, const std::vector<Probe>& probes,
                   const std::vector<int64_t>& replies, int64_t startNs, int64_t endNs,
                   std::optional<int64_t> markNs, uint64_t sendErrors) {
    // replies are arrival times in order; gaps are between consecutive ones.
    Gap longest, afterMark;
    bool resumed = false;
    for (size_t i = 1; i < replies.size(); ++i) {
        Gap g{replies[i - 1], replies[i]};
        if (g.len() > longest.len()) longest = g;
        if (markNs && g.endNs > *markNs && g.len() > afterMark.len()) afterMark = g;
    }
    uint64_t received = 0;
    for (const auto& p : probes) received += p.replyNs >= 0;
    int64_t lastReplyBeforeMark = -1;
    if (markNs) {
        for (int64_t r : replies) {
            if (r <= *markNs)
                lastReplyBeforeMark = r;
            else
                resumed = true;
        }
    }
    auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
    char buf[2048];
    int n = std::snprintf(
        buf, sizeof buf,
        "{\"target\":\"%s\",\"interval_us\":%lld,\"sent\":%zu,\"received\":%llu,"
        "\"send_errors\":%llu,\"start_ns\":%lld,\"end_ns\":%lld,"
        "\"longest_gap_ms\":%.3f,\"gap_start_ns\":%lld,\"gap_end_ns\":%lld",
        o.target.c_str(), static_cast<long long>(o.intervalUs), probes.size(),
        static_cast<unsigned long long>(received), static_cast<unsigned long long>(sendErrors),
        static_cast<long long>(startNs), static_cast<long long>(endNs), ms(longest.len()),
        static_cast<long long>(longest.startNs), static_cast<long long>(longest.endNs));
    std::string s(buf, static_cast<size_t>(n));
    if (!markNs) {
        s += ",\"mark_ns\":null,\"outage_ms_after_mark\":null,\"gap_after_mark_ms\":null}";
        return s;
    }
    // outage: mark -> first reply that ends the largest stop after the mark.
    // gap: that stop as the client saw it, independent of when the mark was taken.
    bool haveGap = resumed && afterMark.len() > 0;
    n = std::snprintf(buf, sizeof buf,
                      ",\"mark_ns\":%lld,\"last_reply_before_mark_ns\":%lld,"
                      "\"resumed_after_mark\":%s",
                      static_cast<long long>(*markNs), static_cast<long long>(lastReplyBeforeMark),
                      resumed ? "true" : "false");
    s.append(buf, static_cast<size_t>(n));
    if (haveGap) {
        n = std::snprintf(buf, sizeof buf,
                          ",\"outage_ms_after_mark\":%.3f,\"gap_after_mark_ms\":%.3f,"
                          "\"gap_after_mark_start_ns\":%lld,\"gap_after_mark_end_ns\":%lld}",
                          ms(afterMark.endNs - *markNs), ms(afterMark.len()),
                          static_cast<long long>(afterMark.startNs),
                          static_cast<long long>(afterMark.endNs));
        s.append(buf, static_cast<size_t>(n));
    } else {
        s += ",\"outage_ms_after_mark\":null,\"gap_after_mark_ms\":null}";
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    xvrrp::bench::setProgramName("xvrrp-probe");
    const Options o = parse(argc, argv);
    in6_addr a6{};
    in_addr a4{};
    bool v6;
    if (inet_pton(AF_INET, o.target.c_str(), &a4) == 1)
        v6 = false;
    else if (inet_pton(AF_INET6, o.target.c_str(), &a6) == 1)
        v6 = true;
    else
        usage("--target is not an IPv4 or IPv6 address");

    // Raw: a fresh netns closes ping sockets (ping_group_range "1 0") even to root.
    int sock = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
    if (sock < 0) die("socket(raw icmp)");
    if (v6) {
        icmp6_filter f;
        ICMP6_FILTER_SETBLOCKALL(&f);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
        setsockopt(sock, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
    } else {
        icmp_filter f{~(1u << ICMP_ECHOREPLY)};
        setsockopt(sock, SOL_RAW, ICMP_FILTER, &f, sizeof f);
    }
    sockaddr_storage dst{};
    socklen_t dstLen;
    if (v6) {
        auto* d = reinterpret_cast<sockaddr_in6*>(&dst);
        d->sin6_family = AF_INET6;
        d->sin6_addr = a6;
        dstLen = sizeof *d;
    } else {
        auto* d = reinterpret_cast<sockaddr_in*>(&dst);
        d->sin_family = AF_INET;
        d->sin_addr = a4;
        dstLen = sizeof *d;
    }

    const int sigFd = xvrrp::bench::openSignalFd();
    int timerFd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timerFd < 0) die("timerfd_create");
    itimerspec its{};
    its.it_interval.tv_sec = o.intervalUs / 1'000'000;
    its.it_interval.tv_nsec = (o.intervalUs % 1'000'000) * 1000;
    its.it_value.tv_nsec = 1;  // first probe at once
    if (timerfd_settime(timerFd, 0, &its, nullptr) != 0) die("timerfd_settime");

    const uint16_t id = static_cast<uint16_t>(getpid());
    const uint64_t maxCount = std::min<uint64_t>(
        kMaxCount, uint64_t(o.durationS) * 1'000'000 / uint64_t(o.intervalUs) + 1);
    std::vector<Probe> probes;
    probes.reserve(maxCount);
    std::vector<int64_t> replies;
    replies.reserve(maxCount);
    const int64_t startNs = nowNs();
    const int64_t stopNs = startNs + o.durationS * 1'000'000'000;
    std::optional<int64_t> markNs;
    uint64_t sendErrors = 0;
    bool announcedReady = false, announcedResumed = false;

    pollfd fds[3] = {{timerFd, POLLIN, 0}, {sock, POLLIN, 0}, {sigFd, POLLIN, 0}};
    bool done = false;
    // A stop sends nothing more but waits a little for the replies still on their way, so
    // the last probe is not counted as lost.
    std::optional<int64_t> drainUntil;
    auto answered = [&] { return !probes.empty() && probes.back().replyNs >= 0; };
    while (!done) {
        if (poll(fds, 3, drainUntil ? 5 : 1000) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        const int64_t now = nowNs();
        if (drainUntil && (now >= *drainUntil || answered())) break;
        if (now >= stopNs || probes.size() >= maxCount) break;
        if (fds[2].revents & POLLIN) {
            const auto sig = xvrrp::bench::readSignals(sigFd);
            if (sig.mark && !markNs) markNs = now;
            if (sig.stop && !drainUntil) drainUntil = now + kDrainNs;
        }
        if (fds[0].revents & POLLIN) {
            uint64_t ticks;
            if (read(timerFd, &ticks, sizeof ticks) < 0 && errno != EAGAIN) die("read(timerfd)");
        }
        if ((fds[0].revents & POLLIN) && !drainUntil) {
            if (!markNs && !o.markFile.empty()) {
                struct stat st;
                if (stat(o.markFile.c_str(), &st) == 0) markNs = readMark(o.markFile, now);
            }
            // Late ticks are not made up for: one probe per wakeup keeps the rate honest.
            uint8_t pkt[8 + 16] = {};
            pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
            uint64_t seq = probes.size();
            std::memcpy(pkt + 4, &id, 2);
            uint16_t seq16 = htons(static_cast<uint16_t>(seq));
            std::memcpy(pkt + 6, &seq16, 2);
            std::memcpy(pkt + 8, &kMagic, 8);
            std::memcpy(pkt + 16, &seq, 8);
            if (!v6) {  // the kernel fills the ICMPv6 checksum (RFC 3542 section 3.1)
                uint16_t c = inetChecksum(pkt, sizeof pkt);
                std::memcpy(pkt + 2, &c, 2);
            }
            probes.push_back({nowNs(), -1});
            if (sendto(sock, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&dst), dstLen) < 0)
                ++sendErrors;  // EHOSTUNREACH while ARP fails is part of the outage
        }
        if (fds[1].revents & POLLIN) {
            uint8_t buf[2048];
            ssize_t n;
            while ((n = recv(sock, buf, sizeof buf, 0)) > 0) {
                const int64_t t = nowNs();
                const uint8_t* icmp = buf;
                if (!v6) {  // raw IPv4 sockets include the IP header
                    size_t ihl = (buf[0] & 0x0f) * 4u;
                    if (static_cast<size_t>(n) < ihl) continue;
                    icmp += ihl;
                    n -= static_cast<ssize_t>(ihl);
                }
                if (n < 24) continue;
                uint16_t rid;
                uint64_t magic, seq;
                std::memcpy(&rid, icmp + 4, 2);
                std::memcpy(&magic, icmp + 8, 8);
                std::memcpy(&seq, icmp + 16, 8);
                const int want = v6 ? int{ICMP6_ECHO_REPLY} : int{ICMP_ECHOREPLY};
                if (icmp[0] != want || rid != id || magic != kMagic || seq >= probes.size())
                    continue;
                if (probes[seq].replyNs >= 0) continue;  // duplicate (two masters answering)
                probes[seq].replyNs = t;
                replies.push_back(t);
                if (o.untilReply) done = true;
                // Progress lines on stderr let a harness wait on conditions.
                if (!announcedReady) {
                    announcedReady = true;
                    std::fprintf(stderr, "ready %lld\n", static_cast<long long>(t));
                }
                if (markNs && !announcedResumed && replies.size() >= 2 && t > *markNs &&
                    t - replies[replies.size() - 2] > 3 * o.intervalUs * 1000) {
                    announcedResumed = true;
                    std::fprintf(stderr, "resumed %lld\n", static_cast<long long>(t));
                }
            }
        }
    }
    if (o.untilReply) return replies.empty() ? 1 : 0;
    const std::string json = report(o, probes, replies, startNs, nowNs(), markNs, sendErrors);
    xvrrp::bench::writeReport(json, o.out);
    return 0;
}
