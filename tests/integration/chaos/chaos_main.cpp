// xvrrp-bench-chaos, driven by tools/bench/chaos (docs/bench.md, "chaos"): three nodes, a
// seeded random schedule of faults for --minutes, a client probing every VIP every 10 ms and
// the invariant checker; xvrrpd (with arbiters) and keepalived (without: it has none) with
// the same schedule, one after the other, each in a fresh lab. JSON on stdout or --out.
#include <getopt.h>
#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "run.hpp"

using namespace xvrrp::chaos;
using nlohmann::json;

namespace {

constexpr const char* kUsage =
    "usage: xvrrp-bench-chaos [--minutes N] [--seed S] [--daemons \"xvrrpd keepalived\"]\n"
    "                         [--advert-int S] [--arbiter-interval S] [--kinds k1,k2,...]\n"
    "                         [--out FILE] [--keep-logs]\n"
    "kinds: kill9 sigstop linkcut partition reload_same reload_wire cpuhog flood restart\n";

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "xvrrp-bench-chaos: " << why << "\n" << kUsage;
    std::exit(2);
}

double number(const char* text, const char* opt, double lo, double hi) {
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (!end || *end || !(v >= lo && v <= hi))
        usage(std::string(opt) + " must be a number from " + std::to_string(lo) + " to " +
              std::to_string(hi) + ", not '" + text + "'");
    return v;
}

struct Args {
    RunOptions run;
    std::vector<Daemon> daemons = {Daemon::Xvrrpd, Daemon::Keepalived};
    std::string out;
    bool seedGiven = false;
};

Args parse(int argc, char** argv) {
    static const option opts[] = {
        {"minutes", required_argument, nullptr, 'm'}, {"seed", required_argument, nullptr, 's'},
        {"daemons", required_argument, nullptr, 'd'}, {"advert-int", required_argument, nullptr, 'a'},
        {"arbiter-interval", required_argument, nullptr, 'i'},
        {"kinds", required_argument, nullptr, 'k'}, {"out", required_argument, nullptr, 'o'},
        {"keep-logs", no_argument, nullptr, 'K'}, {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0}};
    Args a;
    for (int c; (c = ::getopt_long(argc, argv, "h", opts, nullptr)) != -1;) {
        switch (c) {
            case 'm': a.run.minutes = number(optarg, "--minutes", 0.05, 600); break;
            case 's': {
                char* end = nullptr;
                a.run.seed = std::strtoull(optarg, &end, 0);
                if (!end || *end || !*optarg) usage(std::string("--seed must be an integer, not '") + optarg + "'");
                a.seedGiven = true;
                break;
            }
            case 'd': {
                a.daemons.clear();
                std::istringstream in(optarg);
                for (std::string w; in >> w;) {
                    if (w == "xvrrpd") a.daemons.push_back(Daemon::Xvrrpd);
                    else if (w == "keepalived") a.daemons.push_back(Daemon::Keepalived);
                    else usage("--daemons takes xvrrpd and keepalived, not '" + w + "'");
                }
                if (a.daemons.empty()) usage("--daemons is empty");
                break;
            }
            case 'a': a.run.advertInt = number(optarg, "--advert-int", 0.01, 10); break;
            case 'i': a.run.arbiter.probeInterval = number(optarg, "--arbiter-interval", 0.1, 10); break;
            case 'k': {
                std::string s = optarg;
                for (size_t p = 0; p <= s.size();) {
                    const size_t q = std::min(s.find(',', p), s.size());
                    const auto k = kindFromName(s.substr(p, q - p));
                    if (!k) usage("--kinds: unknown kind '" + s.substr(p, q - p) + "'");
                    a.run.kinds.insert(*k);
                    p = q + 1;
                }
                break;
            }
            case 'o': a.out = optarg; break;
            case 'K': a.run.keepLogs = true; break;
            case 'h': std::cout << kUsage; std::exit(0);
            default: usage("unknown option");
        }
    }
    if (optind < argc) usage(std::string("unexpected argument '") + argv[optind] + "'");
    if (!a.seedGiven && ::getrandom(&a.run.seed, sizeof a.run.seed, 0) != sizeof a.run.seed)
        usage("no --seed and getrandom failed");
    return a;
}

