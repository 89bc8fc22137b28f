// Tests of the pure parts of userspace/net: no root, no namespaces.
#include <gtest/gtest.h>
#include <net/if.h>

#include <cstring>

#include "net/gratuitous.hpp"
#include "net/netlink.hpp"

namespace xvrrp::net {
namespace {

IpAddr ip(const char* s) { return *IpAddr::parse(s); }
const MacAddr kMac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

TEST(NetPure, AutoBroadcastSetsHostBits) {
    EXPECT_EQ(autoBroadcast(*IpPrefix::parse("10.1.2.3/24")), ip("10.1.2.255"));
    EXPECT_EQ(autoBroadcast(*IpPrefix::parse("10.1.2.3/30")), ip("10.1.2.3"));
    EXPECT_EQ(autoBroadcast(*IpPrefix::parse("10.1.2.3/8")), ip("10.255.255.255"));
    EXPECT_EQ(autoBroadcast(*IpPrefix::parse("10.1.2.3/31")), std::nullopt);  // RFC 3021
    EXPECT_EQ(autoBroadcast(*IpPrefix::parse("10.1.2.3/32")), std::nullopt);
    EXPECT_EQ(autoBroadcast(*IpPrefix::parse("2001:db8::1/64")), std::nullopt);
}

TEST(NetPure, ParseScopeNamesAndNumbers) {
    EXPECT_EQ(parseScope("global"), 0);
    EXPECT_EQ(parseScope("site"), 200);
    EXPECT_EQ(parseScope("link"), 253);
    EXPECT_EQ(parseScope("host"), 254);
    EXPECT_EQ(parseScope("nowhere"), 255);
    EXPECT_EQ(parseScope("17"), 17);
    EXPECT_THROW(parseScope("lnk"), NetError);
    EXPECT_THROW(parseScope("256"), NetError);
    EXPECT_THROW(parseScope(""), NetError);
}

TEST(NetPure, GratuitousArpFrame) {
    auto f = buildGratuitousArp(kMac, ip("192.0.2.7"));
    ASSERT_EQ(f.size(), 60u);
    const std::vector<uint8_t> want = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x06,  // eth
        0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,                                            // request
        0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 192, 0, 2, 7,                                    // sender
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 192, 0, 2, 7,                                    // target
    };
    EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.begin() + want.size()), want);
    for (size_t i = want.size(); i < f.size(); ++i) EXPECT_EQ(f[i], 0) << "padding at " << i;
    EXPECT_THROW(buildGratuitousArp(kMac, ip("2001:db8::1")), NetError);
}

TEST(NetPure, UnsolicitedNaBody) {
    auto p = buildUnsolicitedNa(kMac, ip("2001:db8::7"), false);
    ASSERT_EQ(p.size(), 32u);
    EXPECT_EQ(p[0], 136);   // Neighbor Advertisement (RFC 4861 section 4.4)
    EXPECT_EQ(p[1], 0);
    EXPECT_EQ(p[4], 0x20);  // O set, R and S clear
    auto target = ip("2001:db8::7");
    EXPECT_EQ(0, std::memcmp(&p[8], target.data(), 16));
    EXPECT_EQ(p[24], 2);    // target link-layer address option
    EXPECT_EQ(p[25], 1);
    EXPECT_EQ(0, std::memcmp(&p[26], kMac.data(), 6));
    EXPECT_EQ(buildUnsolicitedNa(kMac, target, true)[4], 0xa0);  // R|O
    EXPECT_THROW(buildUnsolicitedNa(kMac, ip("192.0.2.1"), false), NetError);
}

TEST(NetPure, AnnouncerSkipsNoArpAndMacLessLinks) {
    Announcer ann;
    LinkInfo l;
    l.ifindex = 1;
    l.name = "x";
    l.mac = kMac;
    l.arptype = 1;  // ARPHRD_ETHER
    l.flags = IFF_UP | IFF_NOARP;
    EXPECT_FALSE(ann.sendGratuitousArp(l, ip("192.0.2.1")));
    EXPECT_FALSE(ann.sendUnsolicitedNa(l, ip("2001:db8::1")));
    l.flags = IFF_UP;
    l.mac = {};
    l.arptype = 65534;  // ARPHRD_NONE, e.g. wireguard
    EXPECT_FALSE(ann.sendGratuitousArp(l, ip("192.0.2.1")));
    EXPECT_FALSE(ann.sendUnsolicitedNa(l, ip("2001:db8::1")));
}

}  // namespace
}  // namespace xvrrp::net
