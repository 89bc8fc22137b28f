// integration.arbiter_split_*: issue 4, acceptance 2, on the acceptance topology: VRRP on a
// dedicated link (vrrp0), the VIP, client and gateway on the LAN (eth0), real sshd and an
// arbiter per node. The client tells who owns the VIP by the source MAC of ARP and ICMP
// replies.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "split_fixture.hpp"

namespace xvrrp::itest {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Clock::duration secs(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

class ArbiterSplit : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and XDP";
        SplitOptions o;
        o.arbiterBin = XVRRP_ARBITER_BIN;
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
        auto r = lab::runIn("", {XVRRP_ARBITER_BIN, "-s", lab_->dir() + "/" + n + "-arbiter.sock",
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

}  // namespace
}  // namespace xvrrp::itest
