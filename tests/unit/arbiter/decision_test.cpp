// unit.arbiter: the rule table of decision.cpp, case by case, then hysteresis with flapping
// evidence (every combination against the invariants: decision_invariants_test.cpp).
#include "decision.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "decision_cases.hpp"

namespace xvrrp::arbiter {
namespace {

using namespace cases;

struct Case {
    const char* name;
    bool fenced_by_us;
    std::function<void(InstanceEvidence&)> edit;
    Verdict verdict;
    const char* rule;
};

const std::vector<Case>& cases() {
    static const std::vector<Case> list = {
        // Serving (not fenced by us).
        {"healthy_master", false, [](auto&) {}, Verdict::Hold, "R5"},
        {"quorum_lost", false, [](auto& e) { e.quorum.reachable = 1; }, Verdict::WantFence, "R1"},
        {"quorum_exactly_k", false,
         [](auto& e) {
             e.quorum = {2, 3, 2};
         },
         Verdict::Hold, "R5"},
        {"no_gateways_configured", false,
         [](auto& e) {
             e.quorum = {0, 0, 0};
         },
         Verdict::Hold, "R5"},
        {"quorum_lost_peer_unknown", false,
         [](auto& e) {
             e.quorum.reachable = 0;
             peerUnknown(e);
         },
         Verdict::WantFence, "R1"},
        {"daemon_silent_kernel_holds", false,
         [](auto& e) {
             e.local.daemon_answered = false;
             e.local.view.reset();
         },
         Verdict::WantFence, "R2"},
        {"daemon_silent_kernel_unknown", false,
         [](auto& e) {
             e.local.daemon_answered = false;
             e.local.view.reset();
             e.local.kernel_holds_vip = Tri::Unknown;
         },
         Verdict::WantFence, "R2"},
        {"daemon_silent_kernel_free", false,
         [](auto& e) {
             e.local.daemon_answered = false;
             e.local.view.reset();
             e.local.kernel_holds_vip = Tri::No;
         },
         Verdict::Hold, "R2b"},
        {"daemon_lacks_instance", false, [](auto& e) { e.local.view.reset(); }, Verdict::Hold,
         "R0"},
        {"split_peer_higher_prio", false, [](auto& e) { peerMaster(e, 150); }, Verdict::WantFence,
         "R3"},
        {"split_we_higher_prio", false, [](auto& e) { peerMaster(e, 90); }, Verdict::Hold, "R4"},
        {"split_equal_prio_peer_higher_addr", false, [](auto& e) { peerMaster(e, 100); },
         Verdict::WantFence, "R3"},
        {"split_equal_prio_we_higher_addr", false,
         [](auto& e) {
             peerMaster(e, 100);
             e.local.view->addr_key = {10, 0, 0, 9};
         },
         Verdict::Hold, "R4"},
        {"split_equal_prio_peer_addr_unknown", false,
         [](auto& e) {
             peerMaster(e, 100);
             e.peers[0].view->addr_key.clear();
         },
         Verdict::Hold, "R3t"},
        {"split_v6_addresses", false,
         [](auto& e) {
             peerMaster(e, 100);
             e.local.view->addr_key.assign(16, 0xfe);
             e.peers[0].view->addr_key.assign(16, 0xfe);
             e.peers[0].view->addr_key[15] = 0xff;
         },
         Verdict::WantFence, "R3"},
        {"split_peer_fenced", false,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].view->fenced = true;
         },
         Verdict::Hold, "R5"},
        {"split_peer_without_quorum", false,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].quorum = Tri::No;
         },
         Verdict::Hold, "R4"},
        {"split_peer_quorum_unknown", false,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].quorum = Tri::Unknown;
         },
         Verdict::WantFence, "R3"},
        {"split_peer_quorum_yes", false,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].quorum = Tri::Yes;
         },
         Verdict::WantFence, "R3"},
        {"peer_unknown_pings", false, [](auto& e) { peerUnknown(e); }, Verdict::Hold, "R5"},
        {"peer_unknown_silent", false,
         [](auto& e) {
             peerUnknown(e);
             e.peers[0].pings = Tri::No;
         },
         Verdict::Hold, "R5"},
        {"peer_lacks_instance", false,
         [](auto& e) {
             e.peers[0].has_instance = false;
             e.peers[0].view.reset();
         },
         Verdict::Hold, "R5"},
        {"kernel_free_daemon_says_installed", false,
         [](auto& e) {
             peerMaster(e, 150);
             e.local.kernel_holds_vip = Tri::No;
         },
         Verdict::Hold, "R5"},
        {"kernel_unknown_daemon_installed", false,
         [](auto& e) {
             peerMaster(e, 150);
             e.local.kernel_holds_vip = Tri::Unknown;
         },
         Verdict::WantFence, "R3"},
        {"kernel_unknown_daemon_not_installed", false,
         [](auto& e) {
             peerMaster(e, 150);
             e.local.kernel_holds_vip = Tri::Unknown;
             e.local.view->vips_installed = false;
         },
         Verdict::Hold, "R5"},
        {"operator_fence", false,
         [](auto& e) {
             e.local.fence = FenceOwner::Operator;
             e.quorum.reachable = 0;
         },
         Verdict::Hold, "O"},
        {"fenced_by_both_may_lift_ours", true,
         [](auto& e) {
             e.local.fence = FenceOwner::Both;
             e.local.kernel_holds_vip = Tri::No;
         },
         Verdict::WantUnfence, "U1"},
        {"fenced_flag_from_daemon", false,
         [](auto& e) {
             peerMaster(e, 150);
             e.local.view->fenced = true;
         },
         Verdict::Hold, "R0f"},
        {"second_peer_unknown_first_wins", false,
         [](auto& e) {
             auto p = e.peers[0];
             peerMaster(e, 150);
             p.name = "c";
             p.known = false;
             p.view.reset();
             e.peers.insert(e.peers.begin(), p);
         },
         Verdict::WantFence, "R3"},
        // Fenced by us: may we lift it?
        {"fenced_all_clear", true, [](auto& e) { e.local.kernel_holds_vip = Tri::No; },
         Verdict::WantUnfence, "U1"},
        {"fenced_quorum_still_lost", true, [](auto& e) { e.quorum.reachable = 1; }, Verdict::Hold,
         "U0q"},
        {"fenced_daemon_silent", true,
         [](auto& e) {
             e.local.daemon_answered = false;
             e.local.view.reset();
         },
         Verdict::Hold, "U0d"},
        {"fenced_peer_unknown_pings", true, [](auto& e) { peerUnknown(e); }, Verdict::Hold, "U0u"},
        {"fenced_peer_unknown_silent", true,
         [](auto& e) {
             peerUnknown(e);
             e.peers[0].pings = Tri::No;
         },
         Verdict::Hold, "U0u"},
        {"fenced_peer_holds_adverts_arrive", true,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].adverts_reach_us = Tri::Yes;
         },
         Verdict::WantUnfence, "U2"},
        {"fenced_peer_holds_no_adverts", true, [](auto& e) { peerMaster(e, 150); }, Verdict::Hold,
         "U0p"},
        {"fenced_peer_holds_adverts_unknown", true,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].adverts_reach_us = Tri::Unknown;
         },
         Verdict::Hold, "U0p"},
        // Issue 9 item 7, three nodes: the top node b (cut from VRRP) holds the VIP and c, which
        // took over after us, holds it too; we hear c's adverts but not b's. Unfencing now put
        // a second node beside b.
        {"fenced_third_node_heard_holder_not", true,
         [](auto& e) {
             peerMaster(e, 150);
             addPeer(e);
             e.peers[1].view->state = "MASTER";
             e.peers[1].view->vips_installed = true;
             e.peers[1].adverts_reach_us = Tri::Yes;
         },
         Verdict::Hold, "U0p"},
        {"fenced_third_node_heard_holder_fenced", true,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].view->fenced = true;
             addPeer(e);
             e.peers[1].adverts_reach_us = Tri::Yes;
         },
         Verdict::WantUnfence, "U1"},
        {"fenced_both_holders_heard", true,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].adverts_reach_us = Tri::Yes;
             addPeer(e);
             e.peers[1].view->vips_installed = true;
             e.peers[1].adverts_reach_us = Tri::Yes;
         },
         Verdict::WantUnfence, "U2"},
        {"fenced_peer_fenced_too", true,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].view->fenced = true;
         },
         Verdict::WantUnfence, "U1"},
        {"fenced_no_peers", true, [](auto& e) { e.peers.clear(); }, Verdict::WantUnfence, "U1"},
        // The witness (issue 15).
        {"witness_owned_beats_r3", false,
         [](auto& e) {
             peerMaster(e, 150);
             witness(e, WitnessState::Owned);
         },
         Verdict::Hold, "W0"},
        {"witness_owned_past_claim_is_r3", false,
         [](auto& e) {
             peerMaster(e, 150);
             witness(e, WitnessState::Owned, false, true);
         },
         Verdict::WantFence, "R3"},
        {"witness_peer_owns_peer_unknown", false,
         [](auto& e) {
             peerUnknown(e);
             witness(e, WitnessState::PeerOwns, true);
         },
         Verdict::WantFence, "W1"},
        {"witness_peer_owns_whatever_ssh_says", false,
         [](auto& e) { witness(e, WitnessState::PeerOwns, true); }, Verdict::WantFence, "W1"},
        {"witness_peer_owns_stale_lease", false,
         [](auto& e) {
             peerUnknown(e);
             witness(e, WitnessState::PeerOwns, false);
         },
         Verdict::Hold, "R5"},
        {"witness_peer_owns_we_hold_nothing", false,
         [](auto& e) {
             e.local.kernel_holds_vip = Tri::No;
             witness(e, WitnessState::PeerOwns, true);
         },
         Verdict::Hold, "R5"},
        {"witness_free", false,
         [](auto& e) {
             peerUnknown(e);
             witness(e, WitnessState::Free);
         },
         Verdict::Hold, "R5"},
        {"witness_minority_within_lease", false,
         [](auto& e) {
             peerUnknown(e);
             witness(e, WitnessState::Minority, false, false);
         },
         Verdict::Hold, "R5"},
        {"witness_minority_past_claim", false,
         [](auto& e) {
             peerUnknown(e);
             witness(e, WitnessState::Minority, false, true);
         },
         Verdict::WantFence, "W2"},
        {"witness_minority_past_claim_peer_backup", false,
         [](auto& e) { witness(e, WitnessState::Minority, false, true); }, Verdict::Hold, "R5"},
        {"witness_unreachable_hold", false,
         [](auto& e) {
             peerUnknown(e);
             witness(e, WitnessState::Unreachable, false, true, false);
         },
         Verdict::Hold, "R5"},
        {"witness_unreachable_fence", false,
         [](auto& e) {
             peerUnknown(e);
             witness(e, WitnessState::Unreachable, false, true, true);
         },
         Verdict::WantFence, "W3"},
        {"witness_never_lifts_fence", true,
         [](auto& e) {
             peerUnknown(e);
             witness(e, WitnessState::Free);
         },
         Verdict::Hold, "U0u"},
        {"fenced_second_peer_unknown", true,
         [](auto& e) {
             auto p = e.peers[0];
             p.name = "c";
             p.known = false;
             e.peers.push_back(p);
         },
         Verdict::Hold, "U0u"},
    };
    return list;
}

