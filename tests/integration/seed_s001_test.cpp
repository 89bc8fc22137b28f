// Seed s001: a load-balancer pair (lb-5 MASTER 150, lb-6 BACKUP 100), VRRPv2 PASS auth and
// an nginx check with no weight: a failing check is FAULT (keepalived: weight 0).
#include <csignal>

#include "seed_fixture.hpp"

namespace xvrrp::itest {
namespace {

class SeedS001 : public SeedFixture {
  protected:
    SeedS001() : SeedFixture("s001") {}

    std::string config(const std::string& node, const std::string& file) const {
        return rewrite(seed(file), {{"/etc/keepalived/check_nginx.sh", check(node, "nginx")},
                                    {"10.0.0.3/24", "10.77.0.100/24"}});
    }
};

TEST_F(SeedS001, CheckFailureIsFaultLinkCutAndKillMoveTheVipAndPreemptBringsItBack) {
    const IpAddr vip = *IpAddr::parse("10.77.0.100");
    const auto t = std::chrono::seconds(15);  // check interval 5 s + Master_Down_Interval ~3.4 s
    n1_->start(config("n1", "s001-lb5-master.conf"));
    ASSERT_TRUE(waitInst(*n1_, "VIP_1", "MASTER", t)) << stateOf(*n1_, "VIP_1");
    // The second node once the first is master: started together, a first start slower by
    // a few tens of ms (a loaded host) lets the second's Master_Down_Interval end first.
    n2_->start(config("n2", "s001-lb6-backup.conf"));
    ASSERT_TRUE(waitInst(*n2_, "VIP_1", "BACKUP", t)) << stateOf(*n2_, "VIP_1");
    ASSERT_TRUE(waitHolder(vip, "n1", t)) << holder(vip);

    // The check fails on the master: FAULT, the backup takes the VIP.
    setFlag("n1", "nginx", true);
    ASSERT_TRUE(waitInst(*n1_, "VIP_1", "FAULT", t)) << stateOf(*n1_, "VIP_1");
    ASSERT_TRUE(waitInst(*n2_, "VIP_1", "MASTER", t)) << stateOf(*n2_, "VIP_1");
    EXPECT_TRUE(waitHolder(vip, "n2", t)) << holder(vip);

    // It recovers: 150 > 100 and preempt is on, so lb-5 takes the VIP back.
    setFlag("n1", "nginx", false);
    ASSERT_TRUE(waitInst(*n1_, "VIP_1", "MASTER", t)) << stateOf(*n1_, "VIP_1");
    EXPECT_TRUE(waitHolder(vip, "n1", t)) << holder(vip);
    EXPECT_TRUE(waitInst(*n2_, "VIP_1", "BACKUP", t)) << stateOf(*n2_, "VIP_1");

    // The master's link is cut: its interface is tracked (FAULT), the backup takes over.
    lab_->cutLink("n1");
    ASSERT_TRUE(waitInst(*n2_, "VIP_1", "MASTER", t)) << stateOf(*n2_, "VIP_1");
    EXPECT_TRUE(waitInst(*n1_, "VIP_1", "FAULT", t)) << stateOf(*n1_, "VIP_1");
    EXPECT_TRUE(waitHolder(vip, "n2", t)) << holder(vip);
    lab_->restoreLink("n1");
    ASSERT_TRUE(waitInst(*n1_, "VIP_1", "MASTER", t)) << stateOf(*n1_, "VIP_1");
    EXPECT_TRUE(waitHolder(vip, "n1", t)) << holder(vip);

    // The master dies (SIGKILL): the backup takes over; restarted, lb-5 preempts again.
    n1_->signal(SIGKILL);
    ASSERT_TRUE(n1_->waitExit(t).has_value());
    ASSERT_TRUE(waitInst(*n2_, "VIP_1", "MASTER", t)) << stateOf(*n2_, "VIP_1");
    EXPECT_TRUE(lab::hasAddress(n2_->ns(), "eth0", vip));
    n1_->start(config("n1", "s001-lb5-master.conf"));
    ASSERT_TRUE(waitInst(*n1_, "VIP_1", "MASTER", t)) << stateOf(*n1_, "VIP_1");
    EXPECT_TRUE(waitInst(*n2_, "VIP_1", "BACKUP", t)) << stateOf(*n2_, "VIP_1");
    EXPECT_TRUE(waitHolder(vip, "n1", t)) << holder(vip);
    EXPECT_TRUE(clientReaches(vip, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace xvrrp::itest
