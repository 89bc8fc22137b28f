#include "check.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>

#include "config.hpp"

namespace xvrrp::chaos {

namespace {

using Span = std::pair<double, double>;

// The audit line and the daemon's transition carry millisecond stamps (truncated) of the
// realtime clock, converted to the run clock by reading both apart: the transition an
// action or a restore causes may come out a little before the action or the restore.
constexpr double kStampLeadS = 0.02;

// Sorted, disjoint spans with a membership test.
class Spans {
  public:
    void add(double lo, double hi) {
        if (hi >= lo) raw_.push_back({lo, hi});
    }
    void seal() {
        std::sort(raw_.begin(), raw_.end());
        for (const auto& s : raw_)
            if (!merged_.empty() && s.first <= merged_.back().second)
                merged_.back().second = std::max(merged_.back().second, s.second);
            else
                merged_.push_back(s);
    }
    // The end of the last span that ended before t, or -1.
    double lastEndBefore(double t) const {
        double best = -1;
        for (const auto& s : merged_)
            if (s.second < t) best = s.second;
            else break;
        return best;
    }
    bool contains(double t) const {
        auto it = std::upper_bound(merged_.begin(), merged_.end(), Span{t, 1e300});
        return it != merged_.begin() && t <= std::prev(it)->second;
    }

