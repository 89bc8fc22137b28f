// Every block and keyword group parses into the typed Config fields.
#include <gtest/gtest.h>

#include "config/parse_util.hpp"
#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;
using test::load;

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

TEST(Grammar, GlobalDefs) {
    auto r = load(R"(global_defs {
  router_id lb-1
  script_user ka kagroup
  enable_script_security
  vrrp_strict
  vrrp_skip_check_adv_addr
  vrrp_check_unicast_src
  vrrp_version 3
  vrrp_mcast_group4 224.0.0.19
  vrrp_mcast_group6 ff02::13
  vrrp_garp_master_delay 7
  vrrp_garp_master_repeat 3
  vrrp_garp_master_refresh 60
  vrrp_garp_master_refresh_repeat 2
  vrrp_garp_lower_prio_delay 4
  vrrp_garp_lower_prio_repeat 1
  vrrp_garp_interval 0.001
  vrrp_gna_interval 0.000001
  vrrp_min_garp true
  vrrp_lower_prio_no_advert
  vrrp_higher_prio_send_advert on
  vrrp_startup_delay 5.5
  notify_fifo /run/ka.fifo
  notify_fifo_script /bin/true
  vrrp_notify_fifo /run/vrrp.fifo
  vrrp_notify_fifo_script /bin/true
  notification_email { a@b.c
    d@e.f }
  notification_email_from x@y.z
  smtp_server 192.0.2.1 25
  smtp_connect_timeout 30
  max_auto_priority 50
}
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    // Only the keywords xvrrpd does not act on are reported (ignored_test.cpp).
    EXPECT_EQ(r.diagnostics.size(), 6u) << test::dump(r);
    EXPECT_EQ(test::count(r, Severity::Warning), 6u) << test::dump(r);
    for (const auto& d : r.diagnostics) EXPECT_NE(d.message.find("is not acted on"), std::string::npos) << d.str();
    const Global& g = r.config.global;
    EXPECT_EQ(g.router_id, "lb-1");
    EXPECT_EQ(g.script_user, "ka");
    EXPECT_EQ(g.script_group, "kagroup");
    EXPECT_TRUE(g.enable_script_security && g.vrrp_strict && g.vrrp_skip_check_adv_addr && g.vrrp_check_unicast_src);
    EXPECT_EQ(g.vrrp_version, 3);
    EXPECT_EQ(g.mcast_group4, ip("224.0.0.19"));
    EXPECT_EQ(g.mcast_group6, ip("ff02::13"));
    EXPECT_EQ(g.garp.master_delay_s, 7u);
    EXPECT_EQ(g.garp.master_repeat, 3u);
    EXPECT_EQ(g.garp.master_refresh_s, 60u);
    EXPECT_EQ(g.garp.master_refresh_repeat, 2u);
    EXPECT_EQ(g.garp.lower_prio_delay_s, 4u);
    EXPECT_EQ(g.garp.lower_prio_repeat, 1u);
    EXPECT_EQ(g.vrrp_garp_interval_us, 1000u);
    EXPECT_EQ(g.vrrp_gna_interval_us, 1u);
    EXPECT_TRUE(g.vrrp_min_garp && g.vrrp_lower_prio_no_advert && g.vrrp_higher_prio_send_advert);
    EXPECT_EQ(g.vrrp_startup_delay_us, 5500000u);
    EXPECT_EQ(g.notify_fifo, "/run/ka.fifo");
    EXPECT_EQ(g.vrrp_notify_fifo, "/run/vrrp.fifo");
    EXPECT_EQ(g.notification_email, (std::vector<std::string>{"a@b.c", "d@e.f"}));
    EXPECT_EQ(g.notification_email_from, "x@y.z");
    EXPECT_EQ(g.smtp_server, "192.0.2.1");
    ASSERT_EQ(g.other.size(), 2u);  // kept, not acted on
    EXPECT_EQ(g.other[0].keyword, "smtp_connect_timeout");
    EXPECT_EQ(g.other[1].args, std::vector<std::string>{"50"});
}

