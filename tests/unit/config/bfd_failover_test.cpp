// xvrrp_bfd_failover BFD_NAME: xvrrpd's own vrrp_instance keyword (docs/bfd.md). Every way
// it could quietly do nothing refuses the file, naming FILE:LINE:COL.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;
using test::load;

// A bfd_instance block (BFD, before the instance) and VI_1 with LINES inside.
std::string conf(const std::string& bfd, const std::string& lines,
                 const std::string& vip = "10.0.0.1/24") {
    return bfd + "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n" + lines +
           "    virtual_ipaddress {\n        " + vip + "\n    }\n}\n";
}
const std::string kB1 = "bfd_instance b1 {\n    neighbor_ip 10.0.0.2\n}\n";  // lines 1-3

TEST(BfdFailover, NamesTheSession) {
    auto r = load(conf(kB1, "    xvrrp_bfd_failover b1\n"));
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.instances[0].bfd_failover, "b1");
    EXPECT_EQ(r.config.instances[0].bfd_failover_where.line, 7);
    EXPECT_EQ(r.diagnostics.size(), 0u) << test::dump(r);
    // Without it: none (keepalived's behaviour, the default).
    auto plain = load(conf(kB1, ""));
    ASSERT_TRUE(plain.ok()) << test::dump(plain);
    EXPECT_TRUE(plain.config.instances[0].bfd_failover.empty());
}

TEST(BfdFailover, TheBfdInstanceMayComeAfter) {
    auto r = load(conf("", "    xvrrp_bfd_failover b1\n") + kB1);
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.instances[0].bfd_failover, "b1");
}

TEST(BfdFailover, UnknownSessionIsAnError) {
    auto r = load(conf(kB1, "    xvrrp_bfd_failover b2\n"));
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(has(
        r, Severity::Error, 7, 24,
        "xvrrp_bfd_failover of vrrp_instance 'VI_1': no bfd_instance 'b2' (did you mean 'b1'?)"));
}

TEST(BfdFailover, DisabledSessionIsAnError) {
    // keepalived's BFD process drops a duplicate neighbour: no session would run.
    auto r = load(kB1 + conf("bfd_instance b2 {\n    neighbor_ip 10.0.0.2\n}\n",
                             "    xvrrp_bfd_failover b2\n"));
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(has(r, Severity::Error, 10, 24,
                    "bfd_instance 'b2' (t.conf:4:14) runs no session: duplicate neighbor address "
                    "(bfd_instance b1)"));
    auto none = load(conf("bfd_instance b1 {\n    min_rx 5\n}\n", "    xvrrp_bfd_failover b1\n"));
    EXPECT_FALSE(none.ok());
    EXPECT_TRUE(has(none, Severity::Error, 7, 24, "runs no session: no neighbor address"));
}

TEST(BfdFailover, CheckerOnlySessionIsAnError) {
    auto r = load(conf("bfd_instance b1 {\n    neighbor_ip 10.0.0.2\n    checker\n}\n",
                       "    xvrrp_bfd_failover b1\n"));
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(
        has(r, Severity::Error, 8, 24, "reports to the checker only ('checker' without 'vrrp')"));
}

TEST(BfdFailover, NeighbourOfTheOtherFamilyIsAnError) {
    auto r = load(
        conf("bfd_instance b1 {\n    neighbor_ip fd00::2\n}\n", "    xvrrp_bfd_failover b1\n"));
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(has(
        r, Severity::Error, 7, 24,
        "the neighbour fd00::2 of bfd_instance 'b1' (t.conf:1:14) is IPv6, the instance is IPv4"));
    auto v6 = load(conf("bfd_instance b1 {\n    neighbor_ip fd00::2\n}\n",
                        "    xvrrp_bfd_failover b1\n", "fd00::100/64"));
    EXPECT_TRUE(v6.ok()) << test::dump(v6);
}

TEST(BfdFailover, GivenTwiceIsAnError) {
    auto r = load(conf(kB1, "    xvrrp_bfd_failover b1\n    xvrrp_bfd_failover b1\n"));
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(has(r, Severity::Error, 8, 5,
                    "xvrrp_bfd_failover is already given in vrrp_instance 'VI_1' at t.conf:7:24"));
}

// One name; words past it are ignored with a warning, as for every keyword (keepalived's
// rule, config/words.cpp).
TEST(BfdFailover, TakesOneName) {
    auto none = load(conf(kB1, "    xvrrp_bfd_failover\n"));
    EXPECT_FALSE(none.ok()) << test::dump(none);
    auto two = load(conf(kB1, "    xvrrp_bfd_failover b1 b2\n"));
    ASSERT_TRUE(two.ok()) << test::dump(two);
    EXPECT_EQ(two.config.instances[0].bfd_failover, "b1");
    EXPECT_TRUE(has(two, Severity::Warning, 7, 27, "'b2' and the words after it are ignored"))
        << test::dump(two);
}

TEST(BfdFailover, NeighbourOutsideTheUnicastPeersIsAWarning) {
    auto r =
        load(conf(kB1, "    xvrrp_bfd_failover b1\n    unicast_peer {\n        10.0.0.3\n    }\n"));
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 7, 24,
                    "the neighbour 10.0.0.2 of bfd_instance 'b1' (t.conf:1:14) "
                    "is none of its unicast peers"));
    auto peer =
        load(conf(kB1, "    xvrrp_bfd_failover b1\n    unicast_peer {\n        10.0.0.2\n    }\n"));
    ASSERT_TRUE(peer.ok()) << test::dump(peer);
    EXPECT_EQ(peer.diagnostics.size(), 0u) << test::dump(peer);
}

TEST(BfdFailover, AWeightZeroTrackBfdOfTheSameSessionIsAWarning) {
    auto r = load(conf(kB1, "    xvrrp_bfd_failover b1\n    track_bfd {\n        b1\n    }\n"));
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 7, 24,
                    "track_bfd b1 (t.conf:9:9) has weight 0, so the Down that takes over also "
                    "faults the instance"));
    auto weighted =
        load(conf(kB1, "    xvrrp_bfd_failover b1\n    track_bfd {\n        b1 weight -10\n    }\n"));
    ASSERT_TRUE(weighted.ok()) << test::dump(weighted);
    EXPECT_EQ(weighted.diagnostics.size(), 0u) << test::dump(weighted);
}


// IPv6 multicast adverts come from the master's link-local address (RFC 5798 5.1.2.1): a
// session to its global address never names the master a backup follows.
TEST(BfdFailover, AGlobalIpv6NeighbourOfAMulticastInstanceIsAWarning) {
    const std::string b6 = "bfd_instance b1 {\n    neighbor_ip 2001:db8::2\n}\n";
    auto r = load(conf(b6, "    xvrrp_bfd_failover b1\n", "2001:db8::100/64"));
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 7, 24,
                    "the neighbour 2001:db8::2 of bfd_instance 'b1' (t.conf:1:14) is not a "
                    "link-local address"))
        << test::dump(r);
    const std::string ll = "bfd_instance b1 {\n    neighbor_ip fe80::2\n}\n";
    auto l = load(conf(ll, "    xvrrp_bfd_failover b1\n", "2001:db8::100/64"));
    ASSERT_TRUE(l.ok()) << test::dump(l);
    EXPECT_EQ(l.diagnostics.size(), 0u) << test::dump(l);
}

}  // namespace
}  // namespace xvrrp::config
