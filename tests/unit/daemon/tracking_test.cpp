// Tracking::evaluate in a sync group: keepalived 2.2.7 ignores the weights of a member's
// tracked scripts and files (they would move one member alone) but keeps a tracked
// process's (measured: "Changing effective priority from 100 to 105" for a member tracking
// a running process of weight 5, no "ignoring" line) and, though it logs "(VI_1) ignoring
// eth1 tracked interface weight due to SYNC group", a tracked interface's (measured,
// differential sync_group_interface_weight: eth1 weight -60 down, 150 -> 90).
#include <gtest/gtest.h>

#include "daemon/tracking.hpp"
#include "fakes.hpp"

namespace xvrrp::daemon {
namespace {

// This test's own process, found by its comm like any tracked process.
const char* const kSelf = "test_daemon";

config::Config groupConfig(const std::string& group_extra) {
    return load(std::string("vrrp_track_process self {\n process ") + kSelf +
                            "\n weight 5\n}\n"
                            "vrrp_sync_group G {\n group {\n  A\n  B\n }\n" + group_extra + "}\n"
                            "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priority 100\n"
                            " track_process {\n  self\n }\n track_interface {\n  eth1 weight 20\n }\n}\n"
                            "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n priority 100\n}\n");
}

TEST(Tracking, InASyncGroupAProcessAndAnInterfaceKeepTheirWeights) {
    const config::Config cfg = groupConfig("");
    Tracking t(cfg, [] {});
    auto p = t.evaluate(*cfg.findInstance("A"), [](const std::string&) { return true; });
    EXPECT_EQ(p.priority, 125);
    auto down = t.evaluate(*cfg.findInstance("A"), [](const std::string& n) { return n != "eth1"; });
    EXPECT_EQ(down.priority, 105);
    EXPECT_FALSE(p.fault);
}

TEST(Tracking, SyncGroupTrackingWeightCountsEveryWeight) {
    const config::Config cfg = groupConfig(" sync_group_tracking_weight\n");
    Tracking t(cfg, [] {});
    auto p = t.evaluate(*cfg.findInstance("A"), [](const std::string&) { return true; });
    EXPECT_EQ(p.priority, 125);
}

}  // namespace
}  // namespace xvrrp::daemon

namespace xvrrp::daemon {

// track_bfd, keepalived 2.2.7 (measured in a namespace): a tracked BFD starts down, so a
// negative weight counts from the start ("(VI_1) Changing effective priority from 150 to 90"
// before "Startup complete") and a weight-0 one is a FAULT until the session is Up.
namespace {

config::Config bfdTracked(const std::string& refs, const std::string& group = "") {
    return load("bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\n"
                "bfd_instance b2 {\n neighbor_ip 10.0.0.3\n weight 20\n}\n" + group +
                "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priority 150\n"
                " track_bfd {\n" + refs + " }\n}\n");
}

auto upSet(std::set<std::string> up) {
    return [up](const std::string& n) { return up.contains(n); };
}

const auto kLinksUp = [](const std::string&) { return true; };

}  // namespace

TEST(TrackingBfd, NegativeWeightCountsWhileDownPositiveOnlyWhileUp) {
    const auto cfg = bfdTracked("  b1 weight -60\n  b2\n");
    Tracking t(cfg, [] {});
    const auto& a = *cfg.findInstance("A");
    EXPECT_EQ(t.evaluate(a, kLinksUp).priority, 90);  // no sessions known: all down
    EXPECT_EQ(t.evaluate(a, kLinksUp, upSet({})).priority, 90);
    EXPECT_EQ(t.evaluate(a, kLinksUp, upSet({"b1"})).priority, 150);
    EXPECT_EQ(t.evaluate(a, kLinksUp, upSet({"b1", "b2"})).priority, 170);  // b2's own weight
    auto ep = t.evaluate(a, kLinksUp, upSet({"b2"}));
    EXPECT_EQ(ep.priority, 110);
    ASSERT_EQ(ep.breakdown.size(), 2u);
    EXPECT_EQ(ep.breakdown[0].kind, track::TrackerKind::Bfd);
    EXPECT_STREQ(track::trackerKindName(ep.breakdown[0].kind), "bfd");
    EXPECT_FALSE(ep.fault);
    EXPECT_FALSE(ep.pending);  // no waiting: down is a verdict
}

TEST(TrackingBfd, WeightZeroFaultsUntilUpAndReverseInverts) {
    const auto cfg = bfdTracked("  b1\n");
    Tracking t(cfg, [] {});
    const auto& a = *cfg.findInstance("A");
    auto down = t.evaluate(a, kLinksUp, upSet({}));
    EXPECT_TRUE(down.fault);
    EXPECT_EQ(down.fault_reason, "bfd b1 DOWN");
    EXPECT_FALSE(t.evaluate(a, kLinksUp, upSet({"b1"})).fault);

    const auto rev = bfdTracked("  b1 weight 0 reverse\n  b2 weight 10 reverse\n");
    Tracking tr(rev, [] {});
    const auto& ra = *rev.findInstance("A");
    EXPECT_FALSE(tr.evaluate(ra, kLinksUp, upSet({})).fault);
    EXPECT_TRUE(tr.evaluate(ra, kLinksUp, upSet({"b1"})).fault);
    EXPECT_EQ(tr.evaluate(ra, kLinksUp, upSet({})).priority, 150);
    EXPECT_EQ(tr.evaluate(ra, kLinksUp, upSet({"b2"})).priority, 140);  // weight 10, reversed
}

// Measured: "(VI_1) ignoring tracked bfd b1 with weight -60 due to SYNC group" and no
// priority change; a weight-0 track_bfd in a group still holds it in FAULT.
TEST(TrackingBfd, InASyncGroupTheWeightIsIgnoredAndWeightZeroStillFaults) {
    const std::string group = "vrrp_sync_group G {\n group {\n  A\n }\n}\n";
    config::LoadOptions opts;
    auto r = config::loadConfigText(
        "bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\nbfd_instance b2 {\n neighbor_ip 10.0.0.3\n}\n" +
            group +
            "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priority 150\n"
            " track_bfd {\n  b1 weight -60\n  b2\n }\n}\n",
        "t.conf", opts);
    bool warned = false;
    for (const auto& d : r.diagnostics)
        warned = warned || d.message == "(A) ignoring tracked bfd b1 with weight -60 due to SYNC group";
    EXPECT_TRUE(warned);
    Tracking t(r.config, [] {});
    const auto& a = *r.config.findInstance("A");
    auto ep = t.evaluate(a, kLinksUp, upSet({"b2"}));
    EXPECT_EQ(ep.priority, 150);
    EXPECT_FALSE(ep.fault);
    EXPECT_TRUE(t.evaluate(a, kLinksUp, upSet({})).fault);
}

}  // namespace xvrrp::daemon