TEST(Grammar, InstanceKeywords) {
    auto r = load(R"(vrrp_instance VI_9 {
  state MASTER
  interface eth1
  virtual_router_id 200
  priority 150
  advert_int 3
  version 2
  preempt_delay 2.5
  accept
  strict_mode off
  skip_check_adv_addr yes
  dont_track_primary
  use_vmac vrrp.200
  vmac_xmit_base
  promote_secondaries
  smtp_alert
  debug 2
  lower_prio_no_advert false
  higher_prio_send_advert
  check_unicast_src
  unicast_fault_no_peer
  old_unicast_checksum never
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2 min_ttl 1 max_ttl 64
    192.0.2.3
  }
  authentication {
    auth_type PASS
    auth_pass secret
  }
  garp_master_delay 10
  garp_master_repeat 2
  garp_master_refresh 30
  garp_master_refresh_repeat 3
  garp_lower_prio_delay 5
  garp_lower_prio_repeat 4
  notify "/usr/bin/logger all"
  notify_master /bin/true
  notify_backup /bin/true root root
  notify_fault /bin/true
  notify_stop /bin/true
  notify_master_rx_lower_pri /bin/true
  notify_deleted
  mcast_dst_ip 224.0.0.20
  unicast_ttl 4
  kernel_rx_buf_size 65536
}
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    // smtp_alert, mcast_dst_ip, unicast_ttl warn, kernel_rx_buf_size is a notice (ignored_test.cpp).
    EXPECT_EQ(test::count(r, Severity::Warning), 3u) << test::dump(r);
    EXPECT_EQ(r.diagnostics.size(), 4u) << test::dump(r);
    const Instance& i = r.config.instances.at(0);
    EXPECT_EQ(i.name, "VI_9");
    EXPECT_EQ(i.state, InitialState::Master);
    EXPECT_EQ(i.interface, "eth1");
    EXPECT_EQ(i.interface_where.line, 3);
    EXPECT_EQ(i.interface_where.column, 13);
    EXPECT_EQ(i.vrid, 200);
    EXPECT_EQ(i.priority, 150);
    EXPECT_EQ(i.advert_int_cs, 300u);
    EXPECT_EQ(i.version, 2);
    EXPECT_TRUE(i.preempt);
    EXPECT_EQ(i.preempt_delay_us, 2500000u);
    EXPECT_EQ(i.accept, true);
    EXPECT_FALSE(i.strict_mode);
    EXPECT_TRUE(i.skip_check_adv_addr && i.dont_track_primary && i.use_vmac && i.vmac_xmit_base);
    EXPECT_EQ(i.vmac_name, "vrrp.200");
    EXPECT_TRUE(i.promote_secondaries && i.smtp_alert && i.debug && i.higher_prio_send_advert);
    EXPECT_FALSE(i.lower_prio_no_advert);
    EXPECT_TRUE(i.check_unicast_src && i.unicast_fault_no_peer);
    EXPECT_EQ(i.old_unicast_checksum, false);
    EXPECT_EQ(i.src_ip, ip("192.0.2.1"));
    ASSERT_EQ(i.unicast_peers.size(), 2u);
    EXPECT_EQ(i.unicast_peers[0].min_ttl, 1);
    EXPECT_EQ(i.unicast_peers[0].max_ttl, 64);
    EXPECT_EQ(i.unicast_peers[1].addr, ip("192.0.2.3"));
    EXPECT_EQ(i.auth_type, AuthType::Pass);
    EXPECT_EQ(i.auth_pass, "secret");
    EXPECT_EQ(i.garp.master_delay_s, 10u);
    EXPECT_EQ(i.garp.master_repeat, 2u);
    EXPECT_EQ(i.garp.master_refresh_s, 30u);
    EXPECT_EQ(i.garp.master_refresh_repeat, 3u);
    EXPECT_EQ(i.garp.lower_prio_delay_s, 5u);
    EXPECT_EQ(i.garp.lower_prio_repeat, 4u);
    EXPECT_EQ(i.notify, "/usr/bin/logger all");
    EXPECT_EQ(i.notify_master, "/bin/true");
    EXPECT_EQ(i.notify_backup, "/bin/true");
    EXPECT_EQ(i.notify_master_rx_lower_pri, "/bin/true");
    ASSERT_EQ(i.other.size(), 3u);
    EXPECT_EQ(i.other[0].keyword, "mcast_dst_ip");
}

