// A dead or hung daemon (stale xv_heartbeat): xv_rx passes the VRRP it would consume to the
// stack, so a keepalived started on the node hears its peers at once, and still does its
// bookkeeping (ring record, absorbed count), so a daemon that resumes lost nothing. The
// dead-man switch's VIP drop stays. Fresh heartbeat: VRRP is consumed as before.
#include <gtest/gtest.h>
#include <net/if.h>

#include <string>
#include <vector>

#include "bpf_test_util.hpp"

namespace xvrrp::test {
namespace {

using dataplane::Dataplane;
using dataplane::DataplaneOptions;
using dataplane::InstanceFilter;
using dataplane::InstanceId;
using dataplane::Verdict;
using Counter = __u64 xv_stats::*;

constexpr uint64_t kMs = 1000000ull;
const std::array<uint8_t, 16> kMaster{192, 168, 1, 2};
const std::array<uint8_t, 16> kGroup{224, 0, 0, 18};
const std::array<uint8_t, 16> kVip{192, 168, 1, 100};
constexpr uint8_t kVridSlow = 7;  // advert_int 1 s: heartbeat bound XV_HEARTBEAT_GONE_NS
constexpr uint8_t kVridFast = 8;  // advert_int 0.1 s: bound 3 intervals, 300 ms

Bytes message(uint8_t vrid, uint16_t interval_cs) {
    Bytes m = vrrpV3(vrid, 100, 1, 4, interval_cs);
    setVrrpChecksum(m, 4, kMaster, kGroup);
    return m;
}

Bytes advert(uint8_t vrid, uint16_t interval_cs, uint8_t ttl = 255) {
    FrameSpec s;
    s.saddr = kMaster;
    s.daddr = kGroup;
    s.ttl = ttl;
    s.payload = message(vrid, interval_cs);
    return buildFrame(s);
}

Bytes tcpToVip() {
    FrameSpec s;
    s.saddr = {192, 168, 1, 50};
    s.daddr = kVip;
    s.proto = kProtoTcp;
    s.ttl = 64;
    s.payload = Bytes(20, 0x5a);
    return buildFrame(s);
}

class StaleHeartbeat : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (geteuid() == 0) dp_ = Dataplane::open(DataplaneOptions{.pin_root = ""});
    }
    static void TearDownTestSuite() { dp_.reset(); }
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root";
        ASSERT_TRUE(dp_);
        lo_ = static_cast<int>(if_nametoindex("lo"));
        slow_ = {lo_, Family::V4, kVridSlow};
        fast_ = {lo_, Family::V4, kVridFast};
        InstanceFilter f;
        f.rate_limit = false;  // test_run repeats one source faster than any advert rate
        f.interval_cs = 100;
        dp_->configureInstance(slow_, f);
        f.interval_cs = 10;
        dp_->configureInstance(fast_, f);
        dp_->consume([](const xv_advert&) {});
    }
    void TearDown() override {
        if (!dp_) return;
        dp_->removeInstance(slow_);
        dp_->removeInstance(fast_);
        dp_->removeVip(lo_, IpAddr::fromBytes(Family::V4, kVip.data()));
        dp_->clearInterfaceFlags(lo_);
        dp_->consume([](const xv_advert&) {});
    }

    // Heartbeat AGE_NS old (nullopt: never written), then FRAME; the verdict, the ring
    // records it left and how much COUNTER moved.
    struct Result {
        int verdict = -1;
        size_t records = 0;
        uint64_t counted = 0;
    };
    Result run(std::optional<uint64_t> age_ns, const Bytes& frame, Counter counter) {
        dp_->heartbeat(age_ns ? monoNs() - *age_ns : 0);
        Result r;
        const xv_stats before = dp_->stats();
        r.verdict = testRun(dp_->progFd(), frame);
        r.counted = dp_->stats().*counter - before.*counter;
        r.records = static_cast<size_t>(dp_->consume([](const xv_advert&) {}));
        return r;
    }

    static inline std::unique_ptr<Dataplane> dp_;
    int lo_ = 0;
    InstanceId slow_, fast_;
};

struct Case {
    std::string name;
    std::optional<uint64_t> age_ns;  // heartbeat age; nullopt: never written
    bool stale;
};

