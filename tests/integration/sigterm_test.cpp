// SIGTERM on the master: it sends a priority-0 advert (RFC 5798 section 6.4.3),
// so the backup takes over after Skew_Time instead of Master_Down_Interval,
// and the stopped daemon leaves nothing behind: no VIP, no XDP, no pins.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

class Sigterm : public PairFixture {
  protected:
    Sigterm() : PairFixture("st") {}
};

TEST_F(Sigterm, BackupTakesOverAfterSkewTimeAndTheMasterCleansUp) {
    // advert_int 1 s keeps the two bounds far apart: for the backup's priority 100,
    // Skew_Time 0.609 s against Master_Down_Interval 3.609 s.
    Variant v = makeVariant("v3_ipv4_multicast_1s", 3, Family::V4, false);
    v.advertInt = 1;
    const IpAddr ip = vip(v);
    const double skew = skewTime(100, v.advertInt);
    const double mdi = masterDownInterval(100, v.advertInt);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    ASSERT_TRUE(clientReaches(ip, seconds(5)));
    ASSERT_TRUE(n1_->xdpAttached());
    ASSERT_FALSE(n1_->pinnedEntries().empty()) << "no maps pinned under " << n1_->pinRoot();

    Prober probe(*lab_, lab_->node("client"), ip, 2000, 60);
    ASSERT_TRUE(probe.waitReady(seconds(5)));

    probe.mark();
    const auto t0 = Clock::now();
    n1_->signal(SIGTERM);
    ASSERT_TRUE(waitState(*n2_, "MASTER", seconds(mdi + 3))) << "n2 is " << n2_->state();
    const double takeover = secondsSince(t0);
    std::printf("[ sigterm ] takeover %.3f s after SIGTERM (Skew_Time %.3f s, "
                "Master_Down_Interval %.3f s)\n",
                takeover, skew, mdi);
    // Not before Skew_Time (minus the status poll's granularity), well before MDI.
    EXPECT_GT(takeover, skew - 0.05);
    EXPECT_LT(takeover, skew + 0.6);
    EXPECT_LT(takeover, mdi / 2);

    ASSERT_TRUE(probe.waitResumed(seconds(5)));
    auto report = probe.finish();
    ASSERT_TRUE(report && (*report)["outage_ms_after_mark"].is_number())
        << (report ? report->dump() : "no report");
    const double outageMs = (*report)["outage_ms_after_mark"].get<double>();
    std::printf("[ sigterm ] client outage %.1f ms, longest gap %.1f ms\n", outageMs,
                (*report)["gap_after_mark_ms"].get<double>());
    EXPECT_LT(outageMs, (skew + 0.6) * 1000) << report->dump();

    auto st = n1_->waitExit(seconds(5));
    ASSERT_TRUE(st.has_value()) << "xvrrpd on n1 did not exit on SIGTERM";
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << "wait status " << *st;
    EXPECT_FALSE(n1_->holds(ip));
    EXPECT_FALSE(n1_->xdpAttached()) << n1_->ns().run({"ip", "-d", "link", "show", "eth0"}).out;
    // Every pin goes, except xv_fence: it outlives xvrrpd by design so an arbiter's
    // fence survives a restart (userspace/dataplane/dataplane.cpp, "never unpinned").
    std::string left;
    for (const auto& e : n1_->pinnedEntries())
        if (e != "xv_fence") left += e + " ";
    EXPECT_EQ(left, "") << "left under " << n1_->pinRoot();
    EXPECT_EQ(vipHolders(ip), 1);
    EXPECT_TRUE(clientReaches(ip, seconds(3)));

    auto b = n2_->instance();
    ASSERT_TRUE(b.has_value());
    EXPECT_GE((*b)["counters"]["priority_zero_rx"].get<int>(), 1) << b->dump();
    EXPECT_TRUE((*b)["vips_installed"].get<bool>());
}

}  // namespace
}  // namespace xvrrp::itest
