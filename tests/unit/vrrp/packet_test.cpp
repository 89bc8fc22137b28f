#include <gtest/gtest.h>

#include "vrrp/packet.hpp"

namespace xvrrp::vrrp {
namespace {

IpAddr ip(const char* s) { return IpAddr::parse(s).value(); }

Advert v3v4() {
    Advert a;
    a.version = 3;
    a.vrid = 7;
    a.priority = 120;
    a.max_advert_int_cs = 250;
    a.addresses = {ip("192.0.2.10"), ip("192.0.2.11")};
    return a;
}

TEST(Packet, RoundTripV3V4) {
    Advert a = v3v4();
    auto bytes = encode(a, ip("192.0.2.1"), ip("224.0.0.18"));
    ASSERT_EQ(bytes.size(), 8u + 8u);
    EXPECT_EQ(bytes[0], 0x31);
    EXPECT_EQ(bytes[4], 0x00);
    EXPECT_EQ(bytes[5], 250);
    auto r = decode(bytes, ip("192.0.2.1"), ip("224.0.0.18"), Family::V4);
    ASSERT_TRUE(r.ok()) << name(r.error());
    EXPECT_EQ(*r, a);
}

TEST(Packet, RoundTripV2Pass) {
    Advert a;
    a.version = 2;
    a.vrid = 1;
    a.priority = 100;
    a.max_advert_int_cs = 300;
    a.auth_type = uint8_t(AuthType::Pass);
    a.auth_data = {'p', 'w', 0, 0, 0, 0, 0, 0};
    a.addresses = {ip("198.51.100.1")};
    auto bytes = encode(a, ip("198.51.100.2"), ip("224.0.0.18"));
    ASSERT_EQ(bytes.size(), 8u + 4u + 8u);
    EXPECT_EQ(bytes[5], 3);  // seconds on the wire
    auto r = decode(bytes, ip("198.51.100.2"), ip("224.0.0.18"), Family::V4);
    ASSERT_TRUE(r.ok()) << name(r.error());
    EXPECT_EQ(*r, a);
    // v2 checksum has no pseudo-header: other addresses still decode
    EXPECT_TRUE(decode(bytes, ip("10.0.0.1"), ip("224.0.0.18"), Family::V4).ok());
}

TEST(Packet, RoundTripV3V6) {
    Advert a;
    a.family = Family::V6;
    a.vrid = 9;
    a.priority = 255;
    a.max_advert_int_cs = 4095;
    a.addresses = {ip("2001:db8::1")};
    auto bytes = encode(a, ip("fe80::1"), ip("ff02::12"));
    ASSERT_EQ(bytes.size(), 8u + 16u);
    auto r = decode(bytes, ip("fe80::1"), ip("ff02::12"), Family::V6);
    ASSERT_TRUE(r.ok()) << name(r.error());
    EXPECT_EQ(*r, a);
}

TEST(Packet, OldUnicastChecksumEncodeDecode) {
    Advert a = v3v4();
    a.old_unicast_checksum = true;
    auto bytes = encode(a, ip("192.0.2.1"), ip("192.0.2.2"));
    auto r = decode(bytes, ip("192.0.2.1"), ip("192.0.2.2"), Family::V4);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->old_unicast_checksum);
    // multicast adverts never fall back to the group address trick
    a.old_unicast_checksum = false;
    auto std_bytes = encode(a, ip("192.0.2.1"), ip("192.0.2.2"));
    EXPECT_NE(std_bytes, bytes);
}

// RFC 5798 section 5.2.5: one count byte. 256 addresses would go out as a count of 0.
TEST(Packet, EncodeRefusesMoreAddressesThanTheCountHolds) {
    Advert a = v3v4();
    a.addresses.assign(255, ip("192.0.2.10"));
    auto bytes = encode(a, ip("192.0.2.1"), ip("224.0.0.18"));
    EXPECT_EQ(bytes[3], 255);
    EXPECT_EQ(bytes.size(), 8u + 255 * 4);
    a.addresses.push_back(ip("192.0.2.11"));
    EXPECT_THROW(encode(a, ip("192.0.2.1"), ip("224.0.0.18")), std::length_error);
}

TEST(Packet, DecodeErrors) {
    const IpAddr s = ip("192.0.2.1"), d = ip("224.0.0.18");
    auto good = encode(v3v4(), s, d);
    std::vector<uint8_t> shortp(good.begin(), good.begin() + 7);
    EXPECT_EQ(decode(shortp, s, d, Family::V4).error(), DecodeError::TooShort);
    auto v = good;
    v[0] = 0x41;
    EXPECT_EQ(decode(v, s, d, Family::V4).error(), DecodeError::BadVersion);
    v = good;
    v[0] = 0x32;
    EXPECT_EQ(decode(v, s, d, Family::V4).error(), DecodeError::BadType);
    v = good;
    v[3] = 3;
    EXPECT_EQ(decode(v, s, d, Family::V4).error(), DecodeError::BadLength);
    v = good;
    v.push_back(0);
    EXPECT_EQ(decode(v, s, d, Family::V4).error(), DecodeError::BadLength);
    v = good;
    v[7] ^= 0xff;
    EXPECT_EQ(decode(v, s, d, Family::V4).error(), DecodeError::BadChecksum);
    EXPECT_EQ(decode(good, s, ip("224.0.0.19"), Family::V4).error(), DecodeError::BadChecksum);
    EXPECT_EQ(decode(good, s, d, Family::V6).error(), DecodeError::BadFamily);
    EXPECT_STREQ(name(DecodeError::BadChecksum), "bad_checksum");
}

TEST(Packet, ReservedBitsIgnoredOnReceive) {
    Advert a = v3v4();
    a.max_advert_int_cs = 0xf064;  // reserved bits set: encode clears them
    auto bytes = encode(a, ip("192.0.2.1"), ip("224.0.0.18"));
    EXPECT_EQ(bytes[4], 0x00);
    EXPECT_EQ(bytes[5], 0x64);
}

// ---- RFC 5798 section 7.1 checks ------------------------------------------

RxContext ctx3() {
    RxContext c;
    c.vrid = 7;
    c.version = 3;
    c.vips = {ip("192.0.2.10"), ip("192.0.2.11")};
    return c;
}
RxPacket pkt(uint8_t ttl = 255) { return {ttl, ip("192.0.2.2"), ip("224.0.0.18")}; }

TEST(Validate, Accepts) { EXPECT_EQ(validate(v3v4(), pkt(), ctx3()), RejectReason::Ok); }

TEST(Validate, TtlVersionVrid) {
    EXPECT_EQ(validate(v3v4(), pkt(254), ctx3()), RejectReason::BadTtl);
    auto c = ctx3();
    c.vrid = 8;
    EXPECT_EQ(validate(v3v4(), pkt(), c), RejectReason::VridMismatch);
    EXPECT_FALSE(isError(RejectReason::VridMismatch));
    c = ctx3();
    c.version = 2;
    EXPECT_EQ(validate(v3v4(), pkt(), c), RejectReason::VersionMismatch);
}

TEST(Validate, V3IntervalIsLearntNotChecked) {
    auto a = v3v4();
    a.max_advert_int_cs = 10;
    EXPECT_EQ(validate(a, pkt(), ctx3()), RejectReason::Ok);
}

TEST(Validate, V2AuthAndInterval) {
    Advert a;
    a.version = 2;
    a.vrid = 7;
    a.priority = 100;
    a.max_advert_int_cs = 100;
    a.auth_type = 1;
    a.auth_data = {'s', 'e', 'c', 'r', 'e', 't', 0, 0};
    a.addresses = {ip("192.0.2.10"), ip("192.0.2.11")};
    RxContext c = ctx3();
    c.version = 2;
    c.auth_type = AuthType::Pass;
    c.auth_pass = a.auth_data;
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::Ok);
    c.auth_pass[0] = 'S';
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::AuthFailure);
    c.auth_type = AuthType::None;
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::AuthTypeMismatch);
    a.auth_type = 5;
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::BadAuthType);
    a.auth_type = 0;
    a.max_advert_int_cs = 200;
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::IntervalMismatch);
    EXPECT_FALSE(isError(RejectReason::IntervalMismatch));
}

