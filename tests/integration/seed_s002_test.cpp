// Seeds s002: ka-1's unicast pair with a "[ -f down ]" check at weight -30 and notify
// scripts, and the preempt_delay / nopreempt pair. The seeds are ka-1's files; ka-2 is
// the same text with the lower priority (and, for unicast, source and peer swapped).
#include <csignal>

#include "seed_fixture.hpp"

namespace xvrrp::itest {
namespace {

class SeedS002 : public SeedFixture {
  protected:
    SeedS002() : SeedFixture("s002") {}

    std::string unicastNotify(const std::string& node) const {
        const bool one = node == "n1";
        Subs subs = {{"ens33", "eth0"},
                     {"192.168.159.200", "10.77.0.100"},
                     {"192.168.159.103", one ? "10.77.0.1" : "10.77.0.2"},
                     {"192.168.159.104", one ? "10.77.0.2" : "10.77.0.1"},
                     {"/etc/keepalived/down", flag(node, "down")},
                     {"/etc/keepalived/notify.sh", notify(node, "state", "")}};
        if (!one) subs.insert(subs.begin(), {{"state MASTER", "state BACKUP"}, {"priority 100", "priority 90"}});
        return rewrite(seed("s002-ka1-unicast-notify.conf"), subs);
    }

    std::string preemptDelay(const std::string& node) const {
        Subs subs = {{"ens33", "eth0"}, {"192.168.159.200", "10.77.0.100"}, {"192.168.159.201", "10.77.0.101"}};
        if (node != "n1") subs.push_back({"priority 100", "priority 90"});
        return rewrite(seed("s002-preempt-delay.conf"), subs);
    }
};

// check_down succeeds while the down file exists, so without it both nodes lose 30:
// ka-1 70, ka-2 60. The file on ka-2 (rise 2) makes it 90 and it preempts.
TEST_F(SeedS002, UnicastNotifyCheckMovesTheVipAndNotifiesInOrder) {
    const IpAddr vip = *IpAddr::parse("10.77.0.100");
    const auto t = std::chrono::seconds(12);
    const std::string log1 = notifyLog("n1", "state"), log2 = notifyLog("n2", "state");
    // ka-1 (state MASTER, 100) and ka-2 (90) both wait a full Master_Down_Interval (3.61 s
    // and 3.65 s) before claiming: ka-2 starts once ka-1's timer runs, or a slower start of
    // ka-1 on a loaded machine lets ka-2 claim first.
    n1_->start(unicastNotify("n1"));
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "MASTER", t)) << stateOf(*n1_, "VI_1");
    // The second node once the first is master: started together, a first start slower by
    // a few tens of ms (a loaded host) lets the second's Master_Down_Interval end first.
    n2_->start(unicastNotify("n2"));
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "BACKUP", t)) << stateOf(*n2_, "VI_1");
    EXPECT_TRUE(waitHolder(vip, "n1", t, "eth0")) << holder(vip);
    EXPECT_EQ(effective(*n1_, "VI_1"), 70);
    EXPECT_EQ(effective(*n2_, "VI_1"), 60);
    EXPECT_TRUE(waitLog(log1, {"backup", "master"})) << joined(logLines(log1));
    EXPECT_TRUE(waitLog(log2, {"backup"})) << joined(logLines(log2));

    setFlag("n2", "down", true);
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "MASTER", t)) << stateOf(*n2_, "VI_1") << " " << effective(*n2_, "VI_1");
    EXPECT_EQ(effective(*n2_, "VI_1"), 90);
    EXPECT_TRUE(waitInst(*n1_, "VI_1", "BACKUP", t)) << stateOf(*n1_, "VI_1");
    EXPECT_TRUE(waitHolder(vip, "n2", t)) << holder(vip);

    // Removed: three failures (fall 3) bring ka-2 back to 60; ka-1 (70) preempts.
    setFlag("n2", "down", false);
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "MASTER", t)) << stateOf(*n1_, "VI_1");
    EXPECT_TRUE(waitInst(*n2_, "VI_1", "BACKUP", t)) << stateOf(*n2_, "VI_1");
    EXPECT_TRUE(waitHolder(vip, "n1", t)) << holder(vip);

    // ka-1's link goes down: FAULT there (notify_fault), ka-2 takes over; back up, ka-1
    // leaves FAULT through BACKUP and preempts again.
    lab_->cutLink("n1");
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "FAULT", t)) << stateOf(*n1_, "VI_1");
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "MASTER", t)) << stateOf(*n2_, "VI_1");
    EXPECT_TRUE(waitHolder(vip, "n2", t)) << holder(vip);
    lab_->restoreLink("n1");
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "MASTER", t)) << stateOf(*n1_, "VI_1");
    EXPECT_TRUE(waitHolder(vip, "n1", t)) << holder(vip);

    EXPECT_TRUE(waitLog(log1, {"backup", "master", "backup", "master", "fault", "backup", "master"}))
        << joined(logLines(log1));
    EXPECT_TRUE(waitLog(log2, {"backup", "master", "backup", "master", "backup"})) << joined(logLines(log2));
}

// ka-2 is master of both; ka-1 (100) arrives. VI_2 is nopreempt: ka-2 keeps it. VI_1 has
// preempt_delay 60: ka-1 waits 60 s from the first lower-priority advert, then preempts.
TEST_F(SeedS002, PreemptDelayWaitsAndNopreemptNeverTakesOver) {
    const IpAddr vip1 = *IpAddr::parse("10.77.0.100"), vip2 = *IpAddr::parse("10.77.0.101");
    const auto t = std::chrono::seconds(10);
    n2_->start(preemptDelay("n2"));
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "MASTER", t)) << stateOf(*n2_, "VI_1");
    ASSERT_TRUE(waitInst(*n2_, "VI_2", "MASTER", t)) << stateOf(*n2_, "VI_2");
    n1_->start(preemptDelay("n1"));
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "BACKUP", t)) << stateOf(*n1_, "VI_1");
    const auto t0 = Clock::now();
    ASSERT_TRUE(waitInst(*n1_, "VI_2", "BACKUP", t)) << stateOf(*n1_, "VI_2");
    // Most of the delay: nothing moves.
    EXPECT_TRUE(holdsFor([&] { return holder(vip1) == "n2" && holder(vip2) == "n2"; },
                         std::chrono::seconds(50), Ms(250)))
        << holder(vip1) << " " << holder(vip2) << " after " << secondsSince(t0) << " s";
    ASSERT_TRUE(waitHolder(vip1, "n1", std::chrono::seconds(20))) << holder(vip1);
    const double took = secondsSince(t0);
    EXPECT_GE(took, 58.0);
    EXPECT_LE(took, 66.0);
    EXPECT_EQ(stateOf(*n1_, "VI_1"), "MASTER");
    EXPECT_EQ(holder(vip2), "n2") << "nopreempt VI_2 moved";
    EXPECT_EQ(stateOf(*n1_, "VI_2"), "BACKUP");
}

}  // namespace
}  // namespace xvrrp::itest
