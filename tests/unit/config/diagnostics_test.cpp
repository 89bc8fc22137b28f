// Each diagnostic with its exact FILE:LINE:COL and wording.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;
using test::load;

TEST(Diagnostic, FormatIsFileLineColSeverity) {
    Diagnostic d;
    d.where = Location{FileName("a.conf"), 3, 7};
    d.severity = Severity::Warning;
    d.message = "careful";
    EXPECT_EQ(d.str(), "a.conf:3:7: warning: careful");
    d.severity = Severity::Error;
    EXPECT_EQ(d.str(), "a.conf:3:7: error: careful");
    d.severity = Severity::Notice;
    EXPECT_EQ(d.str(), "a.conf:3:7: notice: careful");
}

TEST(Suggest, EditDistanceCountsTranspositionOnce) {
    EXPECT_EQ(editDistance("preemtp_delay", "preempt_delay"), 1u);
    EXPECT_EQ(editDistance("autp_pass", "auth_pass"), 1u);
    EXPECT_EQ(editDistance("abc", "abc"), 0u);
    EXPECT_EQ(nearestWord("zzzzzz", {"priority", "state"}), "");
}

TEST(Suggest, UnknownKeywordsSuggestTheNearestOfThatBlock) {
    auto r = load("global_defs {\n  routr_id x\n}\n"
                  "vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  preemtp_delay 5\n"
                  "  authentication {\n    autp_pass 1234\n  }\n  priorty 50\n  frobnicate\n}\n"
                  "vrrp_instanse B {\n}\n");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 2, 3, "unknown keyword 'routr_id' in global_defs; did you mean 'router_id'?"));
    EXPECT_TRUE(has(r, Severity::Warning, 7, 3, "unknown keyword 'preemtp_delay' in vrrp_instance; did you mean 'preempt_delay'?"));
    EXPECT_TRUE(has(r, Severity::Warning, 9, 5, "unknown keyword 'autp_pass' in authentication; did you mean 'auth_pass'?"));
    EXPECT_TRUE(has(r, Severity::Warning, 11, 3, "did you mean 'priority'?"));
    EXPECT_TRUE(has(r, Severity::Warning, 12, 3, "unknown keyword 'frobnicate' in vrrp_instance"));
    for (const auto& d : r.diagnostics) {
        if (d.where.line == 12) {
            EXPECT_EQ(d.message.find("did you mean"), std::string::npos);
        }
    }
    EXPECT_TRUE(has(r, Severity::Warning, 14, 1, "did you mean 'vrrp_instance'?"));
}

TEST(Range, OutOfRangeValuesAreErrorsAtTheValue) {
    auto r = load("global_defs {\n vrrp_version 4\n}\n"
                  "vrrp_instance A {\n interface eth0\n virtual_router_id 256\n priority 0\n"
                  " advert_int 0\n version 1\n state LEADER\n preempt_delay abc\n}\n");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(has(r, Severity::Error, 2, 15, "vrrp_version must be an integer in 2..3, got '4'"));
    EXPECT_TRUE(has(r, Severity::Error, 6, 20, "virtual_router_id must be an integer in 1..255, got '256'"));
    EXPECT_TRUE(has(r, Severity::Error, 7, 11, "priority must be an integer in 1..255, got '0'"));
    EXPECT_TRUE(has(r, Severity::Error, 8, 13, "advert_int must be a number of seconds"));
    EXPECT_TRUE(has(r, Severity::Error, 9, 10, "version must be an integer in 2..3"));
    EXPECT_TRUE(has(r, Severity::Error, 10, 8, "state must be MASTER or BACKUP"));
    EXPECT_TRUE(has(r, Severity::Error, 11, 16, "preempt_delay must be a number of seconds"));
}

TEST(Range, Version3AdvertIntAbove4095IsAnError) {
    auto r = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n version 3\n advert_int 50\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 5, 13, "VRRPv3 advert_int must be at most 40.95 s"));
}