std::string replayCommand(const Args& a, int argc) {
    std::ostringstream o;
    o << "tools/bench/chaos --minutes " << a.run.minutes << " --seed " << a.run.seed;
    (void)argc;
    if (a.run.advertInt != 0.1) o << " --advert-int " << a.run.advertInt;
    if (a.run.arbiter.probeInterval != 0.5) o << " --arbiter-interval " << a.run.arbiter.probeInterval;
    if (!a.run.kinds.empty()) {
        o << " --kinds ";
        bool first = true;
        for (Kind k : a.run.kinds) o << (first ? "" : ",") << kindName(k), first = false;
    }
    return o.str();
}

}  // namespace

// SIGINT, SIGTERM or SIGHUP end the schedule after the current fault, so the namespaces,
// daemons and pins of the lab are removed as after a normal run; a second one kills.
namespace {
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

void onStopSignal(int sig) {
    g_signal = sig;
    g_stop = true;
    ::signal(sig, SIG_DFL);
}

void catchStopSignals() {
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    ::sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}
}  // namespace

int main(int argc, char** argv) {
    if (::geteuid() != 0) {
        std::cerr << "xvrrp-bench-chaos: needs root (network namespaces, XDP)\n";
        return 2;
    }
    Args a = parse(argc, argv);
    catchStopSignals();
    a.run.stop = &g_stop;
    json doc = {{"bench", "chaos"},
                {"seed", a.run.seed},
                {"minutes", a.run.minutes},
                {"advert_int", a.run.advertInt},
                {"arbiter", {{"probe_interval", a.run.arbiter.probeInterval},
                             {"ssh_connect_timeout", a.run.arbiter.sshConnectTimeout},
                             {"ssh_timeout", a.run.arbiter.sshTimeout},
                             {"fence_after", a.run.arbiter.fenceAfter},
                             {"unfence_after", a.run.arbiter.unfenceAfter},
                             {"partition_bound_s", a.run.arbiter.boundS()},
                             {"settle_s", a.run.arbiter.settleS()}}},
                {"replay", replayCommand(a, argc)},
                {"runs", json::array()},
                {"summary", json::object()}};
    bool met = true;
    for (Daemon d : a.daemons) {
        if (g_stop) break;
        RunOptions o = a.run;
        o.daemon = d;
        o.tag = std::string("chaos-") + (d == Daemon::Xvrrpd ? "x" : "k");
        std::cerr << "chaos: " << daemonName(d) << ", seed " << o.seed << ", " << o.minutes << " min\n";
        json r;
        try {
            r = runChaos(o);
        } catch (const std::exception& e) {
            r = {{"daemon", daemonName(d)}, {"error", e.what()}};
            std::cerr << "chaos: " << daemonName(d) << " failed: " << e.what() << "\n";
        }
        const bool failed = r.contains("error") || !r.value("errors", json::array()).empty();
        doc["summary"][daemonName(d)] = {{"violations", r.value("violations_total", -1)},
                                         {"by_kind", r.value("violations_by_kind", json::object())},
                                         {"faults_run", r.value("faults_run", 0)},
                                         {"harness_errors", failed}};
        if (d == Daemon::Xvrrpd) met = !failed && r.value("violations_total", 1) == 0;
        // Known now, not only when the last daemon's run ends (each takes minutes + ~1 min).
        std::cerr << "chaos: " << daemonName(d) << " done: " << doc["summary"][daemonName(d)].dump()
                  << "\n";
        doc["runs"].push_back(std::move(r));
    }
    if (g_stop) {
        std::cerr << "chaos: stopped by signal " << g_signal.load() << "; the lab is removed\n";
        doc["stopped_by_signal"] = g_signal.load();
        met = false;
    }
    doc["target"] = {{"xvrrpd_violations", 0}, {"met", met}};
    const std::string text = doc.dump(2) + "\n";
    if (a.out.empty()) {
        std::cout << text;
    } else {
        std::ofstream f(a.out);
        f << text;
        if (!f) {
            std::cerr << "xvrrp-bench-chaos: cannot write " << a.out << "\n";
            return 2;
        }
    }
    return met ? 0 : 1;
}
