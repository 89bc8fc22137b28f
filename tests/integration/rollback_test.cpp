// Back to keepalived (issue 12): after `kill -9` of xvrrpd, a keepalived 2.2.7 started on
// the node with the same keepalived.conf hears the peer at once (the stale heartbeat makes
// xv_rx pass VRRP to the stack; before, it kept consuming adverts and keepalived went
// MASTER beside the peer); `xvrrpd --cleanup` then leaves nothing of xvrrpd on the node,
// and keepalived, made master there, serves the VIP.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

namespace fs = std::filesystem;

std::string keepalivedBin() {
    for (const char* p : {"/usr/sbin/keepalived", "/usr/bin/keepalived", "/sbin/keepalived"})
        if (fs::exists(p)) return p;
    return "";
}

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

class Rollback : public PairFixture {
  protected:
    Rollback() : PairFixture("rb") {}

    Variant variant() const {
        Variant v = makeVariant("v3_ipv4", 3, Family::V4, false);
        v.advertInt = 1;  // keepalived's default
        return v;
    }

    // keepalived in NODE's namespace with NODE's xvrrpd config, as the interop tests run it.
    void startKeepalived(XvrrpdNode& node) {
        const std::string bin = keepalivedBin();
        ASSERT_FALSE(bin.empty()) << "keepalived is not installed (tools/test installs it)";
        const std::string base = lab_->logDir() + "/" + node.name() + ".ka";
        kaLog_ = base + ".log";
        node.ns().spawn({bin, "-n", "-l", "-D", "-G", "--vrrp", "-f", node.configPath(), "-p",
                         base + ".pid", "-r", base + ".vrrp.pid", "-b", base + ".bfd.pid", "-c",
                         base + ".chk.pid"},
                        kaLog_);
    }
    std::string kaLog() const { return readFile(kaLog_); }

    // `xvrrpd --cleanup` with the options NODE's daemon ran with.
    lab::RunResult cleanup(XvrrpdNode& node) {
        return node.ns().run(
            {xvrrpdBin(), "--cleanup", "-f", node.configPath(), "--pin-root", node.pinRoot(),
             "--control", node.controlPath(), "-p", node.pidPath()},
            std::chrono::seconds(30));
    }

    // Nothing of xvrrpd on NODE's eth0 or under its pin root.
    void expectNothingLeft(XvrrpdNode& node) {
        EXPECT_FALSE(node.xdpAttached()) << "ip link still shows XDP on eth0";
        const auto net =
            nlohmann::json::parse(node.ns().runOk({"bpftool", "-j", "net", "show", "dev", "eth0"}));
        for (const auto& entry : net)
            for (const char* hook : {"xdp", "tc"})
                EXPECT_TRUE(!entry.contains(hook) || entry[hook].empty())
                    << "bpftool net: " << entry.dump();
        EXPECT_FALSE(has(node.ns().runOk({"tc", "qdisc", "show", "dev", "eth0"}), "clsact"));
        EXPECT_EQ(node.ns().runOk({"tc", "filter", "show", "dev", "eth0", "egress"}), "");
        EXPECT_FALSE(fs::exists(node.pinRoot())) << node.pinRoot() << " is left";
        EXPECT_FALSE(fs::exists(node.controlPath()));
        EXPECT_FALSE(fs::exists(node.pidPath()));
    }

    std::string kaLog_;
};

// The backup's xvrrpd dies; keepalived replaces it there.
TEST_F(Rollback, KeepalivedAfterKill9HearsThePeerAndTakesOverAfterCleanup) {
    const Variant v = variant();
    const IpAddr ip = vip(v);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    ASSERT_TRUE(clientReaches(ip, seconds(5)));

    n2_->signal(SIGKILL);
    ASSERT_TRUE(n2_->waitExit(seconds(5)));
    ASSERT_TRUE(n2_->xdpAttached()) << "kill -9 leaves the XDP program (dead-man switch)";
    ASSERT_NO_FATAL_FAILURE(startKeepalived(*n2_));
    ASSERT_TRUE(
        waitUntil([&] { return has(kaLog(), "(VI_1) Entering BACKUP STATE"); }, seconds(10)))
        << kaLog();

    // Two of keepalived's Master_Down_Intervals: one that hears nothing goes MASTER in one.
    const double window = 2 * masterDownInterval(100, v.advertInt) + 1;
    Prober probe(*lab_, lab_->node("client"), ip, 10000, static_cast<int>(window));
    ASSERT_TRUE(probe.waitReady(seconds(5)));
    EXPECT_TRUE(
        holdsFor([&] { return n1_->holds(ip) && !n2_->holds(ip) && !has(kaLog(), "MASTER STATE"); },
                 seconds(window - 1), Ms(100)))
        << "dual master: keepalived did not hear n1\n"
        << tail(kaLog());
    EXPECT_EQ(n1_->state(), "MASTER");
    auto report = probe.finish();
    ASSERT_TRUE(report);
    EXPECT_LT((*report)["longest_gap_ms"].get<double>(), 200) << report->dump();

    auto r = cleanup(*n2_);
    std::printf("[ xvrrpd --cleanup ]\n%s", r.out.c_str());
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_TRUE(has(r.out, "removed XDP program xv_rx")) << r.out;
    EXPECT_TRUE(has(r.out, "removed TC egress filter")) << r.out;
    EXPECT_TRUE(has(r.out, "removed the clsact qdisc xvrrpd created on eth0")) << r.out;
    EXPECT_TRUE(has(r.out, "removed the pin root")) << r.out;
    EXPECT_TRUE(has(r.out, "keepalived (pid")) << r.out;  // it owns the VIPs now
    expectNothingLeft(*n2_);
    r = cleanup(*n2_);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(has(r.out, "nothing of xvrrpd to remove")) << r.out;

    // keepalived becomes master there and serves the VIP.
    n1_->signal(SIGTERM);
    ASSERT_TRUE(n1_->waitExit(seconds(10)));
    ASSERT_TRUE(waitUntil([&] { return has(kaLog(), "(VI_1) Entering MASTER STATE"); },
                          seconds(masterDownInterval(100, v.advertInt) + 5)))
        << kaLog();
    EXPECT_TRUE(waitUntil([&] { return n2_->holds(ip); }, seconds(5)));
    EXPECT_TRUE(clientReaches(ip, seconds(5))) << "keepalived's VIP does not answer";
}

