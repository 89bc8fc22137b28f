// unit.arbiter: arbiter.conf grammar and FILE:LINE:COL diagnostics.
#include "config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace xvrrp::arbiter {
namespace {

constexpr const char* kGood = R"(# two nodes, two gateways
arbiter {
    node_name node-a
    instances VI_1 VI_2
    xvrrpd_socket /run/xvt/xvrrpd.sock
    pin_root /sys/fs/bpf/xvt
    control_socket /run/xvt/arbiter.sock
    audit_log /var/log/xvt-arbiter.log
    remote_xvrrpctl /usr/local/sbin/xvrrpctl
    probe_interval 0.5
    ping_timeout 0.2
    control_timeout 0.3
    ssh_connect_timeout 1
    ssh_timeout 2.5
    fence_after 3
    unfence_after 4
    start_fenced
    metrics 127.0.0.1:9651
}
peer node-b {
    address 192.0.2.2
    ssh {
        user xvrrp
        port 2222
        identity_file /etc/xvrrp/id_ed25519
        known_hosts "/etc/xvrrp/known_hosts"
    }
}
gateways {
    quorum 2
    192.0.2.254
    198.51.100.1
    2001:db8::1
}
)";

std::vector<std::string> messages(const ArbiterLoad& r) {
    std::vector<std::string> out;
    for (const auto& d : r.diagnostics) out.push_back(d.str());
    return out;
}

std::string joined(const ArbiterLoad& r) {
    std::string s;
    for (const auto& m : messages(r)) s += m + "\n";
    return s;
}

TEST(ArbiterConfig, ParsesEveryKeyword) {
    ArbiterLoad r = loadArbiterText(kGood, "arbiter.conf");
    ASSERT_TRUE(r.ok()) << joined(r);
    const auto& c = r.config;
    EXPECT_EQ(c.node_name, "node-a");
    EXPECT_EQ(c.instances, (std::vector<std::string>{"VI_1", "VI_2"}));
    EXPECT_EQ(c.xvrrpd_socket, "/run/xvt/xvrrpd.sock");
    EXPECT_EQ(c.pin_root, "/sys/fs/bpf/xvt");
    EXPECT_EQ(c.control_socket, "/run/xvt/arbiter.sock");
    EXPECT_EQ(c.audit_log, "/var/log/xvt-arbiter.log");
    EXPECT_EQ(c.remote_xvrrpctl, "/usr/local/sbin/xvrrpctl");
    EXPECT_EQ(c.probe_interval_ms, 500u);
    EXPECT_EQ(c.ping_timeout_ms, 200u);
    EXPECT_EQ(c.control_timeout_ms, 300u);
    EXPECT_EQ(c.ssh_connect_timeout_s, 1u);
    EXPECT_EQ(c.ssh_timeout_ms, 2500u);
    EXPECT_EQ(c.fence_rounds, 3);
    EXPECT_EQ(c.unfence_rounds, 4);
    EXPECT_TRUE(c.start_fenced);
    EXPECT_EQ(c.metrics_listen, "127.0.0.1:9651");
    ASSERT_EQ(c.peers.size(), 1u);
    const auto& p = c.peers[0];
    EXPECT_EQ(p.name, "node-b");
    EXPECT_EQ(p.address.str(), "192.0.2.2");
    ASSERT_TRUE(p.has_ssh);
    EXPECT_EQ(p.ssh.user, "xvrrp");
    EXPECT_EQ(p.ssh.host, "192.0.2.2");  // defaults to the ping address
    EXPECT_EQ(p.ssh.port, 2222);
    EXPECT_EQ(p.ssh.identity_file, "/etc/xvrrp/id_ed25519");
    EXPECT_EQ(p.ssh.known_hosts, "/etc/xvrrp/known_hosts");
    ASSERT_EQ(c.gateways.size(), 3u);
    EXPECT_EQ(c.gateways[2].str(), "2001:db8::1");
    EXPECT_EQ(c.quorum, 2);
}

