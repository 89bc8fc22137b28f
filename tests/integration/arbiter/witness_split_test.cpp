// integration.arbiter_witness_{split,gone,minority,tls}: issue 15 acceptance 2 and 4 on the
// acceptance topology with a real 3-member etcd cluster and real sshd (witness_fixture.hpp).
#include "witness_fixture.hpp"

namespace xvrrp::itest {
namespace {

// Today (rule R5) a cut VRRP link with both sshd down keeps two masters for as long as the
// cut lasts: neither peer is known to hold the VIP. With the witness n1 owns VI_1 and keeps
// rewriting its key, so n2, master by VRRP, fences itself (W1).
TEST_F(ArbiterWitness, CutVrrpWithSshdDownEndsWithOneOwner) {
    const int64_t tok = token("n1");
    ASSERT_GT(tok, 0);
    // status shows the key as soon as the campaign is answered; the audit at the round's end.
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "\"token\":" + std::to_string(tok)); },
                          seconds(5)));
    lab_->stopSshd("n1");
    lab_->stopSshd("n2");
    ClientProber p(lab_->lab().node("client"), lab_->clientAddr(), lab_->vip(),
                   milliseconds(10), seconds(40));
    std::this_thread::sleep_for(milliseconds(200));  // a baseline before the cut
    const double tCut = p.now();
    lab_->cutVrrp();
    // n2 takes over after Master_Down_Interval, sees n1's renewing key within 1.5 rounds and
    // fences after fence_after + 1 rounds (docs/arbiter.md, Witness: the bound of W1).
    const double bound = w1Bound();
    EXPECT_TRUE(waitUntil(
        [&] { return lab_->node("n2").log().find("Entering MASTER") != std::string::npos; },
        seconds(5)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "\"rule\":\"W1\""); }, secs(bound + 5)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "fence_self"); }, secs(bound + 5)));
    std::this_thread::sleep_for(milliseconds(1500));  // one owner must stay one owner
    SplitMeasure m = analyse(p.stop(), tCut, bound);
    EXPECT_EQ(m.owner, mac1_);
    EXPECT_GE(m.singleOwnerS, 0);
    EXPECT_LE(m.singleOwnerS, bound) << "single owner after " << m.singleOwnerS << " s";
    EXPECT_EQ(m.bothAfterBound, 0);
    EXPECT_EQ(m.icmpMacsAfterSingle, std::set<std::string>{mac1_});
    // n1 still owns, with the same fencing token.
    EXPECT_EQ(witnessState("n1"), "owned");
    EXPECT_EQ(token("n1"), tok);
    std::cerr << "single owner after " << m.singleOwnerS << " s (bound " << bound
              << " s), probes answered twice " << m.bothAnswered << "\n";
}

// The whole cluster stopped: VRRP carries on, nobody fences (on_witness_loss hold), the audit
// log says the witness is unreachable. Started again (the same members and data): the witness
// resumes, n1 owns the instance again and nothing moves - no fence, no VRRP transition, only
// n1 answers the client throughout. Then the witness decides again: a cut with both sshd down
// ends with n1 alone by W1, where the rules without the witness keep two masters (R5).
TEST_F(ArbiterWitness, EtcdGoneLeavesThePreviousRules) {
    ClientProber p(lab_->lab().node("client"), lab_->clientAddr(), lab_->vip(),
                   milliseconds(20), seconds(120));
    const int t1 = lab_->transitions("n1"), t2 = lab_->transitions("n2");
    etcd_->stopAll();
    ASSERT_TRUE(waitUntil([&] { return witnessState("n1") == "unreachable"; }, seconds(10)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "\"state\":\"unreachable\""); }, seconds(5)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "\"state\":\"unreachable\""); }, seconds(5)));
    // What an operator's scrape shows (docs/arbiter.md, What an operator sees).
    EXPECT_TRUE(waitUntil([&] { return membersAre("n1", "unreachable"); }, seconds(5)))
        << lab_->arbiterMetrics("n1");
    EXPECT_TRUE(metricIs("n1", R"(xvrrp_arbiter_witness_state{instance="VI_1",state="unreachable"})", "1"));
    // Past the lease and the claim: still nothing moves.
    const int r0 = lab_->round("n1");
    ASSERT_TRUE(waitUntil(
        [&] { return lab_->round("n1") > r0 + 2 * kLeaseTtl / lab_->options().probeInterval; },
        secs(4 * kLeaseTtl)));
    EXPECT_EQ(lab_->rule("n1"), "R5");
    EXPECT_EQ(lab_->rule("n2"), "R5");
    EXPECT_TRUE(auditHas("n1", "\"past_claim\":true"));
    etcd_->start();
    ASSERT_TRUE(waitUntil([&] { return witnessState("n1") == "owned"; }, seconds(20)));
    ASSERT_TRUE(waitUntil([&] { return witnessState("n2") == "peer_owns"; }, seconds(10)));
    // A lease past etcd's restart: the old one (extended by the new leader) runs out or is
    // kept alive, the key stays n1's either way; watch that long.
    const int r1 = lab_->round("n1");
    ASSERT_TRUE(waitUntil(
        [&] { return lab_->round("n1") > r1 + kLeaseTtl / lab_->options().probeInterval; },
        secs(3 * kLeaseTtl)));
    EXPECT_EQ(witnessState("n1"), "owned");
    EXPECT_EQ(lab_->rule("n1"), "W0");
    EXPECT_TRUE(membersAre("n1", "ok")) << lab_->arbiterMetrics("n1");
    EXPECT_TRUE(metricIs("n1", R"(xvrrp_arbiter_witness_state{instance="VI_1",state="owned"})", "1"));
    const int64_t tok = token("n1");
    EXPECT_GT(tok, 0);
    EXPECT_EQ(token("n2"), tok);
    auto samples = p.stop();
    EXPECT_FALSE(auditHas("n1", "fence_self"));
    EXPECT_FALSE(auditHas("n2", "fence_self"));
    EXPECT_EQ(lab_->transitions("n1"), t1);
    EXPECT_EQ(lab_->transitions("n2"), t2);
    int answered = 0;
    for (const auto& s : samples) {
        EXPECT_LE(s.arpMacs.size(), 1u) << "probe at " << s.t << " s answered twice";
        answered += s.arpMacs == std::set<std::string>{mac1_};
    }
    EXPECT_GT(answered, static_cast<int>(samples.size()) * 9 / 10)
        << answered << " of " << samples.size() << " probes answered by n1";
    // The witness decides again.
    lab_->stopSshd("n1");
    lab_->stopSshd("n2");
    ClientProber q(lab_->lab().node("client"), lab_->clientAddr(), lab_->vip(),
                   milliseconds(10), seconds(40));
    std::this_thread::sleep_for(milliseconds(200));  // a baseline before the cut
    const double tCut = q.now();
    lab_->cutVrrp();
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "\"rule\":\"W1\""); }, secs(w1Bound() + 5)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "fence_self"); }, secs(w1Bound() + 5)));
    std::this_thread::sleep_for(milliseconds(1500));  // one owner must stay one owner
    SplitMeasure m = analyse(q.stop(), tCut, w1Bound());
    EXPECT_EQ(m.owner, mac1_);
    EXPECT_GE(m.singleOwnerS, 0);
    EXPECT_LE(m.singleOwnerS, w1Bound());
    EXPECT_EQ(m.bothAfterBound, 0);
    EXPECT_EQ(token("n1"), tok);
}