TEST(Validate, AddressListAndSkip) {
    auto a = v3v4();
    a.addresses = {ip("192.0.2.10"), ip("192.0.2.99")};
    auto c = ctx3();
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::AddressListMismatch);
    a.addresses.pop_back();
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::AddressCountMismatch);
    // skip_check_adv_addr only trusts the master we already follow
    c.skip_check_adv_addr = true;
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::AddressCountMismatch);
    c.current_master = ip("192.0.2.2");
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::Ok);
    c.current_master = ip("192.0.2.3");
    EXPECT_EQ(validate(a, pkt(), c), RejectReason::AddressCountMismatch);
}

TEST(Validate, UnicastRules) {
    auto c = ctx3();
    c.unicast = true;
    c.check_unicast_src = true;
    c.unicast_peers = {{ip("192.0.2.2"), 250, 255}};
    RxPacket u{64, ip("192.0.2.2"), ip("192.0.2.1")};
    EXPECT_EQ(validate(v3v4(), u, c), RejectReason::BadTtl);  // below the peer's min_ttl
    u.ttl = 252;
    EXPECT_EQ(validate(v3v4(), u, c), RejectReason::Ok);      // no TTL 255 rule for unicast
    u.src = ip("192.0.2.3");
    EXPECT_EQ(validate(v3v4(), u, c), RejectReason::NotUnicastPeer);
    EXPECT_EQ(validate(v3v4(), pkt(), c), RejectReason::CastMismatch);
    EXPECT_EQ(validate(v3v4(), RxPacket{255, ip("192.0.2.2"), ip("192.0.2.1")}, ctx3()),
              RejectReason::CastMismatch);
}

}  // namespace
}  // namespace xvrrp::vrrp
