// integration.arbiter_split_*: issue 4, acceptance 2, on the acceptance topology: VRRP on a
// dedicated link (vrrp0), the VIP, client and gateway on the LAN (eth0), real sshd and an
// arbiter per node. The client tells who owns the VIP by the source MAC of ARP and ICMP
// replies.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "split_fixture.hpp"

namespace xvrrp::itest {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Clock::duration secs(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// XVRRP_ITEST_BIN_DIR runs the suite against another build (e.g. to show a fix was needed).
std::string arbiterBin() {
    const char* dir = std::getenv("XVRRP_ITEST_BIN_DIR");
    return dir && *dir ? std::string(dir) + "/xvrrp-arbiter" : std::string(XVRRP_ARBITER_BIN);
}

// `xvrrp-arbiter status --json` of node n, or null when it does not answer.
nlohmann::json arbiterStatus(SplitLab& lab, const std::string& n) {
    auto r = lab::runIn("", {arbiterBin(), "-s", lab.dir() + "/" + n + "-arbiter.sock", "status",
                             "--json"},
                        std::chrono::seconds(3));
    auto j = r.ok() ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json();
    return j.is_object() ? j : nlohmann::json();
}

class ArbiterSplit : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and XDP";
        SplitOptions o;
        o.arbiterBin = arbiterBin();
        try {
            lab_ = std::make_unique<SplitLab>(o);
            lab_->start();
            mac1_ = lab_->lanMac("n1");
            mac2_ = lab_->lanMac("n2");
        } catch (const std::exception& e) {
            FAIL() << e.what() << "\n" << (lab_ ? lab_->diagnostics() : "");
        }
        ASSERT_EQ(lab_->arpOwners(milliseconds(300)), std::set<std::string>{mac1_});
    }
    void TearDown() override {
        if (HasFailure() && lab_) std::cerr << lab_->diagnostics();
        lab_.reset();
    }

    bool auditHas(const std::string& n, const std::string& what) const {
        return lab_->audit(n).find(what) != std::string::npos;
    }
    bool ownersAre(const std::string& mac) {
        return lab_->arpOwners(milliseconds(200)) == std::set<std::string>{mac};
    }
    // The client reaches the VIP and every echo reply comes from `mac`.
    void expectIcmpFrom(const std::string& mac) {
        ClientProber p(lab_->lab().node("client"), lab_->clientAddr(), lab_->vip(),
                       milliseconds(20), seconds(5));
        std::this_thread::sleep_for(milliseconds(500));  // the sampling window
        int answered = 0, others = 0;
        std::string other;
        for (const auto& s : p.stop()) {
            if (s.icmpMac.empty()) continue;
            ++answered;
            if (s.icmpMac != mac) ++others, other = s.icmpMac;
        }
        EXPECT_GT(answered, 10);
        EXPECT_EQ(others, 0) << "echo replies from " << other << ", expected only " << mac;
    }

    // Cuts the VRRP link with a client prober running; returns what it saw.
    SplitMeasure cutAndMeasure() {
        ClientProber p(lab_->lab().node("client"), lab_->clientAddr(), lab_->vip(),
                       milliseconds(10), seconds(30));
        std::this_thread::sleep_for(milliseconds(200));  // a baseline before the cut
        const double tCut = p.now();
        lab_->cutVrrp();
        // Both nodes go MASTER (n2 hears no adverts), then n2's arbiter fences it (R3).
        EXPECT_TRUE(waitUntil(
            [&] { return lab_->node("n2").log().find("Entering MASTER") != std::string::npos; },
            seconds(5)));
        EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "fence_self"); },
                              secs(lab_->boundSeconds() + 3)));
        // Keep probing for a while after the fence so "only one owner after" means something.
        std::this_thread::sleep_for(milliseconds(1500));
        return analyse(p.stop(), tCut, lab_->boundSeconds());
    }

    std::unique_ptr<SplitLab> lab_;
    std::string mac1_, mac2_;
};

