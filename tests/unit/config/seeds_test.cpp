// Real users' keepalived.conf files (XVRRP_SEEDS_DIR): all usable, and the mistakes they
// contain are reported where they are.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;

const std::filesystem::path kSeeds = XVRRP_SEEDS_DIR;

LoadResult seed(const std::string& name) { return loadConfigFile((kSeeds / name).string()); }

TEST(Seeds, EverySeedIsUsable) {
    ASSERT_TRUE(std::filesystem::is_directory(kSeeds)) << "seed folder missing: " << kSeeds;
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(kSeeds)) {
        if (!e.is_regular_file()) continue;
        ++n;
        auto r = loadConfigFile(e.path().string());
        EXPECT_TRUE(r.ok()) << e.path() << ":\n" << test::dump(r);
        EXPECT_FALSE(r.config.instances.empty()) << e.path();
    }
    EXPECT_GE(n, 10u) << "expected the 10 seed files in " << kSeeds;
}

TEST(Seeds, S003TyposAndOddities) {
    auto r = seed("s003-openwrt-reference.conf");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 48, 1, "unknown keyword 'autp_pass' in authentication; did you mean 'auth_pass'?"));
    EXPECT_TRUE(has(r, Severity::Warning, 63, 1, "unknown keyword 'preemtp_delay' in vrrp_instance; did you mean 'preempt_delay'?"));
    EXPECT_TRUE(has(r, Severity::Warning, 64, 1, "'debug' expects a LEVEL"));
    EXPECT_TRUE(has(r, Severity::Warning, 46, 1, "auth_type PASS without auth_pass in vrrp_instance 'http'"));
    EXPECT_TRUE(has(r, Severity::Warning, 62, 1, "nopreempt does not work with initial state MASTER"));
    EXPECT_TRUE(has(r, Severity::Warning, 38, 1, "(http) Ignoring track_interface eth0 since own interface"));
    EXPECT_TRUE(has(r, Severity::Warning, 60, 1, "cannot track route 192.168.112.0/24 with no interface specified"));
    EXPECT_TRUE(has(r, Severity::Warning, 81, 4, "(mysql) ignoring tracked script check_running with weights due to SYNC group"));
    const Instance* http = r.config.findInstance("http");
    ASSERT_NE(http, nullptr);
    EXPECT_TRUE(http->auth_pass.empty());  // the typo left it unset
    EXPECT_EQ(http->auth_type, AuthType::None);  // keepalived ignores PASS without a password
    EXPECT_EQ(http->preempt_delay_us, 0u);
    EXPECT_EQ(http->routes.size(), 4u);
    EXPECT_EQ(http->vips.at(1).label, "eth2:1");
    EXPECT_EQ(http->garp.master_delay_s, 10u);
    EXPECT_EQ(r.config.static_addresses.size(), 2u);
    EXPECT_EQ(r.config.sync_groups.at(0).members.size(), 2u);
}

TEST(Seeds, S002IncludeMatchingNothingIsAWarning) {
    auto r = seed("s002-preempt-delay.conf");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    // "matched no files" or "no such file or directory", as the host has conf.d or not.
    EXPECT_TRUE(has(r, Severity::Warning, 26, 9, "include '/etc/keepalived/conf.d/*.conf'"));
    EXPECT_EQ(r.config.instances.at(0).preempt_delay_us, 60000000u);
}


TEST(Seeds, StrictSeedDropsAuthentication) {
    auto r = seed("s004-node1-dual-master-strict.conf");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 27, 5, "strict mode does not support authentication"));
    EXPECT_EQ(r.config.instances.at(0).auth_type, AuthType::None);
    EXPECT_EQ(r.config.sync_groups.at(0).members.size(), 2u);
    // Its scripts are defined after the instances that track them: keepalived 2.2.7 does not
    // find them there and the instances track nothing.
    EXPECT_TRUE(has(r, Severity::Warning, 53, 9, "(VI_2) track script chk_service_2 not found, ignoring..."));
    EXPECT_TRUE(r.config.instances.at(1).track_scripts.empty());
}

TEST(Seeds, ParsedValues) {
    auto a = seed("s000-site-a-master.conf");
    const Instance& i = a.config.instances.at(0);
    EXPECT_EQ(i.advert_int_cs, 200u);
    EXPECT_EQ(i.unicast_peers.at(0).addr, *IpAddr::parse("10.0.0.2"));
    EXPECT_EQ(i.src_ip, IpAddr::parse("10.0.0.1"));
    EXPECT_TRUE(a.config.global.enable_script_security);
    EXPECT_EQ(a.config.scripts.at("chk_wg").weight, -200);
    auto v = seed("s004-vmac-track-interface.conf");
    const Instance& vm = v.config.instances.at(0);
    EXPECT_TRUE(vm.use_vmac && vm.vmac_xmit_base);
    // eth0 is its own interface, which keepalived drops from the list.
    ASSERT_EQ(vm.track_interfaces.size(), 1u);
    EXPECT_EQ(vm.track_interfaces.at(0).weight, 10);
    auto d = seed("s002-ka1-dual-master.conf");
    EXPECT_EQ(d.config.instances.at(1).vips.at(0).label, "ens33:1");
    EXPECT_EQ(d.config.instances.at(1).auth_pass, "12345678");
}

}  // namespace
}  // namespace xvrrp::config
