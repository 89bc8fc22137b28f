// xvrrpd's command line against real files: every user config in the seed set
// passes -t, a broken one is refused with FILE:LINE:COL, and a daemon started on
// a broken config changes nothing on the system (STYLE.md: validate first).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "lab/lab.hpp"
#include "lab/net_query.hpp"
#include "lab/netns.hpp"
#include "xvrrpd_node.hpp"

namespace xvrrp::itest {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> seedConfigs() {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(XVRRP_SEEDS_DIR, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".conf") out.push_back(it->path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string writeTemp(const std::string& dir, const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
}

// Line 4 has the error: a VRID outside 1..255 (RFC 5798 section 5.2.3).
constexpr const char* kBadVrid = R"(global_defs {
}
vrrp_instance VI_1 {
  virtual_router_id 300
  interface eth0
  priority 100
  advert_int 0.1
  virtual_ipaddress {
    10.77.0.100/24 dev eth0
  }
}
)";

// Line 7 has the error: an IPv6 VIP in an IPv4 instance; the syntax is fine.
constexpr const char* kMixedFamily = R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.77.0.100/24 dev eth0
    fd00:77::100/64 dev eth0
  }
}
)";

// Line 3 has the error: a block that never closes.
constexpr const char* kUnclosed = R"(vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51 {
  virtual_ipaddress {
    10.77.0.100/24 dev eth0
  }
)";

struct BadConfig {
    const char* name;
    const char* text;
    int line;
};

const BadConfig kBadConfigs[] = {
    {"bad_vrid.conf", kBadVrid, 4},
    {"mixed_family.conf", kMixedFamily, 7},
    {"unclosed.conf", kUnclosed, 3},
};

class Cli : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/xvt-cli-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string dir_;
};

// Usable (exit 0, or 5 where keepalived -t reports warnings too) in a namespace that has the
// interfaces each names; without them, refused naming them as keepalived does
// (interop.config_verdict compares both verdicts with keepalived's).
TEST_F(Cli, EverySeedConfigPassesConfigTestWhereItsInterfacesExist) {
    ASSERT_TRUE(fs::is_directory(XVRRP_SEEDS_DIR)) << XVRRP_SEEDS_DIR << " is missing";
    const auto seeds = seedConfigs();
    ASSERT_FALSE(seeds.empty()) << "no *.conf in " << XVRRP_SEEDS_DIR;
    static const std::regex kMissing(R"(interface (\S+) (?:for .*)?doesn't exist)");
    for (const auto& seed : seeds) {
        lab::Netns ns("cli");
        auto bare = ns.run({xvrrpdBin(), "-t", "-f", seed.string()});
        EXPECT_EQ(bare.exitCode, 1) << seed << "\n" << bare.err << bare.out;
        std::set<std::string> names;
        for (std::sregex_iterator it(bare.err.begin(), bare.err.end(), kMissing), end; it != end; ++it)
            names.insert((*it)[1]);
        EXPECT_FALSE(names.empty()) << seed << "\n" << bare.err;
        int n = 0;
        for (const auto& name : names) {
            const std::string peer = "zzpeer" + std::to_string(++n);
            ns.runOk({"ip", "link", "add", name, "type", "veth", "peer", "name", peer});
            ns.runOk({"ip", "link", "set", name, "up"});
        }
        auto r = ns.run({xvrrpdBin(), "-t", "-f", seed.string()});
        EXPECT_TRUE(r.exitCode == 0 || r.exitCode == 5) << seed << "\n" << r.err << r.out;
        EXPECT_NE(r.err.find("configuration is usable"), std::string::npos) << seed << "\n" << r.err;
    }
}

TEST_F(Cli, BrokenConfigsFailConfigTestWithFileLineColumn) {
    for (const auto& bad : kBadConfigs) {
        const std::string path = writeTemp(dir_, bad.name, bad.text);
        auto r = lab::runIn("", {xvrrpdBin(), "-t", "-f", path});
        EXPECT_NE(r.exitCode, 0) << bad.name << " passed -t:\n" << r.err;
        const std::regex where(path + ":" + std::to_string(bad.line) + ":[0-9]+: error");
        EXPECT_TRUE(std::regex_search(r.err + r.out, where))
            << bad.name << ": expected " << path << ":" << bad.line << ":COL: error in\n"
            << r.err << r.out;
    }
}