TEST_F(ArbiterSplit, CutVrrpLinkOneNodeAnswers) {
    auto m = cutAndMeasure();
    std::cerr << "cut: single owner after " << m.singleOwnerS << " s (bound "
              << lab_->boundSeconds() << " s), " << m.bothAnswered << " probes answered by both\n";
    EXPECT_EQ(m.owner, mac1_);
    EXPECT_GE(m.singleOwnerS, 0);
    EXPECT_LE(m.singleOwnerS, lab_->boundSeconds());
    EXPECT_EQ(m.bothAfterBound, 0);
    EXPECT_GT(m.bothAnswered, 0) << "both nodes never answered: was there a split brain at all?";
    EXPECT_TRUE(holdsFor([&] { return ownersAre(mac1_); }, seconds(2)));
    expectIcmpFrom(mac1_);
    EXPECT_EQ(lab_->node("n1").state(), "MASTER");
    EXPECT_EQ(lab_->node("n2").state(), "FAULT");
    EXPECT_TRUE(auditHas("n2", "\"rule\":\"R3\"")) << lab_->audit("n2");
    EXPECT_FALSE(auditHas("n1", "fence_self")) << lab_->audit("n1");
}

TEST_F(ArbiterSplit, HealVrrpLinkOneMasterOneTransition) {
    auto m = cutAndMeasure();
    ASSERT_EQ(m.owner, mac1_);
    ASSERT_TRUE(waitState(lab_->node("n2"), "FAULT", seconds(5)));
    const int before = lab_->transitions("n1") + lab_->transitions("n2");
    ClientProber p(lab_->lab().node("client"), lab_->clientAddr(), lab_->vip(), milliseconds(10),
                   seconds(30));
    lab_->healVrrp();
    // U2: n1's adverts reach n2 again; after the hold-down n2 is unfenced and rejoins as BACKUP.
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "unfence_self"); },
                          secs(lab_->options().unfenceAfter * lab_->options().probeInterval + 6)))
        << lab_->audit("n2");
    EXPECT_TRUE(waitState(lab_->node("n2"), "BACKUP", seconds(5)));
    EXPECT_TRUE(holdsFor(
        [&] {
            return lab_->node("n1").state() == "MASTER" && lab_->node("n2").state() == "BACKUP";
        },
        seconds(2)));
    for (const auto& s : p.stop())
        EXPECT_TRUE(s.arpMacs.empty() || s.arpMacs == std::set<std::string>{mac1_})
            << "probe at " << s.t << " s answered by " << s.arpMacs.size() << " MAC(s)";
    const int after = lab_->transitions("n1") + lab_->transitions("n2");
    EXPECT_LE(after - before, 1) << "transitions after the heal";
    EXPECT_TRUE(auditHas("n2", "\"rule\":\"U2\"")) << lab_->audit("n2");
}

TEST_F(ArbiterSplit, NodeLosingTheGatewayFencesItself) {
    lab_->dropGateway("n1");
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "\"rule\":\"R1\""); }, seconds(10)))
        << lab_->audit("n1");
    EXPECT_TRUE(waitState(lab_->node("n1"), "FAULT", seconds(5)));
    EXPECT_TRUE(waitState(lab_->node("n2"), "MASTER", seconds(5)));
    EXPECT_TRUE(waitUntil([&] { return ownersAre(mac2_); }, seconds(5)));
    EXPECT_TRUE(holdsFor([&] { return ownersAre(mac2_); }, seconds(1)));
    expectIcmpFrom(mac2_);
    EXPECT_FALSE(auditHas("n2", "fence_self")) << lab_->audit("n2");
}

