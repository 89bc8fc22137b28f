// integration.arbiter_witness_*: issue 15 on the acceptance topology (split_fixture) with a
// real 3-member etcd cluster (Debian's etcd-server), one member per namespace on the LAN, and
// real sshd. The client tells who owns the VIP by the source MAC of ARP replies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "split_fixture.hpp"

namespace xvrrp::itest {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::string> kMembers = {"e1", "e2", "e3"};
constexpr double kLeaseTtl = 8;  // s; the shortest arbiter.conf accepts with these rounds

std::string arbiterBin() {
    const char* dir = std::getenv("XVRRP_ITEST_BIN_DIR");
    return dir && *dir ? std::string(dir) + "/xvrrp-arbiter" : std::string(XVRRP_ARBITER_BIN);
}

Clock::duration secs(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

class ArbiterWitness : public ::testing::Test {
  protected:
    bool tls_ = false;  // client URLs over https with client certificates made per run

    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and XDP";
        if (::access("/usr/bin/etcd", X_OK) != 0) FAIL() << "etcd-server is required (/usr/bin/etcd)";
        SplitOptions o;
        o.tag = "wit";
        o.arbiterBin = arbiterBin();
        o.extraNodes = kMembers;
        try {
            lab_ = std::make_unique<SplitLab>(o);
            std::string endpoints;
            for (const auto& m : kMembers) endpoints += " " + clientUrl(m);
            std::ostringstream w;
            w << "witness etcd {\n  endpoints" << endpoints << "\n  prefix /xvt/\n  lease_ttl "
              << kLeaseTtl << "\n  timeout 0.5\n";
            if (tls_) {
                makeCertificates();
                w << "  tls {\n    ca_file " << pki("ca.pem") << "\n    cert_file "
                  << pki("client.pem") << "\n    key_file " << pki("client.key") << "\n  }\n";
            }
            w << "}\n";
            lab_->setArbiterExtra(w.str());
            startEtcd();
            lab_->start();
            mac1_ = lab_->lanMac("n1");
            mac2_ = lab_->lanMac("n2");
        } catch (const std::exception& e) {
            FAIL() << e.what() << "\n" << (lab_ ? lab_->diagnostics() + etcdLogs() : "");
        }
        // Both views settled: n1 owns and n2 has seen it.
        ASSERT_TRUE(waitUntil([&] { return witnessState("n1") == "owned"; }, seconds(15)))
            << lab_->diagnostics();
        ASSERT_TRUE(waitUntil([&] { return witnessState("n2") == "peer_owns"; }, seconds(15)))
            << lab_->diagnostics();
    }
    void TearDown() override {
        if (HasFailure() && lab_) std::cerr << lab_->diagnostics() << etcdLogs();
        etcd_.clear();
        lab_.reset();
    }

    std::string url(const std::string& m, int port) const {
        return "http://" + lab_->lab().v4(m).str() + ":" + std::to_string(port);
    }
    std::string clientUrl(const std::string& m) const {
        return (tls_ ? "https://" : "http://") + lab_->lab().v4(m).str() + ":2379";
    }
    std::string pki(const std::string& f) const { return lab_->dir() + "/pki-" + f; }

    void openssl(const std::vector<std::string>& args) {
        std::vector<std::string> argv{"openssl"};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = lab::runIn("", argv, seconds(30));
        if (!r.ok()) throw std::runtime_error("openssl " + args[0] + ": " + r.err);
    }
    // A CA, a server certificate per member (its address as SAN) and the arbiters' client
    // certificate, all made for this run (Debian's openssl; etcd verifies the client).
    void issue(const std::string& name, const std::string& ext) {
        std::ofstream(pki(name + ".ext")) << ext << "\n";
        openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", pki(name + ".key"), "-out", pki(name + ".csr"), "-subj", "/CN=" + name});
        openssl({"x509", "-req", "-in", pki(name + ".csr"), "-CA", pki("ca.pem"), "-CAkey",
                 pki("ca.key"), "-CAcreateserial", "-out", pki(name + ".pem"), "-days", "1",
                 "-extfile", pki(name + ".ext")});
    }
    void makeCertificates() {
        openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", pki("ca.key"), "-out", pki("ca.pem"), "-days", "1",
                 "-subj", "/CN=xvt-witness-ca"});
        for (const auto& m : kMembers)
            issue(m, "subjectAltName=IP:" + lab_->lab().v4(m).str() +
                         "\nextendedKeyUsage=serverAuth,clientAuth");
        issue("client", "extendedKeyUsage=clientAuth");
    }

    void startEtcd() {
        std::string cluster;
        for (const auto& m : kMembers) cluster += (cluster.empty() ? "" : ",") + m + "=" + url(m, 2380);
        for (const auto& m : kMembers) {
            // Debian's etcd-server package; ETCD_UNSUPPORTED_ARCH is not needed on amd64.
            std::vector<std::string> argv{
                "/usr/bin/etcd", "--name", m, "--data-dir", lab_->dir() + "/" + m + ".etcd",
                "--listen-client-urls", clientUrl(m), "--advertise-client-urls", clientUrl(m),
                "--listen-peer-urls", url(m, 2380), "--initial-advertise-peer-urls",
                url(m, 2380), "--initial-cluster", cluster, "--initial-cluster-token",
                lab_->lab().node("e1").name(), "--initial-cluster-state", "new"};
            if (tls_)
                argv.insert(argv.end(), {"--cert-file", pki(m + ".pem"), "--key-file",
                                         pki(m + ".key"), "--client-cert-auth",
                                         "--trusted-ca-file", pki("ca.pem")});
            etcd_.push_back(
                &lab_->lab().node(m).spawn(argv, lab_->dir() + "/" + m + "-etcd.log"));
        }
        auto healthy = [&] {
            std::vector<std::string> argv{
                "etcdctl", "--endpoints",
                clientUrl("e1") + "," + clientUrl("e2") + "," + clientUrl("e3")};
            if (tls_)
                argv.insert(argv.end(), {"--cacert", pki("ca.pem"), "--cert", pki("client.pem"),
                                         "--key", pki("client.key")});
            argv.insert(argv.end(), {"endpoint", "health"});
            auto r = lab_->lab().node("client").run(argv, seconds(5));
            return r.ok() && r.out.find("unhealthy") == std::string::npos;
        };
        if (!waitUntil(healthy, seconds(30), milliseconds(300)))
            throw std::runtime_error("etcd cluster not healthy");
    }

    std::string etcdLogs() const {
        std::string out;
        for (const auto& m : kMembers)
            out += "---- " + m + " etcd ----\n" + tail(slurpFile(lab_->dir() + "/" + m + "-etcd.log"), 8);
        return out;
    }

    nlohmann::json witness(const std::string& n) {
        auto s = lab_->arbiterStatus(n);
        auto w = s.find("witness");
        if (w == s.end() || !w->is_object()) return nlohmann::json::object();
        return w->value("instances", nlohmann::json::object()).value("VI_1", nlohmann::json::object());
    }
    std::string witnessState(const std::string& n) { return witness(n).value("state", ""); }
    bool auditHas(const std::string& n, const std::string& what) const {
        return lab_->audit(n).find(what) != std::string::npos;
    }

    // `n` neither sends to nor accepts from the members listed (both directions on its side).
    void isolate(const std::string& n, const std::vector<std::string>& from) {
        auto& ns = lab_->lab().node(n);
        std::string set;
        for (const auto& m : from) set += (set.empty() ? "" : ", ") + lab_->lab().v4(m).str();
        ns.runOk({"nft", "add", "table", "inet", "xvpart"});
        ns.runOk({"nft", "add", "chain", "inet", "xvpart", "in",
                  "{ type filter hook input priority 0 ; }"});
        ns.runOk({"nft", "add", "chain", "inet", "xvpart", "out",
                  "{ type filter hook output priority 0 ; }"});
        ns.runOk({"nft", "add", "rule", "inet", "xvpart", "in", "ip", "saddr", "{ " + set + " }",
                  "drop"});
        ns.runOk({"nft", "add", "rule", "inet", "xvpart", "out", "ip", "daddr", "{ " + set + " }",
                  "drop"});
    }

    std::unique_ptr<SplitLab> lab_;
    std::vector<lab::Process*> etcd_;
    std::string mac1_, mac2_;
};

