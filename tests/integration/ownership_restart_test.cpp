// A daemon started after a kill -9 finds the VIPs the killed one left on the node. Its own XDP
// program replaces the killed one's on each interface it binds, with this process's maps: a
// VIP those maps do not know yet passes, and the node's kernel answers ARP for it. A client
// keeps such an answer for arp locktime (1 s) whatever the real master says meanwhile: the
// chaos bench saw 276 ms of unanswered pings after a kill -9 and restart this way. Every
// VIP must be dropped from the first attach on, until its instance decides.
#include <signal.h>

#include <atomic>
#include <thread>

#include "ownership_fixture.hpp"

namespace xvrrp::itest {
namespace {

class OwnershipRestart : public OwnershipFixture {
  protected:
    OwnershipRestart() : OwnershipFixture("ownrst") {}

    InstanceSpec spec(int priority) const {
        InstanceSpec s;
        s.vip = "10.77.0.100/24";
        s.priority = priority;
        return s;
    }
    // n1 also runs VI_2 on a second interface, x0, bound after eth0: its program load is the
    // time between eth0's attach and the instances' start.
    std::string n1Config() const {
        return renderConfig("n1", spec(100)) +
               "vrrp_instance VI_2 {\n  state BACKUP\n  interface x0\n  virtual_router_id 52\n"
               "  priority 100\n  advert_int 0.1\n  virtual_ipaddress {\n    10.98.0.100/32\n  }\n}\n";
    }

    const IpAddr vip_ = *IpAddr::parse("10.77.0.100");
};

TEST_F(OwnershipRestart, ARestartAfterKillMinus9NeverAnswersForALeftVip) {
    auto& n1 = lab_->node("n1");
    n1.runOk({"ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1"});
    n1.runOk({"ip", "addr", "add", "10.98.0.1/24", "dev", "x0"});
    n1.runOk({"ip", "link", "set", "x0", "up"});
    n1.runOk({"ip", "link", "set", "x1", "up"});

    n1_->start(n1Config());
    ASSERT_TRUE(waitState(*n1_, "MASTER", seconds(10))) << tail(n1_->log());
    n1_->signal(SIGKILL);
    ASSERT_TRUE(n1_->waitExit(seconds(5)));
    ASSERT_TRUE(n1_->holds(vip_)) << "kill -9 took the VIP";
    // n2 takes over once n1's heartbeat is stale and its program drops the VIP's traffic.
    n2_->start(renderConfig("n2", spec(200)));
    ASSERT_TRUE(waitState(*n2_, "MASTER", seconds(10))) << tail(n2_->log());
    ASSERT_TRUE(waitUntil(
        [&] { return wire::arpRepliers(*client_, clientIp(), vip_, Ms(100), 1).count(mac2_) == 1; },
        seconds(5)));

    // ARP requests for the VIP every ~15 ms from the client while n1 starts again.
    std::atomic<bool> stop{false};
    std::atomic<int> fromN1{0}, rounds{0};
    std::thread watch([&] {
        while (!stop) {
            if (wire::arpRepliers(*client_, clientIp(), vip_, Ms(15), 1).count(mac1_)) ++fromN1;
            ++rounds;
        }
    });
    n1_->start(n1Config());
    const bool backup = waitState(*n1_, "BACKUP", seconds(10));
    const bool gone = waitUntil([&] { return !n1_->holds(vip_); }, seconds(5));
    std::this_thread::sleep_for(Ms(300));  // a window after the VIP left: still no reply from n1
    stop = true;
    watch.join();
    ASSERT_TRUE(backup) << tail(n1_->log());
    EXPECT_TRUE(gone) << "n1 kept the VIP behind n2: " << tail(n1_->log());
    EXPECT_GT(rounds.load(), 20) << "the watch did not run";
    EXPECT_EQ(fromN1.load(), 0) << "n1 answered ARP for " << vip_.str() << " in " << fromN1.load()
                                << " of " << rounds.load() << " rounds while it started: "
                                << tail(n1_->log());
    EXPECT_TRUE(n2_->holds(vip_));
}

}  // namespace
}  // namespace xvrrp::itest