TEST_F(ArbiterSplit, PeerSshdStoppedNeverFences) {
    lab_->stopSshd("n2");
    lab_->stopSshd("n1");
    // Both arbiters now see their peer UNKNOWN while it still pings.
    auto unknown = [&](const std::string& n) {
        auto r = lab::runIn("", {arbiterBin(), "-s", lab_->dir() + "/" + n + "-arbiter.sock",
                                 "status", "--json"},
                            seconds(3));
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        if (!j.is_object() || j["instances"].empty()) return false;
        const auto& p = j["instances"][0]["evidence"]["peers"];
        return !p.empty() && p[0].value("known", true) == false && p[0].value("pings", "") == "yes";
    };
    ASSERT_TRUE(waitUntil([&] { return unknown("n1") && unknown("n2"); }, seconds(10), Ms(50)));
    // Several rounds (>= fence_after + unfence_after) on UNKNOWN change nothing.
    EXPECT_TRUE(holdsFor(
        [&] {
            return lab_->node("n1").state() == "MASTER" && lab_->node("n2").state() == "BACKUP";
        },
        secs(6 * lab_->options().probeInterval), Ms(50)));
    EXPECT_TRUE(ownersAre(mac1_));
    EXPECT_FALSE(auditHas("n1", "fence_self")) << lab_->audit("n1");
    EXPECT_FALSE(auditHas("n2", "fence_self")) << lab_->audit("n2");
}

TEST_F(ArbiterSplit, SigstopMasterIsFencedBackupServes) {
    lab_->node("n1").signal(SIGSTOP);
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "\"rule\":\"R2\""); }, seconds(10)))
        << lab_->audit("n1");
    EXPECT_TRUE(waitState(lab_->node("n2"), "MASTER", seconds(5)));
    // The hung node still holds the VIP in the kernel: only the fence map can silence it.
    EXPECT_TRUE(waitUntil([&] { return ownersAre(mac2_); }, seconds(5)))
        << "ARP owners: " << lab_->arpOwners(milliseconds(200)).size();
    EXPECT_TRUE(holdsFor([&] { return ownersAre(mac2_); }, seconds(1)));
    expectIcmpFrom(mac2_);
    lab_->node("n1").signal(SIGCONT);
}

// Issue 9 item 8 / issue 10: an operator's `xvrrpctl fence` on top of the arbiter's fence was
// swallowed (one map entry per instance, the first setter kept) and the arbiter's later
// unfence lifted it. Each owner has its own entry now: the arbiter lifts only its own.
TEST_F(ArbiterSplit, OperatorFenceOnTopOfArbiterFenceStays) {
    lab_->dropGateway("n1");
    ASSERT_TRUE(waitUntil([&] { return auditHas("n1", "fence_self"); }, seconds(10)))
        << lab_->audit("n1");
    ASSERT_TRUE(waitState(lab_->node("n1"), "FAULT", seconds(5)));
    ASSERT_TRUE(waitState(lab_->node("n2"), "MASTER", seconds(5)));
    auto r = lab::runIn("", {xvrrpctlBin(), "--control", lab_->dir() + "/n1.sock", "fence", "VI_1"});
    ASSERT_TRUE(r.ok()) << r.out << r.err;
    // Quorum back and n2's adverts reach n1: after the hold-down the arbiter lifts its fence.
    lab_->restoreGateway("n1");
    ASSERT_TRUE(waitUntil([&] { return auditHas("n1", "unfence_self"); }, seconds(15)))
        << lab_->audit("n1");
    // The operator's fence holds: n1 stays out, n2 alone answers.
    auto fencedFault = [&] {
        auto i = lab_->node("n1").instance();
        return i && (*i)["state"] == "FAULT" && (*i)["fenced"] == true;
    };
    EXPECT_TRUE(holdsFor(fencedFault, seconds(3))) << lab_->node("n1").instance()->dump();
    EXPECT_EQ(lab_->node("n2").state(), "MASTER");
    EXPECT_TRUE(ownersAre(mac2_));
    // The operator ends it; n1 (priority 150) takes the VIP back.
    r = lab::runIn("", {xvrrpctlBin(), "--control", lab_->dir() + "/n1.sock", "unfence", "VI_1"});
    ASSERT_TRUE(r.ok()) << r.out << r.err;
    EXPECT_TRUE(waitState(lab_->node("n1"), "MASTER", seconds(5)));
    EXPECT_TRUE(waitUntil([&] { return ownersAre(mac1_); }, seconds(5)));
}