// Today (rule R5) a cut VRRP link with both sshd down keeps two masters for as long as the
// cut lasts: neither peer is known to hold the VIP. With the witness n1 owns VI_1 and keeps
// rewriting its key, so n2, master by VRRP, fences itself (W1).
TEST_F(ArbiterWitness, CutVrrpWithSshdDownEndsWithOneOwner) {
    int64_t token = witness("n1").value("token", int64_t{0});
    ASSERT_GT(token, 0);
    // status shows the key as soon as the campaign is answered; the audit at the round's end.
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "\"token\":" + std::to_string(token)); },
                          seconds(5)));
    lab_->stopSshd("n1");
    lab_->stopSshd("n2");
    ClientProber p(lab_->lab().node("client"), lab_->clientAddr(), lab_->vip(),
                   milliseconds(10), seconds(40));
    std::this_thread::sleep_for(milliseconds(200));  // a baseline before the cut
    const double tCut = p.now();
    lab_->cutVrrp();
    // n2 takes over after Master_Down_Interval, sees n1's renewing key within 1.5 rounds and
    // fences after fence_after + 1 rounds (docs/arbiter.md, Witness: the bound of W1).
    const auto& o = lab_->options();
    const double bound = 4 * o.advertInt + 1.5 * o.probeInterval +
                         (o.fenceAfter + 1) * std::max(o.probeInterval, double(o.sshTimeout));
    EXPECT_TRUE(waitUntil(
        [&] { return lab_->node("n2").log().find("Entering MASTER") != std::string::npos; },
        seconds(5)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "\"rule\":\"W1\""); }, secs(bound + 5)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "fence_self"); }, secs(bound + 5)));
    std::this_thread::sleep_for(milliseconds(1500));  // one owner must stay one owner
    SplitMeasure m = analyse(p.stop(), tCut, bound);
    EXPECT_EQ(m.owner, mac1_);
    EXPECT_GE(m.singleOwnerS, 0);
    EXPECT_LE(m.singleOwnerS, bound) << "single owner after " << m.singleOwnerS << " s";
    EXPECT_EQ(m.bothAfterBound, 0);
    EXPECT_EQ(m.icmpMacsAfterSingle, std::set<std::string>{mac1_});
    // n1 still owns, with the same fencing token.
    EXPECT_EQ(witnessState("n1"), "owned");
    EXPECT_EQ(witness("n1").value("token", int64_t{0}), token);
    std::cerr << "single owner after " << m.singleOwnerS << " s (bound " << bound
              << " s), probes answered twice " << m.bothAnswered << "\n";
}

