// integration.arbiter_witness_{leader,three}: issue 15 acceptance 2, the etcd leader killed
// during a split and three xvrrpd nodes whose arbiters share the witness (witness_fixture.hpp).
#include "witness_fixture.hpp"

namespace xvrrp::itest {
namespace {

// With both sshd down the VRRP link is cut and, at the same moment, the etcd leader is
// killed (SIGKILL). Reads fail until the two others elect a leader (minority: the rules
// without the witness, R5, hold), then n2 sees n1 rewrite its key and fences (W1). n1 keeps
// its key and token: a leader change extends leases, and n1's claim outlasts the election.
TEST_F(ArbiterWitness, LeaderKilledDuringASplit) {
    const int64_t tok = token("n1");
    ASSERT_GT(tok, 0);
    const std::string leader = etcd_->leader();
    ASSERT_FALSE(leader.empty()) << etcd_->logs();
    lab_->stopSshd("n1");
    lab_->stopSshd("n2");
    ClientProber p(lab_->lab().node("client"), lab_->clientAddr(), lab_->vip(),
                   milliseconds(10), seconds(40));
    std::this_thread::sleep_for(milliseconds(200));  // a baseline before the cut
    const double tCut = p.now();
    lab_->cutVrrp();
    etcd_->kill(leader);
    // docs/arbiter.md, Witness: W1's bound plus one etcd election and the round it cost.
    const auto& o = lab_->options();
    const double bound = w1Bound() + kElectionS + std::max(o.probeInterval, double(o.sshTimeout));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "fence_self"); }, secs(bound + 5)));
    EXPECT_TRUE(auditHas("n2", "\"rule\":\"W1\""));
    std::this_thread::sleep_for(milliseconds(1500));  // one owner must stay one owner
    SplitMeasure m = analyse(p.stop(), tCut, bound);
    EXPECT_EQ(m.owner, mac1_);
    EXPECT_GE(m.singleOwnerS, 0);
    EXPECT_LE(m.singleOwnerS, bound) << "single owner after " << m.singleOwnerS << " s";
    EXPECT_EQ(m.bothAfterBound, 0);
    EXPECT_EQ(m.icmpMacsAfterSingle, std::set<std::string>{mac1_});
    EXPECT_NE(etcd_->leader(), leader);
    EXPECT_EQ(witnessState("n1"), "owned");
    EXPECT_EQ(token("n1"), tok);
    EXPECT_FALSE(auditHas("n1", "fence_self"));
    std::cerr << "leader " << leader << " killed; single owner after " << m.singleOwnerS
              << " s (bound " << bound << " s), probes answered twice " << m.bothAnswered
              << "\n";
}

class ArbiterWitness3 : public ArbiterWitness {
  public:
    ArbiterWitness3() { priorities_ = {150, 120, 100}; }
};

// Three nodes, sshd down everywhere, n1's VRRP port cut: n2 takes over and fences on n1's
// key (W1); its priority-0 advert lets n3 take over, which fences likewise. One witness key
// decides for all three: every arbiter reports the same token and only n1 answers.
TEST_F(ArbiterWitness3, ThreeNodesShareTheWitness) {
    const int64_t tok = token("n1");
    ASSERT_GT(tok, 0);
    for (const auto& n : lab_->names()) {
        EXPECT_EQ(token(n), tok) << n;
        lab_->stopSshd(n);
    }
    ClientProber p(lab_->lab().node("client"), lab_->clientAddr(), lab_->vip(),
                   milliseconds(10), seconds(60));
    std::this_thread::sleep_for(milliseconds(200));  // a baseline before the cut
    const double tCut = p.now();
    lab_->cutVrrpOf("n1");
    // The losers one after another, each within W1's bound of taking over.
    const double bound = 2 * w1Bound();
    for (const auto& n : {"n2", "n3"})
        EXPECT_TRUE(waitUntil([&] { return auditHas(n, "fence_self"); }, secs(bound + 5))) << n;
    std::this_thread::sleep_for(milliseconds(1500));  // one owner must stay one owner
    SplitMeasure m = analyse(p.stop(), tCut, bound);
    EXPECT_EQ(who(m.owner), "n1");
    EXPECT_GE(m.singleOwnerS, 0);
    EXPECT_LE(m.singleOwnerS, bound) << "single owner after " << m.singleOwnerS << " s";
    EXPECT_EQ(m.bothAfterBound, 0);
    EXPECT_EQ(m.icmpMacsAfterSingle, std::set<std::string>{mac1_});
    for (const auto& n : {"n2", "n3"}) {
        EXPECT_TRUE(auditHas(n, "\"rule\":\"W1\"")) << n;
        EXPECT_EQ(witnessState(n), "peer_owns") << n;
        EXPECT_EQ(token(n), tok) << n;
    }
    EXPECT_EQ(witnessState("n1"), "owned");
    EXPECT_FALSE(auditHas("n1", "fence_self"));
    std::cerr << "single owner after " << m.singleOwnerS << " s (bound " << bound
              << " s), probes answered twice " << m.bothAnswered << "\n";
}

}  // namespace
}  // namespace xvrrp::itest
