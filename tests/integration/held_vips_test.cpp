// A daemon started while the node already holds its VIPs (the daemon before it was killed)
// keeps them if the instance becomes master - no delete and add, which would cut every
// connection to them - and removes them once another router is master.
#include <signal.h>

#include <fstream>
#include <sstream>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

class HeldVips : public PairFixture {
  protected:
    HeldVips() : PairFixture("held") {}

    // `ip -o monitor address` in n1, from now on.
    void monitorAddresses() {
        monitorLog_ = lab_->logDir() + "/n1-monitor.log";
        lab_->node("n1").spawn({"ip", "-o", "monitor", "address"}, monitorLog_);
        // The monitor is listening once it reports an address added now; one added before
        // it subscribed is never reported, so another one is added until one is.
        int k = 0;
        ASSERT_TRUE(waitUntil(
            [&] {
                const std::string addr = "192.0.2." + std::to_string(77 + k++);
                lab_->node("n1").runOk({"ip", "addr", "add", addr + "/32", "dev", "lo"});
                return waitUntil([&] { return monitored().find(addr) != std::string::npos; },
                                 Ms(300));
            },
            seconds(10)));
    }
    std::string monitored() const {
        std::ifstream in(monitorLog_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    InstanceSpec spec(int priority) const {
        InstanceSpec s;
        s.vip = "10.77.0.100/24";
        s.priority = priority;
        return s;
    }

    const IpAddr vip_ = *IpAddr::parse("10.77.0.100");
    std::string monitorLog_;
};

TEST_F(HeldVips, KilledMastersVipsAreKeptByTheNextDaemonThatMasters) {
    n1_->start(renderConfig("n1", spec(150)));
    ASSERT_TRUE(waitState(*n1_, "MASTER", seconds(10)));
    ASSERT_NO_FATAL_FAILURE(monitorAddresses());
    n1_->signal(SIGKILL);
    ASSERT_TRUE(n1_->waitExit(seconds(5)));
    ASSERT_TRUE(n1_->holds(vip_)) << "kill -9 took the VIP";
    n1_->start(renderConfig("n1", spec(150)));
    ASSERT_TRUE(waitState(*n1_, "MASTER", seconds(10))) << tail(n1_->log());
    EXPECT_NE(n1_->log().find("its VIPs are on the node already"), std::string::npos)
        << tail(n1_->log());
    EXPECT_TRUE(holdsFor([&] { return n1_->holds(vip_); }, seconds(1)));
    const std::string events = monitored();
    EXPECT_EQ(events.find("Deleted"), std::string::npos) << events;
    // They are its own now: a stop removes them.
    n1_->signal(SIGTERM);
    ASSERT_TRUE(n1_->waitExit(seconds(10)));
    EXPECT_FALSE(n1_->holds(vip_));
}

TEST_F(HeldVips, HeldVipsGoWhenAnotherRouterIsMaster) {
    n2_->start(renderConfig("n2", spec(150)));
    ASSERT_TRUE(waitState(*n2_, "MASTER", seconds(10)));
    // What a daemon killed while it was master leaves behind.
    lab_->node("n1").runOk({"ip", "addr", "add", "10.77.0.100/24", "dev", "eth0"});
    n1_->start(renderConfig("n1", spec(100)));
    ASSERT_TRUE(waitState(*n1_, "BACKUP", seconds(10))) << tail(n1_->log());
    EXPECT_TRUE(waitUntil([&] { return !n1_->holds(vip_); }, seconds(3)))
        << "a backup keeps the VIP: " << tail(n1_->log());
    EXPECT_TRUE(
        holdsFor([&] { return n2_->state() == "MASTER" && n1_->state() == "BACKUP"; }, seconds(1)));
    EXPECT_TRUE(n2_->holds(vip_));
}

}  // namespace
}  // namespace xvrrp::itest
