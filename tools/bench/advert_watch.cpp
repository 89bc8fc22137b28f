// xvrrp-advert-watch: records when VRRP adverts cross one interface, per
// source address, on CLOCK_MONOTONIC (the clock xvrrp-probe uses), so a
// benchmark can tell when the backup last heard the master before a cut.
// Run it in the lab's hub namespace on the backup's bridge port (vhN): what
// leaves that port is exactly what the backup receives. "gaps" reports the largest
// interval between two adverts of one (source, VRID): a master's worst lateness is that
// minus its advert interval.
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loop_util.hpp"

namespace {

using xvrrp::bench::clockNs;
using xvrrp::bench::die;

constexpr uint8_t kProtoVrrp = 112;  // RFC 5798 section 5.1.1.4 / 5.1.2.4
constexpr size_t kMaxSources = 16;
constexpr int64_t kMaxDurationS = 3600;

// Per (source, VRID): the largest gap between two of its adverts, for advert lateness.
struct Gap {
    int64_t lastNs = -1, maxNs = 0;
    uint64_t count = 0;
};

struct Options {
    std::string ifname;
    int64_t durationS = 60;
    uint64_t maxAdverts = 1'000'000;
    size_t stamps = 0;  // adverts after the mark whose times are listed, per source
    std::string out;
};

struct Source {
    std::string addr;
    uint8_t vrid = 0, priority = 0;
    uint64_t count = 0, countAfterMark = 0;
    int64_t firstNs = 0, lastNs = 0, prevNs = -1;
    int64_t lastBeforeMarkNs = -1, firstAfterMarkNs = -1;
    int64_t lastRecvNs = 0;  // when this process read the last one (for the clock check)
    // The longest silence between two of its adverts (a restart's handover gap).
    int64_t maxGapNs = 0, maxGapEndNs = -1;
    // Priority-0 adverts seen (a graceful stop hands over through one).
    uint64_t priorityZero = 0;
    std::vector<int64_t> stampsAfterMark;  // --stamps
};

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr,
                 "xvrrp-advert-watch: %s\nusage: xvrrp-advert-watch --ifname IF "
                 "[--duration-s S] [--max-adverts N] [--stamps N] [--out FILE]\n"
                 "  SIGUSR1 marks the cut; SIGINT/SIGTERM or the limits end it with one JSON "
                 "object\n",
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
        if (a == "--ifname")
            o.ifname = value();
        else if (a == "--duration-s")
            o.durationS = std::atoll(value().c_str());
        else if (a == "--max-adverts")
            o.maxAdverts = std::strtoull(value().c_str(), nullptr, 10);
        else if (a == "--out")
            o.out = value();
        else if (a == "--stamps")
            o.stamps = std::strtoull(value().c_str(), nullptr, 10);
        else
            usage(("unknown option " + a).c_str());
    }
    if (o.ifname.empty()) usage("--ifname is required");
    if (o.durationS < 1 || o.durationS > kMaxDurationS) usage("--duration-s must be 1..3600");
    if (o.maxAdverts < 1 || o.maxAdverts > 10'000'000) usage("--max-adverts must be 1..1e7");
    if (o.stamps > 100'000) usage("--stamps must be 0..100000");
    return o;
}

// Only IPv4 protocol 112 and IPv6 next header 112 reach userspace; the probe's
// 1000 echoes a second through the same port stay in the kernel.
void attachVrrpFilter(int fd) {
    sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),                   // ethertype
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 2),      //
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14 + 9),               // IPv4 protocol
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProtoVrrp, 3, 4),    //
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 3),    //
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14 + 6),               // IPv6 next header
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProtoVrrp, 0, 1),    //
        BPF_STMT(BPF_RET | BPF_K, 256),                           // enough for the headers
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
        die("setsockopt(SO_ATTACH_FILTER)");
}

// The kernel stamps frames on CLOCK_REALTIME; the offset to CLOCK_MONOTONIC is
// read around the conversion (it only moves with clock steps/slews, which are
// negligible over the microseconds between stamp and read).
int64_t realtimeToMonotonic(int64_t realNs) {
    const int64_t m1 = clockNs(CLOCK_MONOTONIC);
    const int64_t r = clockNs(CLOCK_REALTIME);
    const int64_t m2 = clockNs(CLOCK_MONOTONIC);
    return realNs - (r - (m1 + (m2 - m1) / 2));
}

struct Parsed {
    std::string src;
    uint8_t vrid, priority;
};

std::optional<Parsed> parseFrame(const uint8_t* p, size_t n) {
    if (n < 14) return std::nullopt;
    const uint16_t type = static_cast<uint16_t>(p[12] << 8 | p[13]);
    char buf[INET6_ADDRSTRLEN];
    if (type == ETH_P_IP && n >= 14 + 20) {
        const size_t ihl = (p[14] & 0x0f) * 4u;
        if (p[14 + 9] != kProtoVrrp || ihl < 20 || n < 14 + ihl + 4) return std::nullopt;
        inet_ntop(AF_INET, p + 14 + 12, buf, sizeof buf);
        return Parsed{buf, p[14 + ihl + 1], p[14 + ihl + 2]};
    }
    if (type == ETH_P_IPV6 && n >= 14 + 40 + 4) {
        if (p[14 + 6] != kProtoVrrp) return std::nullopt;
        inet_ntop(AF_INET6, p + 14 + 8, buf, sizeof buf);
        return Parsed{buf, p[14 + 40 + 1], p[14 + 40 + 2]};
    }
    return std::nullopt;
}