class RuleTable : public ::testing::TestWithParam<Case> {};

TEST_P(RuleTable, VerdictAndRule) {
    const Case& c = GetParam();
    InstanceEvidence ev = healthy();
    c.edit(ev);
    Judgement j = judge(ev, c.fenced_by_us);
    EXPECT_EQ(verdictName(j.verdict), std::string(verdictName(c.verdict))) << j.reason;
    EXPECT_EQ(j.rule, c.rule) << j.reason;
    EXPECT_FALSE(j.reason.empty());
}

INSTANTIATE_TEST_SUITE_P(Arbiter, RuleTable, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Election, Rfc5798Order) {
    auto a = view("MASTER", 100, {10, 0, 0, 1}, true);
    auto b = view("MASTER", 100, {10, 0, 0, 2}, true);
    EXPECT_TRUE(winsElection(b, a));
    EXPECT_FALSE(winsElection(a, b));
    a.priority = 101;
    EXPECT_TRUE(winsElection(a, b));
    b.priority = 255;  // the address owner always wins
    EXPECT_TRUE(winsElection(b, a));
    b.priority = a.priority = 100;
    b.addr_key = a.addr_key;
    EXPECT_FALSE(winsElection(a, b));
    EXPECT_FALSE(winsElection(b, a));
}

