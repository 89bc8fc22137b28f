// Failover on a cut link: the master loses carrier, the backup takes over after
// Master_Down_Interval (RFC 5798 section 6.4.2), the client's outage stays
// bounded, and on restore the higher priority node preempts back.
#include <cstdio>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

// Takeover on a loaded 2-core machine: daemon scheduling, status polling and
// netlink all add latency on top of the protocol's Master_Down_Interval.
constexpr double kSlackS = 1.0;

class Failover : public PairFixture, public ::testing::WithParamInterface<Variant> {
  protected:
    Failover() : PairFixture("fo") {}
};

TEST_P(Failover, CutLinkMovesTheVipAndRestorePreemptsBack) {
    const Variant& v = GetParam();
    const IpAddr ip = vip(v);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    ASSERT_TRUE(clientReaches(ip, seconds(5))) << "client cannot ping " << ip.str();
    // n2 may have been master for a moment at start-up if it started first.
    auto before = n2_->instance();
    ASSERT_TRUE(before.has_value());
    const int becameMaster = (*before)["counters"]["became_master"].get<int>();

    // The probe interval is a tenth of the advert interval: fine enough to see
    // an outage of a few adverts without flooding the namespaces.
    const int intervalUs = static_cast<int>(v.advertInt * 1e6 / 20);
    Prober probe(*lab_, lab_->node("client"), ip, intervalUs, 60);
    ASSERT_TRUE(probe.waitReady(seconds(5))) << "the probe got no reply from " << ip.str();

    const double mdi = masterDownInterval(100, v.advertInt);
    probe.mark();
    const auto cut = Clock::now();
    lab_->cutLink("n1");
    ASSERT_TRUE(waitState(*n2_, "MASTER", seconds(mdi + kSlackS + 2)))
        << "n2 is " << n2_->state();
    const double takeover = secondsSince(cut);
    auto after = n2_->instance().value_or(nlohmann::json::object());
    std::printf("[ %s ] takeover after cut %.3f s (Master_Down_Interval %.3f s), n2 %s\n",
                v.name.c_str(), takeover, mdi, after["counters"].dump().c_str());
    EXPECT_LT(takeover, mdi + kSlackS);
    // The last advert before the cut is at most one interval old, so the backup
    // must stay silent for at least Master_Down_Interval minus that interval.
    EXPECT_GT(takeover, mdi - 1.5 * v.advertInt) << "backup took over before its timer ran out";
    // With the carrier gone the old master must not keep its VIP (FAULT).
    EXPECT_TRUE(waitUntil([&] { return !n1_->holds(ip); }, seconds(2)));
    EXPECT_EQ(n1_->state(), "FAULT");

    ASSERT_TRUE(probe.waitResumed(seconds(mdi + kSlackS + 3)))
        << "client never reached " << ip.str() << " again";
    auto report = probe.finish();
    ASSERT_TRUE(report.has_value());
    ASSERT_TRUE((*report)["outage_ms_after_mark"].is_number()) << report->dump();
    const double outageMs = (*report)["outage_ms_after_mark"].get<double>();
    std::printf("[ %s ] client outage %.1f ms, longest gap %.1f ms\n", v.name.c_str(), outageMs,
                (*report)["gap_after_mark_ms"].get<double>());
    EXPECT_LT(outageMs, (mdi + kSlackS) * 1000) << report->dump();
    EXPECT_TRUE(clientReaches(ip, seconds(2)));
    EXPECT_TRUE(n2_->holds(ip));

    // Restore: n1 comes back as BACKUP, hears a lower priority master and preempts.
    const auto restored = Clock::now();
    lab_->restoreLink("n1");
    ASSERT_TRUE(waitState(*n1_, "MASTER", seconds(mdi + kSlackS + 5))) << "n1 is " << n1_->state();
    std::printf("[ %s ] preempted back %.3f s after restore\n", v.name.c_str(),
                secondsSince(restored));
    EXPECT_TRUE(waitState(*n2_, "BACKUP", seconds(3))) << "n2 is " << n2_->state();
    EXPECT_TRUE(waitUntil([&] { return n1_->holds(ip) && !n2_->holds(ip); }, seconds(3)));
    EXPECT_EQ(vipHolders(ip), 1);
    EXPECT_TRUE(clientReaches(ip, seconds(5)));
    auto b = n2_->instance();
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ((*b)["master"]["priority"], 150) << b->dump();
    EXPECT_EQ((*b)["counters"]["became_master"], becameMaster + 1) << b->dump();
}

INSTANTIATE_TEST_SUITE_P(Variants, Failover,
                         ::testing::Values(makeVariant("v3_ipv4_multicast", 3, Family::V4, false),
                                           makeVariant("v3_ipv4_unicast", 3, Family::V4, true),
                                           makeVariant("v2_ipv4_pass_multicast", 2, Family::V4,
                                                       false),
                                           makeVariant("v3_ipv6_multicast", 3, Family::V6, false),
                                           makeVariant("v3_ipv6_unicast", 3, Family::V6, true)),
                         variantName);

}  // namespace
}  // namespace xvrrp::itest