TEST(ArbiterConfig, DefaultsAndMajorityQuorum) {
    ArbiterLoad r = loadArbiterText(
        "arbiter {\n node_name a\n instances all\n}\n"
        "gateways {\n 10.0.0.1\n 10.0.0.2\n 10.0.0.3\n}\n",
        "a.conf");
    ASSERT_TRUE(r.ok()) << joined(r);
    EXPECT_TRUE(r.config.instances.empty());
    EXPECT_EQ(r.config.quorum, 2);
    EXPECT_EQ(r.config.probe_interval_ms, 1000u);
    EXPECT_EQ(r.config.fence_rounds, 2);
    EXPECT_FALSE(r.config.start_fenced);
    EXPECT_EQ(r.config.control_socket, kDefaultControlSocket);
    EXPECT_EQ(r.config.metrics_listen, "");  // off unless asked for
}

struct Bad {
    const char* name;
    const char* text;
    const char* expect;  // substring of the diagnostics, with the position
};

class BadConfig : public ::testing::TestWithParam<Bad> {};

TEST_P(BadConfig, ErrorNamesPositionAndExpectation) {
    const Bad& b = GetParam();
    ArbiterLoad r = loadArbiterText(b.text, "bad.conf");
    EXPECT_FALSE(r.ok());
    EXPECT_NE(joined(r).find(b.expect), std::string::npos) << joined(r);
}