// n1 (master, owner) and e1 on the minority side of an etcd partition: e1 loses its quorum,
// n1 reaches only e1. With VRRP working and n2 known to be BACKUP nothing moves; once VRRP is
// cut too, n2 (majority side) takes the instance over and n1 yields (W2), where the rules
// without the witness would have kept n1 (R3: n1 has the higher priority).
TEST_F(ArbiterWitness, MinorityNodeYieldsOnlyWhenVrrpIsCutToo) {
    isolate("e1", {"e2", "e3"});
    isolate("n1", {"e2", "e3"});
    // Past n1's claim and the lease on etcd (longer if e1 was the leader: the new one extends
    // every lease): n2 sees the key expire; nothing moves.
    ASSERT_TRUE(waitUntil([&] { return witnessState("n2") == "free"; }, secs(3 * kLeaseTtl)));
    ASSERT_TRUE(waitUntil([&] { return witnessState("n1") == "minority"; }, seconds(15)));
    const int r0 = lab_->round("n1");
    ASSERT_TRUE(waitUntil([&] { return lab_->round("n1") > r0 + 4; }, seconds(15)));
    EXPECT_FALSE(auditHas("n1", "fence_self"));
    EXPECT_FALSE(auditHas("n2", "fence_self"));
    EXPECT_EQ(lab_->node("n1").state(), "MASTER");
    EXPECT_EQ(lab_->arpOwners(milliseconds(300)), std::set<std::string>{mac1_});
    EXPECT_TRUE(auditHas("n1", "\"past_claim\":true"));
    lab_->cutVrrp();
    EXPECT_TRUE(waitUntil([&] { return witnessState("n2") == "owned"; }, seconds(15)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "\"rule\":\"W2\""); }, seconds(15)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "fence_self"); }, seconds(15)));
    EXPECT_TRUE(waitUntil(
        [&] { return lab_->arpOwners(milliseconds(300)) == std::set<std::string>{mac2_}; },
        seconds(10)));
    // And it stays so: no mutual fencing, no unfence of n1 while the cut lasts (U0p).
    const int r1 = lab_->round("n1");
    ASSERT_TRUE(waitUntil([&] { return lab_->round("n1") > r1 + 2 * lab_->options().unfenceAfter; },
                          seconds(20)));
    EXPECT_FALSE(auditHas("n2", "fence_self"));
    EXPECT_FALSE(auditHas("n1", "unfence_self"));
    EXPECT_EQ(lab_->arpOwners(milliseconds(300)), std::set<std::string>{mac2_});
}

// Acceptance 4 of issue 15: the same split with the witness over TLS, client certificates
// made for this run; etcd refuses clients without one (--client-cert-auth).
class ArbiterWitnessTls : public ArbiterWitness {
  public:
    ArbiterWitnessTls() { tls_ = true; }
};

TEST_F(ArbiterWitnessTls, CutVrrpWithSshdDownOverTls) {
    EXPECT_EQ(lab_->arbiterStatus("n1")["witness"]["members"][0].value("state", ""), "ok");
    EXPECT_GT(witness("n1").value("token", int64_t{0}), 0);
    lab_->stopSshd("n1");
    lab_->stopSshd("n2");
    lab_->cutVrrp();
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "\"rule\":\"W1\""); }, seconds(15)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "fence_self"); }, seconds(15)));
    EXPECT_TRUE(waitUntil(
        [&] { return lab_->arpOwners(milliseconds(300)) == std::set<std::string>{mac1_}; },
        seconds(10)));
}

}  // namespace
}  // namespace xvrrp::itest