  private:
    std::vector<Span> raw_, merged_;
};

struct Windows {
    Spans any;                      // probes excused, any node's transition explained
    std::vector<Spans> node{kNodes};  // the faulted node's own transitions
};

// The fault an arbiter action belongs to: the latest disruptive one it can follow from.
int ownerOf(const ArbiterAction& a, const Timeline& tl, double settleS) {
    for (size_t i = tl.faults.size(); i-- > 0;) {
        const auto& r = tl.faults[i];
        if (r.skipped || !disruptive(r.fault.kind) || r.tInject > a.t) continue;
        return a.t <= r.tReady + settleS ? static_cast<int>(i) : -1;
    }
    return -1;
}

Windows windows(const Timeline& tl, const Params& p, std::vector<int>& actionFault) {
    Windows w;
    for (const auto& r : tl.faults) {
        if (r.skipped || !disruptive(r.fault.kind)) continue;
        const double first = r.fault.kind == Kind::Partition ? r.boundS : r.windowS;
        w.any.add(r.tInject, r.tInjected + first);
        w.any.add(r.tRestore, r.tReady + r.windowS);
        const bool all = r.fault.kind == Kind::Partition && r.fault.isolateAll;
        for (int n = 0; n < kNodes; ++n)
            if (all || n == r.fault.node) w.node[static_cast<size_t>(n)].add(r.tInject, r.tReady + r.windowS);
    }
    actionFault.clear();
    for (const auto& a : tl.actions) {
        const int f = p.arbiterSettleS > 0 ? ownerOf(a, tl, p.arbiterSettleS) : -1;
        actionFault.push_back(f);
        if (f >= 0) w.any.add(a.t - kStampLeadS, a.t + tl.faults[static_cast<size_t>(f)].windowS);
    }
    w.any.seal();
    for (auto& s : w.node) s.seal();
    return w;
}

int lastFault(const Timeline& tl, double t) {
    int last = -1;
    for (size_t i = 0; i < tl.faults.size(); ++i)
        if (!tl.faults[i].skipped && tl.faults[i].tInject <= t) last = static_cast<int>(i);
    return last;
}

// Probes of one VIP in order; consecutive bad ones of the same kind make one violation.
void checkProbes(const Timeline& tl, const Params& p, const Windows& w, Verdict& v) {
    std::vector<const Probe*> order;
    for (const auto& pr : tl.probes) order.push_back(&pr);
    std::stable_sort(order.begin(), order.end(), [](const Probe* a, const Probe* b) {
        return a->vip != b->vip ? a->vip < b->vip : a->t < b->t;
    });
    size_t open = SIZE_MAX;  // index of the episode being extended
    uint8_t arpSeen = 0, echoSeen = 0;
    auto close = [&] {
        if (open == SIZE_MAX) return;
        auto& e = v.violations[open];
        char span[64];
        std::snprintf(span, sizeof span, "; %d probe(s) over %.0f ms", e.probes,
                      (e.tEnd - e.t) * 1000);
        e.seen += ": ARP from " + nodesText(arpSeen) + ", echo from " + nodesText(echoSeen) + span;
        open = SIZE_MAX;
    };
    int lastVip = -1;
    for (const Probe* pr : order) {
        if (pr->vip != lastVip) close(), lastVip = pr->vip;
        if (pr->t < tl.tStart || pr->t > tl.tEnd) continue;
        if (w.any.contains(pr->t)) {
            ++v.probesExcused;
            close();
            continue;
        }
        ++v.probesJudged;
        const int owners = std::popcount(static_cast<unsigned>(pr->arp | pr->echo));
        const char* kind = pr->echo == 0 ? "unanswered" : owners > 1 ? "multiple_answers" : nullptr;
        if (!kind) {
            close();
            continue;
        }
        if (open != SIZE_MAX && v.violations[open].kind != kind) close();
        if (open == SIZE_MAX) {
            const auto vi = static_cast<size_t>(pr->vip);
            v.violations.push_back(
                {pr->t, pr->t, kind, lastFault(tl, pr->t), 0,
                 "VIP " + (vi < p.vips.size() ? p.vips[vi] : std::to_string(pr->vip)), -1});
            open = v.violations.size() - 1;
            const double end = w.any.lastEndBefore(pr->t);
            if (end >= 0) v.violations[open].afterWindowS = pr->t - end;
            arpSeen = echoSeen = 0;
        }
        auto& e = v.violations[open];
        e.tEnd = pr->t;
        ++e.probes;
        arpSeen |= pr->arp;
        echoSeen |= pr->echo;
    }
    close();
}

}  // namespace

std::string nodesText(uint8_t mask) {
    std::string out;
    for (int n = 0; n < kNodes; ++n)
        if (mask & (1u << n)) out += (out.empty() ? "" : "+") + nodeName(n);
    if (mask & kForeign) out += out.empty() ? "foreign" : "+foreign";
    return out.empty() ? "none" : out;
}

Verdict check(const Timeline& tl, const Params& p) {
    Verdict v;
    const Windows w = windows(tl, p, v.actionFault);
    checkProbes(tl, p, w, v);
    for (const auto& t : tl.transitions) {
        if (t.t < tl.tStart || t.t > tl.tEnd) continue;
        ++v.transitionsJudged;
        const auto& own = w.node[static_cast<size_t>(t.node)];
        const double late = t.t + kStampLeadS;
        if (w.any.contains(t.t) || own.contains(t.t) || w.any.contains(late) || own.contains(late))
            continue;
        const double end = std::max(w.any.lastEndBefore(t.t),
                                    w.node[static_cast<size_t>(t.node)].lastEndBefore(t.t));
        v.violations.push_back({t.t, t.t, "unexplained_transition", lastFault(tl, t.t), 0,
                                nodeName(t.node) + " VI_" + std::to_string(t.instance + 1) + " " +
                                    t.from + " -> " + t.to,
                                end >= 0 ? t.t - end : -1});
    }
    for (const auto& u : tl.unrecovered)
        v.violations.push_back({u.t, u.t, "not_recovered", u.fault, 0, u.seen, -1});
    std::stable_sort(v.violations.begin(), v.violations.end(),
                     [](const Violation& a, const Violation& b) { return a.t < b.t; });
    return v;
}

nlohmann::json toJson(const Violation& v, const Timeline& tl) {
    nlohmann::json j = {{"t", v.t}, {"kind", v.kind}, {"seen", v.seen}};
    if (v.probes > 0) {
        j["t_end"] = v.tEnd;
        j["probes"] = v.probes;
    }
    if (v.afterWindowS >= 0) j["after_window_s"] = v.afterWindowS;
    if (v.fault >= 0) {
        const auto& r = tl.faults[static_cast<size_t>(v.fault)];
        j["fault"] = {{"index", r.fault.index},
                      {"kind", kindName(r.fault.kind)},
                      {"node", nodeName(r.fault.node)},
                      {"since_inject_s", v.t - r.tInject},
                      {"since_ready_s", v.t - r.tReady}};
    } else {
        j["fault"] = nullptr;
    }
    return j;
}

}  // namespace xvrrp::chaos
