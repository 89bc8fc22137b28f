// xvrrp-bench-splitbrain: issue 4 acceptance 3, driven by tools/bench/splitbrain. On the
// acceptance topology (split_fixture), cut the VRRP link with a client probing the VIP
// (ARP + ICMP every --interval-ms), measure cut -> single owner and probes answered by both
// nodes, heal, wait for n2 to rejoin, repeat. JSON on stdout or --out.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "split_fixture.hpp"
#include "split_witness_bench.hpp"

using namespace xvrrp::itest;
using nlohmann::json;

namespace {

int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

Clock::duration secs(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

json trial(SplitLab& lab, int intervalMs, const std::string& mac1, const std::string& mac2) {
    const int fencesBefore = count(lab.audit("n2"), "\"fence_self\"");
    const int unfencesBefore = count(lab.audit("n2"), "\"unfence_self\"");
    ClientProber p(lab.lab().node("client"), lab.clientAddr(), lab.vip(),
                   std::chrono::milliseconds(intervalMs), std::chrono::seconds(40));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // baseline probes
    const double tCut = p.now();
    lab.cutVrrp();
    bool fenced = waitUntil([&] { return count(lab.audit("n2"), "\"fence_self\"") > fencesBefore; },
                            secs(lab.boundSeconds() + 10));
    const double tFenceSeen = p.now() - tCut;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // probes after the fence
    auto samples = p.stop();
    auto m = analyse(samples, tCut, lab.boundSeconds());
    lab.healVrrp();
    bool rejoined =
        waitUntil([&] { return count(lab.audit("n2"), "\"unfence_self\"") > unfencesBefore; },
                  std::chrono::seconds(20)) &&
        waitState(lab.node("n2"), "BACKUP", std::chrono::seconds(5)) &&
        waitState(lab.node("n1"), "MASTER", std::chrono::seconds(5));
    json icmp = json::array();
    for (const auto& mac : m.icmpMacsAfterSingle) icmp.push_back(mac == mac1 ? "n1" : mac == mac2 ? "n2" : mac);
    return {{"fenced", fenced},
            {"fence_seen_s", tFenceSeen},
            {"owner", m.owner == mac1 ? "n1" : m.owner == mac2 ? "n2" : m.owner},
            {"single_owner_s", m.singleOwnerS},
            {"probes_after_cut", m.icmpSent},
            {"probes_answered_by_both", m.bothAnswered},
            {"probes_answered_by_both_after_bound", m.bothAfterBound},
            {"arp_unanswered", m.arpUnanswered},
            {"icmp_answered", m.icmpAnswered},
            {"icmp_from_after_single", icmp},
            {"rejoined", rejoined}};
}

// The report on stdout or in `out`; 1 when it cannot be written, else by its target.
int writeReport(const json& report, const std::string& out) {
    if (report.is_null()) return 1;
    if (out.empty()) {
        std::cout << report.dump(2) << "\n";
    } else {
        std::ofstream f(out);
        f << report.dump(2) << "\n";
        if (!f) {
            std::cerr << "xvrrp-bench-splitbrain: cannot write " << out << "\n";
            return 1;
        }
    }
    return report.value("target_met", true) ? 0 : 1;
}

json witnessReport(const std::string& arbiter, int trials, int intervalMs,
                   const std::vector<std::string>& faults) {
    try {
        return runWitnessBench(arbiter, trials, intervalMs, faults);
    } catch (const std::exception& e) {
        std::cerr << "xvrrp-bench-splitbrain: " << e.what() << "\n";
        return nullptr;
    }
}

}  // namespace

int main(int argc, char** argv) {
    int trials = 5, intervalMs = 5;
    std::string out, arbiter, witness;
    std::vector<std::string> faults = {"quiet", "cut", "cut_sshd_down", "leader_kill"};
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--trials") trials = std::stoi(next());
        else if (a == "--interval-ms") intervalMs = std::stoi(next());
        else if (a == "--out") out = next();
        else if (a == "--arbiter") arbiter = next();
        else if (a == "--witness") witness = next();
        else if (a == "--faults") {
            faults.clear();
            std::istringstream in(next());
            for (std::string f; std::getline(in, f, ',');) faults.push_back(f);
        } else {
            std::cerr << "usage: xvrrp-bench-splitbrain --arbiter BIN [--trials N] "
                         "[--interval-ms MS] [--out FILE] [--witness etcd [--faults LIST]]\n";
            return 2;
        }
    }
    if (trials < 1 || trials > 50 || intervalMs < 1 || intervalMs > 1000 || arbiter.empty()) {
        std::cerr << "xvrrp-bench-splitbrain: --trials 1..50, --interval-ms 1..1000, --arbiter "
                     "required\n";
        return 2;
    }
    if (!witness.empty() && witness != "etcd") {
        std::cerr << "xvrrp-bench-splitbrain: --witness: only etcd is known, not '" << witness
                  << "'\n";
        return 2;
    }
    for (const auto& f : faults)
        if (f != "quiet" && f != "cut" && f != "cut_sshd_down" && f != "leader_kill") {
            std::cerr << "xvrrp-bench-splitbrain: --faults: unknown fault '" << f
                      << "' (quiet, cut, cut_sshd_down, leader_kill)\n";
            return 2;
        }
    if (faults.empty()) {
        std::cerr << "xvrrp-bench-splitbrain: --faults: empty list\n";
        return 2;
    }
    if (::geteuid() != 0) {
        std::cerr << "xvrrp-bench-splitbrain: needs root (network namespaces, XDP)\n";
        return 2;
    }
    if (!witness.empty()) return writeReport(witnessReport(arbiter, trials, intervalMs, faults), out);
    SplitOptions o;
    o.tag = "sbb";
    o.arbiterBin = arbiter;
    json report;
    try {
        SplitLab lab(o);
        lab.start();
        const std::string mac1 = lab.lanMac("n1"), mac2 = lab.lanMac("n2");
        json rows = json::array();
        int met = 0;
        for (int t = 0; t < trials; ++t) {
            auto r = trial(lab, intervalMs, mac1, mac2);
            bool ok = r["fenced"] && r["owner"] == "n1" && r["single_owner_s"].get<double>() >= 0 &&
                      r["single_owner_s"].get<double>() <= lab.boundSeconds() &&
                      r["probes_answered_by_both_after_bound"] == 0;
            r["target_met"] = ok;
            met += ok;
            std::cerr << "trial " << t + 1 << ": " << r.dump() << "\n";
            rows.push_back(r);
            if (!r["rejoined"]) {
                std::cerr << "n2 did not rejoin after the heal; stopping\n" << lab.diagnostics();
                break;
            }
        }
        std::vector<double> single;
        for (const auto& r : rows)
            if (r["single_owner_s"].get<double>() >= 0) single.push_back(r["single_owner_s"]);
        std::sort(single.begin(), single.end());
        report = {{"bench", "splitbrain"},
                  {"topology", "VRRP on vrrp0 (own bridge), VIP/client/gateway on eth0 (LAN)"},
                  {"probe_interval_ms", intervalMs},
                  {"arbiter", {{"probe_interval_s", o.probeInterval},
                               {"ssh_timeout_s", o.sshTimeout},
                               {"fence_after", o.fenceAfter}}},
                  {"advert_int_s", o.advertInt},
                  {"target_s", lab.boundSeconds()},
                  {"trials", rows},
                  {"trials_meeting_target", met},
                  {"single_owner_s",
                   single.empty() ? json(nullptr)
                                  : json{{"min", single.front()},
                                         {"median", single[single.size() / 2]},
                                         {"max", single.back()}}}};
    } catch (const std::exception& e) {
        std::cerr << "xvrrp-bench-splitbrain: " << e.what() << "\n";
        return 1;
    }
    int rc = writeReport(report, out);
    if (rc != 0) return rc;
    return report["trials_meeting_target"] == report["trials"].size() ? 0 : 1;
}