// Issue 9 item 2: bytes that are not UTF-8 from the peer (a banner, a locale message, its
// error text) stopped the arbiter in the round that received them. Here the peer's sshd runs
// a forced command that answers with such bytes, in turn on stdout (exit 0), on stderr with
// the remote command failing, and on stderr with exit 255 (what ssh's own errors look like).
TEST_F(ArbiterSplit, PeerOutputNotUtf8KeepsArbitersRunning) {
    const std::string script = lab_->dir() + "/junk.sh";
    const std::string counter = lab_->dir() + "/junk.n";
    std::ofstream(script) << "#!/bin/sh\nn=$(cat " << counter << " 2>/dev/null || echo 0)\n"
                          << "echo $((n + 1)) > " << counter << "\n"
                          << R"(junk='\377\376\033[2J Willkommen \303\050 auf dem Knoten'
case $((n % 3)) in
  0) printf "$junk\n{\"instances\": []}\n" ;;
  1) printf "xvrrpctl: $junk\n" >&2; exit 1 ;;
  2) printf "$junk\r\n" >&2; exit 255 ;;
esac
)";
    ::chmod(script.c_str(), 0755);
    const int transitions = lab_->transitions("n1") + lab_->transitions("n2");
    const auto before = arbiterStatus(*lab_, "n1");
    ASSERT_TRUE(before.is_object());
    const uint64_t round0 = before["round"].value("number", uint64_t{0});
    lab_->setKeyOptions("command=\"" + script + "\",restrict");

    // Both arbiters get the bytes in each of the three forms and audit the peer turning
    // UNKNOWN with the bytes escaped.
    for (const char* n : {"n1", "n2"}) {
        EXPECT_TRUE(waitUntil([&] { return auditHas(n, "\\\\xff"); }, seconds(10)))
            << n << ":\n" << lab_->audit(n) << lab_->arbiterLog(n);
    }
    EXPECT_TRUE(waitUntil(
        [&] {
            auto s = arbiterStatus(*lab_, "n1");
            return s.is_object() && s["round"].value("number", uint64_t{0}) >= round0 + 9;
        },
        seconds(20)))
        << lab_->arbiterLog("n1");
    for (const char* n : {"n1", "n2"}) {
        auto s = arbiterStatus(*lab_, n);
        ASSERT_TRUE(s.is_object()) << n << " arbiter stopped answering:\n" << lab_->arbiterLog(n);
        EXPECT_EQ(s["errors"].value("count", -1), 0) << s.dump(2);
        const auto& peer = s["instances"][0]["evidence"]["peers"][0];
        EXPECT_FALSE(peer.value("known", true)) << peer.dump();
    }
    // The peer's bytes decide nothing: no fence, no transition, n1 still answers.
    EXPECT_EQ(lab_->node("n1").state(), "MASTER");
    EXPECT_EQ(lab_->node("n2").state(), "BACKUP");
    EXPECT_EQ(lab_->transitions("n1") + lab_->transitions("n2"), transitions);
    EXPECT_FALSE(auditHas("n1", "fence_self")) << lab_->audit("n1");
    EXPECT_FALSE(auditHas("n2", "fence_self")) << lab_->audit("n2");
    EXPECT_TRUE(ownersAre(mac1_));
    // And the peers are known again once they answer properly.
    lab_->setKeyOptions("");
    EXPECT_TRUE(waitUntil(
        [&] {
            auto s = arbiterStatus(*lab_, "n1");
            return s.is_object() &&
                   s["instances"][0]["evidence"]["peers"][0].value("known", false);
        },
        seconds(10)));
}

}  // namespace
}  // namespace xvrrp::itest
