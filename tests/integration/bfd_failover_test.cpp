// xvrrp_bfd_failover (docs/bfd.md): two xvrrpd nodes at VRRPv3 advert_int 1 s (the
// backup's Master_Down_Interval at priority 80 is 3.69 s) with a 10 ms x 3 BFD session
// between them. With the keyword on the backup, cutting the master's link moves the VIP as
// soon as the session expires (tens of milliseconds); without it the backup waits out its
// Master_Down_Interval. Both on one lab, so the contrast is measured on the same machine.
#include <csignal>
#include <cstdio>
#include <fstream>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

constexpr int kMasterPrio = 150;
constexpr int kBackupPrio = 80;
constexpr double kAdvertInt = 1.0;

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

class BfdFailover : public PairFixture {
  protected:
    BfdFailover() : PairFixture("bfo") {}

    // VI_1 with a bfd_instance b1 to the other node; KEYWORD adds xvrrp_bfd_failover b1.
    std::string config(const std::string& node, int prio, bool keyword) const {
        const Variant v = makeVariant("v3", 3, Family::V4, false);
        InstanceSpec s = spec(node, prio, v);
        s.advertInt = kAdvertInt;
        std::string text = renderConfig(node, s);
        const std::string peer = lab_->v4(node == "n1" ? "n2" : "n1").str();
        const std::string bfd = "bfd_instance b1 {\n  neighbor_ip " + peer +
                                "\n  min_rx 10\n  min_tx 10\n  multiplier 3\n}\n";
        const std::string head = "vrrp_instance VI_1 {\n";
        const size_t at = text.find(head);
        text.insert(at + head.size(), keyword ? "  xvrrp_bfd_failover b1\n" : "");
        text.insert(at, bfd);
        return text;
    }

    bool bfdUp(const XvrrpdNode& n) const {
        auto st = n.status();
        return st && st->contains("bfd") && (*st)["bfd"].size() == 1 &&
               (*st)["bfd"][0]["state"] == "Up";
    }

    // Waits for n1 MASTER, n2 BACKUP following n1 and the session Up on both.
    void waitElected() {
        const auto limit = seconds(masterDownInterval(kBackupPrio, kAdvertInt) + 10);
        EXPECT_TRUE(waitState(*n1_, "MASTER", limit)) << "n1 is " << n1_->state();
        EXPECT_TRUE(waitState(*n2_, "BACKUP", limit)) << "n2 is " << n2_->state();
        const std::string n1Ip = lab_->v4("n1").str();
        EXPECT_TRUE(waitUntil(
            [&] {
                auto b = n2_->instance();
                return b && (*b)["master"].is_object() && (*b)["master"]["address"] == n1Ip;
            },
            limit))
            << "n2 never heard n1";
        EXPECT_TRUE(waitUntil([&] { return bfdUp(*n1_) && bfdUp(*n2_); }, seconds(10)))
            << "the BFD session never came Up";
    }

    // Cuts n1's link and returns the seconds until n2 reports MASTER.
    double cutAndTime() {
        logAtCut_ = n2_->log().size();
        const auto cut = Clock::now();
        lab_->cutLink("n1");
        const double mdi = masterDownInterval(kBackupPrio, kAdvertInt);
        EXPECT_TRUE(waitState(*n2_, "MASTER", seconds(mdi + 3))) << "n2 is " << n2_->state();
        return secondsSince(cut);
    }

    // Starts both (the keyword on n2 or not), waits for the election, cuts and times.
    double cutAndTime(bool keyword) {
        n1_->start(config("n1", kMasterPrio, false));
        n2_->start(config("n2", kBackupPrio, keyword));
        waitElected();
        if (::testing::Test::HasFailure()) return -1;
        return cutAndTime();
    }

    // Rewrites n2's configuration and reloads it (SIGHUP); waits until its status shows
    // the keyword as given.
    void reloadN2(bool keyword) {
        std::ofstream(n2_->configPath()) << config("n2", kBackupPrio, keyword);
        n2_->signal(SIGHUP);
        EXPECT_TRUE(waitUntil(
            [&] {
                auto b = n2_->instance();
                return b && b->contains("bfd_failover") &&
                       (*b)["bfd_failover"].is_null() != keyword;
            },
            seconds(10)))
            << "the reload never showed the keyword " << (keyword ? "added" : "removed");
    }

    // n2's log since the cut.
    std::string logSinceCut() const { return n2_->log().substr(logAtCut_); }

    size_t logAtCut_ = 0;
};

