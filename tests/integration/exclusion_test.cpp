// One xvrrpd per pin root and per interface: a second one refuses to start, names the
// running one, and the first keeps serving (before, it called the first one's maps stale,
// replaced its XDP program, and took the VIP and XDP with it when it stopped).
#include <csignal>
#include <filesystem>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

class Exclusion : public PairFixture {
  protected:
    Exclusion() : PairFixture("excl") {}
    // A second daemon in n1's namespace; returns its exit and stderr.
    lab::RunResult second(const std::string& pinRoot) {
        auto r = lab_->node("n1").run({xvrrpdBin(), "-n", "-l", "-G", "-f", n1_->configPath(),
                                       "--pin-root", pinRoot, "--control",
                                       lab_->logDir() + "/second.sock", "-p",
                                       lab_->logDir() + "/second.pid"},
                                      std::chrono::seconds(20));
        std::error_code ec;
        if (pinRoot != n1_->pinRoot()) std::filesystem::remove_all(pinRoot, ec);  // its xv_fence
        return r;
    }
    void expectFirstServes() {
        EXPECT_EQ(n1_->state(), "MASTER");
        EXPECT_TRUE(n1_->holds(*IpAddr::parse("10.77.0.100")));
        EXPECT_TRUE(n1_->xdpAttached());
        EXPECT_TRUE(holdsFor([&] { return n2_->state() == "BACKUP"; }, Ms(1000)))
            << "the backup took over";
    }
};

TEST_F(Exclusion, ASecondDaemonOnThePinRootOrInterfaceRefuses) {
    InstanceSpec spec;
    spec.vip = "10.77.0.100/24";
    spec.priority = 150;
    n1_->start(renderConfig("n1", spec));
    spec.priority = 100;
    n2_->start(renderConfig("n2", spec));
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(10000)));
    ASSERT_TRUE(waitState(*n2_, "BACKUP", Ms(10000)));
    const std::string pid = std::to_string(n1_->status()->at("daemon").at("pid").get<int>());

    auto r = second(n1_->pinRoot());
    EXPECT_NE(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("pin root " + n1_->pinRoot() + " is in use by xvrrpd pid " + pid),
              std::string::npos)
        << r.err;
    expectFirstServes();

    // Another pin root, the same interface.
    r = second("/sys/fs/bpf/" + lab_->node("n1").name() + "-2");
    EXPECT_NE(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("eth0 is served by xvrrpd pid " + pid), std::string::npos) << r.err;
    expectFirstServes();
}

// The second daemon (another pin root, the same interface and VRID) refuses before it
// changes anything: before, it applied static_ipaddress, started its trackers, and its failed
// start then removed the first daemon's static address.
TEST_F(Exclusion, ASecondDaemonOnTheInterfaceChangesNothing) {
    InstanceSpec spec;
    spec.vip = "10.77.0.100/24";
    spec.priority = 150;
    const std::string statics = "static_ipaddress {\n  10.77.9.1/32 dev eth0\n}\n";
    n1_->start(renderConfig("n1", spec) + statics);
    spec.priority = 100;
    n2_->start(renderConfig("n2", spec));
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(10000)));
    ASSERT_TRUE(waitState(*n2_, "BACKUP", Ms(10000)));
    const IpAddr fixed = *IpAddr::parse("10.77.9.1");
    ASSERT_TRUE(n1_->holds(fixed));
    const std::string pid = std::to_string(n1_->status()->at("daemon").at("pid").get<int>());

    auto r = second("/sys/fs/bpf/" + lab_->node("n1").name() + "-2");
    EXPECT_NE(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("eth0 is served by xvrrpd pid " + pid), std::string::npos) << r.err;
    EXPECT_TRUE(n1_->holds(fixed)) << "the second daemon removed the first's static address";
    expectFirstServes();
}

}  // namespace
}  // namespace xvrrp::itest
