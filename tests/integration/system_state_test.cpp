// Everything xvrrpd changes on the system is undone: by a start that fails half-way and by
// SIGTERM of a running daemon. The node's addresses, routes, rules, links, the sysctls
// xvrrpd touches, qdiscs, TC filters and XDP are compared before and after.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <memory>
#include <sstream>

#include "lab/lab.hpp"
#include "lab/net_query.hpp"
#include "xvrrpd_node.hpp"

namespace xvrrp::itest {
namespace {

// What a node's network namespace looks like, as text that compares equal when nothing
// changed. Lifetimes and statistics are left out (they move on their own).
std::string snapshot(lab::Netns& ns) {
    std::ostringstream out;
    auto take = [&](const std::vector<std::string>& argv) {
        auto r = ns.run(argv);
        out << "$";
        for (const auto& a : argv) out << " " << a;
        // iproute2 names the veth peer's namespace, and says "Peer netns reference is
        // invalid" when another test's namespace comes or goes meanwhile: not this node's.
        std::string err = r.err;
        const std::string peer = "Error: Peer netns reference is invalid.\n";
        for (size_t at = err.find(peer); at != std::string::npos; at = err.find(peer))
            err.erase(at, peer.size());
        out << "\n" << r.out << err << "\n";
    };
    take({"ip", "-d", "-o", "link", "show"});
    take({"ip", "-o", "addr", "show"});
    take({"ip", "-4", "route", "show", "table", "all"});
    take({"ip", "-6", "route", "show", "table", "all"});
    take({"ip", "-4", "rule", "show"});
    take({"ip", "-6", "rule", "show"});
    take({"tc", "qdisc", "show"});
    for (const char* dir : {"ingress", "egress"}) take({"tc", "filter", "show", "dev", "eth0", dir});
    take({"sh", "-c",
          "for f in /proc/sys/net/ipv4/conf/*/arp_announce /proc/sys/net/ipv4/conf/*/arp_ignore "
          "/proc/sys/net/ipv4/conf/*/arp_filter /proc/sys/net/ipv4/conf/*/rp_filter "
          "/proc/sys/net/ipv4/conf/*/promote_secondaries "
          "/proc/sys/net/ipv4/conf/*/accept_local /proc/sys/net/ipv6/conf/*/disable_ipv6; "
          "do echo \"$f $(cat $f)\"; done"});
    // "valid_lft 1234sec": IPv6 addresses with lifetimes count down between the two looks.
    std::string s = out.str();
    for (const char* word : {"valid_lft ", "preferred_lft "}) {
        for (size_t at = s.find(word); at != std::string::npos; at = s.find(word, at + 1)) {
            size_t end = s.find(' ', at + std::strlen(word));
            s.replace(at, end - at, word);
        }
    }
    return s;
}

// Static config, a VMAC with its sysctls, promote_secondaries, XDP and TC on eth0: most of
// what xvrrpd ever changes. EXTRA is appended (a second instance).
std::string config(const std::string& extra = "") {
    return R"(global_defs {
  router_id n1
}
static_ipaddress {
  10.77.9.1/24 dev eth0
}
static_routes {
  10.88.0.0/24 via 10.77.0.254
}
static_rules {
  from 10.77.9.0/24 table 100
}
vrrp_instance VI_1 {
  interface eth0
  use_vmac
  promote_secondaries
  virtual_router_id 51
  priority 150
  version 3
  advert_int 0.1
  virtual_ipaddress {
    10.77.0.100/24
  }
  virtual_routes {
    10.99.0.0/24 via 10.77.0.254
  }
}
)" + extra;
}

class SystemState : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and XDP";
        lab_ = std::make_unique<lab::Lab>(std::vector<std::string>{"n1"},
                                          lab::LabOptions{.tag = "sysstate"});
        n1_ = std::make_unique<XvrrpdNode>(*lab_, "n1");
    }
    void TearDown() override {
        if (HasFailure() && n1_) std::cerr << "--- n1 log ---\n" << tail(n1_->log(), 60) << "\n";
        n1_.reset();
        lab_.reset();
    }
    // The node's state is BEFORE again. Waited for: on two loaded cores the veth's carrier
    // can read NO-CARRIER for a moment after XDP and a macvlan left it.
    void expectBackTo(const std::string& before) {
        std::string now;
        const bool same = waitUntil(
            [&] {
                now = snapshot(lab_->node("n1"));
                return now == before;
            },
            Ms(3000), Ms(100));
        EXPECT_TRUE(same) << "before:\n" << before << "\nafter:\n" << now;
    }
    std::unique_ptr<lab::Lab> lab_;
    std::unique_ptr<XvrrpdNode> n1_;
};

TEST_F(SystemState, AStartThatFailsHalfWayLeavesNothing) {
    // The second instance's VMAC name belongs to an interface that is no macvlan: creating
    // it fails after the first instance has its VMAC, XDP, TC and sysctls.
    lab_->node("n1").runOk({"ip", "link", "add", "taken0", "type", "veth", "peer", "name",
                                 "taken1"});
    const std::string before = snapshot(lab_->node("n1"));
    n1_->start(config(R"(vrrp_instance VI_2 {
  interface eth0
  use_vmac taken0
  virtual_router_id 52
  priority 150
  version 3
  advert_int 0.1
  virtual_ipaddress {
    10.77.0.101/24
  }
}
)"));
    auto st = n1_->waitExit(Ms(15000));
    ASSERT_TRUE(st.has_value()) << "xvrrpd kept running although VI_2 cannot be set up";
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) != 0);
    EXPECT_NE(n1_->log().find("taken0"), std::string::npos) << "the error names the VMAC";
    expectBackTo(before);
}

TEST_F(SystemState, SigtermOfARunningMasterLeavesNothing) {
    const std::string before = snapshot(lab_->node("n1"));
    n1_->start(config());
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(10000))) << n1_->state();
    ASSERT_TRUE(lab::hasAddress(lab_->node("n1"), "vrrp.51", *IpAddr::parse("10.77.0.100")));
    ASSERT_NE(snapshot(lab_->node("n1")), before) << "the daemon changed nothing to undo";
    n1_->signal(SIGTERM);
    auto st = n1_->waitExit(Ms(10000));
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
    expectBackTo(before);
}

}  // namespace
}  // namespace xvrrp::itest