// --- hysteresis -------------------------------------------------------------------------

struct Rounds {
    explicit Rounds(Policy p) : policy(p) {}
    Policy policy;
    History h;
    std::vector<Action> actions;
    FenceOwner map = FenceOwner::None;  // what the pinned map would say

    Action step(InstanceEvidence ev) {
        ev.local.fence = map;
        Decision d = decide(ev, h, policy);
        h = d.next;
        if (d.action == Action::FenceSelf) map = FenceOwner::Arbiter;
        if (d.action == Action::UnfenceSelf)
            map = map == FenceOwner::Both ? FenceOwner::Operator : FenceOwner::None;
        actions.push_back(d.action);
        return d.action;
    }
};

InstanceEvidence lostQuorum() {
    auto e = healthy();
    e.quorum.reachable = 0;
    return e;
}

InstanceEvidence clear() {
    auto e = healthy();
    e.local.kernel_holds_vip = Tri::No;
    e.local.view->vips_installed = false;
    return e;
}

TEST(Hysteresis, FencesAfterConsecutiveRounds) {
    Rounds r{{3, 2}};
    EXPECT_EQ(r.step(lostQuorum()), Action::NoChange);
    EXPECT_EQ(r.step(lostQuorum()), Action::NoChange);
    EXPECT_EQ(r.step(lostQuorum()), Action::FenceSelf);
    EXPECT_TRUE(r.h.fenced_by_us);
    // Still bad: nothing more to do.
    EXPECT_EQ(r.step(lostQuorum()), Action::NoChange);
}