// The whole cluster stopped: VRRP carries on, nobody fences (on_witness_loss hold), the audit
// log says the witness is unreachable; the rules without the witness still end a split (R3).
TEST_F(ArbiterWitness, EtcdGoneLeavesThePreviousRules) {
    for (auto* e : etcd_) e->stop(seconds(5));
    ASSERT_TRUE(waitUntil([&] { return witnessState("n1") == "unreachable"; }, seconds(10)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "\"state\":\"unreachable\""); }, seconds(5)));
    // Past the lease and the claim: still nothing moves.
    const int r0 = lab_->round("n1");
    ASSERT_TRUE(waitUntil(
        [&] { return lab_->round("n1") > r0 + 2 * kLeaseTtl / lab_->options().probeInterval; },
        secs(4 * kLeaseTtl)));
    EXPECT_EQ(lab_->rule("n1"), "R5");
    EXPECT_EQ(lab_->rule("n2"), "R5");
    EXPECT_FALSE(auditHas("n1", "fence_self"));
    EXPECT_FALSE(auditHas("n2", "fence_self"));
    EXPECT_EQ(lab_->node("n1").state(), "MASTER");
    EXPECT_EQ(lab_->arpOwners(milliseconds(300)), std::set<std::string>{mac1_});
    lab_->cutVrrp();
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "\"rule\":\"R3\""); }, seconds(15)));
    EXPECT_TRUE(waitUntil([&] { return lab_->arpOwners(milliseconds(300)) == std::set<std::string>{mac1_}; },
                          seconds(15)));
}