std::string report(const Options& o, const std::vector<Source>& sources,
                   std::optional<int64_t> markNs, int64_t startNs, int64_t endNs,
                   uint64_t total, uint64_t dropped, int64_t maxLagNs, bool kernelStamps,
                   uint64_t socketDrops, const std::map<std::pair<std::string, int>, Gap>& gaps) {
    std::string s;
    char buf[1024];
    int n = std::snprintf(buf, sizeof buf,
                          "{\"ifname\":\"%s\",\"clock\":\"CLOCK_MONOTONIC\",\"stamps\":\"%s\","
                          "\"start_ns\":%lld,\"end_ns\":%lld,\"mark_ns\":",
                          o.ifname.c_str(), kernelStamps ? "kernel" : "receipt",
                          static_cast<long long>(startNs), static_cast<long long>(endNs));
    s.append(buf, static_cast<size_t>(n));
    s += markNs ? std::to_string(*markNs) : "null";
    n = std::snprintf(buf, sizeof buf,
                      ",\"adverts\":%llu,\"other_sources_dropped\":%llu,"
                      "\"socket_drops\":%llu,\"max_read_lag_ms\":%.3f,\"sources\":[",
                      static_cast<unsigned long long>(total),
                      static_cast<unsigned long long>(dropped),
                      static_cast<unsigned long long>(socketDrops),
                      static_cast<double>(maxLagNs) / 1e6);
    s.append(buf, static_cast<size_t>(n));
    for (size_t i = 0; i < sources.size(); ++i) {
        const Source& x = sources[i];
        n = std::snprintf(
            buf, sizeof buf,
            "%s{\"src\":\"%s\",\"vrid\":%u,\"priority\":%u,\"count\":%llu,"
            "\"count_after_mark\":%llu,\"first_ns\":%lld,\"last_ns\":%lld,\"prev_ns\":%lld,"
            "\"last_recv_ns\":%lld,\"last_before_mark_ns\":%lld,\"first_after_mark_ns\":%lld,"
            "\"max_gap_ms\":%.3f,\"max_gap_end_ns\":%lld,\"priority_zero\":%llu,"
            "\"stamps_after_mark\":[",
            i ? "," : "", x.addr.c_str(), x.vrid, x.priority,
            static_cast<unsigned long long>(x.count),
            static_cast<unsigned long long>(x.countAfterMark), static_cast<long long>(x.firstNs),
            static_cast<long long>(x.lastNs), static_cast<long long>(x.prevNs),
            static_cast<long long>(x.lastRecvNs), static_cast<long long>(x.lastBeforeMarkNs),
            static_cast<long long>(x.firstAfterMarkNs), static_cast<double>(x.maxGapNs) / 1e6,
            static_cast<long long>(x.maxGapEndNs), static_cast<unsigned long long>(x.priorityZero));
        s.append(buf, static_cast<size_t>(n));
        for (size_t k = 0; k < x.stampsAfterMark.size(); ++k)
            s += (k ? "," : "") + std::to_string(x.stampsAfterMark[k]);
        s += "]}";
    }
    // The worst gap over every (source, VRID) seen at least twice, and how many there were:
    // overall ("" below) and per source (a master's lateness is its own streams' worst gap).
    struct Worst {
        int64_t ns = 0;
        int vrid = -1;
        size_t streams = 0;
    };
    std::map<std::string, Worst> worst;
    for (const auto& [key, g] : gaps) {
        if (g.count < 2) continue;
        for (const std::string& k : {std::string(), key.first}) {
            Worst& w = worst[k];
            ++w.streams;
            if (g.maxNs > w.ns) w = {g.maxNs, key.second, w.streams};
        }
    }
    const Worst all = worst[""];
    n = std::snprintf(buf, sizeof buf,
                      "],\"gaps\":{\"streams\":%zu,\"max_gap_ms\":%.3f,\"max_gap_vrid\":%d,"
                      "\"by_source\":{",
                      all.streams, static_cast<double>(all.ns) / 1e6, all.vrid);
    s.append(buf, static_cast<size_t>(n));
    bool first = true;
    for (const auto& [src, w] : worst) {
        if (src.empty()) continue;
        n = std::snprintf(buf, sizeof buf,
                          "%s\"%s\":{\"streams\":%zu,\"max_gap_ms\":%.3f,\"max_gap_vrid\":%d}",
                          first ? "" : ",", src.c_str(), w.streams, static_cast<double>(w.ns) / 1e6,
                          w.vrid);
        s.append(buf, static_cast<size_t>(n));
        first = false;
    }
    s += "}}}";
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    xvrrp::bench::setProgramName("xvrrp-advert-watch");
    const Options o = parse(argc, argv);
    const unsigned ifindex = if_nametoindex(o.ifname.c_str());
    if (ifindex == 0) die("if_nametoindex(" + o.ifname + ")");

    // ETH_P_ALL sees both directions: the master's adverts leave the port
    // towards the backup (PACKET_OUTGOING), the backup's own enter it.
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) die("socket(AF_PACKET)");
    attachVrrpFilter(fd);
    int one = 1;
    const bool kernelStamps = setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
    // 255 VRIDs at 10 ms are 25500 adverts a second: a large queue so a busy host's scheduling
    // does not drop frames (a drop would read as a late advert; socket_drops reports them).
    const int rcvbuf = 64 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(ifindex);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0)
        die("bind(AF_PACKET, " + o.ifname + ")");

    const int sigFd = xvrrp::bench::openSignalFd();

    std::vector<Source> sources;
    std::map<std::pair<std::string, int>, Gap> gaps;
    std::optional<int64_t> markNs;
    uint64_t total = 0, dropped = 0;
    int64_t maxLagNs = 0;
    const int64_t startNs = clockNs(CLOCK_MONOTONIC);
    const int64_t stopNs = startNs + o.durationS * 1'000'000'000;
    std::fprintf(stderr, "ready %lld\n", static_cast<long long>(startNs));

    pollfd fds[2] = {{fd, POLLIN, 0}, {sigFd, POLLIN, 0}};
    bool done = false;
    while (!done && total < o.maxAdverts) {
        const int64_t left = stopNs - clockNs(CLOCK_MONOTONIC);
        if (left <= 0) break;
        if (poll(fds, 2, static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 1000))) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if (fds[1].revents & POLLIN) {
            const auto sig = xvrrp::bench::readSignals(sigFd);
            if (sig.mark && !markNs) markNs = clockNs(CLOCK_MONOTONIC);
            if (sig.stop) done = true;
        }
        if (!(fds[0].revents & POLLIN)) continue;
        for (;;) {
            uint8_t frame[256];
            alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(timespec))];
            iovec iov{frame, sizeof frame};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = ctrl;
            msg.msg_controllen = sizeof ctrl;
            const ssize_t n = recvmsg(fd, &msg, MSG_TRUNC);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                die("recvmsg(AF_PACKET, " + o.ifname + ")");
            }
            const int64_t recvNs = clockNs(CLOCK_MONOTONIC);
            int64_t t = recvNs;
            for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    const int64_t real = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
                    if (real > 0) t = realtimeToMonotonic(real);
                }
            }
            if (recvNs - t > maxLagNs) maxLagNs = recvNs - t;
            const auto pf = parseFrame(frame, std::min<size_t>(static_cast<size_t>(n), sizeof frame));
            if (!pf) continue;
            ++total;
            Gap& g = gaps[{pf->src, pf->vrid}];
            if (g.lastNs >= 0 && t - g.lastNs > g.maxNs) g.maxNs = t - g.lastNs;
            g.lastNs = t;
            ++g.count;
            Source* s = nullptr;
            for (auto& x : sources)
                if (x.addr == pf->src) s = &x;
            if (!s) {
                if (sources.size() >= kMaxSources) {
                    ++dropped;
                    continue;
                }
                Source fresh;
                fresh.addr = pf->src;
                fresh.firstNs = fresh.lastNs = t;
                sources.push_back(std::move(fresh));
                s = &sources.back();
                // One line per new source lets a harness wait for "seen ADDR".
                std::fprintf(stderr, "seen %s %lld\n", pf->src.c_str(), static_cast<long long>(t));
            }
            s->vrid = pf->vrid;
            s->priority = pf->priority;
            ++s->count;
            if (pf->priority == 0) ++s->priorityZero;
            if (s->count > 1) {
                s->prevNs = s->lastNs;
                if (t - s->lastNs > s->maxGapNs) {
                    s->maxGapNs = t - s->lastNs;
                    s->maxGapEndNs = t;
                }
            }
            s->lastNs = t;
            s->lastRecvNs = recvNs;
            if (markNs && t > *markNs) {
                if (s->countAfterMark++ == 0) s->firstAfterMarkNs = t;
                if (s->stampsAfterMark.size() < o.stamps) s->stampsAfterMark.push_back(t);
            } else {
                s->lastBeforeMarkNs = t;
            }
        }
    }
    // A dropped frame could be the "last advert"; say so rather than guess.
    tpacket_stats st{};
    socklen_t stLen = sizeof st;
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stLen) != 0)
        die("getsockopt(PACKET_STATISTICS)");
    const std::string json = report(o, sources, markNs, startNs, clockNs(CLOCK_MONOTONIC),
                                    total, dropped, maxLagNs, kernelStamps, st.tp_drops, gaps);
    xvrrp::bench::writeReport(json, o.out);
    return 0;
}
