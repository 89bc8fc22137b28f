#pragma once
// Two xvrrpd nodes (n1, n2) and a client on one lab bridge, rebuilt for every
// test and torn down even when an assertion fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <ostream>
#include <string>

#include "lab/lab.hpp"
#include "lab/net_query.hpp"
#include "lab/wait.hpp"
#include "xvrrpd_node.hpp"

namespace xvrrp::itest {

// How the pair talks: protocol version, family, multicast or unicast.
struct Variant {
    std::string name;
    int version = 3;
    Family family = Family::V4;
    bool unicast = false;
    double advertInt = 0.1;
    std::string authPass;  // VRRPv2 PASS
};

// Named variants; a function rather than designated initializers so every field is set.
inline Variant makeVariant(std::string name, int version, Family family, bool unicast) {
    Variant v;
    v.name = std::move(name);
    v.version = version;
    v.family = family;
    v.unicast = unicast;
    if (version == 2) {  // VRRPv2 counts advert_int in whole seconds (RFC 3768 section 5.3.7)
        v.advertInt = 1;
        v.authPass = "xvsecret";
    }
    return v;
}

inline std::ostream& operator<<(std::ostream& o, const Variant& v) { return o << v.name; }
inline std::string variantName(const ::testing::TestParamInfo<Variant>& i) { return i.param.name; }

class PairFixture : public ::testing::Test {
  protected:
    explicit PairFixture(std::string tag) : tag_(std::move(tag)) {}

    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and XDP";
        lab_ = std::make_unique<lab::Lab>(std::vector<std::string>{"n1", "n2", "client"},
                                          lab::LabOptions{.tag = tag_});
        n1_ = std::make_unique<XvrrpdNode>(*lab_, "n1");
        n2_ = std::make_unique<XvrrpdNode>(*lab_, "n2");
    }

    void TearDown() override {
        if (HasFailure() && lab_) {
            for (auto* n : {n1_.get(), n2_.get()})
                if (n) std::cerr << "---- " << n->name() << " log (tail) ----\n" << tail(n->log());
        }
        n1_.reset();
        n2_.reset();
        lab_.reset();
    }

    IpAddr vip(const Variant& v) const {
        return v.family == Family::V4 ? lab_->vip4(100) : lab_->vip6(0x100);
    }

    IpAddr addrOf(const std::string& node, const Variant& v) const {
        return v.family == Family::V4 ? lab_->v4(node) : lab_->v6(node);
    }

    // The instance config for `node` (n1 or n2) in variant `v`.
    InstanceSpec spec(const std::string& node, int priority, const Variant& v) const {
        InstanceSpec s;
        s.version = v.version;
        s.family = v.family;
        s.priority = priority;
        s.advertInt = v.advertInt;
        s.authPass = v.authPass;
        s.vip = vip(v).str() + (v.family == Family::V4 ? "/24" : "/64");
        if (v.unicast) {
            s.unicastSrc = addrOf(node, v);
            s.unicastPeers = {addrOf(node == "n1" ? "n2" : "n1", v)};
        }
        return s;
    }

    int vipHolders(const IpAddr& ip) const {
        return static_cast<int>(n1_->holds(ip)) + static_cast<int>(n2_->holds(ip));
    }

    // One echo at a time from the client until one is answered.
    bool clientReaches(const IpAddr& ip, Clock::duration timeout) const {
        return lab::waitUntil([&] { return lab::ping(lab_->node("client"), ip, Ms(200)).has_value(); },
                              timeout);
    }

    // Starts both daemons (n1 at `p1`, n2 at `p2`) and waits for n1 MASTER, n2 BACKUP.
    void electN1(const Variant& v, int p1, int p2) {
        n1_->start(renderConfig("n1", spec("n1", p1, v)));
        n2_->start(renderConfig("n2", spec("n2", p2, v)));
        const auto limit = electionLimit(v, p1);
        ASSERT_TRUE(waitState(*n1_, "MASTER", limit)) << "n1 is " << n1_->state();
        ASSERT_TRUE(waitState(*n2_, "BACKUP", limit)) << "n2 is " << n2_->state();
        // Elected means n2 follows n1 too: under load n2 may enter BACKUP (init) before
        // n1's first advert reaches it.
        const std::string n1Ip = v.family == Family::V4 ? lab_->v4("n1").str() : "";
        ASSERT_TRUE(waitUntil(
            [&] {
                auto b = n2_->instance();
                return b && (*b)["master"].is_object() &&
                       (n1Ip.empty() || (*b)["master"]["address"] == n1Ip);
            },
            limit))
            << "n2 never heard n1: " << n2_->instance().value_or(nlohmann::json()).dump();
    }

    // Start-up: both begin as BACKUP, so the first master appears after its
    // Master_Down_Interval; the slack covers daemon start on a loaded machine.
    static Clock::duration electionLimit(const Variant& v, int priority) {
        return std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(masterDownInterval(priority, v.advertInt) + 10.0));
    }

    std::string tag_;
    std::unique_ptr<lab::Lab> lab_;
    std::unique_ptr<XvrrpdNode> n1_;
    std::unique_ptr<XvrrpdNode> n2_;
};

inline Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

inline double secondsSince(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace xvrrp::itest
