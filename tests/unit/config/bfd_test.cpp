// bfd_instance and track_bfd: keepalived 2.2.7's defaults, ranges and messages. Every
// warning text below was measured with keepalived -t on the same lines (docs/bfd.md).
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;
using test::load;

const BfdInstance& bfd(const LoadResult& r, const std::string& name) {
    return r.config.bfd_instances.at(name);
}

TEST(Bfd, DefaultsAreKeepalives) {
    auto r = load("bfd_instance b1 {\n    neighbor_ip 10.0.0.2\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const auto& b = bfd(r, "b1");
    EXPECT_EQ(b.min_rx_us, 10000u);
    EXPECT_EQ(b.min_tx_us, 10000u);
    EXPECT_EQ(b.idle_tx_us, 1000000u);
    EXPECT_EQ(b.multiplier, 5);
    EXPECT_FALSE(b.passive);
    EXPECT_EQ(b.ttl, 255);  // IPv4 default
    EXPECT_EQ(b.max_hops, 0);
    EXPECT_EQ(b.weight, 0);
    EXPECT_TRUE(b.vrrp);
    EXPECT_TRUE(b.checker);
    EXPECT_TRUE(b.disabled.empty());
    // the daemon runs it: nothing to say (keepalived -t exits 0 on this file)
    EXPECT_EQ(test::count(r, Severity::Warning), 0u) << test::dump(r);
}

TEST(Bfd, Ipv6HoplimitDefaultsTo64) {
    auto r = load("bfd_instance b1 {\n    neighbour_ip fe80::2\n    source_ip fe80::1\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(bfd(r, "b1").ttl, 64);
}

TEST(Bfd, ValuesInMillisecondsWithMicrosecondResolution) {
    auto r = load("bfd_instance b1 {\n    neighbor_ip 10.0.0.2\n    source_ip 10.0.0.1\n    min_rx 3.312\n"
                  "    min_tx 20000\n    idle_tx 2000.5\n    multiplier 3\n    passive\n    ttl 200\n"
                  "    max_hops 2\n    weight -10 reverse\n    vrrp\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const auto& b = bfd(r, "b1");
    EXPECT_EQ(b.min_rx_us, 3312u);
    EXPECT_EQ(b.min_tx_us, 20000000u);
    EXPECT_EQ(b.idle_tx_us, 2000500u);
    EXPECT_EQ(b.multiplier, 3);
    EXPECT_TRUE(b.passive);
    EXPECT_EQ(b.ttl, 200);
    EXPECT_EQ(b.max_hops, 2);
    EXPECT_EQ(b.weight, -10);
    EXPECT_TRUE(b.weight_reverse);
    EXPECT_TRUE(b.vrrp);
    EXPECT_FALSE(b.checker);
    EXPECT_EQ(*b.source, *IpAddr::parse("10.0.0.1"));
}

TEST(Bfd, OutOfRangeValuesAreIgnoredWithKeepalivesWords) {
    auto r = load("bfd_instance b1 {\n    neighbor_ip 10.0.0.2\n    min_rx 0.5\n    idle_tx 500\n"
                  "    multiplier 0\n    ttl 0\n    max_hops 300\n    weight 254\n    min_tx 4294968\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 3, 12,
                    "Configuration error: BFD instance b1 min_rx value 0.5 is not valid (must be in range [1-4294967]), ignoring"));
    EXPECT_TRUE(has(r, Severity::Warning, 4, 13,
                    "BFD instance b1 idle_tx value 500 is not valid (must be in range [1000-4294967]), ignoring"));
    EXPECT_TRUE(has(r, Severity::Warning, 5, 16, "BFD instance b1 multiplier value 0 not valid (must be in range [1-255]), ignoring"));
    EXPECT_TRUE(has(r, Severity::Warning, 6, 9, "BFD instance b1 ttl/hoplimit value 0 not valid (must be in range [1-255]), ignoring"));
    EXPECT_TRUE(has(r, Severity::Warning, 7, 14, "BFD instance b1 max_hops value 300 not valid (must be in range [-1-255]), ignoring"));
    EXPECT_TRUE(has(r, Severity::Warning, 8, 12, "BFD instance b1 weight value 254 not valid (must be in range [-253-253]), ignoring"));
    EXPECT_TRUE(has(r, Severity::Warning, 9, 12, "min_tx value 4294968 is not valid"));
    for (const auto& d : r.diagnostics) {
        if (d.message.find("not valid") != std::string::npos) {
            EXPECT_FALSE(d.advice) << d.str();
        }
    }
    const auto& b = bfd(r, "b1");
    EXPECT_EQ(b.min_rx_us, 10000u);
    EXPECT_EQ(b.idle_tx_us, 1000000u);
    EXPECT_EQ(b.multiplier, 5);
    EXPECT_EQ(b.ttl, 255);
    EXPECT_EQ(b.weight, 0);
    EXPECT_EQ(b.min_tx_us, 10000u);
}

TEST(Bfd, MaxHopsAboveTtlIsClampedAtTheClosingBrace) {
    auto r = load("bfd_instance b2 {\n    neighbour_ip 10.0.0.3\n    hoplimit 20\n    max_hops 30\n}\n");
    EXPECT_TRUE(has(r, Severity::Warning, 5, 1, "BFD instance b2: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit"));
    EXPECT_EQ(bfd(r, "b2").max_hops, 20);
}

TEST(Bfd, InstancesKeepalivesBfdProcessDisables) {
    auto r = load("bfd_instance b2 {\n    neighbor_ip 10.0.0.3\n}\n"
                  "bfd_instance b3 {\n    source_ip 10.0.0.1\n}\n"
                  "bfd_instance b4 {\n    neighbor_ip 10.0.0.2\n    source_ip fe80::1\n}\n"
                  "bfd_instance b5 {\n    neighbor_ip 10.0.0.3\n}\n"
                  "bfd_instance b6 {\n    neighbor_ip 10.0.0.300\n}\n"
                  "bfd_instance b2 {\n    neighbor_ip 10.0.0.9\n}\n");
    EXPECT_TRUE(has(r, Severity::Warning, 6, 1, "BFD instance b3 has no neighbor address set, disabling instance"));
    EXPECT_TRUE(has(r, Severity::Warning, 10, 1,
                    "BFD instance b4 source address fe80::1 and neighbor address 10.0.0.2 are not of the same family, disabling instance"));
    EXPECT_TRUE(has(r, Severity::Warning, 13, 1, "BFD instance b5 has duplicate neighbor address 10.0.0.3, ignoring instance"));
    EXPECT_TRUE(has(r, Severity::Warning, 15, 17, "BFD instance b6 has malformed neighbor address 10.0.0.300, ignoring instance"));
    EXPECT_TRUE(has(r, Severity::Warning, 17, 14, "BFD instance b2 already configured - ignoring"));
    EXPECT_TRUE(bfd(r, "b2").disabled.empty());
    EXPECT_EQ(*bfd(r, "b2").neighbor, *IpAddr::parse("10.0.0.3"));
    for (auto n : {"b3", "b4", "b5", "b6"}) EXPECT_FALSE(bfd(r, n).disabled.empty()) << n;
}

TEST(Bfd, SameNeighbourFromAnotherSourceIsNoDuplicate) {
    auto r = load("bfd_instance a {\n    neighbor_ip 10.0.0.3\n    source_ip 10.0.0.1\n}\n"
                  "bfd_instance b {\n    neighbor_ip 10.0.0.3\n    source_ip 10.0.0.2\n}\n"
                  "bfd_instance c {\n    neighbor_ip 10.0.0.3\n    source_ip 10.0.0.2\n}\n");
    EXPECT_TRUE(bfd(r, "b").disabled.empty());
    EXPECT_TRUE(has(r, Severity::Warning, 12, 1,
                    "BFD instance c has duplicate source/neighbor address 10.0.0.2/10.0.0.3, ignoring instance"));
}

constexpr const char* kTrackText = R"(bfd_instance b1 {
    neighbor_ip 10.0.0.2
    weight 15
}
bfd_instance b2 {
    neighbour_ip 10.0.0.3
    weight -10 reverse
}
bfd_instance b5 {
    neighbor_ip 10.0.0.4
    checker
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.100
    }
    track_bfd {
        b1
        b2 weight 20
        b2
        bX
        b1 weight
        b5
        b3 weight 300
    }
}
)";