TEST(Grammar, DefaultsAndNopreempt) {
    auto r = load("vrrp_instance A { interface eth0\n virtual_router_id 1\n nopreempt\n no_accept\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const Instance& i = r.config.instances.at(0);
    EXPECT_EQ(i.state, InitialState::Backup);
    EXPECT_EQ(i.priority, 100);
    EXPECT_EQ(i.advert_int_cs, 100u);
    EXPECT_FALSE(i.preempt);
    EXPECT_EQ(i.accept, false);
    EXPECT_EQ(effectiveVersion(r.config, i), 2);
}

TEST(Grammar, OneLineBlocksAndBraceWithoutSpace) {
    auto r = load("vrrp_instance A { interface eth0\n virtual_router_id 1 \n"
                  " virtual_ipaddress { 10.0.0.1/24 dev eth0 }\n"
                  " unicast_peer{\n 10.0.0.9\n }\n"
                  " track_interface { eth1 weight -10 }\n"
                  " authentication { auth_type PASS } authentication { auth_pass x } }\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const Instance& i = r.config.instances.at(0);
    EXPECT_TRUE(r.diagnostics.empty()) << test::dump(r);
    ASSERT_EQ(i.vips.size(), 1u);  // `a { b c }`: one statement inside the block
    EXPECT_EQ(i.vips[0].dev, "eth0");
    ASSERT_EQ(i.unicast_peers.size(), 1u);
    EXPECT_EQ(i.unicast_peers[0].addr, ip("10.0.0.9"));
    ASSERT_EQ(i.track_interfaces.size(), 1u);
    EXPECT_EQ(i.track_interfaces[0].weight, -10);
    EXPECT_EQ(i.auth_type, AuthType::Pass);
}

TEST(Grammar, VirtualAddressOptions) {
    auto r = load(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress {
    192.168.1.10/24 brd + dev eth1 scope link label eth1:vip peer 192.168.1.1 home -nodad noprefixroute autojoin no_track
    192.168.1.11 brd 192.168.1.255 preferred_lft forever
    192.168.1.12/24 brd -
  }
  virtual_ipaddress_excluded {
    2001:db8::1/64 dev eth2
  }
}
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const auto& v = r.config.instances.at(0).vips;
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].prefix.str(), "192.168.1.10/24");
    EXPECT_TRUE(v[0].broadcast_auto);
    EXPECT_EQ(v[0].broadcast, ip("192.168.1.255"));
    EXPECT_EQ(v[0].dev, "eth1");
    EXPECT_EQ(v[0].scope, "link");
    EXPECT_EQ(v[0].label, "eth1:vip");
    EXPECT_EQ(v[0].peer, ip("192.168.1.1"));
    EXPECT_TRUE(v[0].home && v[0].nodad && v[0].noprefixroute && v[0].autojoin && v[0].no_track);
    EXPECT_EQ(v[0].where.line, 5);
    EXPECT_EQ(v[0].where.column, 5);
    EXPECT_EQ(v[1].prefix.len, 32);
    EXPECT_EQ(v[1].broadcast, ip("192.168.1.255"));
    EXPECT_EQ(v[1].extra, (std::vector<std::string>{"preferred_lft", "forever"}));
    EXPECT_EQ(v[2].broadcast, ip("192.168.1.0"));
    ASSERT_EQ(r.config.instances[0].vips_excluded.size(), 1u);  // excluded may mix families
    EXPECT_EQ(r.config.instances[0].vips_excluded[0].prefix.len, 64);
}