// The same frames with the heartbeat fresh and stale: only the verdict changes.
TEST_F(StaleHeartbeat, VrrpGoesToTheStackOnlyWhileTheHeartbeatIsStale) {
    const Case ages[] = {
        {"fresh", 0, false},
        {"900 ms old, bound 1 s", 900 * kMs, false},
        {"2 s old", 2000 * kMs, true},
        {"never written", std::nullopt, true},
    };
    for (const Case& c : ages) {
        const int want = c.stale ? XDP_PASS : XDP_DROP;
        Result r = run(c.age_ns, advert(kVridSlow, 100), &xv_stats::adv_woken);
        EXPECT_EQ(r.verdict, want) << c.name << ": valid advert";
        EXPECT_EQ(r.records, 1u) << c.name << ": the daemon still gets its record";
        EXPECT_EQ(r.counted, 1u) << c.name;

        r = run(c.age_ns, advert(kVridSlow, 100, 64), &xv_stats::drop_ttl);
        EXPECT_EQ(r.verdict, want) << c.name << ": TTL 64";
        EXPECT_EQ(r.counted, 1u) << c.name << ": still counted as drop_ttl";
        EXPECT_EQ(r.records, 0u) << c.name;

        r = run(c.age_ns, advert(99, 100), &xv_stats::drop_vrid);
        EXPECT_EQ(r.verdict, want) << c.name << ": a VRID not configured here";
        EXPECT_EQ(r.counted, 1u) << c.name;
    }
}

// An instance's bound is 3 of its advert intervals (below a keepalived's
// Master_Down_Interval), capped at XV_HEARTBEAT_GONE_NS.
TEST_F(StaleHeartbeat, TheBoundIsThreeAdvertIntervals) {
    EXPECT_EQ(run(200 * kMs, advert(kVridFast, 10), &xv_stats::adv_woken).verdict, XDP_DROP);
    EXPECT_EQ(run(400 * kMs, advert(kVridFast, 10), &xv_stats::adv_woken).verdict, XDP_PASS);
    EXPECT_EQ(run(400 * kMs, advert(kVridSlow, 100), &xv_stats::adv_woken).verdict, XDP_DROP);
}

// An absorbed advert still refreshes last_seen, so a daemon that resumes re-arms from it.
TEST_F(StaleHeartbeat, AbsorbedAdvertsStillCount) {
    const Bytes f = advert(kVridSlow, 100);
    ASSERT_EQ(run(0, f, &xv_stats::adv_woken).records, 1u);
    dp_->expectMaster(slow_, IpAddr::fromBytes(Family::V4, kMaster.data()), 100, 100,
                      message(kVridSlow, 100));
    Result fresh = run(0, f, &xv_stats::adv_quiet);
    EXPECT_EQ(fresh.verdict, XDP_DROP);
    EXPECT_EQ(fresh.counted, 1u);
    const uint64_t before = monoNs();
    Result stale = run(5000 * kMs, f, &xv_stats::adv_quiet);
    EXPECT_EQ(stale.verdict, XDP_PASS);
    EXPECT_EQ(stale.counted, 1u);
    EXPECT_EQ(stale.records, 0u);
    EXPECT_GE(dp_->lastSeen(slow_), before);
}

// No instance on the interface: every advert goes to the ring; the 1 s bound applies.
TEST_F(StaleHeartbeat, UnfilteredInterface) {
    dp_->removeInstance(slow_);
    dp_->removeInstance(fast_);
    EXPECT_EQ(run(0, advert(kVridSlow, 100), &xv_stats::rx_adverts).verdict, XDP_DROP);
    Result r = run(2000 * kMs, advert(kVridSlow, 100), &xv_stats::rx_adverts);
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.records, 1u);
}

// The dead-man switch is unchanged: a master's VIP stops answering once the heartbeat is
// older than its Master_Down_Interval, while VRRP goes to the stack.
TEST_F(StaleHeartbeat, VipTrafficIsStillDropped) {
    dp_->setVipVerdict(lo_, IpAddr::fromBytes(Family::V4, kVip.data()), Verdict::kPass, slow_,
                       3000 * kMs);
    EXPECT_EQ(run(0, tcpToVip(), &xv_stats::rx_passed).verdict, XDP_PASS);
    Result r = run(5000 * kMs, tcpToVip(), &xv_stats::vip_stale);
    EXPECT_EQ(r.verdict, XDP_DROP);
    EXPECT_EQ(r.counted, 1u);
    EXPECT_EQ(run(5000 * kMs, advert(kVridSlow, 100), &xv_stats::adv_woken).verdict, XDP_PASS);
}

// With nobody reading, the ring fills: what no longer fits goes to the stack too.
TEST_F(StaleHeartbeat, FullRingPassesWhenStale) {
    constexpr uint32_t kRecord = sizeof(xv_advert) + 8;
    dp_->heartbeat(monoNs() - 5000 * kMs);
    const Bytes f = advert(kVridSlow, 100);
    EXPECT_EQ(testRun(dp_->progFd(), f, XV_RING_BYTES / kRecord + 1), XDP_PASS);
    Result r = run(5000 * kMs, f, &xv_stats::ring_full);
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.counted, 1u);
    dp_->consume([](const xv_advert&) {});
    EXPECT_EQ(run(0, f, &xv_stats::adv_woken).verdict, XDP_DROP);
}

}  // namespace
}  // namespace xvrrp::test