TEST(Bfd, TrackBfdResolvesWeightsAsKeepalived) {
    auto r = load(kTrackText);
    ASSERT_TRUE(r.ok()) << test::dump(r);
    const auto& t = r.config.instances.at(0).track_bfds;
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].name, "b1");
    EXPECT_EQ(t[0].weight, 15);  // the bfd_instance's weight
    EXPECT_FALSE(t[0].reverse);
    EXPECT_EQ(t[1].name, "b2");
    EXPECT_EQ(t[1].weight, 20);
    EXPECT_TRUE(t[1].reverse);  // kept from the bfd_instance (no noreverse written)
    EXPECT_TRUE(has(r, Severity::Warning, 22, 9, "(VI_1) duplicate track_bfd b2 - ignoring"));
    EXPECT_TRUE(has(r, Severity::Warning, 23, 9, "(VI_1) track bfd bX not found, ignoring..."));
    // keepalived checks duplicates before the weight (measured)
    EXPECT_TRUE(has(r, Severity::Warning, 24, 9, "(VI_1) duplicate track_bfd b1 - ignoring"));
    // `checker` only: the VRRP process never knows b5
    EXPECT_TRUE(has(r, Severity::Warning, 25, 9, "(VI_1) track bfd b5 not found, ignoring..."));
    EXPECT_TRUE(has(r, Severity::Warning, 26, 9, "(VI_1) track bfd b3 not found"));
}

