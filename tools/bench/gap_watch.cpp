// xvrrp-gap-watch: the gaps between consecutive VRRP adverts of every (source, VRID) that
// cross one interface, from the kernel's receive stamps, for tools/bench/starve. Run it in
// the lab's hub namespace on the backup's bridge port: a gap longer than the advert
// interval is how late the master's timer fired (RFC 5798 section 6.4.3: one advert per
// Advertisement_Interval), and a gap past the backup's Master_Down_Interval (section 6.1)
// is a takeover. The stamps are taken where the frame crosses the port, inside the sender's
// transmit, so this process being starved only delays reading them (socket_drops says
// whether the receive buffer overflowed: a dropped frame would show as a false gap).
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "loop_util.hpp"

namespace {

using xvrrp::bench::clockNs;
using xvrrp::bench::die;

constexpr uint8_t kProtoVrrp = 112;       // RFC 5798 section 5.1.1.4 / 5.1.2.4
constexpr int kRcvBuf = 64 << 20;         // ~20 s of 255 VRIDs at 10 ms unread
constexpr int64_t kBucketNs = 100'000;    // gap histogram: 0.1 ms buckets ...
constexpr size_t kBuckets = 20'000;       // ... up to 2 s, the rest in the last one

struct Options {
    std::string ifname;
    int64_t durationS = 60;
    std::string out;
};

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr,
                 "xvrrp-gap-watch: %s\nusage: xvrrp-gap-watch --ifname IF [--duration-s S] "
                 "[--out FILE]\n  SIGINT/SIGTERM or the duration end it with one JSON object\n",
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
        else if (a == "--out")
            o.out = value();
        else
            usage(("unknown option " + a).c_str());
    }
    if (o.ifname.empty()) usage("--ifname is required");
    if (o.durationS < 1 || o.durationS > 3600) usage("--duration-s must be 1..3600");
    return o;
}

// IPv4 protocol 112 or IPv6 next header 112, the first 128 bytes.
void attachVrrpFilter(int fd) {
    sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 2),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14 + 9),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProtoVrrp, 3, 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 3),
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14 + 6),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kProtoVrrp, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 128),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
        die("setsockopt(SO_ATTACH_FILTER)");
}

// Key: source address text and VRID.
using Key = std::pair<std::string, uint8_t>;

bool parseFrame(const uint8_t* p, size_t n, Key& key) {
    if (n < 14) return false;
    const uint16_t type = static_cast<uint16_t>(p[12] << 8 | p[13]);
    char buf[INET6_ADDRSTRLEN];
    if (type == ETH_P_IP && n >= 14 + 20) {
        const size_t ihl = (p[14] & 0x0f) * 4u;
        if (ihl < 20 || n < 14 + ihl + 2) return false;
        inet_ntop(AF_INET, p + 14 + 12, buf, sizeof buf);
        key = {buf, p[14 + ihl + 1]};
        return true;
    }
    if (type == ETH_P_IPV6 && n >= 14 + 40 + 2) {
        inet_ntop(AF_INET6, p + 14 + 8, buf, sizeof buf);
        key = {buf, p[14 + 40 + 1]};
        return true;
    }
    return false;
}

struct Stream {
    uint64_t count = 0;
    int64_t lastNs = 0, maxGapNs = 0, maxGapAtNs = 0;
};

struct Totals {
    std::map<Key, Stream> streams;
    std::vector<uint64_t> histogram = std::vector<uint64_t>(kBuckets, 0);
    uint64_t adverts = 0, gaps = 0;
};

void record(Totals& t, const Key& key, int64_t ns) {
    Stream& s = t.streams[key];
    ++t.adverts;
    if (s.count++ > 0) {
        const int64_t gap = ns - s.lastNs;
        ++t.gaps;
        ++t.histogram[std::min<size_t>(static_cast<size_t>(std::max<int64_t>(gap, 0) / kBucketNs),
                                       kBuckets - 1)];
        if (gap > s.maxGapNs) {
            s.maxGapNs = gap;
            s.maxGapAtNs = ns;
        }
    }
    s.lastNs = ns;
}

