// Tests of the pure parts of userspace/net: no root, no namespaces.
#include <gtest/gtest.h>
#include <net/if.h>

#include <cstring>

#include "net/gratuitous.hpp"
#include "net/netlink.hpp"
#include "net/vrrp_socket.hpp"

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

// What the packet socket sends to the VRRP group must be what the raw socket would.
TEST(NetPure, IpPacketForGroupAdvertsV4) {
    const std::vector<uint8_t> vrrp = {0x31, 7, 100, 1, 0x00, 0x64, 0xab, 0xcd, 10, 9, 0, 100};
    auto p = buildIpPacket(ip("10.9.0.1"), ip("224.0.0.18"), vrrp, 0x1234);
    ASSERT_EQ(p.size(), 20 + vrrp.size());
    EXPECT_EQ(p[0], 0x45);
    EXPECT_EQ(p[1], kVrrpTos);
    EXPECT_EQ(p[2] << 8 | p[3], 32);
    EXPECT_EQ(p[4] << 8 | p[5], 0x1234);
    EXPECT_EQ(p[6] << 8 | p[7], 0x4000);  // DF, no fragment offset
    EXPECT_EQ(p[8], kVrrpTtl);            // RFC 5798 section 5.1.1.3
    EXPECT_EQ(p[9], kIpProtoVrrp);
    uint32_t sum = 0;  // RFC 791: the header sums to 0xffff with its checksum
    for (size_t i = 0; i < 20; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    EXPECT_EQ(sum, 0xffffu);
    EXPECT_EQ(0, std::memcmp(&p[12], ip("10.9.0.1").data(), 4));
    EXPECT_EQ(0, std::memcmp(&p[16], ip("224.0.0.18").data(), 4));
    EXPECT_EQ(0, std::memcmp(&p[20], vrrp.data(), vrrp.size()));
    EXPECT_EQ(multicastMac(ip("224.0.0.18")), (std::array<uint8_t, 6>{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}));
    EXPECT_EQ(multicastMac(ip("239.129.2.3")), (std::array<uint8_t, 6>{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}));
    EXPECT_THROW(buildIpPacket(ip("10.9.0.1"), ip("ff02::12"), vrrp), NetError);
    EXPECT_THROW(buildIpPacket(ip("10.9.0.1"), ip("224.0.0.18"), std::vector<uint8_t>(70000)), NetError);
}

TEST(NetPure, IpPacketForGroupAdvertsV6) {
    const std::vector<uint8_t> vrrp(24, 0x5a);
    auto p = buildIpPacket(ip("fe80::1"), ip("ff02::12"), vrrp);
    ASSERT_EQ(p.size(), 40 + vrrp.size());
    EXPECT_EQ(p[0], 0x6c);  // version 6, traffic class 0xc0 ...
    EXPECT_EQ(p[1], 0x00);  // ... and flow label 0
    EXPECT_EQ(p[4] << 8 | p[5], 24);
    EXPECT_EQ(p[6], kIpProtoVrrp);
    EXPECT_EQ(p[7], kVrrpTtl);  // RFC 5798 section 5.1.2.3
    EXPECT_EQ(0, std::memcmp(&p[8], ip("fe80::1").data(), 16));
    EXPECT_EQ(0, std::memcmp(&p[24], ip("ff02::12").data(), 16));
    EXPECT_EQ(multicastMac(ip("ff02::12")), (std::array<uint8_t, 6>{0x33, 0x33, 0x00, 0x00, 0x00, 0x12}));
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