TEST(Bfd, TrackBfdOptions) {
    auto r = load("bfd_instance b1 {\n    neighbor_ip 10.0.0.2\n}\nbfd_instance b2 {\n    neighbor_ip 10.0.0.3\n}\n"
                  "bfd_instance b3 {\n    neighbor_ip 10.0.0.4\n}\nbfd_instance b4 {\n    neighbor_ip 10.0.0.5\n}\n"
                  "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n"
                  "    virtual_ipaddress {\n        10.0.0.100\n    }\n    track_bfd {\n"
                  "        b1 weight\n        b2 weight 300 reverse\n        b3 weight 10 sideways\n        b4 foo\n"
                  "    }\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 20, 12, "(VI_1) weight without value specified for track bfd b1 - ignoring"));
    EXPECT_TRUE(has(r, Severity::Warning, 21, 19, "(VI_1) weight for track bfd b2 must be in [-253..253] inclusive. Ignoring..."));
    EXPECT_TRUE(has(r, Severity::Warning, 22, 22, "(VI_1) unknown track bfd b3 weight option sideways - ignoring"));
    EXPECT_TRUE(has(r, Severity::Warning, 23, 12, "(VI_1) unknown track bfd b4 option foo - ignoring"));
    const auto& t = r.config.instances.at(0).track_bfds;
    ASSERT_EQ(t.size(), 1u);  // b2 kept with the default weight and reverse
    EXPECT_EQ(t[0].name, "b2");
    EXPECT_EQ(t[0].weight, 0);
    EXPECT_TRUE(t[0].reverse);
}

TEST(Bfd, DisabledInstanceIsStillTrackable) {
    // keepalived's VRRP process knows every bfd_instance name, even one its BFD process drops
    auto r = load("bfd_instance b3 {\n    source_ip 10.0.0.1\n}\n" + std::string(test::kInstance).insert(
                      std::string(test::kInstance).rfind('}'), "    track_bfd {\n        b3\n    }\n"));
    ASSERT_TRUE(r.ok()) << test::dump(r);
    ASSERT_EQ(r.config.instances.at(0).track_bfds.size(), 1u);
}

TEST(Bfd, SyncGroupTrackBfd) {
    auto r = load("bfd_instance b1 {\n    neighbor_ip 10.0.0.2\n}\n" + std::string(test::kInstance) +
                  "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  track_bfd {\n    b1 weight -5\n    b9\n  }\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    ASSERT_EQ(r.config.sync_groups.at(0).track_bfds.size(), 1u);
    EXPECT_EQ(r.config.sync_groups.at(0).track_bfds[0].weight, -5);
    EXPECT_TRUE(has(r, Severity::Warning, 17, 5, "(G) track bfd b9 not found, ignoring..."));
}

}  // namespace
}  // namespace xvrrp::config

namespace xvrrp::config {
namespace {

TEST(Bfd, DecimalsAsKeepalivesReader) {
    auto r = test::load("bfd_instance b1 {\n    neighbor_ip 10.0.0.2\n    min_rx 3.3125\n    min_tx 1e3\n"
                        "    idle_tx +2000\n    min_rx 0.0001\n}\n");
    EXPECT_TRUE(test::has(r, Severity::Warning, 3, 12, "number '3.3125' has too many decimal places"));
    EXPECT_TRUE(test::has(r, Severity::Warning, 4, 12, "BFD instance b1 min_tx value 1e3 is not valid"));
    EXPECT_TRUE(test::has(r, Severity::Warning, 6, 12, "number '0.0001' has too many decimal places"));
    EXPECT_TRUE(test::has(r, Severity::Warning, 6, 12, "BFD instance b1 min_rx value 0.0001 is not valid"));
    const auto& b = r.config.bfd_instances.at("b1");
    EXPECT_EQ(b.min_rx_us, 3313u);  // rounded on the fourth decimal, the 0.0001 line ignored
    EXPECT_EQ(b.min_tx_us, 10000u);
    EXPECT_EQ(b.idle_tx_us, 2000000u);
}

// keepalived 2.2.7 has no vrrp_track_bfd keyword: "Unknown keyword 'vrrp_track_bfd'", -t exits 5.
TEST(Bfd, VrrpTrackBfdIsUnknownAsInKeepalived) {
    auto r = test::load("vrrp_track_bfd x {\n}\n");
    EXPECT_TRUE(test::has(r, Severity::Warning, 1, 1, "unknown keyword 'vrrp_track_bfd'"));
    for (const auto& d : r.diagnostics) EXPECT_FALSE(d.advice) << d.str();
}

}  // namespace
}  // namespace xvrrp::config
