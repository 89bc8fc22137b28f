// Adverts captured from Debian's keepalived 2.2.7 by tests/vectors/capture.sh: decode them,
// check every field against the config that produced them, and re-encode byte for byte.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "vrrp/packet.hpp"

namespace xvrrp::vrrp {
namespace {

struct Line {
    IpAddr src, dst;
    int ttl = 0;
    std::vector<uint8_t> bytes;
};

std::vector<uint8_t> fromHex(const std::string& h) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(uint8_t(std::stoi(h.substr(i, 2), nullptr, 16)));
    return out;
}

std::vector<Line> load(const std::string& name) {
    std::ifstream f(std::string(XVRRP_VECTORS_DIR) + "/" + name + ".txt");
    EXPECT_TRUE(f) << "cannot open vector file " << name;
    std::vector<Line> out;
    std::string text;
    while (std::getline(f, text)) {
        if (text.empty() || text[0] == '#') continue;
        std::istringstream in(text);
        std::string src, dst, hex;
        Line l;
        in >> src >> dst >> l.ttl >> hex;
        l.src = IpAddr::parse(src).value();
        l.dst = IpAddr::parse(dst).value();
        l.bytes = fromHex(hex);
        out.push_back(l);
    }
    return out;
}

IpAddr ip(const char* s) { return IpAddr::parse(s).value(); }

struct Case {
    const char* file;
    int version;
    Family family;
    uint8_t vrid;
    uint8_t priority;
    uint16_t advert_int_cs;
    uint8_t auth_type;
    std::string auth;
    std::vector<IpAddr> vips;
    bool old_unicast;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.file; }

class Vectors : public ::testing::TestWithParam<Case> {};

TEST_P(Vectors, DecodeCheckReencode) {
    const Case& c = GetParam();
    auto lines = load(c.file);
    ASSERT_GE(lines.size(), 2u) << c.file;
    int stops = 0;
    for (const Line& l : lines) {
        SCOPED_TRACE(std::string(c.file) + " from " + l.src.str() + " to " + l.dst.str());
        EXPECT_EQ(l.ttl, 255);
        auto r = decode(l.bytes, l.src, l.dst, c.family);
        ASSERT_TRUE(r.ok()) << name(r.error());
        const Advert& a = *r;
        EXPECT_EQ(a.version, c.version);
        EXPECT_EQ(a.vrid, c.vrid);
        // adverts while master, and the priority 0 one keepalived sends on SIGTERM
        if (a.priority == 0) ++stops;
        else EXPECT_EQ(a.priority, c.priority);
        EXPECT_EQ(a.max_advert_int_cs, c.advert_int_cs);
        EXPECT_EQ(a.addresses, c.vips);
        EXPECT_EQ(a.old_unicast_checksum, c.old_unicast);
        if (c.version == 2) {
            EXPECT_EQ(a.auth_type, c.auth_type);
            std::array<uint8_t, 8> pass{};
            std::copy(c.auth.begin(), c.auth.end(), pass.begin());
            EXPECT_EQ(a.auth_data, pass);
        }
        EXPECT_EQ(encode(a, l.src, l.dst), l.bytes);

        // any flipped bit is caught by the checksum (or the header checks)
        auto bad = l.bytes;
        bad[2] ^= 0x01;
        EXPECT_FALSE(decode(bad, l.src, l.dst, c.family).ok());
    }
    EXPECT_EQ(stops, 1) << "expected one priority 0 advert (keepalived stopping)";
}

INSTANTIATE_TEST_SUITE_P(
    Keepalived227, Vectors,
    ::testing::Values(
        Case{"v2_noauth", 2, Family::V4, 51, 150, 100, 0, "",
             {ip("10.99.0.100"), ip("10.99.0.101")}, false},
        Case{"v2_pass", 2, Family::V4, 52, 200, 100, 1, "secret12", {ip("10.99.0.102")}, false},
        Case{"v3_v4_mcast", 3, Family::V4, 53, 100, 100, 0, "",
             {ip("10.99.0.103"), ip("10.99.0.104"), ip("10.99.0.105")}, false},
        Case{"v3_v4_unicast", 3, Family::V4, 54, 120, 100, 0, "", {ip("10.99.0.106")}, false},
        Case{"v3_v4_unicast_old", 3, Family::V4, 57, 120, 100, 0, "", {ip("10.99.0.109")},
             true},
        Case{"v3_v6_mcast", 3, Family::V6, 55, 254, 100, 0, "",
             {ip("fd00:99::100"), ip("fd00:99::101")}, false},
        Case{"v3_v4_fast", 3, Family::V4, 56, 100, 1, 0, "", {ip("10.99.0.107")}, false}),
    [](const auto& info) { return std::string(info.param.file); });

// The two unicast checksum variants are told apart exactly as keepalived does.
TEST(VectorsUnicast, ChecksumModes) {
    auto std_line = load("v3_v4_unicast").at(0);
    auto old_line = load("v3_v4_unicast_old").at(0);
    EXPECT_TRUE(decode(std_line.bytes, std_line.src, std_line.dst, Family::V4,
                       UnicastChecksum::Standard).ok());
    EXPECT_EQ(decode(std_line.bytes, std_line.src, std_line.dst, Family::V4,
                     UnicastChecksum::Old).error(),
              DecodeError::BadChecksum);
    EXPECT_EQ(decode(old_line.bytes, old_line.src, old_line.dst, Family::V4,
                     UnicastChecksum::Standard).error(),
              DecodeError::BadChecksum);
    auto old = decode(old_line.bytes, old_line.src, old_line.dst, Family::V4,
                      UnicastChecksum::Old);
    ASSERT_TRUE(old.ok());
    EXPECT_TRUE(old->old_unicast_checksum);
}

// keepalived's IPv6 checksum is the kernel's: the real link-local source counts.
TEST(VectorsV6, SourceIsInChecksum) {
    auto l = load("v3_v6_mcast").at(0);
    EXPECT_EQ(decode(l.bytes, ip("fe80::1"), l.dst, Family::V6).error(),
              DecodeError::BadChecksum);
}

}  // namespace
}  // namespace xvrrp::vrrp
