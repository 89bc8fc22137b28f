#include "decision.hpp"

#include <algorithm>
#include <optional>

namespace xvrrp::arbiter {

const char* triName(Tri t) {
    switch (t) {
        case Tri::No:
            return "no";
        case Tri::Yes:
            return "yes";
        case Tri::Unknown:
            return "unknown";
    }
    return "?";
}

const char* fenceOwnerName(FenceOwner f) {
    switch (f) {
        case FenceOwner::None:
            return "none";
        case FenceOwner::Arbiter:
            return "arbiter";
        case FenceOwner::Operator:
            return "operator";
        case FenceOwner::Both:
            return "arbiter+operator";
        case FenceOwner::Unknown:
            return "unknown";
    }
    return "?";
}

const char* witnessStateName(WitnessState s) {
    switch (s) {
        case WitnessState::Off:
            return "off";
        case WitnessState::Owned:
            return "owned";
        case WitnessState::PeerOwns:
            return "peer_owns";
        case WitnessState::Free:
            return "free";
        case WitnessState::Minority:
            return "minority";
        case WitnessState::Unreachable:
            return "unreachable";
    }
    return "?";
}

const char* actionName(Action a) {
    switch (a) {
        case Action::NoChange:
            return "no_change";
        case Action::FenceSelf:
            return "fence_self";
        case Action::UnfenceSelf:
            return "unfence_self";
    }
    return "?";
}

const char* verdictName(Verdict v) {
    switch (v) {
        case Verdict::Hold:
            return "hold";
        case Verdict::WantFence:
            return "want_fence";
        case Verdict::WantUnfence:
            return "want_unfence";
    }
    return "?";
}

bool winsElection(const NodeView& a, const NodeView& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    // Equal priority: the higher primary address wins; without both addresses nobody wins.
    if (a.addr_key.empty() || a.addr_key.size() != b.addr_key.size()) return false;
    return a.addr_key > b.addr_key;
}

namespace {

std::string quorumText(const QuorumEvidence& q) {
    return std::to_string(q.reachable) + "/" + std::to_string(q.total) + " gateways reachable, " +
           std::to_string(q.needed) + " needed";
}

std::string viewText(const NodeView& v) {
    return "priority " + std::to_string(v.priority) + ", address " +
           (v.address.empty() ? std::string("unknown") : v.address);
}

bool peerHolds(const PeerEvidence& p) {
    return p.known && p.has_instance && p.view && p.view->vips_installed && !p.view->fenced;
}

bool localHolds(const LocalEvidence& l) {
    if (l.kernel_holds_vip == Tri::Yes) return true;
    if (l.kernel_holds_vip == Tri::No) return false;
    return l.view && l.view->vips_installed;
}

// A peer that holds the VIP or may (UNKNOWN); with no peers configured anybody may.
bool peerMayHold(const InstanceEvidence& ev) {
    if (ev.peers.empty()) return true;
    return std::any_of(ev.peers.begin(), ev.peers.end(),
                       [](const PeerEvidence& p) { return !p.known || peerHolds(p); });
}

std::string tokenText(const WitnessEvidence& w) {
    return w.token ? " (token " + std::to_string(w.token) + ")" : std::string();
}

// We hold the VIP: what the witness adds (issue 15). Nothing when it cannot tell: the rules
// without it apply unchanged.
std::optional<Judgement> judgeWitness(const InstanceEvidence& ev) {
    const WitnessEvidence& w = ev.witness;
    if (w.state == WitnessState::Owned && !w.past_claim)
        return Judgement{Verdict::Hold, "W0",
                         "the witness says this node owns " + ev.instance + tokenText(w) +
                             "; a peer that also holds the VIP yields"};
    if (w.state == WitnessState::PeerOwns && w.owner_renewing)
        return Judgement{Verdict::WantFence, "W1",
                         "the witness says " + w.owner + " owns " + ev.instance + tokenText(w) +
                             " with a live lease, and this node holds the VIP"};
    bool cut = w.state == WitnessState::Minority ||
               (w.state == WitnessState::Unreachable && w.fence_on_loss);
    if (cut && w.past_claim && peerMayHold(ev))
        return Judgement{Verdict::WantFence, w.state == WitnessState::Minority ? "W2" : "W3",
                         std::string("cut from the witness majority (") +
                             std::to_string(w.reachable) + "/" + std::to_string(w.members) +
                             " members reached, none with a quorum) for " +
                             std::to_string(w.since_majority_ms) +
                             " ms, longer than our lease can be trusted, while a peer may hold "
                             "the VIP"};
    return std::nullopt;
}

// Not fenced by us: should we fence?
Judgement judgeServing(const InstanceEvidence& ev) {
    const auto& l = ev.local;
    if (!ev.quorum.ok())
        return {Verdict::WantFence, "R1", "gateway quorum lost (" + quorumText(ev.quorum) + ")"};
    if (!l.daemon_answered) {
        if (l.kernel_holds_vip == Tri::No)
            return {Verdict::Hold, "R2b",
                    "xvrrpd does not answer its control socket, but the kernel holds no VIP"};
        return {Verdict::WantFence, "R2",
                std::string("xvrrpd does not answer its control socket and the kernel ") +
                    (l.kernel_holds_vip == Tri::Yes ? "holds" : "may hold") + " the VIP"};
    }
    if (!l.view) return {Verdict::Hold, "R0", "xvrrpd does not report this instance"};
    if (l.view->fenced || l.fence == FenceOwner::Operator || l.fence == FenceOwner::Both)
        return {Verdict::Hold, "R0f", "already fenced by someone else"};
    if (!localHolds(l)) return {Verdict::Hold, "R5", "this node does not hold the VIP"};
    if (auto j = judgeWitness(ev)) return *j;
    std::string winner_note;
    for (const auto& p : ev.peers) {
        if (!peerHolds(p)) continue;
        if (p.quorum == Tri::No) {
            winner_note =
                "peer " + p.name + " also holds the VIP but has no quorum and fences itself";
            continue;
        }
        if (winsElection(*p.view, *l.view))
            return {Verdict::WantFence, "R3",
                    "split brain: peer " + p.name +
                        " also holds the VIP and VRRP would elect it (" + viewText(*p.view) +
                        " vs ours " + viewText(*l.view) + ")"};
        if (!winsElection(*l.view, *p.view))
            return {Verdict::Hold, "R3t",
                    "split brain with peer " + p.name +
                        ", but the election cannot be decided (equal priority, address unknown)"};
        winner_note = "split brain: peer " + p.name + " also holds the VIP, VRRP would elect us (" +
                      viewText(*l.view) + " vs " + viewText(*p.view) + "); the peer fences itself";
    }
    if (!winner_note.empty()) return {Verdict::Hold, "R4", winner_note};
    return {Verdict::Hold, "R5", "this node holds the VIP and no peer is known to hold it"};
}

// Fenced by us: may we lift it? Every check must be positive; UNKNOWN keeps the fence.
Judgement judgeFenced(const InstanceEvidence& ev) {
    const auto& l = ev.local;
    if (!ev.quorum.ok())
        return {Verdict::Hold, "U0q",
                "stay fenced: gateway quorum not back (" + quorumText(ev.quorum) + ")"};
    if (!l.daemon_answered)
        return {Verdict::Hold, "U0d", "stay fenced: xvrrpd does not answer its control socket"};
    std::string via_adverts;
    for (const auto& p : ev.peers) {
        if (!p.known)
            return {Verdict::Hold, "U0u",
                    "stay fenced: peer " + p.name + " is UNKNOWN (" + p.unknown_reason +
                        "); UNKNOWN never unfences"};
        if (!peerHolds(p)) continue;
        // That peer's own adverts, not anybody's: hearing a third node says nothing about
        // the link to the one that holds the VIP (three nodes, issue 9 item 7).
        if (p.adverts_reach_us == Tri::Yes) {
            via_adverts += (via_adverts.empty() ? "" : ", ") + p.name;
            continue;
        }
        return {Verdict::Hold, "U0p",
                "stay fenced: peer " + p.name + " holds the VIP and its adverts " +
                    (p.adverts_reach_us == Tri::No ? "do not reach us" : "may not reach us") +
                    " (" + triName(p.adverts_reach_us) + ")"};
    }
    if (!via_adverts.empty())
        return {Verdict::WantUnfence, "U2",
                "quorum back and the adverts of " + via_adverts +
                    ", which hold the VIP, reach us again: rejoin as backup"};
    return {Verdict::WantUnfence, "U1",
            "quorum back (" + quorumText(ev.quorum) +
                ") and every peer is known not to hold the VIP or is fenced"};
}

}  // namespace

Judgement judge(const InstanceEvidence& ev, bool fenced_by_us) {
    if (ev.local.fence == FenceOwner::Operator && !fenced_by_us)
        return {Verdict::Hold, "O", "fenced by the operator; the arbiter leaves it alone"};
    return fenced_by_us ? judgeFenced(ev) : judgeServing(ev);
}

Decision decide(const InstanceEvidence& ev, const History& history, const Policy& policy) {
    Decision d;
    d.next = history;
    History& h = d.next;
    // The map is the truth about our fence: adopt our entry left by an earlier run, and
    // respect an operator who lifted it by hand. The operator's own entry is another key
    // that the arbiter never writes (dataplane::mayLift).
    const bool ours = ev.local.fence == FenceOwner::Arbiter || ev.local.fence == FenceOwner::Both;
    const bool known = ev.local.fence != FenceOwner::Unknown;
    if (!h.fenced_by_us && ours) {
        h.fenced_by_us = true;
        h.fence_streak = h.unfence_streak = 0;
    } else if (h.fenced_by_us && known && !ours) {
        h = History{};
        d.rule = "X1";
        d.reason = "our fence was removed outside the arbiter (xvrrpctl unfence); starting over";
        return d;
    }
    Judgement j = judge(ev, h.fenced_by_us);
    d.verdict = j.verdict;
    d.rule = j.rule;
    d.reason = j.reason;
    switch (j.verdict) {
        case Verdict::WantFence:
            h.unfence_streak = 0;
            h.fence_streak = h.fenced_by_us ? 0 : h.fence_streak + 1;
            if (!h.fenced_by_us && h.fence_streak >= std::max(1, policy.fence_rounds)) {
                d.action = Action::FenceSelf;
                h.fenced_by_us = true;
                h.fence_streak = 0;
                h.start_fence = false;
            }
            break;
        case Verdict::WantUnfence: {
            h.fence_streak = 0;
            h.unfence_streak = h.fenced_by_us ? h.unfence_streak + 1 : 0;
            int need = h.start_fence ? 1 : std::max(1, policy.unfence_rounds);
            if (h.fenced_by_us && h.unfence_streak >= need) {
                d.action = Action::UnfenceSelf;
                h = History{};
            }
            break;
        }
        case Verdict::Hold:
            h.fence_streak = h.unfence_streak = 0;
            break;
    }
    return d;
}

}  // namespace xvrrp::arbiter