TEST(Arity, MissingAndExtraValues) {
    auto r = load("vrrp_instance A {\n interface\n virtual_router_id 1 2\n virtual_ipaddress 10.0.0.1\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 2, 2, "'interface' expects a value"));
    // keepalived 2.2.7 ignores the words past what a keyword reads (its -t passes them).
    EXPECT_TRUE(has(r, Severity::Warning, 3, 22, "'virtual_router_id' takes at most 1 value; '2' and the words after it are ignored"));
    EXPECT_TRUE(has(r, Severity::Error, 4, 2, "'virtual_ipaddress' expects a { } block"));
}

TEST(Required, InterfaceAndVirtualRouterId) {
    auto r = load("vrrp_instance A {\n priority 10\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 1, 15, "vrrp_instance 'A' has no 'interface'"));
    EXPECT_TRUE(has(r, Severity::Error, 1, 15, "vrrp_instance 'A' has no 'virtual_router_id'"));
}

TEST(Family, MixedVipFamiliesAreAnError) {
    auto r = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
                  " virtual_ipaddress {\n  10.0.0.1\n  2001:db8::1\n }\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 6, 3, "virtual address 2001:db8::1 is IPv6 but vrrp_instance 'A' is IPv4"));
}

TEST(Family, Ipv6WithExplicitVersion2IsAnError) {
    auto r = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n version 2\n"
                  " virtual_ipaddress {\n  2001:db8::1\n }\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 4, 10, "IPv6 addresses, which need version 3"));
    auto g = load("global_defs { vrrp_version 2 }\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
                  " native_ipv6\n virtual_ipaddress {\n  2001:db8::1\n }\n}\n");
    EXPECT_TRUE(has(g, Severity::Error, 7, 3, "global vrrp_version is 2"));
}

TEST(Family, UnicastPeerOfOtherFamily) {
    auto r = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
                  " unicast_peer {\n  2001:db8::2\n }\n virtual_ipaddress { 10.0.0.1 }\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 5, 3, "unicast peer 2001:db8::2 is not IPv4"));
}

TEST(Vrid, DuplicateOnSameInterfaceAndFamilyOnly) {
    auto r = load("vrrp_instance A {\n interface eth0\n virtual_router_id 5\n}\n"
                  "vrrp_instance B {\n interface eth0\n virtual_router_id 5\n}\n"
                  "vrrp_instance C {\n interface eth1\n virtual_router_id 5\n}\n"
                  "vrrp_instance D {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress { 2001:db8::5 }\n}\n");
    EXPECT_EQ(test::count(r, Severity::Error), 1u) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Error, 7, 20, "virtual_router_id 5 on eth0 (IPv4) is already used by vrrp_instance 'A' at t.conf:3:20"));
}

// keepalived 2.2.7 (measured): sync group members may be defined below the group, but a
// tracker must be defined above the instance naming it; below, it is "not found,
// ignoring..." and the instance does not track it.
TEST(References, TrackersResolveWhereTheyAreReadSyncGroupMembersAnywhere) {
    auto early = load("vrrp_sync_group G { group { A\n B } }\nvrrp_script s {\n script /bin/true\n}\n"
                      "track_file tf { file /tmp/x\n weight 0 }\n"
                      "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_script { s }\n track_file { tf }\n}\n"
                      "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n}\n");
    EXPECT_TRUE(early.diagnostics.empty()) << test::dump(early);
    ASSERT_EQ(early.config.instances.size(), 2u);
    EXPECT_EQ(early.config.instances[0].track_scripts.size(), 1u);
    EXPECT_EQ(early.config.instances[0].track_files.size(), 1u);

    auto late = load("vrrp_sync_group G { group { A\n B } }\n"
                     "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_script { late }\n track_file { tf }\n}\n"
                     "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n}\n"
                     "vrrp_script late {\n script /bin/true\n}\ntrack_file tf { file /tmp/x }\n");
    EXPECT_TRUE(late.ok()) << test::dump(late);
    EXPECT_TRUE(has(late, Severity::Warning, 6, 17, "(A) track script late not found, ignoring..."));
    EXPECT_TRUE(has(late, Severity::Warning, 7, 15, "(A) track file tf not found, ignoring..."));
    EXPECT_TRUE(late.config.instances[0].track_scripts.empty());
    EXPECT_TRUE(late.config.instances[0].track_files.empty());

    auto bad = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
                    " track_script {\n  nosuch\n }\n track_file {\n  nofile\n }\n track_process {\n  noproc\n }\n}\n"
                    "vrrp_sync_group G1 {\n group {\n  A\n  ghost\n }\n}\n"
                    "vrrp_sync_group G2 {\n group {\n  A\n }\n}\n");
    EXPECT_TRUE(has(bad, Severity::Warning, 5, 3, "(A) track script nosuch not found, ignoring..."));
    EXPECT_TRUE(has(bad, Severity::Warning, 8, 3, "(A) track file nofile not found, ignoring..."));
    EXPECT_TRUE(has(bad, Severity::Warning, 11, 3, "(A) track process noproc not found, ignoring..."));
    EXPECT_TRUE(has(bad, Severity::Error, 17, 3, "sync group member 'ghost' is not a vrrp_instance"));
    EXPECT_TRUE(has(bad, Severity::Error, 22, 3, "vrrp_instance 'A' is already in vrrp_sync_group 'G1'"));
    EXPECT_TRUE(has(bad, Severity::Warning, 20, 17, "Sync group G2 has only 1 virtual router(s)"));
}