TEST_F(BfdFailover, TheBackupTakesOverWhenTheSessionToItsMasterExpires) {
    const double t = cutAndTime(true);
    ASSERT_FALSE(HasFailure());
    const double mdi = masterDownInterval(kBackupPrio, kAdvertInt);
    std::printf("[ bfd_failover ] takeover after cut %.3f s (Master_Down_Interval %.3f s)\n", t,
                mdi);
    // 30 ms of detection; the rest is status polling on a loaded machine, not the protocol.
    // An advert that came after BFD's last packet (1 in 100 cuts at 1 s against 10 ms) holds
    // the takeover until 1.25 advert intervals after it: at most 1.25 s after the cut.
    EXPECT_LT(t, 1.6);
    const std::string log = logSinceCut();
    const std::string line =
        "(VI_1) BFD b1 to " + lab_->v4("n1").str() + " down: master lost, taking over";
    EXPECT_EQ(count(log, line), 1u) << tail(log);
    EXPECT_EQ(count(log, "(VI_1) Entering MASTER STATE"), 1u) << tail(log);
    // Not by the advert timeout.
    EXPECT_EQ(count(log, "(VI_1) Receive advertisement timeout"), 0u) << tail(log);
    // The BFD line comes first, then keepalived's.
    EXPECT_LT(log.find(line), log.find("(VI_1) Entering MASTER STATE"));
    auto b = n2_->instance();
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ((*b)["bfd_failover"]["bfd"], "b1") << b->dump();
    EXPECT_EQ((*b)["bfd_failover"]["peer_lost"], 1) << b->dump();
    EXPECT_TRUE(n2_->holds(vip(makeVariant("v3", 3, Family::V4, false))));
}

TEST_F(BfdFailover, WithoutTheKeywordTheBackupWaitsForMasterDownInterval) {
    const double t = cutAndTime(false);
    ASSERT_FALSE(HasFailure());
    const double mdi = masterDownInterval(kBackupPrio, kAdvertInt);
    std::printf("[ bfd_failover ] plain takeover after cut %.3f s (Master_Down_Interval %.3f s)\n",
                t, mdi);
    // The last advert before the cut is at most one interval old.
    EXPECT_GT(t, mdi - kAdvertInt - 0.05);
    const std::string log = logSinceCut();
    EXPECT_EQ(count(log, "master lost, taking over"), 0u) << tail(log);
    EXPECT_EQ(count(log, "(VI_1) Receive advertisement timeout"), 1u) << tail(log);
    auto b = n2_->instance();
    ASSERT_TRUE(b.has_value());
    EXPECT_TRUE((*b)["bfd_failover"].is_null()) << b->dump();
}

}  // namespace
}  // namespace xvrrp::itest

namespace xvrrp::itest {
namespace {

// SIGHUP adds the keyword (the next cut takes over at once) and removes it again (the next
// one waits out Master_Down_Interval), with no restart of either daemon.
TEST_F(BfdFailover, AReloadAddsAndRemovesTheKeyword) {
    n1_->start(config("n1", kMasterPrio, false));
    n2_->start(config("n2", kBackupPrio, false));
    waitElected();
    ASSERT_FALSE(HasFailure());
    reloadN2(true);
    ASSERT_FALSE(HasFailure());
    const double fast = cutAndTime();
    std::printf("[ bfd_failover ] added by reload: takeover after cut %.3f s\n", fast);
    EXPECT_LT(fast, 1.6);  // as above
    EXPECT_EQ(count(logSinceCut(), "master lost, taking over"), 1u) << tail(n2_->log());

    lab_->restoreLink("n1");  // n1 (150) preempts back
    waitElected();
    ASSERT_FALSE(HasFailure());
    reloadN2(false);
    ASSERT_FALSE(HasFailure());
    const double slow = cutAndTime();
    const double mdi = masterDownInterval(kBackupPrio, kAdvertInt);
    std::printf("[ bfd_failover ] removed by reload: takeover after cut %.3f s\n", slow);
    EXPECT_GT(slow, mdi - kAdvertInt - 0.05);
    EXPECT_EQ(count(logSinceCut(), "master lost, taking over"), 0u) << tail(n2_->log());
}

}  // namespace
}  // namespace xvrrp::itest

namespace xvrrp::itest {
namespace {

// Only an expiry is the master lost. Here the master stops hearing the backup's BFD (n2
// drops UDP 3784 going out; an input rule on n1 would come after n1's XDP, which absorbs the
// repeats first): n1's session expires, it tells n2 so (state Down), and n2's session goes
// Down by Neighbor Signaled Session Down while n1's adverts keep coming: n2 stays BACKUP.
TEST_F(BfdFailover, ADownTheMasterSignalsIsNotTheMasterLost) {
    n1_->start(config("n1", kMasterPrio, false));
    n2_->start(config("n2", kBackupPrio, true));
    waitElected();
    ASSERT_FALSE(HasFailure());
    logAtCut_ = n2_->log().size();
    n2_->ns().runOk({"nft", "add table inet xvbfo"});
    n2_->ns().runOk({"nft", "add chain inet xvbfo out { type filter hook output priority 0; }"});
    n2_->ns().runOk({"nft", "add rule inet xvbfo out udp dport 3784 drop"});
    ASSERT_TRUE(waitUntil(
        [&] { return count(logSinceCut(), "Neighbor Signaled Session Down") > 0; }, seconds(5)))
        << tail(n2_->log());
    // Longer than the 30 ms Detection Time by far, shorter than Master_Down_Interval.
    EXPECT_TRUE(holdsFor([&] { return n2_->state() == "BACKUP"; }, seconds(1)))
        << "n2 is " << n2_->state();
    EXPECT_EQ(count(logSinceCut(), "master lost, taking over"), 0u) << tail(n2_->log());
    auto b = n2_->instance();
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ((*b)["bfd_failover"]["peer_lost"], 0) << b->dump();
}

}  // namespace
}  // namespace xvrrp::itest
