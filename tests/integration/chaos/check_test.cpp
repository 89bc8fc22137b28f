// unit.chaos: the invariant checker on made-up timelines.
#include <gtest/gtest.h>

#include "check.hpp"

namespace xvrrp::chaos {
namespace {

constexpr uint8_t kN1 = 1, kN2 = 2, kN3 = 4;
constexpr double kW = 0.4;  // a window: Master_Down_Interval + 10 ms

// 10 ms probes of VIP 0 from `from` to `to`, answered by `arp` and `echo`.
void probes(Timeline& tl, double from, double to, uint8_t arp, uint8_t echo, int vip = 0) {
    for (double t = from; t < to - 1e-9; t += 0.01) tl.probes.push_back({t, vip, arp, echo});
}

Timeline base() {
    Timeline tl;
    tl.tStart = 0;
    tl.tEnd = 100;
    return tl;
}

FaultRecord fault(Kind k, int node, double inject, double restore, double ready = -1) {
    FaultRecord r;
    r.fault.kind = k;
    r.fault.node = node;
    r.fault.index = 7;
    r.tInject = inject;
    r.tInjected = inject + 0.01;
    r.tRestore = restore;
    r.tReady = ready < 0 ? restore : ready;
    r.windowS = kW;
    r.boundS = 6;
    return r;
}

Params params() { return {.arbiterSettleS = 15, .vips = {"10.77.0.100", "10.77.0.101"}}; }

TEST(ChaosCheck, CleanRunHasNoViolation) {
    auto tl = base();
    probes(tl, 0, 100, kN1, kN1);
    probes(tl, 0, 100, kN3, kN3, 1);
    const auto v = check(tl, params());
    EXPECT_TRUE(v.violations.empty());
    EXPECT_EQ(static_cast<size_t>(v.probesJudged), tl.probes.size());
}

TEST(ChaosCheck, TwoNodesAnsweringIsOneEpisodePerStretch) {
    auto tl = base();
    tl.faults.push_back(fault(Kind::CpuHog, 1, 10, 12));
    probes(tl, 0, 20, kN1, kN1);
    probes(tl, 20, 20.05, kN1 | kN2, kN1);  // 5 probes answered by two nodes
    probes(tl, 20.05, 30, kN1, kN1);
    probes(tl, 30, 30.02, kN1 | kN2, kN2);
    probes(tl, 30.02, 40, kN1, kN1);
    const auto v = check(tl, params());
    ASSERT_EQ(v.violations.size(), 2u);
    EXPECT_EQ(v.violations[0].kind, "multiple_answers");
    EXPECT_EQ(v.violations[0].probes, 5);
    EXPECT_EQ(v.violations[0].fault, 0);  // the last fault before it
    EXPECT_NE(v.violations[0].seen.find("ARP from n1+n2, echo from n1"), std::string::npos)
        << v.violations[0].seen;
    EXPECT_EQ(v.violations[1].probes, 2);
}

TEST(ChaosCheck, NoEchoReplyIsUnanswered) {
    auto tl = base();
    probes(tl, 0, 10, kN1, kN1);
    probes(tl, 10, 10.1, kN1, 0);  // ARP alone does not serve the client
    probes(tl, 10.1, 20, kN1, kN1);
    const auto v = check(tl, params());
    ASSERT_EQ(v.violations.size(), 1u);
    EXPECT_EQ(v.violations[0].kind, "unanswered");
    EXPECT_EQ(v.violations[0].probes, 10);
    EXPECT_EQ(v.violations[0].fault, -1);
}

TEST(ChaosCheck, AKillExcusesItsWindowsAndNothingAfter) {
    auto tl = base();
    tl.faults.push_back(fault(Kind::Kill9, 0, 10, 12, 12.5));
    probes(tl, 0, 10, kN1, kN1);
    probes(tl, 10, 10.4, 0, 0);           // inside injected + window (10.41)
    probes(tl, 10.4, 12, kN2, kN2);
    probes(tl, 12, 12.9, kN1 | kN2, kN2);  // restore .. ready + window (12.9)
    probes(tl, 12.9, 13, kN1 | kN2, kN1);  // later: a violation
    probes(tl, 13, 20, kN1, kN1);
    const auto v = check(tl, params());
    ASSERT_EQ(v.violations.size(), 1u);
    EXPECT_EQ(v.violations[0].kind, "multiple_answers");
    EXPECT_NEAR(v.violations[0].t, 12.91, 0.011);
    EXPECT_NEAR(v.violations[0].afterWindowS, v.violations[0].t - 12.9, 1e-9);
    EXPECT_GT(v.probesExcused, 100);
}

TEST(ChaosCheck, APartitionHasTheArbiterBoundAfterItsInjection) {
    auto tl = base();
    tl.faults.push_back(fault(Kind::Partition, 1, 10, 30));
    probes(tl, 0, 16, kN1 | kN2, kN1);  // split brain until the bound (6 s) passes
    probes(tl, 16, 16.1, kN1 | kN2, kN1);
    probes(tl, 16.1, 40, kN1, kN1);
    const auto v = check(tl, params());
    ASSERT_EQ(v.violations.size(), 2u);  // before the fault, and after the bound
    EXPECT_LT(v.violations[0].tEnd, 10);
    EXPECT_NEAR(v.violations[1].t, 16.02, 0.011);
}

TEST(ChaosCheck, TransitionsNeedAFaultThatExplainsThem) {
    auto tl = base();
    tl.faults.push_back(fault(Kind::SigStop, 0, 10, 14));
    tl.faults.push_back(fault(Kind::ReloadWire, 2, 30, 30));
    probes(tl, 0, 40, kN1, kN1);
    tl.transitions = {
        {10.3, 1, 0, "BACKUP", "MASTER"},  // the backup takes over: explained
        {12.0, 0, 0, "MASTER", "FAULT"},   // the stopped node itself: explained
        {12.0, 2, 0, "BACKUP", "FAULT"},   // another node between the windows: not
        {14.2, 1, 0, "MASTER", "BACKUP"},  // after the restore: explained
        {20.0, 1, 1, "BACKUP", "MASTER"},  // steady state: not
        {30.1, 0, 0, "MASTER", "BACKUP"},  // a reload keeps the master: not
    };
    const auto v = check(tl, params());
    ASSERT_EQ(v.violations.size(), 3u);
    EXPECT_EQ(v.violations[0].seen, "n3 VI_1 BACKUP -> FAULT");
    EXPECT_NEAR(v.violations[0].afterWindowS, 12.0 - 10.41, 1e-9);  // the any-node window
    EXPECT_EQ(v.violations[1].seen, "n2 VI_2 BACKUP -> MASTER");
    EXPECT_EQ(v.violations[2].fault, 1);
    EXPECT_EQ(v.transitionsJudged, 6);
}

// xvrrpd's stamp is its millisecond log time, truncated and converted from the realtime
// clock: the backup's step-down after a SIGCONT came out 1.2 ms before the harness read its
// clock to send it (chaos seed 1, faults 0 and 5). Read apart by up to 20 ms, as actions.
TEST(ChaosCheck, ATransitionStampedJustBeforeItsWindowBelongsToIt) {
    auto tl = base();
    tl.faults.push_back(fault(Kind::SigStop, 0, 10, 14));
    probes(tl, 0, 40, kN1, kN1);
    tl.transitions = {
        {14 - 0.0012, 1, 0, "MASTER", "BACKUP"},  // n1 back: n2 steps down
        {14 - 0.05, 2, 0, "BACKUP", "FAULT"},     // 50 ms before it: not
    };
    const auto v = check(tl, params());
    ASSERT_EQ(v.violations.size(), 1u);
    EXPECT_EQ(v.violations[0].seen, "n3 VI_1 BACKUP -> FAULT");
}

TEST(ChaosCheck, ArbiterActionsOfAFaultOpenWindowsOthersDoNot) {
    auto tl = base();
    tl.faults.push_back(fault(Kind::LinkCut, 0, 10, 12));
    probes(tl, 0, 60, kN1, kN1);
    tl.actions = {{20, 0, "VI_1", "unfence_self", "U1"}, {50, 0, "VI_1", "fence_self", "R1"}};
    tl.transitions = {{20.2, 0, 0, "FAULT", "BACKUP"}, {50.1, 0, 0, "MASTER", "FAULT"}};
    const auto v = check(tl, params());
    EXPECT_EQ(v.actionFault, (std::vector<int>{0, -1}));
    ASSERT_EQ(v.violations.size(), 1u);
    EXPECT_EQ(v.violations[0].seen, "n1 VI_1 MASTER -> FAULT");
    // Without arbiters nothing is attributed.
    auto p = params();
    p.arbiterSettleS = 0;
    EXPECT_EQ(check(tl, p).violations.size(), 2u);
}

TEST(ChaosCheck, OnlyTheJudgedSpanCounts) {
    auto tl = base();
    tl.tStart = 5;
    tl.tEnd = 10;
    probes(tl, 0, 5, 0, 0);
    probes(tl, 5, 10, kN1, kN1);
    probes(tl, 10.01, 12, kN1 | kN3, kN1);
    tl.transitions = {{1, 0, 0, "DOWN", "BACKUP"}};
    const auto v = check(tl, params());
    EXPECT_TRUE(v.violations.empty());
    EXPECT_EQ(v.transitionsJudged, 0);
}

TEST(ChaosCheck, NotRecoveredIsAViolation) {
    auto tl = base();
    tl.faults.push_back(fault(Kind::Kill9, 1, 10, 11));
    tl.unrecovered = {{40, 0, "VI_1 expected master n1, states n1 FAULT"}};
    const auto v = check(tl, params());
    ASSERT_EQ(v.violations.size(), 1u);
    EXPECT_EQ(v.violations[0].kind, "not_recovered");
    const auto j = toJson(v.violations[0], tl);
    EXPECT_EQ(j["fault"]["kind"], "kill9");
    EXPECT_EQ(j["fault"]["index"], 7);
    EXPECT_DOUBLE_EQ(j["fault"]["since_inject_s"].get<double>(), 30);
}

TEST(ChaosCheck, ForeignAnswersAreNamed) {
    EXPECT_EQ(nodesText(kN1 | kN3), "n1+n3");
    EXPECT_EQ(nodesText(kForeign | kN2), "n2+foreign");
    EXPECT_EQ(nodesText(0), "none");
}

}  // namespace
}  // namespace xvrrp::chaos
