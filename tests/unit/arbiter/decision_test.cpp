// unit.arbiter: the rule table of decision.cpp, case by case, then every combination of the
// evidence against the invariants the docs promise, then hysteresis with flapping evidence.
#include "decision.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace xvrrp::arbiter {
namespace {

NodeView view(std::string state, int prio, std::vector<uint8_t> addr, bool installed) {
    NodeView v;
    v.state = std::move(state);
    v.priority = prio;
    v.addr_key = addr;
    v.address = addr.empty() ? "" : std::to_string(addr.back());
    v.vips_installed = installed;
    return v;
}

// A healthy master (prio 100, 10.0.0.1) with a healthy backup peer (prio 90, 10.0.0.2).
InstanceEvidence healthy() {
    InstanceEvidence ev;
    ev.instance = "VI_1";
    ev.quorum = {2, 2, 2};
    ev.local.daemon_answered = true;
    ev.local.view = view("MASTER", 100, {10, 0, 0, 1}, true);
    ev.local.kernel_holds_vip = Tri::Yes;
    ev.local.fence = FenceOwner::None;
    ev.local.hears_adverts = Tri::No;
    PeerEvidence p;
    p.name = "b";
    p.pings = Tri::Yes;
    p.known = true;
    p.has_instance = true;
    p.view = view("BACKUP", 90, {10, 0, 0, 2}, false);
    ev.peers.push_back(p);
    return ev;
}

void peerMaster(InstanceEvidence& ev, int prio) {
    ev.peers[0].view->state = "MASTER";
    ev.peers[0].view->priority = prio;
    ev.peers[0].view->vips_installed = true;
}

void peerUnknown(InstanceEvidence& ev) {
    auto& p = ev.peers[0];
    p.known = false;
    p.has_instance = false;
    p.view.reset();
    p.unknown_reason = "ssh timed out";
}

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
             e.local.hears_adverts = Tri::Yes;
         },
         Verdict::WantUnfence, "U2"},
        {"fenced_peer_holds_no_adverts", true, [](auto& e) { peerMaster(e, 150); }, Verdict::Hold,
         "U0p"},
        {"fenced_peer_holds_adverts_unknown", true,
         [](auto& e) {
             peerMaster(e, 150);
             e.local.hears_adverts = Tri::Unknown;
         },
         Verdict::Hold, "U0p"},
        {"fenced_peer_fenced_too", true,
         [](auto& e) {
             peerMaster(e, 150);
             e.peers[0].view->fenced = true;
         },
         Verdict::WantUnfence, "U1"},
        {"fenced_no_peers", true, [](auto& e) { e.peers.clear(); }, Verdict::WantUnfence, "U1"},
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

// Every combination of one peer's and our evidence, checked against the promises of the docs.
TEST(RuleInvariants, EveryCombination) {
    const Tri tris[] = {Tri::No, Tri::Yes, Tri::Unknown};
    int combos = 0;
    for (bool fenced : {false, true})
        for (bool quorum : {false, true})
            for (bool answered : {false, true})
                for (Tri kernel : tris)
                    for (bool local_installed : {false, true})
                        for (Tri hears : tris)
                            for (Tri pings : tris)
                                for (bool known : {false, true})
                                    for (bool peer_holds : {false, true})
                                        for (bool peer_fenced : {false, true})
                                            for (bool peer_wins : {false, true})
                                                for (Tri peer_quorum : tris) {
                                                    InstanceEvidence ev = healthy();
                                                    ev.quorum.reachable = quorum ? 2 : 1;
                                                    ev.local.daemon_answered = answered;
                                                    if (!answered)
                                                        ev.local.view.reset();
                                                    else
                                                        ev.local.view->vips_installed =
                                                            local_installed;
                                                    ev.local.kernel_holds_vip = kernel;
                                                    ev.local.hears_adverts = hears;
                                                    ev.local.fence = fenced ? FenceOwner::Arbiter
                                                                            : FenceOwner::None;
                                                    auto& p = ev.peers[0];
                                                    p.pings = pings;
                                                    p.quorum = peer_quorum;
                                                    if (!known)
                                                        peerUnknown(ev);
                                                    else {
                                                        p.view->vips_installed = peer_holds;
                                                        p.view->fenced = peer_fenced;
                                                        p.view->priority = peer_wins ? 150 : 50;
                                                    }
                                                    ++combos;
                                                    SCOPED_TRACE(testing::Message()
                                                                 << "combo " << combos);
                                                    Judgement j = judge(ev, fenced);
                                                    bool peer_serving =
                                                        known && peer_holds && !peer_fenced;
                                                    bool local_holds =
                                                        kernel == Tri::Yes ||
                                                        (kernel == Tri::Unknown && answered &&
                                                         local_installed);
                                                    if (j.verdict == Verdict::WantUnfence) {
                                                        EXPECT_TRUE(fenced);
                                                        EXPECT_TRUE(quorum);
                                                        EXPECT_TRUE(answered);
                                                        EXPECT_TRUE(known)
                                                            << "UNKNOWN must never unfence";
                                                        if (peer_serving) {
                                                            EXPECT_EQ(hears, Tri::Yes);
                                                        }
                                                    }
                                                    if (!fenced && !quorum) {
                                                        EXPECT_EQ(j.verdict, Verdict::WantFence)
                                                            << "R1";
                                                    }
                                                    if (!fenced && quorum && answered) {
                                                        bool expect_fence =
                                                            local_holds && peer_serving &&
                                                            peer_wins && peer_quorum != Tri::No;
                                                        EXPECT_EQ(j.verdict == Verdict::WantFence,
                                                                  expect_fence)
                                                            << j.rule << ": " << j.reason;
                                                    }
                                                    if (!fenced && quorum && !answered) {
                                                        EXPECT_EQ(j.verdict == Verdict::WantFence,
                                                                  kernel != Tri::No)
                                                            << j.rule;
                                                    }
                                                    if (fenced) {
                                                        EXPECT_NE(j.verdict, Verdict::WantFence);
                                                    }
                                                    if (fenced && quorum && answered && known &&
                                                        !peer_serving) {
                                                        EXPECT_EQ(j.verdict, Verdict::WantUnfence)
                                                            << j.rule << ": " << j.reason;
                                                    }
                                                    // The peer's ICMP answer alone never changes
                                                    // the verdict.
                                                    EXPECT_FALSE(j.rule.empty());
                                                }
    EXPECT_EQ(combos, 2 * 2 * 2 * 3 * 2 * 3 * 3 * 2 * 2 * 2 * 2 * 3);
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
        if (d.action == Action::UnfenceSelf) map = FenceOwner::None;
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
    healed.local.hears_adverts = Tri::Yes;
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

TEST(Hysteresis, OperatorTakingOverOurFenceIsNeverLifted) {
    Rounds r{{1, 1}};
    EXPECT_EQ(r.step(lostQuorum()), Action::FenceSelf);
    r.map = FenceOwner::Operator;  // xvrrpctl fence on top of ours
    auto ev = clear();
    ev.local.fence = r.map;
    Decision d = decide(ev, r.h, r.policy);
    EXPECT_EQ(d.rule, "X2");
    EXPECT_EQ(d.action, Action::NoChange);
    r.h = d.next;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(r.step(clear()), Action::NoChange);
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