TEST(Grammar, RoutesAndRules) {
    auto r = load(R"(vrrp_instance A {
  interface eth0
  virtual_router_id 1
  virtual_routes {
    src 192.168.100.1 to 192.168.109.0/24 via 192.168.200.254 dev eth1 scope link table 100 metric 5 onlink no_track
    192.168.110.0/24 gw 192.168.200.254 dev eth1 protocol static
    blackhole 192.168.114.0/24
    default via 192.168.0.1 table main
    2001:db8:1::/48 via 2001:db8::1 mtu 1400
  }
  virtual_rules {
    from 192.168.2.0/24 table 1
  }
}
static_routes {
  192.168.2.0/24 via 192.168.1.100 dev eth0 track_group G1
}
static_rules {
  to 192.168.2.0/24 table 1 no_track
}
static_ipaddress {
  192.168.1.1/24 brd + dev eth0 scope global
}
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    // keepalived's own remarks ("gw" is deprecated, a route without dev is not tracked) and
    // xvrrpd's for the options it does not act on.
    EXPECT_EQ(r.diagnostics.size(), 6u) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 6, 22, "\"gw\" for routes is deprecated. Please use \"via\""));
    EXPECT_TRUE(has(r, Severity::Warning, 7, 5, "cannot track route 192.168.114.0/24 with no interface specified"));
    EXPECT_TRUE(has(r, Severity::Warning, 9, 37, "route option 'mtu' is not acted on by xvrrpd"));
    const auto& rt = r.config.instances.at(0).routes;
    ASSERT_EQ(rt.size(), 5u);
    EXPECT_EQ(rt[0].src, ip("192.168.100.1"));
    EXPECT_EQ(rt[0].to.str(), "192.168.109.0/24");
    EXPECT_EQ(rt[0].via, ip("192.168.200.254"));
    EXPECT_EQ(rt[0].dev, "eth1");
    EXPECT_EQ(rt[0].scope, "link");
    EXPECT_EQ(rt[0].table, 100u);
    EXPECT_EQ(rt[0].metric, 5u);
    EXPECT_TRUE(rt[0].onlink && rt[0].no_track);
    EXPECT_EQ(rt[1].protocol, 4);
    EXPECT_TRUE(rt[2].blackhole);
    EXPECT_EQ(rt[2].to.str(), "192.168.114.0/24");
    EXPECT_EQ(rt[3].to.str(), "0.0.0.0/0");
    EXPECT_EQ(rt[3].table, 254u);
    EXPECT_EQ(rt[4].to.str(), "2001:db8:1::/48");
    EXPECT_EQ(rt[4].extra, (std::vector<std::string>{"mtu", "1400"}));
    ASSERT_EQ(r.config.instances[0].rules.size(), 1u);
    EXPECT_EQ(r.config.instances[0].rules[0].words,
              (std::vector<std::string>{"from", "192.168.2.0/24", "table", "1"}));
    ASSERT_EQ(r.config.static_routes.size(), 1u);
    EXPECT_EQ(r.config.static_routes[0].extra, (std::vector<std::string>{"track_group", "G1"}));
    ASSERT_EQ(r.config.static_rules.size(), 1u);
    ASSERT_EQ(r.config.static_addresses.size(), 1u);
    EXPECT_EQ(r.config.static_addresses[0].scope, "global");
}

TEST(Grammar, UnquotedScriptLineRunsItsFirstWordOnly) {
    // Measured in a namespace with keepalived 2.2.7 -d: `script /usr/bin/test -n x` gives
    // "Command = '/usr/bin/test'" and "VRRP_Script(c) failed (exited with status 1)";
    // `script "/usr/bin/test" -n x` the same; `script "/usr/bin/test -n x"` and
    // `script /usr/bin/test" -n x"` run '/usr/bin/test' '-n' 'x' and succeed. keepalived -t
    // says nothing about the dropped words; xvrrpd runs what keepalived runs and says so.
    auto r = load("vrrp_script a {\n  script /usr/bin/test -n x\n}\nvrrp_script b {\n  script \"/usr/bin/test\" -n x\n}\n"
                  "vrrp_script c {\n  script \"/usr/bin/test -n x\"\n}\nvrrp_script d {\n  script /usr/bin/test\" -n x\"\n}\n" +
                  std::string(test::kInstance));
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.scripts.at("a").script, "/usr/bin/test");
    EXPECT_EQ(r.config.scripts.at("b").script, "/usr/bin/test");
    EXPECT_EQ(r.config.scripts.at("c").script, "/usr/bin/test -n x");
    EXPECT_EQ(r.config.scripts.at("d").script, "/usr/bin/test -n x");
    EXPECT_TRUE(has(r, Severity::Warning, 2, 24,
                    "vrrp_script a runs '/usr/bin/test' only, not the words after it (-n x), as keepalived 2.2.7 does "
                    "(it runs the first word of a script line); quote the whole command line"));
    EXPECT_TRUE(has(r, Severity::Warning, 5, 26, "vrrp_script b runs '/usr/bin/test' only, not the words after it (-n x)"));
    EXPECT_EQ(test::count(r, Severity::Warning), 2u) << test::dump(r);
    // An advice: keepalived -t passes the file, so xvrrpd -t exits 0 too.
    for (const auto& d : r.diagnostics) EXPECT_TRUE(d.advice) << d.str();
}