// The gap at quantile q (upper edge of its bucket), in ms.
double quantileMs(const Totals& t, double q) {
    if (t.gaps == 0) return 0;
    const auto want = static_cast<uint64_t>(q * static_cast<double>(t.gaps - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i)
        if ((seen += t.histogram[i]) >= want) return static_cast<double>((i + 1) * kBucketNs) / 1e6;
    return static_cast<double>(kBuckets * kBucketNs) / 1e6;
}

// Gaps longer than each threshold (ms), over every stream.
uint64_t gapsOver(const Totals& t, double ms) {
    const auto from = static_cast<size_t>(ms * 1e6 / kBucketNs);
    uint64_t n = 0;
    for (size_t i = from; i < kBuckets; ++i) n += t.histogram[i];
    return n;
}

std::string report(const Options& o, const Totals& t, int64_t startNs, int64_t endNs,
                   uint64_t socketDrops) {
    const Stream* worst = nullptr;
    const Key* worstKey = nullptr;
    for (const auto& [k, s] : t.streams)
        if (!worst || s.maxGapNs > worst->maxGapNs) worst = &s, worstKey = &k;
    uint64_t minCount = 0, maxCount = 0;
    for (const auto& [k, s] : t.streams) {
        minCount = minCount == 0 ? s.count : std::min(minCount, s.count);
        maxCount = std::max(maxCount, s.count);
    }
    char buf[2048];
    int n = std::snprintf(
        buf, sizeof buf,
        "{\"ifname\":\"%s\",\"clock\":\"CLOCK_MONOTONIC\",\"start_ns\":%lld,\"end_ns\":%lld,"
        "\"adverts\":%llu,\"streams\":%zu,\"adverts_per_stream_min\":%llu,"
        "\"adverts_per_stream_max\":%llu,\"socket_drops\":%llu,\"gap_ms\":{\"p50\":%.1f,"
        "\"p99\":%.1f,\"p999\":%.1f,\"max\":%.3f},\"gaps_over_ms\":{\"15\":%llu,\"20\":%llu,"
        "\"30\":%llu,\"36\":%llu,\"100\":%llu},\"worst\":",
        o.ifname.c_str(), static_cast<long long>(startNs), static_cast<long long>(endNs),
        static_cast<unsigned long long>(t.adverts), t.streams.size(),
        static_cast<unsigned long long>(minCount), static_cast<unsigned long long>(maxCount),
        static_cast<unsigned long long>(socketDrops), quantileMs(t, 0.5), quantileMs(t, 0.99),
        quantileMs(t, 0.999), worst ? static_cast<double>(worst->maxGapNs) / 1e6 : 0.0,
        static_cast<unsigned long long>(gapsOver(t, 15)),
        static_cast<unsigned long long>(gapsOver(t, 20)),
        static_cast<unsigned long long>(gapsOver(t, 30)),
        static_cast<unsigned long long>(gapsOver(t, 36)),
        static_cast<unsigned long long>(gapsOver(t, 100)));
    std::string s(buf, static_cast<size_t>(n));
    if (worst) {
        n = std::snprintf(buf, sizeof buf,
                          "{\"src\":\"%s\",\"vrid\":%u,\"gap_ms\":%.3f,\"at_s\":%.3f}",
                          worstKey->first.c_str(), worstKey->second,
                          static_cast<double>(worst->maxGapNs) / 1e6,
                          static_cast<double>(worst->maxGapAtNs - startNs) / 1e9);
        s.append(buf, static_cast<size_t>(n));
    } else {
        s += "null";
    }
    return s + "}";
}

// The kernel stamps on CLOCK_REALTIME; the offset to CLOCK_MONOTONIC is read once per batch.
int64_t realtimeOffset() {
    const int64_t m1 = clockNs(CLOCK_MONOTONIC);
    const int64_t r = clockNs(CLOCK_REALTIME);
    const int64_t m2 = clockNs(CLOCK_MONOTONIC);
    return r - (m1 + (m2 - m1) / 2);
}

int openSocket(const std::string& ifname) {
    const unsigned ifindex = if_nametoindex(ifname.c_str());
    if (ifindex == 0) die("if_nametoindex(" + ifname + ")");
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) die("socket(AF_PACKET)");
    attachVrrpFilter(fd);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kRcvBuf, sizeof kRcvBuf) != 0)
        die("setsockopt(SO_RCVBUFFORCE)");
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0)
        die("setsockopt(SO_TIMESTAMPNS)");
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(ifindex);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0)
        die("bind(AF_PACKET, " + ifname + ")");
    return fd;
}

// Reads everything queued; false when the socket failed.
void drain(int fd, Totals& t) {
    constexpr unsigned kBatch = 64;
    std::array<std::array<uint8_t, 128>, kBatch> frames;
    std::array<std::array<char, CMSG_SPACE(sizeof(timespec))>, kBatch> ctrl;
    std::array<iovec, kBatch> iov;
    std::array<mmsghdr, kBatch> msgs;
    for (;;) {
        for (unsigned i = 0; i < kBatch; ++i) {
            iov[i] = {frames[i].data(), frames[i].size()};
            msgs[i] = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_control = ctrl[i].data();
            msgs[i].msg_hdr.msg_controllen = ctrl[i].size();
        }
        const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            die("recvmmsg(AF_PACKET)");
        }
        const int64_t offset = realtimeOffset();
        for (int i = 0; i < n; ++i) {
            int64_t ns = clockNs(CLOCK_MONOTONIC);
            for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    ns = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec - offset;
                }
            Key key;
            if (parseFrame(frames[i].data(), std::min<size_t>(msgs[i].msg_len, frames[i].size()), key))
                record(t, key, ns);
        }
        if (n < static_cast<int>(kBatch)) return;
    }
}

}  // namespace

int main(int argc, char** argv) {
    xvrrp::bench::setProgramName("xvrrp-gap-watch");
    const Options o = parse(argc, argv);
    const int fd = openSocket(o.ifname);
    const int sigFd = xvrrp::bench::openSignalFd();
    Totals totals;
    const int64_t startNs = clockNs(CLOCK_MONOTONIC);
    const int64_t stopNs = startNs + o.durationS * 1'000'000'000;
    std::fprintf(stderr, "ready %lld\n", static_cast<long long>(startNs));
    pollfd fds[2] = {{fd, POLLIN, 0}, {sigFd, POLLIN, 0}};
    for (;;) {
        const int64_t left = stopNs - clockNs(CLOCK_MONOTONIC);
        if (left <= 0) break;
        if (poll(fds, 2, static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 1000))) < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        if ((fds[1].revents & POLLIN) && xvrrp::bench::readSignals(sigFd).stop) break;
        if (fds[0].revents & POLLIN) drain(fd, totals);
    }
    drain(fd, totals);
    tpacket_stats st{};
    socklen_t stLen = sizeof st;
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stLen) != 0)
        die("getsockopt(PACKET_STATISTICS)");
    xvrrp::bench::writeReport(report(o, totals, startNs, clockNs(CLOCK_MONOTONIC), st.tp_drops), o.out);
    return 0;
}
