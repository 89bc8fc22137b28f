// Keywords xvrrpd reads and does not act on are reported where they are written, saying
// what xvrrpd does instead (issue 13: `-t` said "0 warnings" for them).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;
using test::load;

std::string instanceWith(const std::string& lines) {
    return "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n" + lines +
           "    virtual_ipaddress {\n        10.0.0.1/24\n    }\n}\n";
}

TEST(Ignored, InstanceKeywordsWarnWithWhatChanges) {
    auto r = load(instanceWith("    mcast_dst_ip 224.0.0.20\n    unicast_ttl 4\n    garp_extra_if 5\n"
                               "    vrf red\n    use_ipvlan\n    track_bfd {\n        b1\n    }\n"
                               "    smtp_alert\n"));
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 4, 5, "'mcast_dst_ip' is not acted on by xvrrpd: adverts go to 224.0.0.18"));
    EXPECT_TRUE(has(r, Severity::Warning, 5, 5, "'unicast_ttl' is not acted on by xvrrpd: unicast adverts leave with TTL 255"));
    EXPECT_TRUE(has(r, Severity::Warning, 6, 5, "'garp_extra_if' is not acted on"));
    EXPECT_TRUE(has(r, Severity::Warning, 7, 5, "'vrf' is not acted on"));
    EXPECT_TRUE(has(r, Severity::Warning, 8, 5, "'use_ipvlan' is not acted on"));
    EXPECT_FALSE(has(r, Severity::Warning, 9, 5, "'track_bfd' is not acted on"));  // it is now
    // no bfd_instance b1 above: keepalived 2.2.7 says the same (and fails the file)
    EXPECT_TRUE(has(r, Severity::Warning, 10, 9, "(VI_1) track bfd b1 not found, ignoring..."));
    EXPECT_TRUE(has(r, Severity::Warning, 12, 5, "'smtp_alert' is not acted on by xvrrpd: xvrrpd sends no e-mail"));
    EXPECT_EQ(test::count(r, Severity::Warning), 7u) << test::dump(r);
}

TEST(Ignored, GlobalKeywordsWarnAndOtherProcessesGetANotice) {
    auto r = load("global_defs {\n  enable_snmp_vrrp\n  enable_dbus\n  smtp_server 192.0.2.1\n"
                  "  vrrp_garp_extra_if 5\n  lvs_id LVS1\n  checker_priority -5\n  router_id r1\n}\n" +
                  std::string(test::kInstance));
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 2, 3, "'enable_snmp_vrrp' is not acted on by xvrrpd: xvrrpd has no SNMP agent"));
    EXPECT_TRUE(has(r, Severity::Warning, 3, 3, "'enable_dbus' is not acted on"));
    EXPECT_TRUE(has(r, Severity::Warning, 4, 3, "'smtp_server' is not acted on"));
    EXPECT_TRUE(has(r, Severity::Warning, 5, 3, "'vrrp_garp_extra_if' is not acted on"));
    EXPECT_TRUE(has(r, Severity::Notice, 6, 3, "'lvs_id' is not acted on by xvrrpd: it configures keepalived's checker"));
    EXPECT_TRUE(has(r, Severity::Notice, 7, 3, "'checker_priority' is not acted on"));
    EXPECT_EQ(test::count(r, Severity::Warning), 4u) << test::dump(r);
    EXPECT_EQ(test::count(r, Severity::Notice), 2u) << test::dump(r);
}

TEST(Ignored, TopLevelAndSyncGroupKeywordsWarn) {
    auto r = load(std::string(test::kInstance) +
                  "garp_group {\n  garp_interval 0.1\n  interface eth0\n}\n"
                  "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  track_bfd {\n    b1\n  }\n"
                  "  sync_group_tracking_weight\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 8, 1, "'garp_group' is not acted on"));
    EXPECT_FALSE(has(r, Severity::Warning, 16, 3, "'track_bfd' is not acted on"));
    // sync_group_tracking_weight is acted on (kept aside for the daemon): no report.
    for (const auto& d : r.diagnostics)
        EXPECT_EQ(d.message.find("sync_group_tracking_weight"), std::string::npos) << d.str();
    EXPECT_TRUE(has(r, Severity::Warning, 17, 5, "(G) track bfd b1 not found, ignoring..."));
    // and the one-member group
    EXPECT_EQ(test::count(r, Severity::Warning), 3u) << test::dump(r);
}

TEST(Ignored, ConfigTestCountsThem) {
    const std::string path = ::testing::TempDir() + "ignored_t.conf";
    {
        std::ofstream(path) << instanceWith("    mcast_dst_ip 224.0.0.20\n");
    }
    std::ostringstream out;
    EXPECT_EQ(checkConfig(path, out, test::testOptions()), 0) << out.str();
    EXPECT_NE(out.str().find("configuration is usable (0 errors, 1 warning, 0 notices"), std::string::npos)
        << out.str();
    EXPECT_NE(out.str().find(":4:5: warning: 'mcast_dst_ip' is not acted on"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace xvrrp::config
