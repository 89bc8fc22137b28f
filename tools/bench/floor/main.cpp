// xvrrp-bench-floor: the cheapest way to put xvrrpd's adverts on the wire, the floor that
// tools/bench/adverts measures xvrrpd against (issue 14).
//   xvrrp-bench-floor send -f CONF [--tx mmsg|ring] [--qdisc-bypass] [--duration S] [--out F]
//     Sends, as master of every instance of CONF (its configured priority), the frames
//     xvrrpd would send, built once; every instance advertises on its own advert_int, and
//     instances of one interface and interval leave together in one batch per interval
//     (as xvrrpd's coalesced masters do). Runs until SIGTERM/SIGINT or S seconds, then
//     prints JSON {frames, batches, errors, late, seconds, tx, qdisc_bypass}.
//   xvrrp-bench-floor bpf-stats
//     Turns on the kernel's BPF run-time statistics (BPF_ENABLE_STATS, so bpftool shows
//     run_time_ns) and keeps them on until SIGTERM/SIGINT or stdin closes. Counted by the
//     kernel per holder: a crash turns them off again, unlike kernel.bpf_stats_enabled.
#include <bpf/bpf.h>
#include <poll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "frames.hpp"
#include "loop_util.hpp"
#include "tx.hpp"

namespace {

using namespace xvrrp;
using namespace xvrrp::bench;

struct Batch {
    std::unique_ptr<FloorTx> tx;
    int64_t interval_ns = 0;
    int64_t due_ns = 0;
};

struct Options {
    std::string config;
    TxKind tx = TxKind::Mmsg;
    bool bypass = false;
    double duration_s = 0;  // 0: until a signal
    std::string out;
};

Options parseSend(int argc, char** argv) {
    Options o;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "-f") o.config = value();
        else if (a == "--tx") {
            const std::string v = value();
            if (v == "mmsg") o.tx = TxKind::Mmsg;
            else if (v == "ring") o.tx = TxKind::Ring;
            else throw std::runtime_error("--tx must be mmsg or ring, not '" + v + "'");
        } else if (a == "--qdisc-bypass") o.bypass = true;
        else if (a == "--duration") o.duration_s = std::stod(value());
        else if (a == "--out") o.out = value();
        else throw std::runtime_error("unknown option " + a);
    }
    if (o.config.empty()) throw std::runtime_error("send needs -f CONF");
    return o;
}

// One batch per (interface, interval), in configuration order within it.
std::vector<Batch> makeBatches(const std::vector<FloorInterface>& ifaces, const Options& o) {
    std::vector<Batch> out;
    for (const auto& ifc : ifaces) {
        std::map<uint16_t, std::vector<const FloorFrame*>> by_interval;
        for (const auto& f : ifc.frames) by_interval[f.interval_cs].push_back(&f);
        for (const auto& [cs, frames] : by_interval)
            out.push_back({FloorTx::open(o.tx, o.bypass, ifc.ifindex, ifc.name, frames),
                           int64_t{cs} * 10'000'000, 0});
    }
    return out;
}

void armAt(int tfd, int64_t ns) {
    itimerspec its{};
    its.it_value.tv_sec = ns / 1'000'000'000;
    its.it_value.tv_nsec = ns % 1'000'000'000;
    if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr) < 0) die("timerfd_settime");
}

int runSend(const Options& o) {
    const auto ifaces = buildFloorFrames(o.config);
    auto batches = makeBatches(ifaces, o);
    const int sig = openSignalFd();
    const int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (tfd < 0) die("timerfd_create");
    const int64_t start = clockNs();
    const int64_t end = o.duration_s > 0 ? start + static_cast<int64_t>(o.duration_s * 1e9) : 0;
    uint64_t frames = 0, sends = 0, late = 0;
    for (auto& b : batches) b.due_ns = start;
    for (;;) {
        int64_t now = clockNs();
        int64_t next = end ? end : INT64_MAX;
        for (auto& b : batches) {
            if (b.due_ns <= now) {
                frames += b.tx->send();
                ++sends;
                // xvrrpd's Adver_Timer restarts from the moment it sent (now + interval).
                if (now - b.due_ns > b.interval_ns) ++late;
                b.due_ns = now + b.interval_ns;
            }
            next = std::min(next, b.due_ns);
        }
        if (end && now >= end) break;
        armAt(tfd, next);
        pollfd p[2] = {{tfd, POLLIN, 0}, {sig, POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR) die("poll");
        uint64_t ticks;
        while (read(tfd, &ticks, sizeof(ticks)) > 0) {
        }
        if (readSignals(sig).stop) break;
    }
    uint64_t errors = 0;
    for (const auto& b : batches) errors += b.tx->errors();
    nlohmann::json r = {{"frames", frames},
                        {"batches", sends},
                        {"errors", errors},
                        {"late", late},
                        {"seconds", (clockNs() - start) / 1e9},
                        {"tx", o.tx == TxKind::Ring ? "ring" : "mmsg"},
                        {"qdisc_bypass", o.bypass}};
    writeReport(r.dump(), o.out);
    return 0;
}

int runBpfStats() {
    const int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (fd < 0) {
        errno = -fd;
        die("bpf(BPF_ENABLE_STATS)");
    }
    const int sig = openSignalFd();
    std::printf("enabled\n");
    std::fflush(stdout);
    pollfd p[2] = {{sig, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    while (poll(p, 2, -1) >= 0 || errno == EINTR) {
        if (p[0].revents && readSignals(sig).stop) break;
        if (p[1].revents) {
            char c;
            if (read(STDIN_FILENO, &c, 1) <= 0) break;
        }
    }
    close(fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    setProgramName("xvrrp-bench-floor");
    const std::string cmd = argc > 1 ? argv[1] : "";
    try {
        if (cmd == "send") return runSend(parseSend(argc, argv));
        if (cmd == "bpf-stats") return runBpfStats();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xvrrp-bench-floor: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: xvrrp-bench-floor send -f CONF [--tx mmsg|ring] [--qdisc-bypass] "
                         "[--duration S] [--out FILE]\n       xvrrp-bench-floor bpf-stats\n");
    return 2;
}
