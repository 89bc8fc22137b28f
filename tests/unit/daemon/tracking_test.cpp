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