TEST(Hysteresis, FlappingQuorumNeverFences) {
    Rounds r{{2, 2}};
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(r.step(i % 2 ? healthy() : lostQuorum()), Action::NoChange) << i;
    EXPECT_FALSE(r.h.fenced_by_us);
}

TEST(Hysteresis, UnfenceNeedsHoldDownAndResetsOnUnknown) {
    Rounds r{{1, 3}};
    EXPECT_EQ(r.step(lostQuorum()), Action::FenceSelf);
    EXPECT_EQ(r.step(clear()), Action::NoChange);
    EXPECT_EQ(r.step(clear()), Action::NoChange);
    auto unknown = clear();
    peerUnknown(unknown);
    EXPECT_EQ(r.step(unknown), Action::NoChange);  // streak broken
    EXPECT_EQ(r.step(clear()), Action::NoChange);
    EXPECT_EQ(r.step(clear()), Action::NoChange);
    EXPECT_EQ(r.step(clear()), Action::UnfenceSelf);
    EXPECT_FALSE(r.h.fenced_by_us);
}

TEST(Hysteresis, FlappingPeerKnowledgeNeverUnfences) {
    Rounds r{{1, 2}};
    EXPECT_EQ(r.step(lostQuorum()), Action::FenceSelf);
    for (int i = 0; i < 20; ++i) {
        auto e = clear();
        if (i % 2) peerUnknown(e);
        EXPECT_EQ(r.step(e), Action::NoChange) << i;
    }
    EXPECT_TRUE(r.h.fenced_by_us);
}

TEST(Hysteresis, UnknownForeverNeverUnfences) {
    Rounds r{{1, 1}};
    EXPECT_EQ(r.step(lostQuorum()), Action::FenceSelf);
    auto e = clear();
    peerUnknown(e);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(r.step(e), Action::NoChange);
}

TEST(Hysteresis, SplitBrainLoserFencesThenRejoinsWhenAdvertsReturn) {
    Rounds r{{2, 2}};
    auto split = healthy();
    peerMaster(split, 150);
    EXPECT_EQ(r.step(split), Action::NoChange);
    EXPECT_EQ(r.step(split), Action::FenceSelf);
    // Fenced: xvrrpd went to FAULT and dropped the VIP; the peer still serves, link still cut.
    auto cut = split;
    cut.local.kernel_holds_vip = Tri::No;
    cut.local.view->vips_installed = false;
    cut.local.view->state = "FAULT";
    for (int i = 0; i < 5; ++i) EXPECT_EQ(r.step(cut), Action::NoChange);
    auto healed = cut;
    healed.peers[0].adverts_reach_us = Tri::Yes;
    EXPECT_EQ(r.step(healed), Action::NoChange);
    EXPECT_EQ(r.step(healed), Action::UnfenceSelf);
}