const Bad kBad[] = {
    {"typo", "arbiter {\n  node_name a\n  probe_intervall 1\n}\n",
     "bad.conf:3:3: error: unknown keyword 'probe_intervall' in arbiter; did you mean "
     "'probe_interval'?"},
    {"top_typo", "arbiter {\n}\npeers x {\n}\n",
     "bad.conf:3:1: error: unknown top-level keyword 'peers'; did you mean 'peer'?"},
    {"bad_seconds", "arbiter {\n  probe_interval 1s\n}\n",
     "bad.conf:2:18: error: probe_interval: expected seconds"},
    {"too_short", "arbiter {\n  probe_interval 0.01\n}\n", "bad.conf:2:18: error: probe_interval"},
    {"ping_not_shorter", "arbiter {\n  probe_interval 1\n  ping_timeout 1\n}\n",
     "ping_timeout must be shorter than probe_interval"},
    {"rounds_zero", "arbiter {\n  fence_after 0\n}\n",
     "bad.conf:2:15: error: fence_after: expected an integer 1..1000"},
    {"bool", "arbiter {\n  start_fenced maybe\n}\n",
     "bad.conf:2:16: error: 'start_fenced': expected on|off"},
    {"no_arbiter", "gateways {\n 10.0.0.1\n}\n", "missing 'arbiter { ... }' block"},
    {"peer_no_address", "arbiter {\n}\npeer b {\n}\n",
     "bad.conf:3:1: error: peer b: 'address' is required"},
    {"peer_bad_address", "arbiter {\n}\npeer b {\n  address 10.0.0.300\n}\n",
     "bad.conf:4:11: error: address: expected an IPv4 or IPv6 address, got '10.0.0.300'"},
    {"peer_twice", "arbiter {\n}\npeer b {\n address 10.0.0.2\n}\npeer b {\n address 10.0.0.3\n}\n",
     "bad.conf:6:6: error: peer b defined twice"},
    {"ssh_missing_known_hosts",
     "arbiter {\n}\npeer b {\n address 10.0.0.2\n ssh {\n  user x\n  identity_file /k\n }\n}\n",
     "bad.conf:5:2: error: ssh of peer b: 'known_hosts' is required"},
    {"ssh_user_option_injection",
     "arbiter {\n}\npeer b {\n address 10.0.0.2\n ssh {\n  user -oProxyCommand=x\n  identity_file "
     "/k\n  known_hosts /h\n }\n}\n",
     "bad.conf:6:8: error: user '-oProxyCommand=x' must not start with '-'"},
    {"ssh_host_shell",
     "arbiter {\n}\npeer b {\n address 10.0.0.2\n ssh {\n  user x\n  host \"h;reboot\"\n  "
     "identity_file /k\n  known_hosts /h\n }\n}\n",
     "bad.conf:7:8: error: host 'h;reboot' must not start"},
    {"ssh_port", "arbiter {\n}\npeer b {\n address 10.0.0.2\n ssh {\n  port 70000\n }\n}\n",
     "bad.conf:6:8: error: port: expected an integer 1..65535"},
    {"remote_shell", "arbiter {\n  remote_xvrrpctl \"xvrrpctl; rm\"\n}\n",
     "bad.conf:2:19: error: remote_xvrrpctl reaches the peer's shell"},
    {"quorum_too_big", "arbiter {\n}\ngateways {\n quorum 3\n 10.0.0.1\n 10.0.0.2\n}\n",
     "bad.conf:4:2: error: quorum 3 is more than the 2 gateways listed"},
    {"gateway_garbage", "arbiter {\n}\ngateways {\n gw1\n}\n",
     "bad.conf:4:2: error: gateways: expected 'quorum K' or one IP address a line, got 'gw1'"},
    {"unclosed", "arbiter {\n  node_name a\n", "bad.conf"},
    // Issue 9 item 8: what reaches the peer's shell and ssh's own expansion.
    {"remote_env_assignment", "arbiter {\n  remote_xvrrpctl LD_PRELOAD=/tmp/x.so\n}\n",
     "bad.conf:2:19: error: remote_xvrrpctl reaches the peer's shell"},
    {"known_hosts_two_files",
     "arbiter {\n}\npeer b {\n address 10.0.0.2\n ssh {\n  user x\n  identity_file /k\n"
     "  known_hosts \"/etc/kh /tmp/mine\"\n }\n}\n",
     "bad.conf:8:15: error: 'known_hosts' reaches ssh"},
    {"identity_token",
     "arbiter {\n}\npeer b {\n address 10.0.0.2\n ssh {\n  user x\n  identity_file /k_%h\n"
     "  known_hosts /h\n }\n}\n",
     "bad.conf:7:17: error: 'identity_file' reaches ssh"},
    {"identity_relative",
     "arbiter {\n}\npeer b {\n address 10.0.0.2\n ssh {\n  user x\n  identity_file ~/.ssh/k\n"
     "  known_hosts /h\n }\n}\n",
     "bad.conf:7:17: error: 'identity_file' reaches ssh"},
    {"node_name_not_utf8", "arbiter {\n  node_name a\xff\n}\n",
     "bad.conf:2:13: error: node_name must be printable UTF-8, got 'a\\xff'"},
    {"peer_name_escape", "arbiter {\n}\npeer \"b\x1b[2J\" {\n address 10.0.0.2\n}\n",
     "bad.conf:3:6: error: a peer name must be printable UTF-8"},
    {"args", "arbiter {\n  node_name\n}\n", "bad.conf:2:3: error: 'node_name' expects one name"},
    {"metrics_port", "arbiter {\n  metrics 70000\n}\n", "bad.conf:2:11: error: metrics: '70000'"},
    {"metrics_host", "arbiter {\n  metrics gw:9651\n}\n",
     "bad.conf:2:11: error: metrics: 'gw:9651': 'gw' is not an IP address"},
    {"metrics_none", "arbiter {\n  metrics\n}\n", "bad.conf:2:3: error: 'metrics' expects"},
    // Issue 15: the witness block.
    {"witness_kind", "arbiter {\n}\nwitness zookeeper {\n}\n",
     "bad.conf:3:1: error: 'witness' expects a kind and a block: witness etcd"},
    {"witness_no_endpoints", "arbiter {\n}\nwitness etcd {\n  lease_ttl 20\n}\n",
     "bad.conf:3:1: error: witness: 'endpoints' is required"},
    {"witness_typo", "arbiter {\n}\nwitness etcd {\n  endpoint http://10.0.0.1:2379\n}\n",
     "bad.conf:4:3: error: unknown keyword 'endpoint' in witness; did you mean 'endpoints'?"},
    {"witness_url_scheme", "arbiter {\n}\nwitness etcd {\n  endpoints 10.0.0.1:2379\n}\n",
     "bad.conf:4:13: error: endpoints: expected http://HOST:PORT or https://HOST:PORT, got "
     "'10.0.0.1:2379'"},
    {"witness_url_port", "arbiter {\n}\nwitness etcd {\n  endpoints http://a:1 http://b\n}\n",
     "bad.conf:4:24: error: endpoints: the port is missing"},
    {"witness_url_path",
     "arbiter {\n}\nwitness etcd {\n  endpoints http://10.0.0.1:2379/v3/kv\n}\n",
     "bad.conf:4:13: error: endpoints: bad port"},
    {"witness_url_twice",
     "arbiter {\n}\nwitness etcd {\n  endpoints http://a:2379 http://a:2379/\n}\n",
     "bad.conf:4:27: error: endpoints: 'http://a:2379' listed twice"},
    {"witness_mixed",
     "arbiter {\n}\nwitness etcd {\n  endpoints http://a:1 https://b:1\n  tls {\n   ca_file "
     "/ca\n  }\n}\n",
     "bad.conf:3:1: error: witness: endpoints mix http and https"},
    {"witness_https_no_tls", "arbiter {\n}\nwitness etcd {\n  endpoints https://a:1\n}\n",
     "bad.conf:3:1: error: witness: https endpoints need a tls"},
    {"witness_tls_relative",
     "arbiter {\n}\nwitness etcd {\n  endpoints https://a:1\n  tls {\n   ca_file ca.pem\n"
     "  }\n}\n",
     "bad.conf:6:12: error: 'ca_file' expects an absolute path, got 'ca.pem'"},
    {"witness_tls_half_pair",
     "arbiter {\n}\nwitness etcd {\n  endpoints https://a:1\n  tls {\n   ca_file /ca\n"
     "   cert_file /c\n  }\n}\n",
     "bad.conf:5:3: error: tls: 'cert_file' and 'key_file' go together"},
    {"witness_ttl", "arbiter {\n}\nwitness etcd {\n  endpoints http://a:1\n  lease_ttl 1\n}\n",
     "bad.conf:5:13: error: lease_ttl: expected an integer 2..3600, got '1'"},
    {"witness_ttl_too_short_for_rounds",
     "arbiter {\n  probe_interval 1\n  ssh_timeout 4\n}\nwitness etcd {\n  endpoints "
     "http://a:1\n  lease_ttl 12\n}\n",
     "bad.conf:5:1: error: witness: lease_ttl 12 s is too short"},
    // 9 s: lead 6.5 s (3 rounds of 2 s + 0.5 s margin) + 1 s request + a 2 s etcd election
    // (integration.arbiter_witness_leader: with 8 s the owner yielded during an election).
    {"witness_ttl_shorter_than_an_election",
     "arbiter {\n  probe_interval 0.5\n  ping_timeout 0.3\n  ssh_timeout 2\n}\nwitness etcd {\n"
     "  endpoints http://a:1\n  lease_ttl 9\n  timeout 0.5\n}\n",
     "bad.conf:6:1: error: witness: lease_ttl 9 s is too short"},
    {"witness_max_election",
     "arbiter {\n}\nwitness etcd {\n  endpoints http://a:1\n  max_election soon\n}\n",
     "bad.conf:5:16: error: max_election"},
    {"witness_on_loss",
     "arbiter {\n}\nwitness etcd {\n  endpoints http://a:1\n  on_witness_loss maybe\n}\n",
     "bad.conf:5:19: error: on_witness_loss: expected hold or fence, got 'maybe'"},
    {"witness_prefix_space",
     "arbiter {\n}\nwitness etcd {\n  endpoints http://a:1\n  prefix \"/a b\"\n}\n",
     "bad.conf:5:10: error: prefix: expected printable UTF-8 without spaces"},
    {"witness_twice",
     "arbiter {\n}\nwitness etcd {\n  endpoints http://a:1\n}\nwitness etcd {\n  endpoints "
     "http://a:1\n}\n",
     "bad.conf:6:1: error: witness defined twice"},
};

