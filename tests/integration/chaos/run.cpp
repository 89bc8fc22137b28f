#include "run.hpp"

#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "check.hpp"
#include "common/ip.hpp"
#include "config.hpp"
#include "logs.hpp"
#include "prober.hpp"

namespace xvrrp::chaos {

namespace {

constexpr double kSteadySpanS = 0.1;    // settled: this much of clean probes per VIP
constexpr double kReadyTimeoutS = 15;   // a restarted daemon logs its first state by then

// The host's 1-minute load average: other work on the machine delays the daemons' timers.
double loadavg() {
    std::ifstream in("/proc/loadavg");
    double l = -1;
    in >> l;
    return l;
}

void hold(double seconds) {  // the fault's duration itself, not a wait for a condition
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

class Runner {
  public:
    explicit Runner(const RunOptions& o)
        : o_(o), epoch_(Clock::now()), logs_(epoch_),
          lab_({.daemon = o.daemon, .tag = o.tag, .keepLogs = o.keepLogs, .arbiter = o.arbiter, .arbiterBin = ""},
               logs_) {
        conf_.advertInt = o.advertInt;
    }

    nlohmann::json run();

  private:
    double now() const { return logs_.now(); }
    bool settled();
    std::string seen();
    void settle(int faultIndex, FaultRecord& r);
    bool arbitersAgree(Clock::time_point deadline);
    void inject(FaultRecord& r);
    void injectTimed(FaultRecord& r);
    nlohmann::json report(const Verdict& v);

    RunOptions o_;
    Clock::time_point epoch_;
    LogFollower logs_;
    ChaosLab lab_;
    Conf conf_;
    std::unique_ptr<Prober> prober_;
    Timeline tl_;
    std::vector<double> settledAfter_;
    std::vector<double> load_;  // per fault: loadavg() at its injection
    double settledAt_ = 0;
    nlohmann::json errors_ = nlohmann::json::array();
};

bool Runner::settled() {
    for (int n = 0; n < kNodes; ++n)
        if (!lab_.daemonRunning(n)) return false;
    for (int i = 0; i < kInstances; ++i) {
        const int m = expectedMaster(conf_, i);
        for (int n = 0; n < kNodes; ++n)
            if (logs_.state(n, i) != (n == m ? "MASTER" : "BACKUP")) return false;
        if (!prober_->steady(i, m, kSteadySpanS)) return false;
    }
    return true;
}

std::string Runner::seen() {
    std::string s;
    for (int i = 0; i < kInstances; ++i) {
        s += (i ? "; " : "") + std::string("VI_") + std::to_string(i + 1) + " expected master " +
             nodeName(expectedMaster(conf_, i)) + ", states";
        for (int n = 0; n < kNodes; ++n) {
            const std::string st = logs_.state(n, i);
            s += " " + nodeName(n) + " " + (st.empty() ? "?" : st);
            if (!lab_.daemonRunning(n)) s += "(daemon not running)";
        }
        s += ", last probe " + prober_->last(i);
    }
    return s;
}

// Back to the steady state (expected masters, clean probes, and with arbiters two fresh
// rounds that all say R5, so no fence is still on its way) within the arbiters' settle time
// and a margin; otherwise a not_recovered violation, and the run goes on.
void Runner::settle(int faultIndex, FaultRecord& r) {
    for (int n = 0; n < kNodes; ++n)
        if (!lab_.daemonRunning(n)) {  // nothing of the schedule stopped it: a crash
            tl_.unrecovered.push_back({now(), faultIndex, nodeName(n) + ": daemon exited; started again"});
            logs_.markDown(n);
            lab_.startDaemon(n, conf_);
        }
    const double limit = o_.arbiter.settleS() + 10;
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(limit));
    bool ok = false;
    while (!ok && Clock::now() < deadline) {
        if (!lab::waitUntil([&] { return settled(); }, deadline - Clock::now(), lab::Ms(20))) break;
        const double seenAt = now();
        ok = !lab_.arbiters() || arbitersAgree(deadline);
        if (ok) settledAt_ = seenAt;
    }
    settledAfter_.push_back(ok ? settledAt_ - r.tReady : -1);
    if (!ok)
        tl_.unrecovered.push_back({now(), faultIndex,
                                   "not back to the steady state " + std::to_string(limit).substr(0, 5) +
                                       " s after the fault: " + seen()});
}

// Every arbiter finishes two rounds that start while the system is settled, and each of its
// instances then says R5; false as soon as the system is no longer settled.
bool Runner::arbitersAgree(Clock::time_point deadline) {
    std::vector<long> from;
    for (int n = 0; n < kNodes; ++n) from.push_back(lab_.arbiterView(n).round);
    while (Clock::now() < deadline) {
        if (!settled()) return false;
        bool all = true;
        for (int n = 0; n < kNodes && all; ++n) {
            const ArbiterView v = lab_.arbiterView(n);
            all = v.round >= from[static_cast<size_t>(n)] + 2;
            for (const auto& rule : v.rules) all = all && rule == "R5";
        }
        if (all) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // an arbiter round is >= 100 ms
    }
    return false;
}

void Runner::injectTimed(FaultRecord& r) {
    const Fault& f = r.fault;
    const int n = f.node;
    r.tInject = now();
    switch (f.kind) {
        case Kind::Kill9: lab_.kill9(n); break;
        case Kind::SigStop: lab_.sigstop(n); break;
        case Kind::LinkCut: lab_.cutLink(n); break;
        case Kind::Partition:
            lab_.partition(f.isolateAll ? std::vector<int>{0, 1, 2} : std::vector<int>{n});
            break;
        case Kind::CpuHog: lab_.hog(f.hogWorkers, f.holdS); break;
        case Kind::Flood: r.note = "sent " + std::to_string(lab_.flood(f.floodPps, f.holdS)) + " frames"; break;
        case Kind::ReloadSame:
        case Kind::ReloadWire: {
            const Applied a = applyEdit(conf_, f);
            r.note = a.what;
            for (int node : a.nodes) r.note += "; " + nodeName(node) + ": " + lab_.reload(node, a.conf);
            conf_ = a.conf;
            break;
        }
        case Kind::Restart: lab_.restart(n, conf_); break;
    }
    r.tInjected = now();
    const bool held = f.kind == Kind::Kill9 || f.kind == Kind::SigStop ||
                      f.kind == Kind::LinkCut || f.kind == Kind::Partition || f.kind == Kind::CpuHog;
    if (held) hold(f.holdS);
    r.tRestore = now();
    switch (f.kind) {
        case Kind::Kill9: lab_.startDaemon(n, conf_); break;
        case Kind::SigStop: lab_.sigcont(n); break;
        case Kind::LinkCut: lab_.restoreLink(n); break;
        case Kind::Partition: lab_.heal(); break;
        case Kind::CpuHog: lab_.stopHog(); break;
        default: break;
    }
    r.tReady = now();
    if (f.kind == Kind::Kill9) {
        const double since = r.tRestore;
        if (lab::waitUntil([&] { return logs_.firstStateSince(n, since) >= 0; },
                           std::chrono::seconds(static_cast<int>(kReadyTimeoutS)), lab::Ms(5)))
            r.tReady = logs_.firstStateSince(n, since);
        else
            r.tReady = since + kReadyTimeoutS, r.note = "no state logged within 15 s of the start";
    }
}

// Carries out one fault; an error is recorded and what it broke put right where possible.
void Runner::inject(FaultRecord& r) {
    r.windowS = maxMasterDownInterval(conf_) + 0.010;
    r.boundS = o_.arbiter.boundS();
    try {
        injectTimed(r);
    } catch (const std::exception& e) {
        errors_.push_back({{"fault", r.fault.index}, {"kind", kindName(r.fault.kind)}, {"error", e.what()}});
        std::cerr << "chaos: fault " << r.fault.index << " (" << kindName(r.fault.kind)
                  << "): " << e.what() << "\n";
        if (r.tInjected == 0) r.tInjected = now();
        if (r.tRestore == 0) r.tRestore = now();
        r.tReady = now();
        try {
            lab_.heal();
            lab_.stopHog();
            for (int n = 0; n < kNodes; ++n) lab_.sigcont(n), lab_.restoreLink(n);
        } catch (const std::exception&) {
        }
    }
}

nlohmann::json Runner::run() {
    lab_.start(conf_);
    std::vector<std::string> macs;
    for (int n = 0; n < kNodes; ++n) macs.push_back(lab_.mac(n));
    std::vector<IpAddr> vips;
    for (int i = 0; i < kInstances; ++i) vips.push_back(*IpAddr::parse(vip(i)));
    prober_ = std::make_unique<Prober>(lab_.lab().node("client"), lab_.lab().v4("client"), vips,
                                       macs, epoch_);
    if (!lab::waitUntil([&] { return settled(); }, std::chrono::seconds(20), lab::Ms(20)))
        throw std::runtime_error("the client never saw the expected masters: " + seen());
    tl_.tStart = now();
    const double end = tl_.tStart + o_.minutes * 60;
    for (int i = 0; now() < end && !(o_.stop && *o_.stop); ++i) {
        FaultRecord r;
        r.fault = drawFault(o_.seed, i);
        const Kind k = r.fault.kind;
        if (!o_.kinds.empty() && !o_.kinds.count(k))
            r.skipped = true, r.note = "kind not selected (--kinds)";
        else if (k == Kind::Restart && !lab_.canRestart())
            r.skipped = true, r.note = lab_.restartUnavailableReason();
        if (r.skipped) {
            tl_.faults.push_back(r);
            settledAfter_.push_back(-1);
            load_.push_back(-1);
            continue;
        }
        hold(r.fault.gapS);  // steady state, judged like the rest
        std::cerr << "chaos: " << daemonName(o_.daemon) << " t=" << static_cast<int>(now() - tl_.tStart)
                  << "s fault " << i << " " << toJson(r.fault).dump() << "\n";
        load_.push_back(loadavg());
        inject(r);
        settle(static_cast<int>(tl_.faults.size()), r);
        tl_.faults.push_back(r);
    }
    hold(1.0);  // a last stretch of steady state
    tl_.tEnd = now();
    tl_.probes = prober_->stop();
    tl_.transitions = logs_.transitions();
    tl_.actions = logs_.actions();
    Params p;
    p.arbiterSettleS = lab_.arbiters() ? o_.arbiter.settleS() : 0;
    for (int i = 0; i < kInstances; ++i) p.vips.push_back(vip(i));
    return report(check(tl_, p));
}

nlohmann::json Runner::report(const Verdict& v) {
    using nlohmann::json;
    json faults = json::array();
    int run = 0;
    for (size_t i = 0; i < tl_.faults.size(); ++i) {
        const auto& r = tl_.faults[i];
        json f = toJson(r.fault);
        if (!r.note.empty()) f["note"] = r.note;
        if (r.skipped) {
            f["skipped"] = true;
        } else {
            ++run;
            f["t_inject"] = r.tInject, f["t_injected"] = r.tInjected;
            f["t_restore"] = r.tRestore, f["t_ready"] = r.tReady;
            f["window_s"] = r.windowS;
            if (r.fault.kind == Kind::Partition) f["bound_s"] = r.boundS;
            f["settled_after_s"] = settledAfter_[i] >= 0 ? json(settledAfter_[i]) : json(nullptr);
            f["host_load"] = load_[i];
        }
        faults.push_back(f);
    }
    json actions = json::array();
    for (size_t i = 0; i < tl_.actions.size(); ++i) {
        const auto& a = tl_.actions[i];
        actions.push_back({{"t", a.t}, {"node", nodeName(a.node)}, {"instance", a.instance},
                           {"action", a.action}, {"rule", a.rule},
                           {"fault", v.actionFault[i] >= 0 ? json(tl_.faults[static_cast<size_t>(v.actionFault[i])].fault.index) : json(nullptr)}});
    }
    json violations = json::array();
    std::map<std::string, int> byKind;
    for (const auto& x : v.violations) {
        violations.push_back(toJson(x, tl_));
        ++byKind[x.kind];
    }
    return {{"daemon", daemonName(o_.daemon)},
            {"arbiters", lab_.arbiters()},
            {"note", lab_.arbiters() ? "three xvrrpd nodes, an xvrrp-arbiter on each"
                                     : "three keepalived nodes and no arbiter: keepalived has none"},
            {"t_start", tl_.tStart},
            {"host_load_end", loadavg()},
            {"t_end", tl_.tEnd},
            {"duration_s", tl_.tEnd - tl_.tStart},
            {"faults_run", run},
            {"faults", faults},
            {"probes", {{"sent", tl_.probes.size()}, {"judged", v.probesJudged}, {"excused", v.probesExcused}}},
            {"transitions", tl_.transitions.size()},
            {"transitions_judged", v.transitionsJudged},
            {"arbiter_actions", actions},
            {"violations_total", v.violations.size()},
            {"violations_by_kind", byKind},
            {"violations", violations},
            {"errors", errors_},
            {"log_dir", o_.keepLogs ? json(lab_.dir()) : json(nullptr)}};
}

}  // namespace

nlohmann::json runChaos(const RunOptions& o) {
    Runner r(o);
    return r.run();
}

}  // namespace xvrrp::chaos