TEST(Hysteresis, StartFenceLiftsAfterOneFullRound) {
    Rounds r{{2, 5}};
    r.h.fenced_by_us = true;
    r.h.start_fence = true;
    r.map = FenceOwner::Arbiter;
    EXPECT_EQ(r.step(clear()), Action::UnfenceSelf);
}

TEST(Hysteresis, StartFenceWaitsForKnownPeer) {
    Rounds r{{2, 5}};
    r.h.fenced_by_us = true;
    r.h.start_fence = true;
    r.map = FenceOwner::Arbiter;
    auto e = clear();
    peerUnknown(e);
    EXPECT_EQ(r.step(e), Action::NoChange);
    EXPECT_EQ(r.step(clear()), Action::UnfenceSelf);
}

TEST(Hysteresis, AdoptsFenceLeftByEarlierRun) {
    Rounds r{{2, 1}};
    r.map = FenceOwner::Arbiter;
    EXPECT_EQ(r.step(clear()), Action::UnfenceSelf);
}

TEST(Hysteresis, OperatorLiftingOurFenceStartsOver) {
    Rounds r{{1, 3}};
    EXPECT_EQ(r.step(lostQuorum()), Action::FenceSelf);
    r.map = FenceOwner::None;  // xvrrpctl unfence
    Decision d = decide(healthy(), r.h, r.policy);
    EXPECT_EQ(d.rule, "X1");
    EXPECT_EQ(d.action, Action::NoChange);
    EXPECT_FALSE(d.next.fenced_by_us);
}

// Each owner has its own entry: an operator's fence on top of ours stays when we lift ours.
TEST(Hysteresis, OperatorFenceOnTopOfOursStaysWhenWeLiftOurs) {
    Rounds r{{1, 1}};
    EXPECT_EQ(r.step(lostQuorum()), Action::FenceSelf);
    r.map = FenceOwner::Both;  // xvrrpctl fence on top of ours
    auto ev = clear();
    ev.local.fence = r.map;
    Decision d = decide(ev, r.h, r.policy);
    EXPECT_EQ(d.action, Action::UnfenceSelf) << d.rule;  // our entry; the operator's is a key
    EXPECT_FALSE(d.next.fenced_by_us);
    // Left with the operator's entry: never ours to lift, not adopted.
    r.h = d.next;
    r.map = FenceOwner::Operator;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(r.step(clear()), Action::NoChange);
    EXPECT_FALSE(r.h.fenced_by_us);
}

TEST(Hysteresis, OperatorReplacingOurFenceStartsOver) {
    Rounds r{{1, 1}};
    EXPECT_EQ(r.step(lostQuorum()), Action::FenceSelf);
    r.map = FenceOwner::Operator;  // xvrrpctl unfence (lifts ours), then xvrrpctl fence
    auto ev = clear();
    ev.local.fence = r.map;
    Decision d = decide(ev, r.h, r.policy);
    EXPECT_EQ(d.rule, "X1");
    EXPECT_EQ(d.action, Action::NoChange);
    EXPECT_FALSE(d.next.fenced_by_us);
}

TEST(Hysteresis, UnreadableMapKeepsOurFence) {
    Rounds r{{1, 1}};
    EXPECT_EQ(r.step(lostQuorum()), Action::FenceSelf);
    r.map = FenceOwner::Unknown;
    EXPECT_EQ(r.step(lostQuorum()), Action::NoChange);
    EXPECT_TRUE(r.h.fenced_by_us);
}

TEST(Hysteresis, OperatorFenceIsNeverLifted) {
    Rounds r{{1, 1}};
    r.map = FenceOwner::Operator;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(r.step(clear()), Action::NoChange);
    EXPECT_FALSE(r.h.fenced_by_us);
}

TEST(Hysteresis, DaemonHangFencesAfterRounds) {
    Rounds r{{2, 2}};
    auto hung = healthy();
    hung.local.daemon_answered = false;
    hung.local.view.reset();
    EXPECT_EQ(r.step(hung), Action::NoChange);
    EXPECT_EQ(r.step(hung), Action::FenceSelf);
    // The hang goes on: the fence stays.
    for (int i = 0; i < 5; ++i) EXPECT_EQ(r.step(hung), Action::NoChange);
}

}  // namespace
}  // namespace xvrrp::arbiter
