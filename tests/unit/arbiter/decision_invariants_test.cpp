// unit.arbiter: every combination of our evidence and two peers' against the invariants the
// docs promise (UNKNOWN never unfences; a node unfences only when every holder is heard).
#include <gtest/gtest.h>

#include "decision.hpp"
#include "decision_cases.hpp"

namespace xvrrp::arbiter {
namespace {

using namespace cases;

// Every combination of our evidence and two peers' (b with every dimension, c with those
// that matter to the fence rules), checked against the promises of the docs.
struct Combo {
    bool fenced, quorum, answered, local_installed;
    Tri kernel;
    struct PeerDims {
        Tri pings, quorum, reaches;
        bool known, holds, fenced, wins;
    } p[2];
};

InstanceEvidence evidenceOf(const Combo& c) {
    InstanceEvidence ev = healthy();
    addPeer(ev);
    ev.quorum.reachable = c.quorum ? 2 : 1;
    ev.local.daemon_answered = c.answered;
    if (!c.answered)
        ev.local.view.reset();
    else
        ev.local.view->vips_installed = c.local_installed;
    ev.local.kernel_holds_vip = c.kernel;
    ev.local.fence = c.fenced ? FenceOwner::Arbiter : FenceOwner::None;
    for (int i = 0; i < 2; ++i) {
        auto& p = ev.peers[i];
        const auto& d = c.p[i];
        p.pings = d.pings;
        p.quorum = d.quorum;
        if (!d.known) {
            p.known = false;
            p.has_instance = false;
            p.view.reset();
            p.unknown_reason = "ssh timed out";
            continue;
        }
        p.view->vips_installed = d.holds;
        p.view->fenced = d.fenced;
        p.view->priority = d.wins ? 150 : 50;
        p.adverts_reach_us = d.reaches;
    }
    return ev;
}

void checkInvariants(const Combo& c, const Judgement& j) {
    bool serving[2], all_known = true, any_serving = false, serving_heard = true;
    bool peer_wins = false;
    for (int i = 0; i < 2; ++i) {
        const auto& d = c.p[i];
        serving[i] = d.known && d.holds && !d.fenced;
        all_known = all_known && d.known;
        any_serving = any_serving || serving[i];
        if (serving[i] && d.reaches != Tri::Yes) serving_heard = false;
        if (serving[i] && d.wins && d.quorum != Tri::No) peer_wins = true;
    }
    bool local_holds = c.kernel == Tri::Yes ||
                       (c.kernel == Tri::Unknown && c.answered && c.local_installed);
    if (j.verdict == Verdict::WantUnfence) {
        EXPECT_TRUE(c.fenced && c.quorum && c.answered);
        EXPECT_TRUE(all_known) << "UNKNOWN must never unfence";
        // Per peer: every node that holds the VIP must be heard, not just somebody.
        EXPECT_TRUE(serving_heard) << "unfenced beside a holder whose adverts do not reach us";
    }
    if (!c.fenced && !c.quorum) {
        EXPECT_EQ(j.verdict, Verdict::WantFence) << "R1";
    }
    if (!c.fenced && c.quorum && c.answered) {
        EXPECT_EQ(j.verdict == Verdict::WantFence, local_holds && peer_wins)
            << j.rule << ": " << j.reason;
    }
    if (!c.fenced && c.quorum && !c.answered) {
        EXPECT_EQ(j.verdict == Verdict::WantFence, c.kernel != Tri::No) << j.rule;
    }
    if (c.fenced) {
        EXPECT_NE(j.verdict, Verdict::WantFence);
    }
    if (c.fenced && c.quorum && c.answered && all_known && serving_heard) {
        EXPECT_EQ(j.verdict, Verdict::WantUnfence) << j.rule << ": " << j.reason;
    }
    if (c.fenced && c.quorum && c.answered && all_known && any_serving && serving_heard) {
        EXPECT_EQ(j.rule, "U2");
    }
    EXPECT_FALSE(j.rule.empty());
}

TEST(RuleInvariants, EveryCombination) {
    const Tri tris[] = {Tri::No, Tri::Yes, Tri::Unknown};
    const bool bools[] = {false, true};
    // Sizes of the dimensions, walked like an odometer.
    const int dims[] = {2, 2, 2, 2, 3,           // fenced, quorum, answered, installed, kernel
                        3, 3, 3, 2, 2, 2, 2,     // b: pings, quorum, reaches, known..wins
                        3, 2, 2, 2, 2};          // c: reaches, known, holds, fenced, wins
    constexpr int kDims = sizeof(dims) / sizeof(dims[0]);
    int at[kDims] = {};
    long combos = 0;
    for (;;) {
        Combo c{};
        c.fenced = bools[at[0]];
        c.quorum = bools[at[1]];
        c.answered = bools[at[2]];
        c.local_installed = bools[at[3]];
        c.kernel = tris[at[4]];
        c.p[0] = {tris[at[5]],   tris[at[6]],   tris[at[7]],   bools[at[8]],
                  bools[at[9]], bools[at[10]], bools[at[11]]};
        c.p[1] = {Tri::Yes,       Tri::Unknown,  tris[at[12]],  bools[at[13]],
                  bools[at[14]], bools[at[15]], bools[at[16]]};
        ++combos;
        {
            SCOPED_TRACE(testing::Message() << "combo " << combos);
            checkInvariants(c, judge(evidenceOf(c), c.fenced));
        }
        if (HasFailure()) FAIL() << "stopped at the first failing combination";
        int d = 0;
        while (d < kDims && ++at[d] == dims[d]) at[d++] = 0;
        if (d == kDims) break;
    }
    long want = 1;
    for (int d : dims) want *= d;
    EXPECT_EQ(combos, want);
    EXPECT_EQ(want, 2L * 2 * 2 * 2 * 3 * 3 * 3 * 3 * 2 * 2 * 2 * 2 * 3 * 2 * 2 * 2 * 2);
}

// The witness (issue 15) over the evidence of the 12-dimension table (our 5 dimensions and
// one peer's 7: 20 736 cases) times every witness state, renewal, claim and policy (48).
struct WitnessDims {
    WitnessState state;
    bool renewing, past_claim, fence_on_loss;
};

void checkWitness(const Combo& c, const WitnessDims& w, const Judgement& with,
                  const Judgement& without) {
    if (c.fenced) {  // the witness never lifts a fence nor changes why it stays
        EXPECT_EQ(with.verdict, without.verdict);
        EXPECT_EQ(with.rule, without.rule);
        return;
    }
    const auto& b = c.p[0];
    bool local_holds = c.kernel == Tri::Yes ||
                       (c.kernel == Tri::Unknown && c.answered && c.local_installed);
    bool earlier = !c.quorum || !c.answered || !local_holds;  // R1, R2, R2b, R5 (not held)
    bool peer_may_hold = !b.known || (b.holds && !b.fenced);
    bool cut = w.state == WitnessState::Minority ||
               (w.state == WitnessState::Unreachable && w.fence_on_loss);
    if (earlier) {
        EXPECT_EQ(with.verdict, without.verdict) << with.rule;
        EXPECT_EQ(with.rule, without.rule);
    } else if (w.state == WitnessState::Owned && !w.past_claim) {
        EXPECT_EQ(with.rule, "W0");
        EXPECT_EQ(with.verdict, Verdict::Hold) << "the owner never yields to SSH's view";
    } else if (w.state == WitnessState::PeerOwns && w.renewing) {
        EXPECT_EQ(with.verdict, Verdict::WantFence) << "a live owner elsewhere: " << with.rule;
    } else if (cut && w.past_claim && peer_may_hold) {
        EXPECT_EQ(with.verdict, Verdict::WantFence) << "cut from the majority past the lease";
    } else {  // the witness cannot tell: the rules without it, unchanged
        EXPECT_EQ(with.verdict, without.verdict) << with.rule << " vs " << without.rule;
        EXPECT_EQ(with.rule, without.rule);
    }
    if (w.state == WitnessState::Unreachable && !w.fence_on_loss) {
        EXPECT_EQ(with.rule, without.rule) << "on_witness_loss hold: the previous rules";
    }
}

TEST(WitnessInvariants, EveryCombination) {
    const Tri tris[] = {Tri::No, Tri::Yes, Tri::Unknown};
    const bool bools[] = {false, true};
    const WitnessState states[] = {WitnessState::Off,      WitnessState::Owned,
                                   WitnessState::PeerOwns, WitnessState::Free,
                                   WitnessState::Minority, WitnessState::Unreachable};
    const int dims[] = {2, 2, 2, 2, 3,        // fenced, quorum, answered, installed, kernel
                        3, 3, 3, 2, 2, 2, 2,  // b: pings, quorum, reaches, known..wins
                        6, 2, 2, 2};          // witness: state, renewing, past claim, policy
    constexpr int kDims = sizeof(dims) / sizeof(dims[0]);
    int at[kDims] = {};
    long combos = 0;
    for (;;) {
        Combo c{};
        c.fenced = bools[at[0]];
        c.quorum = bools[at[1]];
        c.answered = bools[at[2]];
        c.local_installed = bools[at[3]];
        c.kernel = tris[at[4]];
        c.p[0] = {tris[at[5]], tris[at[6]],   tris[at[7]],  bools[at[8]],
                  bools[at[9]], bools[at[10]], bools[at[11]]};
        WitnessDims w{states[at[12]], bools[at[13]], bools[at[14]], bools[at[15]]};
        InstanceEvidence ev = evidenceOf(c);
        ev.peers.resize(1);  // one peer: the pair of the issue
        Judgement without = judge(ev, c.fenced);
        cases::witness(ev, w.state, w.renewing, w.past_claim, w.fence_on_loss);
        Judgement with = judge(ev, c.fenced);
        ++combos;
        {
            SCOPED_TRACE(testing::Message() << "combo " << combos << " witness "
                                            << witnessStateName(w.state) << " rule " << with.rule);
            checkWitness(c, w, with, without);
            EXPECT_FALSE(with.rule.empty());
        }
        if (HasFailure()) FAIL() << "stopped at the first failing combination";
        int d = 0;
        while (d < kDims && ++at[d] == dims[d]) at[d++] = 0;
        if (d == kDims) break;
    }
    EXPECT_EQ(combos, 20736L * 48);
}

}  // namespace
}  // namespace xvrrp::arbiter