TEST_F(Cli, MissingFileAndBadOptionsAreRefused) {
    const std::string missing = dir_ + "/no-such.conf";
    auto r = lab::runIn("", {xvrrpdBin(), "-t", "-f", missing});
    EXPECT_NE(r.exitCode, 0);
    EXPECT_NE((r.err + r.out).find(missing), std::string::npos) << r.err;

    r = lab::runIn("", {xvrrpdBin(), "--no-such-option"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.err.find("unknown option --no-such-option (xvrrpd --help)"), std::string::npos)
        << r.err;

    r = lab::runIn("", {xvrrpdBin(), "-f"});
    EXPECT_EQ(r.exitCode, 2) << r.err;
}

TEST_F(Cli, DaemonOnABrokenConfigChangesNothing) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
    lab::Lab lab({"n1"}, {.tag = "cli"});
    const IpAddr vip4 = lab.vip4(100);
    const IpAddr vip6 = lab.vip6(0x100);
    for (const auto& bad : kBadConfigs) {
        SCOPED_TRACE(bad.name);
        const std::string path = writeTemp(dir_, bad.name, bad.text);
        const std::string pinRoot = "/sys/fs/bpf/" + lab.node("n1").name();
        const std::string sock = dir_ + "/n1.sock";
        auto r = lab.node("n1").run({xvrrpdBin(), "-n", "-l", "-G", "-f", path, "--pin-root",
                                     pinRoot, "--control", sock, "-p", dir_ + "/n1.pid"},
                                    std::chrono::seconds(10));
        EXPECT_NE(r.exitCode, 0) << r.err;
        EXPECT_NE(r.exitCode, -1) << "xvrrpd kept running on a broken config";
        EXPECT_NE(r.err.find(path + ":" + std::to_string(bad.line) + ":"), std::string::npos)
            << r.err;
        EXPECT_FALSE(lab::hasAddress(lab.node("n1"), "eth0", vip4));
        EXPECT_FALSE(lab::hasAddress(lab.node("n1"), "eth0", vip6));
        auto link = lab.node("n1").runOk({"ip", "-d", "link", "show", "dev", "eth0"});
        EXPECT_EQ(link.find("xdp"), std::string::npos) << link;
        auto tc = lab.node("n1").run({"tc", "filter", "show", "dev", "eth0", "egress"});
        EXPECT_TRUE(tc.ok()) << "tc: " << tc.err;
        EXPECT_EQ(tc.out, "") << "egress filter left: " << tc.out;
        EXPECT_FALSE(fs::exists(pinRoot)) << pinRoot;
        EXPECT_FALSE(fs::exists(sock)) << sock;
        EXPECT_FALSE(fs::exists(dir_ + "/n1.pid"));
    }
}

}  // namespace
}  // namespace xvrrp::itest

namespace xvrrp::itest {
namespace {

// Without -n the parent waits for the daemon's start: its exit status and stderr say whether
// it came up (keepalived's parent exits 0 even when its child dies at once).
TEST_F(Cli, ForkingStartReportsFailureAndSuccess) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
    lab::Lab lab({"n1"}, {.tag = "clifork"});
    InstanceSpec spec;
    spec.vip = "10.77.0.100/24";
    const std::string conf = writeTemp(dir_, "fork.conf", renderConfig("n1", spec));
    const std::string pinRoot = "/sys/fs/bpf/" + lab.node("n1").name();
    const std::string sock = dir_ + "/fork.sock", pid = dir_ + "/fork.pid";
    const std::vector<std::string> args = {xvrrpdBin(), "-G", "-f", conf, "--pin-root", pinRoot,
                                           "--control", sock, "-p", pid};

    // The pid file names a live process (this test): the daemon refuses to start.
    std::ofstream(pid) << ::getpid() << "\n";
    auto r = lab.node("n1").run(args, std::chrono::seconds(20));
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_NE(r.err.find("pid file"), std::string::npos) << r.err;
    fs::remove(pid);

    // A good start: exit 0 once the daemon is up, which then answers on its socket.
    r = lab.node("n1").run(args, std::chrono::seconds(20));
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(fs::exists(sock)) << "the parent exited before the daemon was up";
    std::string daemonPid;
    std::ifstream(pid) >> daemonPid;
    ASSERT_FALSE(daemonPid.empty());
    lab.node("n1").run({"kill", "-TERM", daemonPid});
    EXPECT_TRUE(waitUntil([&] { return !fs::exists(pid); }, Ms(10000)));
    // The pin root is this test's: a stopped daemon keeps xv_fence pinned (fences outlive it),
    // and 10 such roots were left in bpffs.
    std::error_code ec;
    fs::remove_all(pinRoot, ec);
}

}  // namespace
}  // namespace xvrrp::itest