TEST(Duplicates, RedefinedObjectsAreErrors) {
    auto r = load("vrrp_script s { script /bin/true }\nvrrp_script s { script /bin/false }\n"
                  "vrrp_instance A { interface eth0\n virtual_router_id 1 }\nvrrp_instance A { interface eth1\n virtual_router_id 2 }\n");
    EXPECT_TRUE(has(r, Severity::Error, 2, 13, "vrrp_script 's' is already defined at t.conf:1:13"));
    EXPECT_TRUE(has(r, Severity::Error, 5, 15, "vrrp_instance 'A' is already defined at t.conf:3:15"));
}

TEST(Behaviour, KeepalivedCompatibleCorrectionsAreWarnings) {
    auto r = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n state MASTER\n nopreempt\n"
                  " authentication {\n  auth_type PASS\n  auth_pass 123456789\n }\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 5, 2, "nopreempt does not work with initial state MASTER"));
    EXPECT_TRUE(has(r, Severity::Warning, 8, 13, "truncated to '12345678'"));
    EXPECT_TRUE(r.config.instances[0].preempt);
    EXPECT_EQ(r.config.instances[0].auth_pass, "12345678");
}

TEST(Behaviour, StrictMode) {
    auto r = load("global_defs { vrrp_strict }\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
                  " state MASTER\n authentication {\n  auth_type PASS\n }\n unicast_peer {\n  10.0.0.2\n }\n}\n");
    EXPECT_TRUE(has(r, Severity::Warning, 6, 2, "strict mode does not support authentication"));
    EXPECT_TRUE(has(r, Severity::Warning, 5, 8, "State MASTER must match being address owner"));
    EXPECT_TRUE(has(r, Severity::Error, 10, 3, "strict mode does not allow unicast peers"));
    EXPECT_TRUE(r.config.instances[0].strict_mode);
    EXPECT_EQ(r.config.instances[0].auth_type, AuthType::None);
}

TEST(Addresses, BadAddressesAndRoutes) {
    auto r = load("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
                  " virtual_ipaddress {\n  10.0.0.300/24\n  10.0.0.1/24 scope galaxy\n  10.0.0.2 bogus\n }\n"
                  " virtual_routes {\n  via 10.0.0.1\n  10.1.0.0/16 via 2001:db8::1\n }\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 5, 3, "expected an address ADDR[/LEN], got '10.0.0.300/24'"));
    EXPECT_TRUE(has(r, Severity::Error, 6, 21, "scope must be"));
    EXPECT_TRUE(has(r, Severity::Warning, 7, 12, "unknown option 'bogus'"));
    EXPECT_TRUE(has(r, Severity::Error, 10, 3, "route has no destination"));
    EXPECT_TRUE(has(r, Severity::Error, 11, 3, "route mixes IPv4 and IPv6"));
}


TEST(CheckConfig, PrintsDiagnosticsAndSummary) {
    auto path = std::filesystem::temp_directory_path() / ("xvrrp-check-" + std::to_string(getpid()) + ".conf");
    std::ofstream(path) << "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priorty 5\n}\n";
    std::ostringstream out;
    // keepalived -t reports an unknown keyword too and exits 5: so does xvrrpd -t.
    EXPECT_EQ(checkConfig(path.string(), out), kExitKeepalivedWarnings);
    EXPECT_NE(out.str().find(path.string() + ":4:2: warning: unknown keyword 'priorty'"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("configuration is usable (0 errors, 1 warning, 0 notices; 1 vrrp_instance)"), std::string::npos)
        << out.str();
    EXPECT_NE(out.str().find("keepalived -t reports 1 of these warnings too"), std::string::npos) << out.str();
    // A keyword xvrrpd does not act on is xvrrpd's advice: keepalived -t passes such a file.
    std::ofstream(path) << "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n smtp_alert\n}\n";
    std::ostringstream advice;
    EXPECT_EQ(checkConfig(path.string(), advice), 0);
    EXPECT_NE(advice.str().find("warning: 'smtp_alert' is not acted on by xvrrpd"), std::string::npos) << advice.str();
    std::ofstream(path) << "vrrp_instance A {\n priority 5\n}\n";
    std::ostringstream bad;
    EXPECT_EQ(checkConfig(path.string(), bad), 1);
    EXPECT_NE(bad.str().find("configuration is NOT usable (2 errors"), std::string::npos) << bad.str();
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace xvrrp::config
