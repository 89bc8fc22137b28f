#pragma once
// The fixture of integration.arbiter_witness_*: the acceptance topology (split_fixture) with a
// real 3-member etcd cluster (etcd_cluster) as every arbiter's witness, and real sshd. The
// client tells who owns the VIP by the source MAC of ARP replies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>

#include "etcd_cluster.hpp"
#include "split_fixture.hpp"

namespace xvrrp::itest {

using std::chrono::milliseconds;
using std::chrono::seconds;

inline const std::vector<std::string> kMembers = {"e1", "e2", "e3"};
constexpr double kLeaseTtl = 10;  // s; the shortest arbiter.conf accepts with these rounds
// An etcd election with its defaults (election timeout 1 s, randomised up to twice that).
constexpr double kElectionS = 2;

inline std::string arbiterBin() {
    const char* dir = std::getenv("XVRRP_ITEST_BIN_DIR");
    return dir && *dir ? std::string(dir) + "/xvrrp-arbiter" : std::string(XVRRP_ARBITER_BIN);
}

inline Clock::duration secs(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

inline int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

class ArbiterWitness : public ::testing::Test {
  protected:
    bool tls_ = false;                        // the witness over https, client certificates
    std::vector<int> priorities_ = {150, 100};  // of n1, n2, ...
    double leaseTtl_ = kLeaseTtl;

    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and XDP";
        SplitOptions o;
        o.tag = "wit";
        o.arbiterBin = arbiterBin();
        o.extraNodes = kMembers;
        o.priorities = priorities_;
        o.metricsPort = 9799;  // each arbiter's own namespace
        try {
            lab_ = std::make_unique<SplitLab>(o);
            etcd_ = std::make_unique<EtcdCluster>(*lab_, kMembers, tls_);
            lab_->setArbiterExtra(etcd_->witnessBlock(leaseTtl_, 0.5, "/xvt/"));
            etcd_->start();
            lab_->start();
            for (const auto& n : lab_->names()) macs_[n] = lab_->lanMac(n);
            mac1_ = macs_["n1"];
            mac2_ = macs_["n2"];
        } catch (const std::exception& e) {
            FAIL() << e.what() << "\n" << (lab_ ? lab_->diagnostics() : "")
                   << (etcd_ ? etcd_->logs() : "");
        }
        // Every view settled: n1 owns and the others have seen it.
        ASSERT_TRUE(waitUntil([&] { return witnessState("n1") == "owned"; }, seconds(15)))
            << lab_->diagnostics();
        for (const auto& n : lab_->names()) {
            if (n == "n1") continue;
            ASSERT_TRUE(waitUntil([&] { return witnessState(n) == "peer_owns"; }, seconds(15)))
                << n << "\n" << lab_->diagnostics();
        }
    }
    void TearDown() override {
        if (HasFailure() && lab_) std::cerr << lab_->diagnostics() << (etcd_ ? etcd_->logs() : "");
        etcd_.reset();
        lab_.reset();
    }

    nlohmann::json witness(const std::string& n) {
        auto s = lab_->arbiterStatus(n);
        auto w = s.find("witness");
        if (w == s.end() || !w->is_object()) return nlohmann::json::object();
        return w->value("instances", nlohmann::json::object()).value("VI_1", nlohmann::json::object());
    }
    std::string witnessState(const std::string& n) { return witness(n).value("state", ""); }
    int64_t token(const std::string& n) { return witness(n).value("token", int64_t{0}); }
    bool auditHas(const std::string& n, const std::string& what) const {
        return lab_->audit(n).find(what) != std::string::npos;
    }
    // The /metrics series `series` (name{labels}) of n's arbiter has `value`.
    bool metricIs(const std::string& n, const std::string& series, const std::string& value) {
        return lab_->arbiterMetrics(n).find("\n" + series + " " + value + "\n") != std::string::npos;
    }
    // Every member's last read in n's /metrics is `state`.
    bool membersAre(const std::string& n, const std::string& state) {
        for (const auto& m : kMembers)
            if (!metricIs(n, "xvrrp_arbiter_witness_member_state{endpoint=\"" + etcd_->clientUrl(m) +
                                 "\",state=\"" + state + "\"}",
                          "1"))
                return false;
        return true;
    }
    std::string who(const std::string& mac) {
        for (const auto& [n, m] : macs_)
            if (m == mac) return n;
        return mac;
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

    // docs/arbiter.md, Witness, the bound of W1: a loser takes over after
    // Master_Down_Interval, sees the owner's renewing key within 1.5 rounds and fences after
    // fence_after + 1 rounds.
    double w1Bound() const {
        const auto& o = lab_->options();
        return 4 * o.advertInt + 1.5 * o.probeInterval +
               (o.fenceAfter + 1) * std::max(o.probeInterval, double(o.sshTimeout));
    }

    std::unique_ptr<SplitLab> lab_;
    std::unique_ptr<EtcdCluster> etcd_;
    std::map<std::string, std::string> macs_;
    std::string mac1_, mac2_;
};

}  // namespace xvrrp::itest
