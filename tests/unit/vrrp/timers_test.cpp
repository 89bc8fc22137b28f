#include <gtest/gtest.h>

#include "vrrp/timers.hpp"

namespace xvrrp::vrrp {
namespace {

using std::chrono::microseconds;

// RFC 3768 6.1: Skew = (256 - prio) / 256 s, independent of the interval.
TEST(Timers, V2SkewAndMasterDown) {
    EXPECT_EQ(skewTime(100, 100, 2), microseconds(609375));   // 156/256 s exactly
    EXPECT_EQ(skewTime(100, 300, 2), microseconds(609375));
    EXPECT_EQ(skewTime(254, 100, 2), microseconds(7812));     // 7812.5 floored
    EXPECT_EQ(skewTime(1, 100, 2), microseconds(996093));     // 996093.75 floored
    EXPECT_EQ(masterDownInterval(100, 100, 2), microseconds(3609375));
    EXPECT_EQ(masterDownInterval(200, 300, 2), microseconds(9000000 + 218750));
}

// RFC 5798 6.1: Skew = ((256 - prio) * Master_Adver_Interval) / 256.
TEST(Timers, V3SkewScalesWithInterval) {
    EXPECT_EQ(skewTime(100, 100, 3), microseconds(609375));
    EXPECT_EQ(skewTime(100, 1, 3), microseconds(6093));       // 6093.75 floored
    EXPECT_EQ(skewTime(150, 50, 3), microseconds(207031));    // 106*50*625/16 = 207031.25
    EXPECT_EQ(skewTime(255, 4095, 3), microseconds(159960));  // 4095*625/16 = 159960.9
    EXPECT_EQ(masterDownInterval(100, 1, 3), microseconds(30000 + 6093));
    EXPECT_EQ(masterDownInterval(150, 50, 3), microseconds(1500000 + 207031));
    EXPECT_EQ(masterDownInterval(100, 100, 3, 5), microseconds(5000000 + 609375));
}

}  // namespace
}  // namespace xvrrp::vrrp
