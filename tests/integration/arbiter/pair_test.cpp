// integration.arbiter_pair: real xvrrpd on n1 (priority 150) and n2 (100) with an arbiter on
// each, the client node as the gateway. The peer query goes through a stand-in ssh that runs
// xvrrpctl against the peer's control socket (the SSH transport itself is covered by
// integration.arbiter_ssh). VRRP is cut with an nftables egress drop on both nodes, so the
// client network keeps working while both become MASTER.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "arbiter_steps.hpp"
#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

namespace fs = std::filesystem;

class ArbiterPair : public PairFixture {
  protected:
    ArbiterPair() : PairFixture("arbpair") {}

    void startArbiter(XvrrpdNode& self, const std::string& peer) {
        const std::string dir = lab_->logDir();
        const std::string me = self.name();
        std::ofstream(dir + "/" + me + "-ssh")
            << "#!/bin/sh\nif [ -e " << dir << "/" << me << "-ssh-down ]; then\n"
            << "  echo 'ssh: connect to host port 22: Connection refused' >&2; exit 255\nfi\n"
            << "exec " << xvrrpctlBin() << " --control " << dir << "/" << peer
            << ".sock status --json\n";
        ::chmod((dir + "/" + me + "-ssh").c_str(), 0755);
        std::ofstream(dir + "/" + me + "-arbiter.conf")
            << "arbiter {\n  node_name " << me << "\n  xvrrpd_socket " << dir << "/" << me
            << ".sock\n"
            << "  pin_root " << self.pinRoot() << "\n  control_socket " << sock(me) << "\n"
            << "  audit_log " << audit(me) << "\n  ssh_program " << dir << "/" << me << "-ssh\n"
            << "  probe_interval 0.3\n  ping_timeout 0.2\n  control_timeout 0.2\n"
            << "  ssh_connect_timeout 1\n  ssh_timeout 1\n  fence_after 2\n  unfence_after 3\n}\n"
            << "peer " << peer << " {\n  address " << lab_->v4(peer).str() << "\n"
            << "  ssh {\n    user root\n    identity_file /dev/null\n    known_hosts /dev/null\n  "
               "}\n}\n"
            << "gateways {\n  quorum 1\n  " << lab_->v4("client").str() << "\n}\n";
        self.ns().spawn({XVRRP_ARBITER_BIN, "-D", "-f", dir + "/" + me + "-arbiter.conf"},
                        dir + "/" + me + "-arbiter.log");
    }
    std::string sock(const std::string& n) const {
        return lab_->logDir() + "/" + n + "-arbiter.sock";
    }
    std::string audit(const std::string& n) const {
        return lab_->logDir() + "/" + n + "-audit.log";
    }
    std::string arbiterLog(const std::string& n) const {
        return slurp(lab_->logDir() + "/" + n + "-arbiter.log");
    }
    nlohmann::json arbiterStatus(const std::string& n) { return arbiterStatusAt(sock(n)); }
    std::string rule(const std::string& n) { return arbiterRuleAt(sock(n)); }
    void sshDown(const std::string& n, bool down) {
        const std::string flag = lab_->logDir() + "/" + n + "-ssh-down";
        if (down)
            std::ofstream(flag) << "down\n";
        else
            fs::remove(flag);
    }
    std::string dump() {
        return "---- n1 arbiter ----\n" + arbiterLog("n1") + "---- n2 arbiter ----\n" +
               arbiterLog("n2") + "---- n2 status ----\n" +
               (n2_->instance() ? n2_->instance()->dump() : "none") + "\n";
    }
};

TEST_F(ArbiterPair, CutVrrpLinkLoserFencesThenRejoins) {
    auto v = makeVariant("v3_v4", 3, Family::V4, false);
    electN1(v, 150, 100);
    startArbiter(*n1_, "n2");
    startArbiter(*n2_, "n1");
    ASSERT_TRUE(waitUntil([&] { return rule("n1") == "R5" && rule("n2") == "R5"; }, seconds(10)))
        << dump();

    cutVrrp(*n1_);
    cutVrrp(*n2_);
    // n2 stops hearing n1 and becomes MASTER; its arbiter sees n1 holding the VIP with the
    // higher priority and fences n2.
    auto t0 = Clock::now();
    ASSERT_TRUE(waitUntil(
        [&] { return n2_->instance() && (*n2_->instance()).value("fenced", false); }, seconds(15)))
        << dump();
    double fenced_after = secondsSince(t0);
    EXPECT_TRUE(waitState(*n2_, "FAULT", seconds(5))) << dump();
    EXPECT_EQ(n1_->state(), "MASTER");
    EXPECT_TRUE(waitUntil([&] { return vipHolders(vip(v)) == 1; }, seconds(5))) << dump();
    EXPECT_TRUE(n1_->holds(vip(v)));
    EXPECT_NE(slurp(audit("n2")).find("\"rule\":\"R3\""), std::string::npos) << slurp(audit("n2"));
    EXPECT_EQ(slurp(audit("n1")).find("fence_self"), std::string::npos) << slurp(audit("n1"));
    std::cerr << "n2 fenced " << fenced_after << " s after the cut\n";

    // Heal: n1's adverts reach n2 again (U2), the fence is lifted, n2 rejoins as BACKUP.
    healVrrp(*n1_);
    healVrrp(*n2_);
    EXPECT_TRUE(waitUntil(
        [&] { return slurp(audit("n2")).find("unfence_self") != std::string::npos; }, seconds(15)))
        << dump();
    EXPECT_TRUE(waitState(*n2_, "BACKUP", seconds(10))) << dump();
    EXPECT_EQ(n1_->state(), "MASTER");
    EXPECT_EQ(vipHolders(vip(v)), 1);
}

