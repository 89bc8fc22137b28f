// VIPs per advert (keepalived 2.2.7's rule, measured on the wire) and the kernel map
// capacities `xvrrpd -t` checks, each at the bound and one past it.
#include <gtest/gtest.h>

#include <sstream>

#include "config/capacity.hpp"
#include "test_util.hpp"
#include "xvrrp/abi.h"

namespace xvrrp::config {
namespace {

using test::has;

LoadResult loadAtMtu(const std::string& text, uint32_t mtu) {
    LoadOptions o = test::testOptions();
    o.interface_mtu = [mtu](const std::string&) { return std::optional<uint32_t>(mtu); };
    return loadConfigText(text, "t.conf", o);
}

std::string v4(size_t i) {
    return "10." + std::to_string(i >> 16 & 0xff) + "." + std::to_string(i >> 8 & 0xff) + "." +
           std::to_string(i & 0xff);
}

// One instance; VIP k (1-based) is on line 7 + k.
std::string instance(int version, Family fam, size_t vips, const std::string& more = "") {
    std::ostringstream c;
    c << "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n version " << version
      << "\n" << more << " priority 100\n advert_int 1\n virtual_ipaddress {\n";
    for (size_t k = 1; k <= vips; ++k) {
        if (fam == Family::V4)
            c << "  " << v4(k) << "/32\n";
        else
            c << "  fd00:90::" << std::hex << k << std::dec << "/128\n";
    }
    c << " }\n}\n";
    return c.str();
}

TEST(AdvertCapacity, KeepalivedsMeasuredCounts) {
    // keepalived 2.2.7 on veth pairs, tshark on the bridge (docs/bounds.md).
    EXPECT_EQ(advertCapacity(2, Family::V4, 1500), 255u);
    EXPECT_EQ(advertCapacity(3, Family::V4, 1500), 255u);
    EXPECT_EQ(advertCapacity(3, Family::V6, 1500), 89u);
    EXPECT_EQ(advertCapacity(3, Family::V6, 1400), 83u);
    EXPECT_EQ(advertCapacity(3, Family::V6, 1300), 77u);
    EXPECT_EQ(advertCapacity(3, Family::V6, 9000), 255u);
    EXPECT_EQ(advertCapacity(2, Family::V4, 1000), 237u);
    EXPECT_EQ(advertCapacity(3, Family::V4, 1000), 239u);
    EXPECT_EQ(advertCapacity(2, Family::V4, 40), 0u);
    EXPECT_EQ(receiveCapacity(2, Family::V4), 255u);
    EXPECT_EQ(receiveCapacity(3, Family::V4), 255u);
    EXPECT_EQ(receiveCapacity(3, Family::V6), 89u);
}

TEST(AdvertCapacity, Ipv4AtTheBoundAllAdvertisedOnePastTheRestHeld) {
    auto at = test::load(instance(2, Family::V4, 255));
    EXPECT_TRUE(at.ok()) << test::dump(at);
    EXPECT_EQ(test::count(at, Severity::Warning), 0u) << test::dump(at);
    EXPECT_EQ(advertisedVips(at.config.instances.at(0)).size(), 255u);

    auto past = test::load(instance(2, Family::V4, 256));
    EXPECT_TRUE(past.ok()) << test::dump(past);
    EXPECT_TRUE(has(past, Severity::Warning, 7 + 256, 3,
                    "vrrp_instance 'VI_1' has 256 virtual addresses but an advert on eth0 (MTU "
                    "1500) carries 255: the first 255 are advertised, the other 1 are held like "
                    "virtual_ipaddress_excluded (as keepalived does)"));
    const Instance& i = past.config.instances.at(0);
    EXPECT_EQ(i.vips.size(), 256u) << "all are still held";
    ASSERT_EQ(advertisedVips(i).size(), 255u);
    EXPECT_EQ(advertisedVips(i).back().prefix.addr.str(), v4(255));
}

TEST(AdvertCapacity, Ipv6FollowsTheMtu) {
    auto at = test::load(instance(3, Family::V6, 89));
    EXPECT_EQ(test::count(at, Severity::Warning), 0u) << test::dump(at);
    auto past = test::load(instance(3, Family::V6, 90));
    EXPECT_TRUE(has(past, Severity::Warning, 7 + 90, 3, "carries 89: the first 89 are advertised"));
    EXPECT_EQ(advertisedVips(past.config.instances.at(0)).size(), 89u);
    auto small = loadAtMtu(instance(3, Family::V6, 90), 1300);
    EXPECT_TRUE(has(small, Severity::Warning, 7 + 78, 3, "eth0 (MTU 1300) carries 77"));
}

TEST(AdvertCapacity, MissingInterfaceAssumesEthernetMtu) {
    LoadOptions o = test::testOptions();
    o.interface_mtu = [](const std::string&) { return std::optional<uint32_t>(); };
    auto r = loadConfigText(instance(3, Family::V6, 90), "t.conf", o);
    EXPECT_TRUE(has(r, Severity::Warning, 7 + 90, 3,
                    "an advert on eth0 (MTU 1500, assumed: no such interface here) carries 89"));
}

// On a jumbo MTU keepalived would advertise up to 255 IPv6 addresses; xvrrpd receives at
// most XV_VRRP_MAX bytes, so it refuses what it could not hear from its peer.
TEST(AdvertCapacity, JumboIpv6BeyondWhatXdpReceivesIsAnError) {
    auto at = loadAtMtu(instance(3, Family::V6, 89), 9000);
    EXPECT_TRUE(at.ok()) << test::dump(at);
    auto past = loadAtMtu(instance(3, Family::V6, 90), 9000);
    EXPECT_FALSE(past.ok());
    EXPECT_TRUE(has(past, Severity::Error, 7 + 90, 3,
                    "vrrp_instance 'VI_1' would advertise 90 IPv6 addresses on eth0 (MTU 9000), but "
                    "xvrrpd receives adverts of at most 89 (1432 bytes, XV_VRRP_MAX); list the "
                    "others under virtual_ipaddress_excluded"));
}

// N instances, 255 VRIDs per interface eth0, eth1, ...; instance k (0-based) starts on
// line 1 + 5k.
std::string instances(size_t n) {
    std::ostringstream c;
    for (size_t k = 0; k < n; ++k)
        c << "vrrp_instance I" << k << " {\n interface eth" << k / 255 << "\n virtual_router_id "
          << k % 255 + 1 << "\n virtual_ipaddress { " << v4(k + 1) << " }\n}\n";
    return c.str();
}

std::string n(size_t v) { return std::to_string(v); }

TEST(MapCapacity, InstancesAtTheBoundAndOnePast) {
    auto at = test::load(instances(XV_MAX_INSTANCES));
    EXPECT_TRUE(at.ok()) << test::dump(at);
    auto past = test::load(instances(XV_MAX_INSTANCES + 1));
    EXPECT_FALSE(past.ok());
    EXPECT_TRUE(has(past, Severity::Error, 1 + 5 * XV_MAX_INSTANCES, 15,
                    "vrrp_instance 'I" + n(XV_MAX_INSTANCES) + "' is instance " +
                        n(XV_MAX_INSTANCES + 1) + " of " + n(XV_MAX_INSTANCES + 1) +
                        "; the kernel maps hold " + n(XV_MAX_INSTANCES) + " (XV_MAX_INSTANCES)"));
}

// One advertised VIP and the rest excluded (excluded VIPs are in xv_vips too); excluded
// VIP k (1-based) is on line 5 + k.
std::string excluded(size_t total, const std::string& suffix = "") {
    std::ostringstream c;
    c << "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { "
         "192.0.2.1 }\n virtual_ipaddress_excluded {\n";
    for (size_t k = 1; k < total; ++k) c << "  " << v4(k) << suffix << (suffix.empty() ? "" : std::to_string(k)) << "\n";
    c << " }\n}\n";
    return c.str();
}

TEST(MapCapacity, VipsAtTheBoundAndOnePast) {
    auto at = test::load(excluded(XV_MAX_VIPS));
    EXPECT_TRUE(at.ok()) << test::dump(at);
    auto past = test::load(excluded(XV_MAX_VIPS + 1));
    EXPECT_FALSE(past.ok());
    EXPECT_TRUE(has(past, Severity::Error, 5 + XV_MAX_VIPS, 3,
                    "virtual address " + v4(XV_MAX_VIPS) + " on eth0 is VIP " + n(XV_MAX_VIPS + 1) +
                        " of the configuration; the kernel's xv_vips map "
                        "holds " +
                        n(XV_MAX_VIPS) + " (XV_MAX_VIPS)"));
    // The same address on one interface is one entry, whichever instance lists it.
    auto twice = test::load(excluded(XV_MAX_VIPS) +
                            "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n "
                            "virtual_ipaddress { 192.0.2.1 }\n}\n");
    EXPECT_TRUE(twice.ok()) << test::dump(twice);
}

TEST(MapCapacity, InterfacesAtTheBoundAndOnePast) {
    auto at = test::load(excluded(XV_MAX_IFACES, " dev if"));  // eth0 + 1023 others
    EXPECT_TRUE(at.ok()) << test::dump(at);
    auto past = test::load(excluded(XV_MAX_IFACES + 1, " dev if"));
    EXPECT_FALSE(past.ok());
    EXPECT_TRUE(has(past, Severity::Error, 5 + XV_MAX_IFACES, 3,
                    "interface if" + n(XV_MAX_IFACES) + " is interface " + n(XV_MAX_IFACES + 1) +
                        " to receive on; the kernel's xv_ifcfg map holds " + n(XV_MAX_IFACES) +
                        " (XV_MAX_IFACES)"));
}

std::string peers(size_t n) {
    std::ostringstream c;
    c << "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n unicast_peer {\n";
    for (size_t k = 1; k <= n; ++k) c << "  " << v4(k) << "\n";
    c << " }\n virtual_ipaddress { 192.0.2.1 }\n}\n";
    return c.str();
}

TEST(MapCapacity, PeersAtTheBoundAndOnePast) {
    auto at = test::load(peers(XV_MAX_PEERS));
    EXPECT_TRUE(at.ok()) << test::dump(at);
    auto past = test::load(peers(XV_MAX_PEERS + 1));
    EXPECT_FALSE(past.ok());
    EXPECT_TRUE(has(past, Severity::Error, 4 + XV_MAX_PEERS + 1, 3,
                    "unicast peer " + v4(XV_MAX_PEERS + 1) + " of vrrp_instance 'VI_1' is peer " +
                        n(XV_MAX_PEERS + 1) +
                        " of the configuration; the kernel's xv_peers map "
                        "holds " +
                        n(XV_MAX_PEERS) + " (XV_MAX_PEERS)"));
}

}  // namespace
}  // namespace xvrrp::config
