// Issue 3, acceptance 2: the dead-man switch. xvrrpd writes a heartbeat every
// loop turn; when it is older than the instance's Master_Down_Interval the XDP
// program drops the VIP's traffic (vip_stale). So after `kill -9` or SIGSTOP of
// the master's daemon its VIP stops answering (the address and the XDP program
// stay behind) by the time the backup takes over and serves the client.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>

#include "ownership_fixture.hpp"

namespace xvrrp::itest {
namespace {

// Scheduling, netlink and status polling on a loaded 2-core machine.
constexpr double kSlackS = 0.5;

class OwnershipDeadman : public OwnershipFixture {
  protected:
    OwnershipDeadman() : OwnershipFixture("od") {}

    Variant variant() const {
        Variant v = makeVariant("v3_ipv4_multicast", 3, Family::V4, false);
        v.advertInt = 0.5;
        return v;
    }

    struct Outcome {
        double silentAfter = -1;  // s from the signal to n1's VIP going quiet
        double takeover = -1;     // s from the signal to n2 MASTER
    };

    // Elects n1, stops its daemon with `sig`, and checks that n1's VIP goes
    // quiet within n1's Master_Down_Interval + slack and that n2 serves.
    void stopMaster(int sig, Outcome& out) {
        const Variant v = variant();
        const IpAddr ip = vip(v);
        const double mdi1 = masterDownInterval(150, v.advertInt);  // n1's max_age_ns
        const double mdi2 = masterDownInterval(100, v.advertInt);
        ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
        ASSERT_TRUE(clientReaches(ip, seconds(5)));

        wire::EchoWatch watch(lab_->node("client"), mac1_, clientIp(), ip, Ms(10));
        const auto ready = Clock::now();
        ASSERT_TRUE(waitUntil([&] { return watch.answeredSince(ready); }, seconds(3)));

        const auto t0 = Clock::now();
        n1_->signal(sig);
        ASSERT_TRUE(waitState(*n2_, "MASTER", seconds(mdi2 + kSlackS + 2)))
            << "n2 is " << n2_->state();
        out.takeover = secondsSince(t0);
        // Quiet: nothing answered for 300 ms (30 echoes).
        ASSERT_TRUE(waitUntil(
            [&] {
                auto last = watch.lastAnswered();
                return last && Clock::now() - *last > Ms(300);
            },
            seconds(mdi1 + kSlackS + 2)))
            << "n1 still answers for " << ip.str();
        watch.stop();
        out.silentAfter = std::chrono::duration<double>(*watch.lastAnswered() - t0).count() + 0.010;
        std::printf(
            "[ %s ] n1's VIP silent %.3f s after the signal (n1 Master_Down_Interval "
            "%.3f s), n2 MASTER after %.3f s (its MDI %.3f s)\n",
            sig == SIGKILL ? "kill -9" : "SIGSTOP", out.silentAfter, mdi1, out.takeover, mdi2);
        EXPECT_LT(out.silentAfter, mdi1 + kSlackS);
        // The heartbeat was fresh when the signal came, so it is the switch, not something else.
        EXPECT_GT(out.silentAfter, mdi1 - v.advertInt - 0.05);
        EXPECT_LT(out.takeover, mdi2 + kSlackS + 0.5);

        // n1 still has the address and its XDP program, yet answers neither ARP nor echo.
        EXPECT_TRUE(n1_->holds(ip)) << "n1 lost the VIP address";
        EXPECT_TRUE(n1_->xdpAttached());
        const uint64_t staleBefore = stat(*n1_, "vip_stale");
        EXPECT_FALSE(wire::echoAnswered(*client_, mac1_, clientIp(), ip, Ms(300)));
        const auto who = wire::arpRepliers(*client_, clientIp(), ip, Ms(600), 2);
        EXPECT_EQ(who.count(mac1_), 0u) << "n1 answered ARP for " << ip.str();
        EXPECT_EQ(who.count(mac2_), 1u) << "n2 did not answer ARP for " << ip.str();
        const uint64_t stale = stat(*n1_, "vip_stale") - staleBefore;
        EXPECT_GE(stale, 3u) << "the drops are not counted as vip_stale: " << xvStats(*n1_).dump();

        // The backup serves the client.
        EXPECT_TRUE(clientReaches(ip, seconds(3)));
        EXPECT_TRUE(waitUntil([&] { return wire::neighbourMac(lab_->node("client"), ip) == mac2_; },
                              seconds(3)));
        EXPECT_TRUE(n2_->holds(ip));
    }
};

TEST_F(OwnershipDeadman, KillMinus9SilencesTheVipAndTheBackupServes) {
    Outcome o;
    ASSERT_NO_FATAL_FAILURE(stopMaster(SIGKILL, o));
    auto st = n1_->waitExit(seconds(3));
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(WIFSIGNALED(*st) && WTERMSIG(*st) == SIGKILL) << "wait status " << *st;
}

TEST_F(OwnershipDeadman, SigstopSilencesTheVipAndSigcontRecoversToOneMaster) {
    Outcome o;
    ASSERT_NO_FATAL_FAILURE(stopMaster(SIGSTOP, o));
    const IpAddr ip = vip(variant());
    auto before = n2_->instance();
    ASSERT_TRUE(before.has_value());

    // SIGCONT: n1 still believes it is master with priority 150, so it advertises,
    // n2 (100) steps down (RFC 5798 section 6.4.2), and n1 answers again.
    const auto t1 = Clock::now();
    n1_->signal(SIGCONT);
    ASSERT_TRUE(
        waitUntil([&] { return n1_->state() == "MASTER" && n2_->state() == "BACKUP"; }, seconds(5)))
        << "n1 " << n1_->state() << ", n2 " << n2_->state();
    const double settled = secondsSince(t1);
    EXPECT_TRUE(waitUntil([&] { return vipHolders(ip) == 1 && n1_->holds(ip); }, seconds(3)));
    // Stable for a few adverts: no flapping after the pause.
    EXPECT_TRUE(holdsFor([&] { return n1_->state() == "MASTER" && n2_->state() == "BACKUP"; },
                         seconds(2), Ms(100)));
    EXPECT_TRUE(waitUntil(
        [&] { return wire::echoAnswered(*client_, mac1_, clientIp(), ip, Ms(200)); }, seconds(3)))
        << "n1 does not answer for its VIP after SIGCONT";
    EXPECT_FALSE(wire::echoAnswered(*client_, mac2_, clientIp(), ip, Ms(300)))
        << "n2 still answers for the VIP after stepping down";
    auto i1 = n1_->instance().value_or(nlohmann::json::object());
    auto i2 = n2_->instance().value_or(nlohmann::json::object());
    std::printf(
        "[ SIGCONT ] one master (n1) %.3f s after SIGCONT; n1 counters %s; n2 "
        "became_master %d -> %d, released_master %d\n",
        settled, i1["counters"].dump().c_str(), (*before)["counters"].value("became_master", -1),
        i2["counters"].value("became_master", -1), i2["counters"].value("released_master", -1));
    EXPECT_EQ(i1.value("fenced", true), false);
}

}  // namespace
}  // namespace xvrrp::itest
