// Seed s000: two sites over a tunnel, unicast VRRP, nopreempt, two health scripts at
// weight -200 (fall 2, rise 1) and notify scripts; enable_script_security with
// script_user root. Site A says state MASTER, which clears its nopreempt (keepalived:
// "nopreempt will not work with initial state MASTER"); site B keeps nopreempt.
#include <csignal>

#include "seed_fixture.hpp"

namespace xvrrp::itest {
namespace {

class SeedS000 : public SeedFixture {
  protected:
    SeedS000() : SeedFixture("s000") {}

    // wg0 -> the lab's eth0, 10.0.0.0/24 -> the lab's 10.77.0.0/24 (the VIP first: the
    // node addresses are prefixes of it).
    std::string config(const std::string& node, const std::string& file) const {
        const std::string s = "/www/server/keepalived/scripts/";
        return rewrite(seed(file), {{"wg0", "eth0"},
                                    {"10.0.0.100/32", "10.77.0.100/32"},
                                    {"10.0.0.1", "10.77.0.1"},
                                    {"10.0.0.2", "10.77.0.2"},
                                    {s + "chk_wireguard.py", check(node, "chk_wg")},
                                    {s + "chk_network.py", check(node, "chk_network")},
                                    {s + "notify_backup.py", notify(node, "state", "backup")},
                                    {s + "notify_master.py", notify(node, "state", "master")},
                                    {s + "notify.sh", notify(node, "notify", "")}});
    }
};

TEST_F(SeedS000, NopreemptBackupKeepsAFailingMasterKillMovesTheVipAndSiteATakesItBack) {
    const IpAddr vip = *IpAddr::parse("10.77.0.100");
    const auto t = std::chrono::seconds(15);  // advert_int 2: Master_Down_Interval ~7.3 s
    // Site A first, site B once A is master: started together, both wait a full
    // Master_Down_Interval (7.22 s against 7.30 s), so a start of A slower by 80 ms than
    // B's (a loaded host) made B master for a moment - keepalived races the same way.
    n1_->start(config("n1", "s000-site-a-master.conf"));
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "MASTER", t)) << stateOf(*n1_, "VI_1");
    n2_->start(config("n2", "s000-site-b-backup.conf"));
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "BACKUP", t)) << stateOf(*n2_, "VI_1");
    ASSERT_TRUE(waitHolder(vip, "n1", t)) << holder(vip);
    // keepalived: a non-owner enters BACKUP (init) first, "state MASTER" or not.
    EXPECT_TRUE(waitLog(notifyLog("n1", "state"), {"backup", "master"}))
        << joined(logLines(notifyLog("n1", "state")));
    EXPECT_TRUE(waitLog(notifyLog("n1", "notify"), {"INSTANCE VI_1 BACKUP 100", "INSTANCE VI_1 MASTER 100"}))
        << joined(logLines(notifyLog("n1", "notify")));
    EXPECT_TRUE(waitLog(notifyLog("n2", "state"), {"backup"})) << joined(logLines(notifyLog("n2", "state")));
    EXPECT_TRUE(waitLog(notifyLog("n2", "notify"), {"INSTANCE VI_1 BACKUP 90"}))
        << joined(logLines(notifyLog("n2", "notify")));

    // chk_wg fails twice on site A: 100 - 200 clamps to 1. Site B is nopreempt, so it
    // does not take over from a lower-priority master (keepalived vrrp_state_backup).
    setFlag("n1", "chk_wg", true);
    ASSERT_TRUE(waitUntil([&] { return effective(*n1_, "VI_1") == 1; }, t)) << effective(*n1_, "VI_1");
    EXPECT_TRUE(holdsFor([&] { return holder(vip) == "n1" && stateOf(*n2_, "VI_1") == "BACKUP"; },
                         std::chrono::seconds(9), Ms(200)))
        << holder(vip) << " " << stateOf(*n2_, "VI_1");
    // Recovers after one good run (rise 1).
    setFlag("n1", "chk_wg", false);
    ASSERT_TRUE(waitUntil([&] { return effective(*n1_, "VI_1") == 100; }, t)) << effective(*n1_, "VI_1");
    EXPECT_EQ(stateOf(*n1_, "VI_1"), "MASTER");

    // Site A dies: site B takes over after Master_Down_Interval and says so.
    n1_->signal(SIGKILL);
    ASSERT_TRUE(n1_->waitExit(t).has_value());
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "MASTER", t)) << stateOf(*n2_, "VI_1");
    EXPECT_TRUE(lab::hasAddress(n2_->ns(), "eth0", vip));
    EXPECT_TRUE(waitLog(notifyLog("n2", "state"), {"backup", "master"}))
        << joined(logLines(notifyLog("n2", "state")));
    EXPECT_TRUE(waitLog(notifyLog("n2", "notify"), {"INSTANCE VI_1 BACKUP 90", "INSTANCE VI_1 MASTER 90"}))
        << joined(logLines(notifyLog("n2", "notify")));

    // Site A comes back: its nopreempt was cleared, 100 > 90, so it takes the VIP back.
    n1_->start(config("n1", "s000-site-a-master.conf"));
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "MASTER", t)) << stateOf(*n1_, "VI_1");
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "BACKUP", t)) << stateOf(*n2_, "VI_1");
    EXPECT_TRUE(waitHolder(vip, "n1", t)) << holder(vip);
    EXPECT_TRUE(waitLog(notifyLog("n2", "state"), {"backup", "master", "backup"}))
        << joined(logLines(notifyLog("n2", "state")));
    EXPECT_TRUE(waitLog(notifyLog("n2", "notify"),
                        {"INSTANCE VI_1 BACKUP 90", "INSTANCE VI_1 MASTER 90", "INSTANCE VI_1 BACKUP 90"}))
        << joined(logLines(notifyLog("n2", "notify")));
    EXPECT_TRUE(clientReaches(vip, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace xvrrp::itest