TEST(Grammar, ScriptsTrackFilesAndProcesses) {
    auto r = load(R"(vrrp_script chk {
  script "/usr/bin/test -f '/tmp/a b'"
  interval 2
  timeout 3
  weight -20 reverse
  rise 2
  fall 3
  user nobody nogroup
  init_fail
}
vrrp_script unquoted {
  script /bin/echo "x y" z
}
track_file tf {
  file "/run/tf"
  weight -5 reverse
  init_file 3 overwrite
}
vrrp_track_file tf2 {
  file /run/tf2
}
track_process tp {
  process haproxy -f "/etc/h a.cfg"
  param_match partial
  weight 10
  quorum 2
  quorum_max 4
  delay 1.5
  full_command
}
vrrp_instance A {
  interface eth0
  virtual_router_id 1
  track_script {
    chk weight 10
    unquoted
  }
  track_file { tf weight 2 reverse
    tf2 }
  track_process {
    tp
  }
}
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.diagnostics.size(), 1u) << test::dump(r);  // the unquoted script line
    const Script& s = r.config.scripts.at("chk");
    EXPECT_EQ(s.script, "/usr/bin/test -f '/tmp/a b'");
    EXPECT_EQ(programOf(s.script), "/usr/bin/test");
    EXPECT_EQ(s.interval_s, 2u);
    EXPECT_EQ(s.timeout_s, 3u);
    EXPECT_EQ(s.weight, -20);
    EXPECT_TRUE(s.weight_reverse && s.init_fail);
    EXPECT_EQ(s.rise, 2u);
    EXPECT_EQ(s.fall, 3u);
    EXPECT_EQ(s.user, "nobody");
    EXPECT_EQ(s.group, "nogroup");
    // keepalived 2.2.7 runs the first word only (Grammar.UnquotedScriptLineRunsItsFirstWordOnly).
    EXPECT_EQ(r.config.scripts.at("unquoted").script, "/bin/echo");
    EXPECT_TRUE(has(r, Severity::Warning, 12, 20, "vrrp_script unquoted runs '/bin/echo' only, not the words after it (\"x y\" z)"));
    const TrackFile& f = r.config.track_files.at("tf");
    EXPECT_EQ(f.file, "/run/tf");
    EXPECT_EQ(f.weight, -5);
    EXPECT_TRUE(f.weight_reverse && f.init_file && f.overwrite);
    EXPECT_EQ(f.init_value, 3);
    EXPECT_EQ(r.config.track_files.at("tf2").weight, 1);
    const TrackProcess& p = r.config.track_processes.at("tp");
    EXPECT_EQ(p.process, "haproxy");
    EXPECT_EQ(p.param_match, (std::vector<std::string>{"-f", "/etc/h a.cfg"}));
    EXPECT_EQ(p.param_match_mode, "partial");
    EXPECT_EQ(p.quorum, 2u);
    EXPECT_EQ(p.quorum_max, 4u);
    EXPECT_EQ(p.fork_delay, 2u);
    EXPECT_EQ(p.terminate_delay, 2u);
    EXPECT_TRUE(p.full_command);
    const Instance& i = r.config.instances.at(0);
    ASSERT_EQ(i.track_scripts.size(), 2u);
    EXPECT_EQ(i.track_scripts[0].weight, 10);
    ASSERT_EQ(i.track_files.size(), 2u);
    EXPECT_TRUE(i.track_files[0].reverse);
    EXPECT_EQ(i.track_processes.at(0).name, "tp");
}