INSTANTIATE_TEST_SUITE_P(Arbiter, BadConfig, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ArbiterConfig, WitnessBlock) {
    ArbiterLoad r = loadArbiterText(
        "arbiter {\n probe_interval 0.5\n ping_timeout 0.2\n ssh_timeout 2\n}\n"
        "witness etcd {\n endpoints https://10.0.0.1:2379 https://[2001:db8::2]:2379/ "
        "https://etcd-3.example:2379\n prefix /xv/site1/\n lease_ttl 10\n timeout 0.4\n"
        " clock_margin 0.25\n max_election 1.5\n on_witness_loss fence\n tls {\n  ca_file /etc/xvrrp/ca.pem\n"
        "  cert_file /etc/xvrrp/c.pem\n  key_file /etc/xvrrp/c.key\n }\n}\n",
        "w.conf");
    ASSERT_TRUE(r.ok()) << joined(r);
    ASSERT_TRUE(r.config.witness);
    const auto& w = *r.config.witness;
    EXPECT_EQ(w.endpoints, (std::vector<std::string>{"https://10.0.0.1:2379",
                                                     "https://[2001:db8::2]:2379",
                                                     "https://etcd-3.example:2379"}));
    EXPECT_EQ(w.prefix, "/xv/site1/");
    EXPECT_EQ(w.lease_ttl_s, 10u);
    EXPECT_EQ(w.timeout_ms, 400u);
    EXPECT_EQ(w.clock_margin_ms, 250u);
    EXPECT_EQ(w.max_election_ms, 1500u);
    EXPECT_EQ(w.on_loss, OnWitnessLoss::Fence);
    EXPECT_TRUE(w.tls);
    EXPECT_EQ(w.ca_file, "/etc/xvrrp/ca.pem");
    EXPECT_EQ(w.key_file, "/etc/xvrrp/c.key");
    EXPECT_EQ(joined(r).find("warning: witness"), std::string::npos) << joined(r);
    // (fence_after 2 + 1) x max(0.5, 2, 0.4) s + 0.25 s.
    EXPECT_EQ(witnessYieldLeadMs(r.config), 6250u);
}

