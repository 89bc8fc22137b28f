// unit.vrrp: the words keepalived 2.2.7 logs for an advert it refuses (strings of its
// binary, as in the lines of keepalived's log the interop suite reads).
#include "vrrp/reject_text.hpp"

#include <gtest/gtest.h>

namespace xvrrp::vrrp {
namespace {

IpAddr ip(const char* s) { return IpAddr::parse(s).value(); }

struct Case {
    Advert a;
    RxPacket pkt{255, ip("192.0.2.2"), ip("224.0.0.18")};
    RxContext ctx;
    Case() {
        a.version = 3;
        a.vrid = 51;
        a.priority = 100;
        a.addresses = {ip("10.0.0.1")};
        ctx.vrid = 51;
        ctx.vips = {ip("10.0.0.1")};
    }
    std::string text() const { return rejectText(validate(a, pkt, ctx), a, pkt, ctx); }
};

TEST(RejectText, KeepalivedWordsForEachReason) {
    Case c;
    c.a.version = 2;
    EXPECT_EQ(c.text(), "wrong version. Received 2 and expect 3");
    c = Case();
    c.pkt.ttl = 64;
    EXPECT_EQ(c.text(), "invalid TTL/HL. Received 64 and expect 255");
    c = Case();
    c.a.version = c.ctx.version = 2;
    c.ctx.auth_type = AuthType::Pass;
    c.ctx.auth_pass = {'s', 'e', 'c', 'r', 'e', 't'};
    c.a.auth_type = 1;
    c.a.auth_data = {'w', 'r', 'o', 'n', 'g'};
    EXPECT_EQ(c.text(), "received an invalid passwd!");
    c.a.auth_type = 0;
    EXPECT_EQ(c.text(), "received a 0 auth, expecting 1!");
    c.a.auth_type = 1;
    c.a.auth_data = c.ctx.auth_pass;
    c.a.max_advert_int_cs = 300;
    EXPECT_EQ(c.text(), "advertisement interval mismatch mine=1 sec rcv'd=3 sec");
    c = Case();
    c.a.addresses.push_back(ip("10.0.0.2"));
    EXPECT_EQ(c.text(), "received an unexpected ip number count 2, expected 1!");
    c = Case();
    c.a.addresses = {ip("10.0.0.9")};
    EXPECT_EQ(c.text(), "ip address associated with VRID 51 not present in MASTER advert: 10.0.0.1");
    c = Case();
    c.pkt.dst = ip("192.0.2.1");
    EXPECT_EQ(c.text(), "Expected multicast packet but received unicast packet");
    c = Case();
    c.ctx.unicast = c.ctx.check_unicast_src = true;
    c.pkt.dst = ip("192.0.2.1");
    c.ctx.unicast_peers = {{ip("192.0.2.3"), 0, 255}};
    EXPECT_EQ(c.text(), "unicast source address 192.0.2.2 not a unicast peer");
    c.ctx.unicast_peers = {{ip("192.0.2.2"), 10, 20}};
    EXPECT_EQ(c.text(), "TTL/HL 255 not in range 10 - 20");
}

TEST(RejectText, PeerChecksOnlyTheKernelMakes) {
    Case c;
    c.ctx.unicast = true;
    c.pkt.ttl = 3;
    c.ctx.unicast_peers = {{ip("192.0.2.2"), 10, 20}};
    EXPECT_EQ(peerRejectText(c.pkt, c.ctx), "TTL/HL 3 not in range 10 - 20");
    c.pkt.ttl = 15;
    EXPECT_EQ(peerRejectText(c.pkt, c.ctx), "");
    c.pkt.src = ip("192.0.2.9");
    EXPECT_EQ(peerRejectText(c.pkt, c.ctx), "unicast source address 192.0.2.9 not a unicast peer");
}

TEST(RejectText, DecodeErrors) {
    Case c;
    std::vector<uint8_t> v2 = {0x21, 51, 100, 1, 0, 1, 0, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(decodeErrorText(DecodeError::BadVersion, v2, c.pkt, c.ctx),
              "wrong version. Received 2 and expect 3");
    std::vector<uint8_t> type2 = {0x32, 51, 100, 1, 0, 100, 0, 0, 10, 0, 0, 1};
    EXPECT_EQ(decodeErrorText(DecodeError::BadType, type2, c.pkt, c.ctx),
              "Invalid packet type. 2 and expect 1");
    std::vector<uint8_t> v2NoAuth = {0x21, 51, 100, 1, 0, 1, 0, 0, 10, 0, 0, 1};
    EXPECT_EQ(decodeErrorText(DecodeError::BadLength, v2NoAuth, c.pkt, c.ctx),
              "wrong version. Received 2 and expect 3");
    std::vector<uint8_t> shorter = {0x31, 51, 100, 2, 0, 100, 0, 0, 10, 0, 0, 1};
    EXPECT_EQ(decodeErrorText(DecodeError::BadLength, shorter, c.pkt, c.ctx),
              "vrrp packet too short, length 12 and expect 16");
}

}  // namespace
}  // namespace xvrrp::vrrp
