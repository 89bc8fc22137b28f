// xvrrp-bench-splitbrain --witness etcd (issue 15 acceptance 3): one lab with a real 3-member
// etcd cluster; every trial runs each fault once with the witness and once without (the
// arbiters reloaded between, the order alternating), so both modes see the same trials.
// Faults: quiet (no fault: VIP movement), cut (VRRP cut, sshd up), cut_sshd_down, and
// leader_kill (cut_sshd_down with the etcd leader killed at the cut).
#include "split_witness_bench.hpp"

#include <algorithm>
#include <iostream>

#include "etcd_cluster.hpp"

namespace xvrrp::itest {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::string> kMembers = {"e1", "e2", "e3"};
constexpr double kLeaseTtl = 10, kTimeout = 0.5, kElectionS = 2, kQuietS = 10;

Clock::duration secs(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

class WitnessBench {
  public:
    WitnessBench(SplitLab& lab, EtcdCluster& etcd, int intervalMs)
        : lab_(lab), etcd_(etcd), interval_(intervalMs) {
        mac1_ = lab.lanMac("n1");
        mac2_ = lab.lanMac("n2");
    }

    // Arbiters with (a fresh prefix: no key of an earlier switch in the way) or without it.
    void mode(bool witness) {
        lab_.reloadArbiters(witness ? etcd_.witnessBlock(kLeaseTtl, kTimeout,
                                                         "/sbw/" + std::to_string(++prefix_) + "/")
                                    : "");
        auto state = [&](const std::string& n) {
            auto w = lab_.arbiterStatus(n).value("witness", json());
            if (!w.is_object()) return std::string("off");
            return w.value("instances", json::object()).value("VI_1", json::object()).value("state", "");
        };
        bool ok = witness ? waitUntil([&] { return state("n1") == "owned" && state("n2") == "peer_owns"; },
                                      seconds(30), milliseconds(100))
                          : waitUntil([&] { return state("n1") == "off" && state("n2") == "off"; },
                                      seconds(10), milliseconds(100));
        if (!ok) throw std::runtime_error(std::string("arbiters did not switch the witness ") +
                                          (witness ? "on" : "off") + "\n" + lab_.diagnostics());
    }

    double w1Bound() const {
        const auto& o = lab_.options();
        return 4 * o.advertInt + 1.5 * o.probeInterval +
               (o.fenceAfter + 1) * std::max(o.probeInterval, double(o.sshTimeout));
    }
    // docs/arbiter.md's bound of each fault; < 0: none (the split persists by design).
    double bound(const std::string& fault, bool witness) const {
        const auto& o = lab_.options();
        if (fault == "cut") return lab_.boundSeconds();
        if (!witness) return -1;
        if (fault == "cut_sshd_down") return w1Bound();
        return w1Bound() + kElectionS + std::max(o.probeInterval, double(o.sshTimeout));
    }

    json quiet(bool witness) {
        const int t1 = lab_.transitions("n1"), t2 = lab_.transitions("n2");
        const int f1 = count(lab_.audit("n1"), "\"fence_self\""),
                  f2 = count(lab_.audit("n2"), "\"fence_self\"");
        ClientProber p(lab_.lab().node("client"), lab_.clientAddr(), lab_.vip(),
                       milliseconds(interval_), seconds(60));
        std::this_thread::sleep_for(secs(kQuietS));  // the measurement window itself
        auto samples = p.stop();
        int both = 0, changes = 0, unanswered = 0;
        std::string last;
        for (const auto& s : samples) {
            both += s.arpMacs.size() > 1;
            unanswered += s.arpMacs.empty();
            if (s.arpMacs.size() == 1 && *s.arpMacs.begin() != last) {
                changes += !last.empty();
                last = *s.arpMacs.begin();
            }
        }
        const int moves = lab_.transitions("n1") - t1 + lab_.transitions("n2") - t2;
        const int fences = count(lab_.audit("n1"), "\"fence_self\"") - f1 +
                           count(lab_.audit("n2"), "\"fence_self\"") - f2;
        return {{"fault", "quiet"}, {"witness", witness}, {"window_s", kQuietS},
                {"probes", samples.size()}, {"probes_answered_by_both", both},
                {"arp_unanswered", unanswered}, {"owner_changes", changes},
                {"vrrp_transitions", moves}, {"fences", fences},
                {"target_met", both == 0 && changes == 0 && moves == 0 && fences == 0}};
    }

    json split(const std::string& fault, bool witness) {
        const bool sshdDown = fault != "cut";
        const double b = bound(fault, witness);
        const int fencesBefore = count(lab_.audit("n2"), "\"fence_self\"");
        const int unfencesBefore = count(lab_.audit("n2"), "\"unfence_self\"");
        if (sshdDown) {
            lab_.stopSshd("n1");
            lab_.stopSshd("n2");
        }
        std::string killed;
        ClientProber p(lab_.lab().node("client"), lab_.clientAddr(), lab_.vip(),
                       milliseconds(interval_), seconds(60));
        std::this_thread::sleep_for(milliseconds(200));  // baseline probes
        const double tCut = p.now();
        lab_.cutVrrp();
        if (fault == "leader_kill") {
            killed = etcd_.leader();
            if (!killed.empty()) etcd_.kill(killed);
        }
        // Without a bound the split persists: watch as long as the witness's bound.
        const double watch = b >= 0 ? b + 5 : w1Bound() + kElectionS + 2;
        bool fenced = waitUntil(
            [&] { return count(lab_.audit("n2"), "\"fence_self\"") > fencesBefore; }, secs(watch));
        const double tFenceSeen = p.now() - tCut;
        std::this_thread::sleep_for(milliseconds(1500));  // probes after the fence
        auto m = analyse(p.stop(), tCut, b >= 0 ? b : watch);
        lab_.healVrrp();
        if (sshdDown) {
            lab_.startSshd("n1");
            lab_.startSshd("n2");
        }
        if (!killed.empty()) etcd_.start();  // the killed member rejoins
        bool rejoined =
            (!fenced || waitUntil([&] { return count(lab_.audit("n2"), "\"unfence_self\"") > unfencesBefore; },
                                  seconds(30))) &&
            waitState(lab_.node("n2"), "BACKUP", seconds(10)) &&
            waitState(lab_.node("n1"), "MASTER", seconds(5));
        auto name = [&](const std::string& mac) { return mac == mac1_ ? "n1" : mac == mac2_ ? "n2" : mac; };
        json r = {{"fault", fault}, {"witness", witness}, {"bound_s", b >= 0 ? json(b) : json(nullptr)},
                  {"fenced", fenced}, {"fence_seen_s", fenced ? json(tFenceSeen) : json(nullptr)},
                  {"owner", name(m.owner)}, {"single_owner_s", m.singleOwnerS},
                  {"probes_after_cut", m.icmpSent}, {"probes_answered_by_both", m.bothAnswered},
                  {"probes_answered_by_both_after_bound", m.bothAfterBound},
                  {"arp_unanswered", m.arpUnanswered}, {"rejoined", rejoined}};
        if (!killed.empty()) r["leader_killed"] = killed;
        r["target_met"] = b < 0 ? json(nullptr)
                                : json(m.owner == mac1_ && m.singleOwnerS >= 0 &&
                                       m.singleOwnerS <= b && m.bothAfterBound == 0);
        return r;
    }

  private:
    SplitLab& lab_;
    EtcdCluster& etcd_;
    int interval_;
    int prefix_ = 0;
    std::string mac1_, mac2_;
};

json summary(const json& rows) {
    json out = json::object();
    for (bool w : {true, false})
        for (std::string f : {"quiet", "cut", "cut_sshd_down", "leader_kill"}) {
            std::vector<double> single;
            int both = 0, bothAfter = 0, met = 0, n = 0, moves = 0;
            for (const auto& r : rows) {
                if (r["fault"] != f || r["witness"] != w) continue;
                ++n;
                met += r["target_met"] == true;
                both += r.value("probes_answered_by_both", 0);
                bothAfter += r.value("probes_answered_by_both_after_bound", 0);
                moves += r.value("vrrp_transitions", 0) + r.value("owner_changes", 0);
                if (r.contains("single_owner_s") && r["single_owner_s"].get<double>() >= 0)
                    single.push_back(r["single_owner_s"]);
            }
            if (n == 0) continue;
            std::sort(single.begin(), single.end());
            json s = {{"trials", n}, {"target_met", met}, {"probes_answered_by_both", both},
                      {"probes_answered_by_both_after_bound", bothAfter},
                      {"single_owner_trials", single.size()}};
            if (f == "quiet") s["vip_moves"] = moves;
            if (!single.empty())
                s["single_owner_s"] = {{"min", single.front()},
                                       {"median", single[single.size() / 2]},
                                       {"max", single.back()}};
            out[std::string(w ? "witness" : "none") + "/" + f] = s;
        }
    return out;
}

}  // namespace

json runWitnessBench(const std::string& arbiter, int trials, int intervalMs,
                     const std::vector<std::string>& faults) {
    SplitOptions o;
    o.tag = "sbw";
    o.arbiterBin = arbiter;
    o.extraNodes = kMembers;
    SplitLab lab(o);
    EtcdCluster etcd(lab, kMembers, false);
    etcd.start();
    lab.start();
    WitnessBench b(lab, etcd, intervalMs);
    json rows = json::array();
    for (int t = 0; t < trials; ++t) {
        for (int k = 0; k < 2; ++k) {
            const bool witness = (t + k) % 2 == 0;  // the first mode alternates per trial
            b.mode(witness);
            for (const auto& f : faults) {
                json r = f == "quiet" ? b.quiet(witness) : b.split(f, witness);
                r["trial"] = t + 1;
                std::cerr << r.dump() << "\n";
                rows.push_back(r);
                if (r.contains("rejoined") && r["rejoined"] == false)
                    throw std::runtime_error("n2 did not rejoin after the heal\n" + lab.diagnostics() + etcd.logs());
            }
        }
    }
    const auto& opt = lab.options();
    int met = 0, judged = 0;
    for (const auto& r : rows)
        if (!r["target_met"].is_null() && r["witness"] == true) {
            ++judged;
            met += r["target_met"] == true;
        }
    // Runs without faults: no more VIP movement with the witness than without (none at all).
    bool quietOk = true;
    for (const auto& r : rows)
        if (r["fault"] == "quiet") quietOk = quietOk && r["target_met"] == true;
    return {{"bench", "splitbrain"},
            {"witness", "etcd"},
            {"topology", "VRRP on vrrp0 (own bridge), VIP/client/gateway on eth0 (LAN), etcd "
                         "e1-e3 on the LAN"},
            {"probe_interval_ms", intervalMs},
            {"arbiter", {{"probe_interval_s", opt.probeInterval},
                         {"ssh_timeout_s", opt.sshTimeout},
                         {"fence_after", opt.fenceAfter},
                         {"lease_ttl_s", kLeaseTtl},
                         {"witness_timeout_s", kTimeout}}},
            {"advert_int_s", opt.advertInt},
            {"trials", trials},
            {"runs", rows},
            {"summary", summary(rows)},
            {"witness_runs_judged", judged},
            {"witness_runs_meeting_target", met},
            {"quiet_runs_without_movement", quietOk},
            {"target_met", met == judged && quietOk}};
}

}  // namespace xvrrp::itest
