// Preemption rules for a recovering higher priority node (RFC 5798 section
// 6.4.2 "Preempt_Mode", keepalived's nopreempt and preempt_delay).
#include <cstdio>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

class Preempt : public PairFixture {
  protected:
    Preempt() : PairFixture("pr") {}

    // n2 (priority 100) alone becomes master and holds the VIP.
    void n2Alone(const Variant& v) {
        n2_->start(renderConfig("n2", spec("n2", 100, v)));
        ASSERT_TRUE(waitState(*n2_, "MASTER", electionLimit(v, 100))) << n2_->state();
        ASSERT_TRUE(waitUntil([&] { return n2_->holds(vip(v)); }, seconds(2)));
    }
};

TEST_F(Preempt, NopreemptKeepsTheRecoveringHigherPriorityNodeBackup) {
    const Variant v = makeVariant("v3_ipv4_multicast", 3, Family::V4, false);
    const IpAddr ip = vip(v);
    ASSERT_NO_FATAL_FAILURE(n2Alone(v));
    auto s = spec("n1", 150, v);
    s.preempt = false;
    n1_->start(renderConfig("n1", s));
    ASSERT_TRUE(waitState(*n1_, "BACKUP", seconds(10))) << n1_->state();
    // Many Master_Down_Intervals of a lower priority master: still no takeover.
    const double window = 10 * masterDownInterval(150, v.advertInt);
    EXPECT_TRUE(holdsFor([&] { return n1_->state() == "BACKUP"; }, seconds(window)))
        << "n1 left BACKUP: " << n1_->state();
    EXPECT_EQ(n2_->state(), "MASTER");
    EXPECT_TRUE(n2_->holds(ip));
    EXPECT_FALSE(n1_->holds(ip));
    auto b = n1_->instance();
    ASSERT_TRUE(b.has_value());
    EXPECT_FALSE((*b)["preempt"].get<bool>());
    EXPECT_EQ((*b)["master"]["priority"], 100) << b->dump();

    // nopreempt still takes over when the master really goes away.
    lab_->cutLink("n2");
    EXPECT_TRUE(waitState(*n1_, "MASTER", seconds(masterDownInterval(150, v.advertInt) + 1)))
        << n1_->state();
    EXPECT_TRUE(waitUntil([&] { return n1_->holds(ip); }, seconds(2)));
}

TEST_F(Preempt, PreemptDelayHoldsOffTheTakeoverThenAllowsIt) {
    const Variant v = makeVariant("v3_ipv4_multicast", 3, Family::V4, false);
    const IpAddr ip = vip(v);
    constexpr double kDelay = 2.0;
    ASSERT_NO_FATAL_FAILURE(n2Alone(v));
    auto s = spec("n1", 150, v);
    s.preemptDelay = kDelay;
    const auto t0 = Clock::now();
    n1_->start(renderConfig("n1", s));
    ASSERT_TRUE(waitState(*n1_, "BACKUP", seconds(5))) << n1_->state();
    // keepalived starts the delay at the first lower priority advert, which comes
    // after the daemon has started; so nothing may change before t0 + delay.
    const double left = kDelay - secondsSince(t0) - 0.05;
    ASSERT_GT(left, 0.5) << "xvrrpd took too long to start for this check";
    EXPECT_TRUE(holdsFor([&] { return n1_->state() == "BACKUP" && n2_->holds(ip); },
                         seconds(left)))
        << "n1 took over before preempt_delay: " << n1_->state();
    // After the delay, the next lower priority advert is ignored and the
    // Master_Down_Timer runs out.
    ASSERT_TRUE(waitState(*n1_, "MASTER", seconds(masterDownInterval(150, v.advertInt) + 2)))
        << n1_->state();
    const double took = secondsSince(t0);
    std::printf("[ preempt_delay ] n1 took over %.3f s after start (preempt_delay %.1f s)\n",
                took, kDelay);
    EXPECT_GE(took, kDelay);
    EXPECT_TRUE(waitState(*n2_, "BACKUP", seconds(3))) << n2_->state();
    EXPECT_TRUE(waitUntil([&] { return n1_->holds(ip) && !n2_->holds(ip); }, seconds(3)));
    EXPECT_TRUE(clientReaches(ip, seconds(5)));
}

}  // namespace
}  // namespace xvrrp::itest