TEST(Grammar, SyncGroup) {
    auto r = load(std::string(R"(vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
  notify_master "/bin/true master"
  notify_backup /bin/true
  notify_fault /bin/true
  notify /bin/true
  notify_stop /bin/true
  smtp_alert
  track_interface { eth3 weight 5 }
  global_tracking
}
vrrp_instance VI_2 { interface eth0
  virtual_router_id 2 }
)") + test::kInstance);
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const SyncGroup& g = r.config.sync_groups.at(0);
    ASSERT_EQ(g.members.size(), 2u);
    EXPECT_EQ(g.members[1].second, "VI_2");
    EXPECT_EQ(g.members[1].first.line, 4);
    EXPECT_EQ(g.notify_master, "/bin/true master");
    EXPECT_TRUE(g.smtp_alert);
    EXPECT_EQ(g.track_interfaces.at(0).weight, 5);
    ASSERT_EQ(g.other.size(), 1u);
    EXPECT_EQ(g.other[0].keyword, "global_tracking");
}

TEST(Grammar, AdvertIntVersionRounding) {
    // v3 keeps centiseconds; v2 rounds to whole seconds with a warning.
    auto r = load("vrrp_instance A { interface eth0\n virtual_router_id 1\n version 3\n advert_int 0.01\n}\n"
                  "vrrp_instance B { interface eth0\n virtual_router_id 2\n advert_int 1.5\n}\n"
                  "vrrp_instance C { interface eth0\n virtual_router_id 3\n version 3\n advert_int 0.015\n}\n"
                  "vrrp_instance D { interface eth0\n virtual_router_id 4\n version 3\n advert_int 40.95\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.instances[0].advert_int_cs, 1u);
    EXPECT_EQ(r.config.instances[1].advert_int_cs, 200u);
    EXPECT_TRUE(has(r, Severity::Warning, 8, 13, "VRRPv2 advert_int must be whole seconds; rounded to 2 s"));
    EXPECT_EQ(r.config.instances[2].advert_int_cs, 2u);
    EXPECT_TRUE(has(r, Severity::Warning, 13, 13, "units of 10 ms"));
    EXPECT_EQ(r.config.instances[3].advert_int_cs, 4095u);
}

TEST(Grammar, Ipv6InstanceDefaultsToVersion3) {
    auto r = load("vrrp_instance A { interface eth0\n virtual_router_id 1\n"
                  " virtual_ipaddress { fe80::1/64\n 2001:db8::1 }\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(instanceFamily(r.config.instances[0]), Family::V6);
    EXPECT_EQ(effectiveVersion(r.config, r.config.instances[0]), 3);
}

TEST(Grammar, LvsSkippedWithANoticeVrrpSideBlocksWarn) {
    auto r = load(std::string(test::kInstance) + R"(virtual_server 10.0.0.1 80 {
  delay_loop 6
  lb_algo rr
  real_server 10.0.0.2 80 {
    weight 1
    TCP_CHECK { connect_timeout 3 }
  }
}
virtual_server_group VSG { 10.0.0.1 80 }
bfd_instance b1 { neighbor_ip 10.0.0.1 }
linkbeat_interfaces { eth0 }
garp_group { garp_interval 0.1
  interface eth0 }
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(test::count(r, Severity::Notice), 2u) << test::dump(r);
    EXPECT_EQ(test::count(r, Severity::Warning), 2u) << test::dump(r);
    ASSERT_EQ(r.diagnostics.size(), 4u);
    EXPECT_EQ(r.diagnostics[0].str(), "t.conf:8:1: notice: skipping virtual_server block (LVS is not part of xvrrp)");
    EXPECT_TRUE(has(r, Severity::Notice, 16, 1, "skipping virtual_server_group block (LVS is not part of xvrrp)"));
    for (const auto& d : r.diagnostics) EXPECT_EQ(d.message.find("bfd_instance"), std::string::npos) << d.str();
    EXPECT_TRUE(has(r, Severity::Warning, 18, 1, "skipping linkbeat_interfaces block"));
    EXPECT_TRUE(has(r, Severity::Warning, 19, 1, "'garp_group' is not acted on"));
    ASSERT_EQ(r.config.other.size(), 1u);
    EXPECT_EQ(r.config.other[0].keyword, "garp_group");
    EXPECT_EQ(r.config.other[0].children.size(), 2u);
}

}  // namespace
}  // namespace xvrrp::config
