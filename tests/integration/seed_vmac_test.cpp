// Seed s004-vmac (node2): use_vmac + vmac_xmit_base, nopreempt, track_interface eth0 and
// eth1 at weight 10 each (up adds 10), a notify script. node1 is the same text at
// priority 100. eth1 is a veth the test adds to each node (no dummy module here).
#include "seed_fixture.hpp"

namespace xvrrp::itest {
namespace {

class SeedVmac : public SeedFixture {
  protected:
    SeedVmac() : SeedFixture("svmac") {}

    void SetUp() override {
        SeedFixture::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        for (const char* n : {"n1", "n2"}) {
            lab_->node(n).runOk({"ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"});
            lab_->node(n).runOk({"ip", "link", "set", "eth1p", "up"});
            lab_->node(n).runOk({"ip", "link", "set", "eth1", "up"});
        }
    }

    std::string config(const std::string& node) const {
        Subs subs = {{"192.168.1.100/24", "10.77.0.100/24"},
                     {"/usr/local/bin/notify_service.sh", "\"" + notify(node, "notify", "") + "\""}};
        if (node == "n1") subs.push_back({"priority 90", "priority 100"});
        return rewrite(seed("s004-vmac-track-interface.conf"), subs);
    }
    std::string vmacHolder() const { return holder(vip_, "vrrp.51"); }

    const IpAddr vip_ = *IpAddr::parse("10.77.0.100");
};

TEST_F(SeedVmac, TrackedInterfacesWeighAndNopreemptKeepsTheVipWhereItIs) {
    const auto t = std::chrono::seconds(15);  // advert_int 2
    const std::string l1 = notifyLog("n1", "notify"), l2 = notifyLog("n2", "notify");
    n1_->start(config("n1"));
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "MASTER", t)) << stateOf(*n1_, "VI_1");
    // The second node once the first is master: started together, a first start slower by
    // a few tens of ms (a loaded host) lets the second's Master_Down_Interval end first.
    n2_->start(config("n2"));
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "BACKUP", t)) << stateOf(*n2_, "VI_1");
    EXPECT_TRUE(waitUntil([&] { return vmacHolder() == "n1"; }, t)) << vmacHolder();
    // 100 + eth1 10: eth0 is the instance's own interface, which keepalived does not track
    // ("Ignoring track_interface eth0 since own interface").
    EXPECT_EQ(effective(*n1_, "VI_1"), 110);
    EXPECT_EQ(effective(*n2_, "VI_1"), 100);
    EXPECT_TRUE(waitLog(l1, {"INSTANCE VI_1 BACKUP 110", "INSTANCE VI_1 MASTER 110"})) << joined(logLines(l1));
    EXPECT_TRUE(waitLog(l2, {"INSTANCE VI_1 BACKUP 100"})) << joined(logLines(l2));

    // A tracked interface goes down on the master: -10, nothing moves (node2 is nopreempt).
    n1_->ns().runOk({"ip", "link", "set", "eth1", "down"});
    ASSERT_TRUE(waitUntil([&] { return effective(*n1_, "VI_1") == 100; }, t)) << effective(*n1_, "VI_1");
    EXPECT_TRUE(holdsFor([&] { return vmacHolder() == "n1" && stateOf(*n2_, "VI_1") == "BACKUP"; },
                         std::chrono::seconds(8), Ms(250)))
        << vmacHolder() << " " << stateOf(*n2_, "VI_1");
    n1_->ns().runOk({"ip", "link", "set", "eth1", "up"});
    ASSERT_TRUE(waitUntil([&] { return effective(*n1_, "VI_1") == 110; }, t)) << effective(*n1_, "VI_1");

    // The master's link is cut: node2 takes over on its own VMAC.
    lab_->cutLink("n1");
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "MASTER", t)) << stateOf(*n2_, "VI_1");
    EXPECT_TRUE(lab::hasAddress(n2_->ns(), "vrrp.51", vip_));
    EXPECT_TRUE(waitLog(l2, {"INSTANCE VI_1 BACKUP 100", "INSTANCE VI_1 MASTER 100"})) << joined(logLines(l2));

    // Restored: node1 is nopreempt too, so node2 keeps the VIP though node1 is higher.
    lab_->restoreLink("n1");
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "BACKUP", t)) << stateOf(*n1_, "VI_1");
    EXPECT_TRUE(holdsFor([&] { return vmacHolder() == "n2" && stateOf(*n2_, "VI_1") == "MASTER"; },
                         std::chrono::seconds(8), Ms(250)))
        << vmacHolder() << " " << stateOf(*n2_, "VI_1");
    const auto n1log = logLines(l1);
    ASSERT_GE(n1log.size(), 3u) << joined(n1log);
    EXPECT_EQ(n1log.back(), "INSTANCE VI_1 BACKUP 110") << joined(n1log);
    EXPECT_TRUE(clientReaches(vip_, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace xvrrp::itest
