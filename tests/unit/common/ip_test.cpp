#include <gtest/gtest.h>

#include "common/ip.hpp"

using xvrrp::IpAddr;
using xvrrp::IpPrefix;

TEST(IpAddr, ParsesBothFamiliesAndOrders) {
    auto a = IpAddr::parse("10.0.0.2");
    auto b = IpAddr::parse("10.0.0.10");
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(a->isV4());
    EXPECT_LT(*a, *b);  // numeric, not lexical
    auto c = IpAddr::parse("fe80::1");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->isV6());
    EXPECT_TRUE(c->isLinkLocal());
    EXPECT_EQ(c->str(), "fe80::1");
    EXPECT_FALSE(IpAddr::parse("10.0.0.256"));
    EXPECT_TRUE(IpAddr::parse("224.0.0.18")->isMulticast());
}

TEST(IpPrefix, DefaultsToHostLengthAndRejectsBadLengths) {
    EXPECT_EQ(IpPrefix::parse("192.0.2.1")->len, 32);
    EXPECT_EQ(IpPrefix::parse("2001:db8::1")->len, 128);
    EXPECT_EQ(IpPrefix::parse("192.0.2.1/24")->len, 24);
    EXPECT_FALSE(IpPrefix::parse("192.0.2.1/33"));
    EXPECT_FALSE(IpPrefix::parse("192.0.2.1/"));
    EXPECT_FALSE(IpPrefix::parse("192.0.2.1/2x"));
}