TEST(ArbiterConfig, WitnessDefaultsAndWarnings) {
    ArbiterLoad r = loadArbiterText(
        "arbiter {\n}\nwitness etcd {\n endpoints http://127.0.0.1:2379\n}\n", "w.conf");
    ASSERT_TRUE(r.ok()) << joined(r);
    const auto& w = *r.config.witness;
    EXPECT_EQ(w.prefix, "/xvrrp/");
    EXPECT_EQ(w.lease_ttl_s, 20u);
    EXPECT_EQ(w.max_election_ms, 2000u);
    EXPECT_EQ(w.on_loss, OnWitnessLoss::Hold);
    EXPECT_FALSE(w.tls);
    EXPECT_NE(joined(r).find("w.conf:3:1: warning: witness: plain HTTP"), std::string::npos)
        << joined(r);
    EXPECT_NE(joined(r).find("w.conf:3:1: warning: witness: fewer than 3 endpoints"),
              std::string::npos)
        << joined(r);
    EXPECT_FALSE(loadArbiterText("arbiter {\n}\n", "n.conf").config.witness);
}

TEST(ArbiterConfig, WarnsAboutPeerWithoutSsh) {
    ArbiterLoad r = loadArbiterText(
        "arbiter {\n}\npeer b {\n address 10.0.0.2\n}\ngateways {\n 10.0.0.1\n}\n", "w.conf");
    EXPECT_TRUE(r.ok());
    EXPECT_NE(joined(r).find("w.conf:3:1: warning: peer b has no ssh block"), std::string::npos)
        << joined(r);
}

TEST(ArbiterConfig, CheckModeReadsIncludesAndReportsFile) {
    auto dir =
        std::filesystem::temp_directory_path() / ("xvt-arbcfg-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / "arbiter.conf") << "arbiter {\n node_name a\n}\ninclude peers/*.conf\n";
        std::filesystem::create_directories(dir / "peers");
        std::ofstream(dir / "peers" / "b.conf") << "peer b {\n address 10.0.0.2\n bogus 1\n}\n";
    }
    std::ostringstream out;
    int rc = checkArbiterConfig((dir / "arbiter.conf").string(), out);
    std::filesystem::remove_all(dir);
    EXPECT_EQ(rc, 1);
    EXPECT_NE(out.str().find("peers/b.conf:3:2: error: unknown keyword 'bogus' in peer"),
              std::string::npos)
        << out.str();
    EXPECT_NE(out.str().find("1 error(s)"), std::string::npos) << out.str();
}

TEST(ArbiterConfig, CheckModeOk) {
    auto path = std::filesystem::temp_directory_path() /
                ("xvt-arbok-" + std::to_string(::getpid()) + ".conf");
    std::ofstream(path) << kGood;
    std::ostringstream out;
    EXPECT_EQ(checkArbiterConfig(path.string(), out), 0) << out.str();
    std::filesystem::remove(path);
    EXPECT_NE(out.str().find("ok: node node-a, 1 peer(s), 3 gateway(s), quorum 2"),
              std::string::npos)
        << out.str();
}

TEST(ArbiterConfig, ShellSafeWords) {
    EXPECT_TRUE(isShellSafeWord("/usr/sbin/xvrrpctl"));
    EXPECT_TRUE(isShellSafeWord("fe80::1"));
    for (const char* w : {"", "a b", "a;b", "$(x)", "`x`", "a|b", "a&b", "'a'", "\"a\"", "a>b",
                          "a\nb", "*", "PATH=/tmp", "%h", "~"})
        EXPECT_FALSE(isShellSafeWord(w)) << w;
}

}  // namespace
}  // namespace xvrrp::arbiter
