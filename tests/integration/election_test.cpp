// Election between two xvrrpd nodes in every protocol variant: the higher
// priority wins (RFC 5798 section 6.4.2), one node holds the VIP, the client
// reaches it, and the backup's status names the master.
#include <algorithm>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

class Election : public PairFixture, public ::testing::WithParamInterface<Variant> {
  protected:
    Election() : PairFixture("el") {}
};

TEST_P(Election, HigherPriorityBecomesMasterAndServesTheVip) {
    const Variant& v = GetParam();
    const IpAddr ip = vip(v);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));

    EXPECT_TRUE(waitUntil([&] { return n1_->holds(ip); }, seconds(2)));
    // Stable: over a few Master_Down_Intervals (at least 2 s) the backup never takes over.
    const double window = std::max(2.0, 2 * masterDownInterval(100, v.advertInt));
    EXPECT_TRUE(holdsFor([&] { return n2_->state() == "BACKUP"; }, seconds(window)))
        << "n2 left BACKUP: " << n2_->state();
    EXPECT_FALSE(n2_->holds(ip));
    EXPECT_EQ(vipHolders(ip), 1);
    EXPECT_TRUE(clientReaches(ip, seconds(5))) << "client cannot ping " << ip.str();

    auto master = n1_->instance();
    auto backup = n2_->instance();
    ASSERT_TRUE(master && backup);
    EXPECT_EQ((*master)["version"], v.version);
    EXPECT_EQ((*master)["mode"], v.unicast ? "unicast" : "multicast");
    EXPECT_TRUE((*master)["vips_installed"].get<bool>());
    EXPECT_FALSE((*backup)["vips_installed"].get<bool>());
    // The master's advert source: its primary v4 address, or its link-local for
    // IPv6 multicast (RFC 5798 section 5.1.2.1); a unicast source is configured.
    ASSERT_TRUE((*master)["source"].is_string());
    if (v.family == Family::V4 || v.unicast) {
        EXPECT_EQ((*master)["source"], addrOf("n1", v).str());
    }
    ASSERT_TRUE((*backup)["master"].is_object()) << backup->dump();
    EXPECT_EQ((*backup)["master"]["address"], (*master)["source"]);
    EXPECT_EQ((*backup)["master"]["priority"], 150);
    EXPECT_EQ((*backup)["priority"]["effective"], 100);
    // The backup keeps hearing adverts: age stays within a few intervals.
    EXPECT_TRUE(waitUntil(
        [&] {
            auto b = n2_->instance();
            return b && (*b)["last_advert"].is_object() &&
                   (*b)["last_advert"]["age_ms"].get<double>() < 3 * v.advertInt * 1000 &&
                   (*b)["counters"]["adverts_rx"].get<int>() >= 2;
        },
        seconds(3)))
        << n2_->instance().value_or(nlohmann::json()).dump();
    EXPECT_EQ((*backup)["counters"]["adverts_rejected"], 0) << backup->dump();
    EXPECT_TRUE(n1_->xdpAttached());
    EXPECT_TRUE(n2_->xdpAttached());
}

// The same election seen from a lower priority node started first: once the
// higher priority node arrives it preempts (default preempt), and the VIP moves.
TEST_P(Election, LaterHigherPriorityNodePreempts) {
    const Variant& v = GetParam();
    const IpAddr ip = vip(v);
    n2_->start(renderConfig("n2", spec("n2", 100, v)));
    ASSERT_TRUE(waitState(*n2_, "MASTER", electionLimit(v, 100))) << n2_->state();
    ASSERT_TRUE(waitUntil([&] { return n2_->holds(ip); }, seconds(2)));
    n1_->start(renderConfig("n1", spec("n1", 150, v)));
    ASSERT_TRUE(waitState(*n1_, "MASTER", electionLimit(v, 150))) << n1_->state();
    EXPECT_TRUE(waitState(*n2_, "BACKUP", seconds(3))) << n2_->state();
    EXPECT_TRUE(waitUntil([&] { return vipHolders(ip) == 1 && n1_->holds(ip); }, seconds(3)));
    EXPECT_TRUE(clientReaches(ip, seconds(5)));
}

INSTANTIATE_TEST_SUITE_P(
    Variants, Election,
    ::testing::Values(makeVariant("v3_ipv4_multicast", 3, Family::V4, false),
                      makeVariant("v3_ipv4_unicast", 3, Family::V4, true),
                      makeVariant("v2_ipv4_pass_multicast", 2, Family::V4, false),
                      makeVariant("v2_ipv4_pass_unicast", 2, Family::V4, true),
                      makeVariant("v3_ipv6_multicast", 3, Family::V6, false),
                      makeVariant("v3_ipv6_unicast", 3, Family::V6, true)),
    variantName);

}  // namespace
}  // namespace xvrrp::itest