// n1 (master, owner) and e1 on the minority side of an etcd partition: e1 loses its quorum,
// n1 reaches only e1. With VRRP working and n2 known to be BACKUP nothing moves; once VRRP is
// cut too, n2 (majority side) takes the instance over and n1 yields (W2), where the rules
// without the witness would have kept n1 (R3: n1 has the higher priority).
TEST_F(ArbiterWitness, MinorityNodeYieldsOnlyWhenVrrpIsCutToo) {
    isolate("e1", {"e2", "e3"});
    isolate("n1", {"e2", "e3"});
    // Past n1's claim and the lease on etcd (longer if e1 was the leader: the new one extends
    // every lease): n2 sees the key expire; nothing moves.
    ASSERT_TRUE(waitUntil([&] { return witnessState("n2") == "free"; }, secs(3 * kLeaseTtl)));
    ASSERT_TRUE(waitUntil([&] { return witnessState("n1") == "minority"; }, seconds(15)));
    const int r0 = lab_->round("n1");
    ASSERT_TRUE(waitUntil([&] { return lab_->round("n1") > r0 + 4; }, seconds(15)));
    EXPECT_FALSE(auditHas("n1", "fence_self"));
    EXPECT_FALSE(auditHas("n2", "fence_self"));
    EXPECT_EQ(lab_->node("n1").state(), "MASTER");
    EXPECT_EQ(lab_->arpOwners(milliseconds(300)), std::set<std::string>{mac1_});
    EXPECT_TRUE(auditHas("n1", "\"past_claim\":true"));
    lab_->cutVrrp();
    EXPECT_TRUE(waitUntil([&] { return witnessState("n2") == "owned"; }, seconds(15)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "\"rule\":\"W2\""); }, seconds(15)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n1", "fence_self"); }, seconds(15)));
    EXPECT_TRUE(waitUntil(
        [&] { return lab_->arpOwners(milliseconds(300)) == std::set<std::string>{mac2_}; },
        seconds(10)));
    // And it stays so: no mutual fencing, no unfence of n1 while the cut lasts (U0p).
    const int r1 = lab_->round("n1");
    ASSERT_TRUE(waitUntil([&] { return lab_->round("n1") > r1 + 2 * lab_->options().unfenceAfter; },
                          seconds(20)));
    EXPECT_FALSE(auditHas("n2", "fence_self"));
    EXPECT_FALSE(auditHas("n1", "unfence_self"));
    EXPECT_EQ(lab_->arpOwners(milliseconds(300)), std::set<std::string>{mac2_});
}

// Acceptance 4 of issue 15: the same split with the witness over TLS, client certificates
// made for this run; etcd refuses clients without one (--client-cert-auth).
class ArbiterWitnessTls : public ArbiterWitness {
  public:
    ArbiterWitnessTls() { tls_ = true; }
};

TEST_F(ArbiterWitnessTls, CutVrrpWithSshdDownOverTls) {
    EXPECT_EQ(lab_->arbiterStatus("n1")["witness"]["members"][0].value("state", ""), "ok");
    EXPECT_GT(witness("n1").value("token", int64_t{0}), 0);
    lab_->stopSshd("n1");
    lab_->stopSshd("n2");
    lab_->cutVrrp();
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "\"rule\":\"W1\""); }, seconds(15)));
    EXPECT_TRUE(waitUntil([&] { return auditHas("n2", "fence_self"); }, seconds(15)));
    EXPECT_TRUE(waitUntil(
        [&] { return lab_->arpOwners(milliseconds(300)) == std::set<std::string>{mac1_}; },
        seconds(10)));
}

}  // namespace
}  // namespace xvrrp::itest