// A crashed master: --cleanup takes its VIP off before XDP (which drops its traffic) goes,
// so the address never answers beside the new master.
TEST_F(Rollback, CleanupAfterACrashedMasterRemovesItsVip) {
    const Variant v = variant();
    const IpAddr ip = vip(v);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    n1_->signal(SIGKILL);
    ASSERT_TRUE(n1_->waitExit(seconds(5)));
    ASSERT_TRUE(waitState(*n2_, "MASTER", seconds(masterDownInterval(100, v.advertInt) + 5)));
    ASSERT_TRUE(n1_->holds(ip)) << "kill -9 leaves the VIP on the master";

    auto r = cleanup(*n1_);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_TRUE(has(r.out, "removed VIP " + ip.str() + "/24 from eth0")) << r.out;
    EXPECT_FALSE(n1_->holds(ip));
    expectNothingLeft(*n1_);
    EXPECT_TRUE(clientReaches(ip, seconds(5)));
    EXPECT_EQ(vipHolders(ip), 1);
}

// use_vmac: the crashed master's VMAC (which carries the VIP) goes too.
TEST_F(Rollback, CleanupAfterACrashedMasterRemovesItsVmac) {
    const Variant v = variant();
    const IpAddr ip = vip(v);
    auto vmacConfig = [&](const std::string& node, int priority) {
        std::string c = renderConfig(node, spec(node, priority, v));
        c.replace(c.find("interface eth0\n"), 15, "interface eth0\n  use_vmac\n");
        c.replace(c.find(" dev eth0\n"), 10, "\n");
        return c;
    };
    n1_->start(vmacConfig("n1", 150));
    n2_->start(vmacConfig("n2", 100));
    ASSERT_TRUE(waitState(*n1_, "MASTER", electionLimit(v, 150)));
    ASSERT_TRUE(waitState(*n2_, "BACKUP", electionLimit(v, 100)));
    ASSERT_TRUE(lab::hasAddress(n1_->ns(), "vrrp.51", ip));
    n1_->signal(SIGKILL);
    ASSERT_TRUE(n1_->waitExit(seconds(5)));
    ASSERT_TRUE(waitState(*n2_, "MASTER", seconds(masterDownInterval(100, v.advertInt) + 5)));

    auto r = cleanup(*n1_);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_TRUE(has(r.out, "removed VMAC vrrp.51 on eth0")) << r.out;
    EXPECT_FALSE(has(n1_->ns().runOk({"ip", "-br", "link"}), "vrrp.51"));
    expectNothingLeft(*n1_);
    EXPECT_TRUE(clientReaches(ip, seconds(5)));
}

// A live daemon's pin root is refused (nothing changes); so is a hung one's.
TEST_F(Rollback, CleanupRefusesWhileTheDaemonRunsOrHangs) {
    const Variant v = variant();
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    const std::string pid = std::to_string(n1_->status()->at("daemon").at("pid").get<int>());
    for (int sig : {0, SIGSTOP}) {
        if (sig) n1_->signal(sig);
        auto r = cleanup(*n1_);
        EXPECT_NE(r.exitCode, 0) << r.out;
        EXPECT_TRUE(has(r.err, "xvrrpd pid " + pid)) << r.err;
        EXPECT_TRUE(has(r.err, "Nothing removed")) << r.err;
        EXPECT_TRUE(n1_->xdpAttached());
        EXPECT_FALSE(n1_->pinnedEntries().empty());
        EXPECT_TRUE(fs::exists(n1_->controlPath()));
    }
    n1_->signal(SIGCONT);
    EXPECT_TRUE(waitState(*n1_, "MASTER", seconds(10)));
    EXPECT_TRUE(waitState(*n2_, "BACKUP", seconds(10)));
}

// Only ours: a clsact qdisc that was there before xvrrpd stays, with its filter.
TEST_F(Rollback, CleanupLeavesAQdiscItDidNotCreate) {
    const Variant v = variant();
    lab_->node("n2").runOk({"tc", "qdisc", "add", "dev", "eth0", "clsact"});
    lab_->node("n2").runOk({"tc", "filter", "add", "dev", "eth0", "ingress", "prio", "7", "u32",
                            "match", "u32", "0", "0"});
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    n2_->signal(SIGKILL);
    ASSERT_TRUE(n2_->waitExit(seconds(5)));
    auto r = cleanup(*n2_);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_TRUE(has(r.out, "removed TC egress filter")) << r.out;
    EXPECT_TRUE(has(r.out, "kept the clsact qdisc on eth0")) << r.out;
    EXPECT_TRUE(has(lab_->node("n2").runOk({"tc", "qdisc", "show", "dev", "eth0"}), "clsact"));
    EXPECT_TRUE(
        has(lab_->node("n2").runOk({"tc", "filter", "show", "dev", "eth0", "ingress"}), "u32"));
    EXPECT_EQ(lab_->node("n2").runOk({"tc", "filter", "show", "dev", "eth0", "egress"}), "");
    EXPECT_FALSE(n2_->xdpAttached());
    EXPECT_FALSE(fs::exists(n2_->pinRoot()));
}

}  // namespace
}  // namespace xvrrp::itest