TEST_F(ArbiterPair, StoppedXvrrpdIsFencedByItsArbiter) {
    auto v = makeVariant("v3_v4", 3, Family::V4, false);
    electN1(v, 150, 100);
    startArbiter(*n1_, "n2");
    ASSERT_TRUE(waitUntil([&] { return rule("n1") == "R5"; }, seconds(10))) << dump();
    n1_->signal(SIGSTOP);
    // n1's xvrrpd is silent and its kernel still holds the VIP: R2.
    EXPECT_TRUE(waitUntil(
        [&] { return slurp(audit("n1")).find("fence_self") != std::string::npos; }, seconds(10)))
        << dump();
    EXPECT_NE(slurp(audit("n1")).find("\"rule\":\"R2\""), std::string::npos) << slurp(audit("n1"));
    EXPECT_TRUE(waitState(*n2_, "MASTER", seconds(10))) << dump();
    auto s = arbiterStatus("n1");
    ASSERT_TRUE(s.is_object());
    EXPECT_EQ(s["instances"][0]["fenced_by_us"], true) << s.dump();
    EXPECT_TRUE(waitUntil(
        [&] {
            return arbiterStatus("n1")["instances"][0]["evidence"]["local"]["fence"] == "arbiter";
        },
        seconds(5)))
        << arbiterStatus("n1").dump();
    n1_->signal(SIGCONT);
    // xvrrpd answers again, sees the fence, and n2's adverts reach it: the arbiter lifts the
    // fence and n1 (higher priority, preempt) takes the VIP back.
    EXPECT_TRUE(waitUntil(
        [&] { return slurp(audit("n1")).find("unfence_self") != std::string::npos; }, seconds(15)))
        << dump();
    EXPECT_TRUE(waitState(*n1_, "MASTER", seconds(10))) << dump();
    EXPECT_TRUE(waitUntil([&] { return vipHolders(vip(v)) == 1; }, seconds(5)));
}

TEST_F(ArbiterPair, PeerSshDownWhilePeerPingsNeverFences) {
    auto v = makeVariant("v3_v4", 3, Family::V4, false);
    electN1(v, 150, 100);
    sshDown("n1", true);
    sshDown("n2", true);
    startArbiter(*n1_, "n2");
    startArbiter(*n2_, "n1");
    ASSERT_TRUE(waitUntil([&] { return rule("n1") == "R5" && rule("n2") == "R5"; }, seconds(10)))
        << dump();
    auto s = arbiterStatus("n1");
    EXPECT_EQ(s["round"]["peers"][0]["pings"], "yes") << s.dump();
    EXPECT_EQ(s["round"]["peers"][0]["ssh"], "unknown") << s.dump();
    // Ten rounds of UNKNOWN: nothing is fenced, n1 keeps serving.
    EXPECT_TRUE(
        holdsFor([&] { return n1_->state() == "MASTER" && n2_->state() == "BACKUP"; }, seconds(3)));
    EXPECT_EQ(slurp(audit("n1")).find("fence_self"), std::string::npos) << slurp(audit("n1"));
    EXPECT_EQ(slurp(audit("n2")).find("fence_self"), std::string::npos) << slurp(audit("n2"));
}

TEST_F(ArbiterPair, NodeLosingTheGatewayFencesItselfAndTheOtherServes) {
    auto v = makeVariant("v3_v4", 3, Family::V4, false);
    electN1(v, 150, 100);
    startArbiter(*n1_, "n2");
    startArbiter(*n2_, "n1");
    ASSERT_TRUE(waitUntil([&] { return rule("n1") == "R5" && rule("n2") == "R5"; }, seconds(10)))
        << dump();
    // n1 can no longer reach the gateway (the client node); everything else still works.
    n1_->ns().runOk({"ip", "route", "add", "blackhole", lab_->v4("client").str() + "/32"});
    EXPECT_TRUE(
        waitUntil([&] { return slurp(audit("n1")).find("\"rule\":\"R1\"") != std::string::npos; },
                  seconds(10)))
        << dump();
    EXPECT_TRUE(waitState(*n1_, "FAULT", seconds(5))) << dump();
    EXPECT_TRUE(waitState(*n2_, "MASTER", seconds(5))) << dump();
    EXPECT_TRUE(
        waitUntil([&] { return vipHolders(vip(v)) == 1 && n2_->holds(vip(v)); }, seconds(5)))
        << dump();
    EXPECT_EQ(slurp(audit("n2")).find("fence_self"), std::string::npos) << slurp(audit("n2"));
    // The gateway is back: quorum, n2's adverts reach n1 -> unfenced; n1 preempts back.
    n1_->ns().runOk({"ip", "route", "del", "blackhole", lab_->v4("client").str() + "/32"});
    EXPECT_TRUE(waitUntil(
        [&] { return slurp(audit("n1")).find("unfence_self") != std::string::npos; }, seconds(15)))
        << dump();
    EXPECT_TRUE(waitState(*n1_, "MASTER", seconds(10))) << dump();
    EXPECT_TRUE(waitUntil([&] { return vipHolders(vip(v)) == 1; }, seconds(5))) << dump();
}

}  // namespace
}  // namespace xvrrp::itest
