// In-kernel advert validation (one counter per drop reason) and the quiet fast path
// (no ring record for an advert that repeats the expected one; a wakeup for a change).
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "bpf_test_util.hpp"

namespace xvrrp::test {
namespace {

using dataplane::Dataplane;
using dataplane::DataplaneOptions;
using dataplane::InstanceFilter;
using dataplane::InstanceId;
using Counter = __u64 xv_stats::*;

const std::array<uint8_t, 16> kMaster{192, 168, 1, 2};
const std::array<uint8_t, 16> kOther{192, 168, 1, 3};
const std::array<uint8_t, 16> kSelf{192, 168, 1, 1};
const std::array<uint8_t, 16> kGroup4{224, 0, 0, 18};
const auto kMaster6 = v6({0xfe80, 0, 0, 0, 0, 0, 0, 2});
const auto kGroup6 = v6({0xff02, 0, 0, 0, 0, 0, 0, 0x12});
const std::array<uint8_t, 8> kPassword{'s', 'e', 'c', 'r', 'e', 't', 0, 0};

constexpr uint8_t kVridV3 = 7, kVridV2 = 8, kVridUnicast = 9, kVridV6 = 7, kVridSpare = 10;

constexpr Counter kCounters[] = {
    &xv_stats::rx_adverts,  &xv_stats::adv_woken, &xv_stats::adv_quiet,    &xv_stats::rx_passed,
    &xv_stats::drop_vrid,   &xv_stats::drop_ttl,  &xv_stats::drop_version, &xv_stats::drop_length,
    &xv_stats::drop_csum,   &xv_stats::drop_auth, &xv_stats::drop_peer,    &xv_stats::drop_rate,
    &xv_stats::vrid_shared, &xv_stats::truncated, &xv_stats::ring_full,    &xv_stats::drop_cast,
    &xv_stats::drop_interval, &xv_stats::bad_ip};

struct Advert {
    int family = 4;
    uint8_t vrid = kVridV3;
    uint8_t prio = 100;
    uint16_t interval_cs = 100;
    int version = 3;
    std::array<uint8_t, 16> src = kMaster, dst = kGroup4;
    uint8_t ttl = 255;
    uint8_t first_addr = 1;  // changes the address list, not its length
    bool old_unicast = false;
    std::function<void(Bytes&)> mangle;  // applied after the checksum
    std::function<void(Bytes&)> edit;    // applied before the checksum
};

Bytes message(const Advert& a) {
    Bytes m;
    if (a.version == 2) {
        m = vrrpV2(a.vrid, a.prio, {{{10, 0, 0, a.first_addr}}}, uint8_t(a.interval_cs / 100));
    } else {
        m = vrrpV3(a.vrid, a.prio, 1, a.family == 4 ? 4 : 16, a.interval_cs);
        m[8] = a.first_addr;
    }
    if (a.edit) a.edit(m);
    setVrrpChecksum(m, a.family, a.src, a.dst, a.old_unicast);
    if (a.mangle) a.mangle(m);
    return m;
}

Bytes frame(const Advert& a) {
    FrameSpec s;
    s.family = a.family;
    s.saddr = a.src;
    s.daddr = a.dst;
    s.ttl = a.ttl;
    s.payload = message(a);
    return buildFrame(s);
}

class Validation : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (geteuid() == 0) dp_ = Dataplane::open(DataplaneOptions{.pin_root = ""});
    }
    static void TearDownTestSuite() { dp_.reset(); }
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root";
        ASSERT_TRUE(dp_);
        lo_ = static_cast<int>(if_nametoindex("lo"));
        v3_ = {lo_, Family::V4, kVridV3};
        v2_ = {lo_, Family::V4, kVridV2};
        uni_ = {lo_, Family::V4, kVridUnicast};
        v6_ = {lo_, Family::V6, kVridV6};
        spare_ = {lo_, Family::V4, kVridSpare};
        dp_->configureInstance(v3_, InstanceFilter{});
        dp_->configureInstance(v2_, InstanceFilter{.version = 2, .auth_pass = kPassword});
        dp_->configureInstance(
            uni_,
            InstanceFilter{.unicast = true,
                           .peers = {{IpAddr::fromBytes(Family::V4, kMaster.data()), 60, 255}}});
        dp_->configureInstance(v6_, InstanceFilter{});
        dp_->configureInstance(spare_, InstanceFilter{.rate_limit = false});
        drain();
    }
    void TearDown() override {
        if (!dp_) return;
        for (const auto& id : {v3_, v2_, uni_, v6_, spare_}) dp_->removeInstance(id);
        dp_->setInterfaceShared(lo_, false);
        drain();
    }

    void drain() {
        dp_->consume([](const xv_advert&) {});
        woken(dp_->epollFd());  // clear a pending readiness
    }

    struct Result {
        int verdict = -1;
        std::vector<xv_advert> records;
        bool wakeup = false;
        uint64_t t0 = 0, t1 = 0;
    };

    // Runs FRAME; checks the verdict and that exactly the counters in MOVED went up by one.
    Result run(const Bytes& f, int verdict, std::vector<Counter> moved, const std::string& what) {
        Result r;
        const xv_stats before = dp_->stats();
        dp_->heartbeat(monoNs());  // a live daemon: VRRP is consumed, not passed
        r.t0 = monoNs();
        r.verdict = testRun(dp_->progFd(), f);
        r.t1 = monoNs();
        const xv_stats after = dp_->stats();
        r.wakeup = woken(dp_->epollFd());
        dp_->consume([&](const xv_advert& ev) { r.records.push_back(ev); });
        EXPECT_EQ(r.verdict, verdict) << what;
        for (Counter c : kCounters) {
            EXPECT_EQ(after.*c - before.*c, std::count(moved.begin(), moved.end(), c) ? 1u : 0u)
                << what << ": counter at offset "
                << reinterpret_cast<size_t>(&(static_cast<xv_stats*>(nullptr)->*c));
        }
        return r;
    }
    Result accepted(const Advert& a, const std::string& what) {
        Result r = run(frame(a), XDP_DROP, {&xv_stats::rx_adverts, &xv_stats::adv_woken}, what);
        EXPECT_EQ(r.records.size(), 1u) << what;
        EXPECT_TRUE(r.wakeup) << what << ": submitted without a wakeup";
        return r;
    }
    void dropped(const Advert& a, Counter c, const std::string& what) {
        Result r = run(frame(a), XDP_DROP, {c}, what);
        EXPECT_TRUE(r.records.empty()) << what;
    }

    static inline std::unique_ptr<Dataplane> dp_;
    int lo_ = 0;
    InstanceId v3_, v2_, uni_, v6_, spare_;
};

TEST_F(Validation, AcceptedAdverts) {
    accepted(Advert{}, "v3 ipv4 multicast");
    accepted(Advert{.vrid = kVridV2,
                    .version = 2,
                    .edit =
                        [](Bytes& m) {
                            m[4] = XV_AUTH_PASS;
                            std::memcpy(&m[12], kPassword.data(), 8);
                        }},
             "v2 PASS with the right password");
    accepted(Advert{.family = 6, .vrid = kVridV6, .src = kMaster6, .dst = kGroup6}, "v3 ipv6");
    accepted(Advert{.vrid = kVridUnicast, .dst = kSelf, .ttl = 64}, "unicast peer, ttl in range");
    accepted(Advert{.vrid = kVridUnicast, .dst = kSelf, .old_unicast = true},
             "unicast with keepalived's old pseudo-header");
}

TEST_F(Validation, EachDropReasonHasItsCounter) {
    dropped(Advert{.vrid = 99}, &xv_stats::drop_vrid, "unknown vrid");
    dropped(Advert{.family = 6, .vrid = kVridV2, .src = kMaster6, .dst = kGroup6},
            &xv_stats::drop_vrid, "vrid configured for the other family");
    dropped(Advert{.ttl = 64}, &xv_stats::drop_ttl, "multicast ttl 64");
    dropped(Advert{.family = 6, .vrid = kVridV6, .src = kMaster6, .dst = kGroup6, .ttl = 1},
            &xv_stats::drop_ttl, "ipv6 hop limit 1");
    dropped(Advert{.vrid = kVridUnicast, .dst = kSelf, .ttl = 10}, &xv_stats::drop_ttl,
            "unicast ttl below the peer's min_ttl");
    dropped(Advert{.vrid = kVridV3, .version = 2}, &xv_stats::drop_version, "v2 to a v3 instance");
    dropped(Advert{.edit = [](Bytes& m) { m[0] = 0x32; }}, &xv_stats::drop_version, "type 2");
    dropped(Advert{.edit = [](Bytes& m) { m[3] = 2; }}, &xv_stats::drop_length,
            "count 2, one address");
    dropped(Advert{.edit = [](Bytes& m) { m.resize(m.size() + 4); }}, &xv_stats::drop_length,
            "trailing bytes");
    dropped(Advert{.mangle = [](Bytes& m) { m[7] ^= 1; }}, &xv_stats::drop_csum, "bad checksum");
    dropped(Advert{.dst = kSelf}, &xv_stats::drop_cast, "unicast to a multicast instance");
    dropped(Advert{.vrid = kVridUnicast}, &xv_stats::drop_cast, "multicast to a unicast instance");
    dropped(Advert{.vrid = kVridV2,
                   .interval_cs = 200,
                   .version = 2,
                   .edit =
                       [](Bytes& m) {
                           m[4] = XV_AUTH_PASS;
                           std::memcpy(&m[12], kPassword.data(), 8);
                       }},
            &xv_stats::drop_interval, "v2 Adver Int 2 s, configured 1 s");
    dropped(Advert{.dst = {239, 1, 1, 1}, .old_unicast = true}, &xv_stats::drop_csum,
            "old pseudo-header on multicast");
    dropped(Advert{.family = 6,
                   .vrid = kVridV6,
                   .src = kMaster6,
                   .dst = kGroup6,
                   .mangle = [](Bytes& m) { m[9] ^= 0x10; }},
            &xv_stats::drop_csum, "ipv6 bad checksum");
    dropped(Advert{.vrid = kVridV2,
                   .version = 2,
                   .edit =
                       [](Bytes& m) {
                           m[4] = XV_AUTH_PASS;
                           std::memcpy(&m[12], "wrong!!!", 8);
                       }},
            &xv_stats::drop_auth, "v2 wrong password");
    dropped(Advert{.vrid = kVridV2, .version = 2}, &xv_stats::drop_auth, "v2 auth type none");
    dropped(Advert{.vrid = kVridUnicast, .src = kOther, .dst = kSelf}, &xv_stats::drop_peer,
            "source not a unicast peer");
}

// What ip_rcv / ipv6_rcv would drop is never an advert: passed, counted in bad_ip.
TEST_F(Validation, HeadersTheStackDropsAreNotAdverts) {
    FrameSpec s;
    s.saddr = kMaster;
    s.daddr = kGroup4;
    s.payload = message(Advert{});
    Bytes f = buildFrame(s);
    f[14 + 10] ^= 0x01;  // IPv4 header checksum
    run(f, XDP_PASS, {&xv_stats::bad_ip}, "IPv4 header checksum");
    s.family = 6;
    s.saddr = kMaster6;
    s.daddr = kGroup6;
    s.ext = {{60, 1}, {0, 1}};  // RFC 8200 4.3: hop-by-hop only first
    s.payload = message(Advert{.family = 6, .vrid = kVridV6, .src = kMaster6, .dst = kGroup6});
    run(buildFrame(s), XDP_PASS, {&xv_stats::bad_ip}, "IPv6 hop-by-hop not first");
    s.ext = {{0, 1}, {60, 1}};
    Result r = run(buildFrame(s), XDP_DROP, {&xv_stats::rx_adverts, &xv_stats::adv_woken},
                   "IPv6 hop-by-hop first");
    EXPECT_EQ(r.records.size(), 1u);
}

// The longest adverts keepalived 2.2.7 sends at MTU 1500 (docs/bounds.md): 255 IPv4
// addresses with v2 authentication (1036 bytes) and 89 IPv6 addresses (XV_VRRP_MAX, 1432
// bytes). Their checksums span bpf_csum_diff's 512-byte chunks; a byte wrong in the last
// chunk is caught. One address more than XV_VRRP_MAX holds counts as too_long.
TEST_F(Validation, LongestKeepalivedAdvertsAreAccepted) {
    auto v2Long = [](Bytes& m) {
        std::vector<std::array<uint8_t, 4>> addrs;
        for (int i = 0; i < 255; ++i) addrs.push_back({10, 90, uint8_t(i / 250), uint8_t(i % 250 + 1)});
        m = vrrpV2(kVridV2, 100, addrs, 1);
        m[4] = XV_AUTH_PASS;
        std::memcpy(&m[8 + 255 * 4], kPassword.data(), 8);
    };
    Result r = accepted(Advert{.vrid = kVridV2, .version = 2, .edit = v2Long}, "v2, 255 addresses");
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].vrrp_len, 1036);
    EXPECT_EQ(r.records[0].vrrp[3], 255);
    dropped(Advert{.vrid = kVridV2, .version = 2, .mangle = [](Bytes& m) { m[1030] ^= 1; }, .edit = v2Long},
            &xv_stats::drop_csum, "v2, 255 addresses, bad byte past 1024");

    auto v6Long = [](size_t n) {
        return [n](Bytes& m) { m = vrrpV3(kVridV6, 100, n, 16); };
    };
    const Advert v6{.family = 6, .vrid = kVridV6, .src = kMaster6, .dst = kGroup6, .edit = v6Long(89)};
    r = accepted(v6, "ipv6, 89 addresses");
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].vrrp_len, XV_VRRP_MAX);
    EXPECT_EQ(message(v6), Bytes(r.records[0].vrrp, r.records[0].vrrp + XV_VRRP_MAX));
    Advert bad = v6;
    bad.mangle = [](Bytes& m) { m[XV_VRRP_MAX - 1] ^= 1; };
    dropped(bad, &xv_stats::drop_csum, "ipv6, 89 addresses, last byte wrong");

    Advert longer = v6;
    longer.edit = v6Long(90);
    const uint64_t tooLong = dp_->stats().too_long;
    Result t = run(frame(longer), XDP_DROP, {}, "ipv6, 90 addresses");
    EXPECT_TRUE(t.records.empty());
    EXPECT_EQ(dp_->stats().too_long, tooLong + 1);
}

// A refused advert of a configured instance reaches the daemon as a sample (XV_EV_DROPPED,
// the message as received) so it can log why, at most once per XV_DROP_SAMPLE_NS per
// instance and CPU; adverts for no instance are not sampled (nobody to name).
TEST_F(Validation, RefusedAdvertsAreSampledForTheLog) {
    cpu_set_t was, one;
    ASSERT_EQ(sched_getaffinity(0, sizeof(was), &was), 0);
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);  // one CPU: one sample state
    std::this_thread::sleep_for(std::chrono::nanoseconds(XV_DROP_SAMPLE_NS + 50'000'000));
    std::vector<xv_advert> samples, adverts;
    const Dataplane::AdvertCallback keep = [&](const xv_advert& ev) { samples.push_back(ev); };
    auto send = [&](const Advert& a) {
        testRun(dp_->progFd(), frame(a));
        dp_->consume([&](const xv_advert& ev) { adverts.push_back(ev); }, &keep);
    };
    const uint64_t before = dp_->dropSamples();
    send(Advert{.vrid = kVridV3, .version = 2});
    send(Advert{.vrid = kVridV3, .ttl = 64});  // the same instance within the interval
    send(Advert{.vrid = 99});
    sched_setaffinity(0, sizeof(was), &was);
    EXPECT_TRUE(adverts.empty());
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_EQ(dp_->dropSamples(), before + 1);
    EXPECT_EQ(samples[0].kind, XV_EV_DROPPED);
    EXPECT_EQ(samples[0].vrrp[0] >> 4, 2);
    EXPECT_EQ(samples[0].vrrp[1], kVridV3);
    EXPECT_EQ(samples[0].ttl, 255);
    EXPECT_EQ(0, std::memcmp(samples[0].saddr, kMaster.data(), 4));
}

TEST_F(Validation, SharedInterfacePassesUnknownVrids) {
    dp_->setInterfaceShared(lo_, true);
    Result r = run(frame(Advert{.vrid = 99}), XDP_PASS, {&xv_stats::vrid_shared}, "shared");
    EXPECT_TRUE(r.records.empty());
    // Configured instances are still checked and delivered.
    dropped(Advert{.ttl = 64}, &xv_stats::drop_ttl, "shared, own vrid, ttl 64");
    accepted(Advert{}, "shared, own vrid");
}

TEST_F(Validation, UnfilteredInterfaceDeliversEverything) {
    for (const auto& id : {v3_, v2_, uni_, v6_, spare_}) dp_->removeInstance(id);
    Result r = run(frame(Advert{.vrid = 99, .ttl = 1}), XDP_DROP, {&xv_stats::rx_adverts},
                   "no instance configured");
    EXPECT_EQ(r.records.size(), 1u);
}

// An interface with no instance that another speaker uses (or that only carries VIPs):
// all VRRP goes to the stack, none to the ring.
TEST_F(Validation, SharedInterfaceWithoutInstancesPassesAllVrrp) {
    for (const auto& id : {v3_, v2_, uni_, v6_, spare_}) dp_->removeInstance(id);
    dp_->setInterfaceShared(lo_, true);
    Result r = run(frame(Advert{.vrid = 99, .ttl = 1}), XDP_PASS, {&xv_stats::vrid_shared},
                   "shared, no instance");
    EXPECT_TRUE(r.records.empty());
    r = run(frame(Advert{}), XDP_PASS, {&xv_stats::vrid_shared}, "shared, no instance, vrid 1");
    EXPECT_TRUE(r.records.empty());
}

TEST_F(Validation, PerSourceRateLimit) {
    dp_->configureInstance(v3_, InstanceFilter{.rate_pps = 10, .burst = 3});
    const xv_stats before = dp_->stats();
    dp_->heartbeat(monoNs());
    EXPECT_EQ(testRun(dp_->progFd(), frame(Advert{}), 10), XDP_DROP);
    const xv_stats after = dp_->stats();
    // 10 back to back within microseconds: the burst passes, the rest is over 10/s.
    EXPECT_EQ(after.rx_adverts - before.rx_adverts, 3u);
    EXPECT_EQ(after.drop_rate - before.drop_rate, 7u);
    drain();
    // Another source has its own bucket.
    accepted(Advert{.src = kOther}, "second source");
}

// What the daemon does when its machine says AbsorbAdverts for advert A (IPv4, v3_).
void expectAdvert(Dataplane& dp, const InstanceId& id, const Advert& a) {
    const Family f = a.family == 4 ? Family::V4 : Family::V6;
    const Bytes m = message(a);
    dp.expectMaster(id, {IpAddr::fromBytes(f, a.src.data()), IpAddr::fromBytes(f, a.dst.data()),
                         a.ttl, a.prio, a.interval_cs, m});
}

TEST_F(Validation, QuietFastPath) {
    const Advert steady{};
    Result first = accepted(steady, "first advert");
    ASSERT_EQ(first.records.size(), 1u);
    expectAdvert(*dp_, v3_, steady);
    EXPECT_EQ(dp_->lastSeen(v3_), 0u);

    Result q = run(frame(steady), XDP_DROP, {&xv_stats::adv_quiet}, "repeat");
    EXPECT_TRUE(q.records.empty());
    EXPECT_FALSE(q.wakeup) << "a quiet advert woke the daemon";
    EXPECT_GE(dp_->lastSeen(v3_), q.t0);
    EXPECT_LE(dp_->lastSeen(v3_), q.t1);
    auto vs = dp_->vridState(v3_);
    ASSERT_TRUE(vs);
    EXPECT_EQ(vs->adverts, 2u);
    EXPECT_EQ(vs->quiet, 1u);
    EXPECT_EQ(vs->woken, 1u);

    struct Change {
        std::string name;
        Advert a;
    } changes[] = {
        {"priority up", Advert{.prio = 101}},      {"priority 0", Advert{.prio = 0}},
        {"new source", Advert{.src = kOther}},     {"interval", Advert{.interval_cs = 200}},
        {"address list", Advert{.first_addr = 9}},
    };
    for (const Change& c : changes) {
        Result r = accepted(c.a, c.name);
        ASSERT_EQ(r.records.size(), 1u);
        EXPECT_EQ(0, std::memcmp(r.records[0].vrrp, message(c.a).data(), message(c.a).size()))
            << c.name;
    }
    EXPECT_EQ(dp_->vridState(v3_)->woken, 6u);
    run(frame(steady), XDP_DROP, {&xv_stats::adv_quiet}, "expectation unchanged");

    dp_->forgetMaster(v3_);
    EXPECT_FALSE(dp_->expectation(v3_));
    accepted(steady, "after forgetMaster");
    expectAdvert(*dp_, v3_, steady);
    expectAdvert(*dp_, v3_, Advert{.prio = 0});
    accepted(Advert{.prio = 0}, "priority 0 is never expected");
}

// The quiet path absorbs a repeat before the instance's checks: once its settings change
// (a new password, another peer) the old expectation goes, and the repeat is checked again.
TEST_F(Validation, ReconfiguringForgetsTheExpectation) {
    const Advert pass{.vrid = kVridV2, .version = 2, .edit = [](Bytes& m) {
                          m[4] = XV_AUTH_PASS;
                          std::memcpy(&m[12], kPassword.data(), 8);
                      }};
    accepted(pass, "v2 with the password");
    expectAdvert(*dp_, v2_, pass);
    run(frame(pass), XDP_DROP, {&xv_stats::adv_quiet}, "v2 repeat absorbed");
    const std::array<uint8_t, 8> other{'o', 't', 'h', 'e', 'r', 0, 0, 0};
    dp_->configureInstance(v2_, InstanceFilter{.version = 2, .auth_pass = other});
    EXPECT_FALSE(dp_->expectation(v2_));
    dropped(pass, &xv_stats::drop_auth, "the old password after a reload");

    const Advert uni{.vrid = kVridUnicast, .dst = kSelf};
    accepted(uni, "unicast peer");
    expectAdvert(*dp_, uni_, uni);
    run(frame(uni), XDP_DROP, {&xv_stats::adv_quiet}, "unicast repeat absorbed");
    dp_->configureInstance(
        uni_, InstanceFilter{.unicast = true,
                             .peers = {{IpAddr::fromBytes(Family::V4, kOther.data()), 60, 255}}});
    dropped(uni, &xv_stats::drop_peer, "a peer the reload removed");

    // The same settings again (a reload that changed something else) keep it.
    accepted(Advert{}, "v3");
    expectAdvert(*dp_, v3_, Advert{});
    dp_->configureInstance(v3_, InstanceFilter{});
    EXPECT_TRUE(dp_->expectation(v3_));
    run(frame(Advert{}), XDP_DROP, {&xv_stats::adv_quiet}, "kept after an unchanged reload");
}

// The kernel never edits what the daemon expects (one writer per map): it counts the lost
// advert on the instance and in ring_full, and the daemon stops absorbing (vrrp::AbsorbLost).
TEST_F(Validation, RingOverflowIsCountedNotActedOn) {
    Result first = accepted(Advert{}, "first advert");
    ASSERT_EQ(first.records.size(), 1u);
    expectAdvert(*dp_, v3_, Advert{});
    run(frame(Advert{}), XDP_DROP, {&xv_stats::adv_quiet}, "quiet before overflow");

    // Fill the ring with another instance's adverts, leaving no room.
    constexpr uint32_t kRecord = sizeof(xv_advert) + 8;
    dp_->heartbeat(monoNs());
    EXPECT_EQ(testRun(dp_->progFd(), frame(Advert{.vrid = kVridSpare}), XV_RING_BYTES / kRecord),
              XDP_DROP);
    const uint64_t overflows = dp_->ringOverflows();
    run(frame(Advert{.prio = 150}), XDP_DROP, {&xv_stats::ring_full}, "change lost");
    EXPECT_EQ(dp_->ringOverflows(), overflows + 1);
    EXPECT_EQ(dp_->vridState(v3_)->missed, 1u);
    ASSERT_TRUE(dp_->expectation(v3_));
    EXPECT_EQ(dp_->expectation(v3_)->priority, 100);
    drain();
    dp_->forgetMaster(v3_);  // what the daemon does on AbsorbLost
    accepted(Advert{}, "after the overflow");
}

// The quiet path counts in the instance's xv_seen slot (an array, no per-CPU hash lookup);
// readers add it to xv_vrid_rx's counts. A freed slot is zeroed before its next instance:
// otherwise that instance would report the previous one's absorbed adverts and stamp.
TEST_F(Validation, QuietCountsLiveInTheSeenSlotAndGoWithTheInstance) {
    const Advert steady{};
    accepted(steady, "first advert");
    expectAdvert(*dp_, v3_, steady);
    for (int n = 0; n < 3; ++n) run(frame(steady), XDP_DROP, {&xv_stats::adv_quiet}, "repeat");
    auto vs = dp_->vridState(v3_);
    ASSERT_TRUE(vs);
    EXPECT_EQ(vs->adverts, 4u);
    EXPECT_EQ(vs->quiet, 3u);
    EXPECT_NE(vs->last_seen_ns, 0u);
    // All three in the slot, so none in the per-CPU xv_vrid_rx (vridState adds the two).
    auto slot = dp_->seenSlot(v3_);
    ASSERT_TRUE(slot);
    EXPECT_EQ(slot->quiet, 3u);
    EXPECT_EQ(slot->last_seen_ns, vs->last_seen_ns);
    bool listed = false;
    for (const auto& [k, rx] : dp_->vridStates())
        if (k.ifindex == static_cast<uint32_t>(v3_.ifindex) && k.vrid == v3_.vrid && k.family == XV_FAMILY_V4) {
            listed = true;
            EXPECT_EQ(rx.quiet, 3u);
            EXPECT_EQ(rx.adverts, 4u);
        }
    EXPECT_TRUE(listed);

    dp_->removeInstance(v3_);
    dp_->configureInstance(v3_, InstanceFilter{});  // takes the slot just freed
    EXPECT_FALSE(dp_->vridState(v3_)) << "quiet " << dp_->vridState(v3_)->quiet;
    EXPECT_EQ(dp_->lastSeen(v3_), 0u);
}

// A repeat the quiet path turns down only for its TTL (a unicast peer's hop count moved)
// is absorbed after the full checks, counted in xv_vrid_rx: the slot is only stamped, or
// readers, which add the two, would count it twice.
TEST_F(Validation, AdvertAbsorbedAfterTheFullChecksIsCountedOnce) {
    const Advert uni{.vrid = kVridUnicast, .dst = kSelf};
    accepted(uni, "unicast peer");
    expectAdvert(*dp_, uni_, uni);
    Advert hops = uni;
    hops.ttl = 200;  // within the peer's 60..255
    Result r = run(frame(hops), XDP_DROP, {&xv_stats::adv_quiet}, "repeat with another TTL");
    EXPECT_TRUE(r.records.empty());
    auto vs = dp_->vridState(uni_);
    ASSERT_TRUE(vs);
    EXPECT_EQ(vs->adverts, 2u);
    EXPECT_EQ(vs->quiet, 1u);
    auto slot = dp_->seenSlot(uni_);
    ASSERT_TRUE(slot);
    EXPECT_EQ(slot->quiet, 0u);
    EXPECT_GE(slot->last_seen_ns, r.t0);
}

// One of the dataplane's mmap-able arrays (by name, among the maps xv_rx uses), mapped
// into the test as xvrrpd maps it.
template <typename T>
class MappedMap {
public:
    MappedMap(int prog_fd, const std::string& name, size_t entries) {
        bpf_prog_info info{};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) return;
        for (uint32_t id : dataplane::progMapIds(info.id)) {
            const int fd = bpf_map_get_fd_by_id(id);
            bpf_map_info mi{};
            uint32_t ml = sizeof(mi);
            if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &mi, &ml) == 0 && name == mi.name) {
                len_ = (entries * sizeof(T) + 4095) / 4096 * 4096;
                void* p = ::mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (p != MAP_FAILED) p_ = static_cast<T*>(p);
            }
            if (fd >= 0) ::close(fd);
        }
    }
    ~MappedMap() {
        if (p_) ::munmap(p_, len_);
    }
    MappedMap(const MappedMap&) = delete;
    MappedMap& operator=(const MappedMap&) = delete;
    explicit operator bool() const { return p_ != nullptr; }
    T& operator[](size_t i) { return p_[i]; }

private:
    T* p_ = nullptr;
    size_t len_ = 0;
};

// The quiet path compares the daemon's copy of the expectation in the instance's xv_seen
// slot, found through xv_slots, under the slot's sequence lock: a copy being written absorbs
// nothing there (the full checks decide, and absorb through xv_expect).
TEST_F(Validation, QuietPathSkipsACopyBeingWritten) {
    const Advert steady{};
    accepted(steady, "first advert");
    expectAdvert(*dp_, v3_, steady);
    run(frame(steady), XDP_DROP, {&xv_stats::adv_quiet}, "repeat");
    ASSERT_EQ(dp_->seenSlot(v3_)->quiet, 1u);
    MappedMap<xv_seen> seen(dp_->progFd(), "xv_seen", XV_MAX_INSTANCES);
    MappedMap<uint64_t> index(dp_->progFd(), "xv_slots", XV_SLOTS);
    ASSERT_TRUE(seen && index);
    const uint32_t slot = dp_->expectation(v3_)->seen_slot;
    ASSERT_EQ(index[xv_slot_index(lo_, XV_FAMILY_V4, kVridV3)], slot + 1);
    EXPECT_EQ(seen[slot].ifindex, static_cast<uint32_t>(lo_));
    EXPECT_EQ(seen[slot].vrid, kVridV3);
    EXPECT_EQ(seen[slot].seq % 2, 0u);

    seen[slot].seq |= 1;  // xvrrpd is writing it
    run(frame(steady), XDP_DROP, {&xv_stats::adv_quiet}, "repeat while the copy is written");
    EXPECT_EQ(dp_->seenSlot(v3_)->quiet, 1u) << "absorbed against a copy being written";
    EXPECT_EQ(dp_->vridState(v3_)->quiet, 2u) << "not absorbed by the full checks either";
    seen[slot].seq += 1;
    run(frame(steady), XDP_DROP, {&xv_stats::adv_quiet}, "repeat once written");
    EXPECT_EQ(dp_->seenSlot(v3_)->quiet, 2u);

    dp_->forgetMaster(v3_);  // StopAbsorbing: the copy goes with the expectation
    EXPECT_EQ(seen[slot].len, 0u);
    accepted(steady, "after the expectation went");
}

// Two interfaces whose ifindexes share an xv_slots row share the entry of a VRID: the first
// instance keeps it, and the quiet path finds that instance's slot for the other interface's
// adverts too. The key in the copy turns them down (a stamp there would tell that instance
// its master is alive); the full checks absorb them through xv_expect. Removing the first
// hands the entry to the other.
TEST_F(Validation, SharedSlotEntryAbsorbsOnlyForItsOwnInstance) {
    const Advert steady{};
    const InstanceId other{lo_ + static_cast<int>(XV_SLOT_ROWS), Family::V4, kVridV3};
    MappedMap<uint64_t> index(dp_->progFd(), "xv_slots", XV_SLOTS);
    ASSERT_TRUE(index);
    const uint32_t idx = xv_slot_index(lo_, XV_FAMILY_V4, kVridV3);
    dp_->removeInstance(v3_);
    dp_->configureInstance(other, InstanceFilter{});  // takes the entry
    dp_->configureInstance(v3_, InstanceFilter{});
    accepted(steady, "first advert");
    expectAdvert(*dp_, other, steady);  // the same bytes, on the other interface
    expectAdvert(*dp_, v3_, steady);
    ASSERT_EQ(index[idx], dp_->expectation(other)->seen_slot + 1);

    run(frame(steady), XDP_DROP, {&xv_stats::adv_quiet}, "repeat on lo");
    EXPECT_EQ(dp_->seenSlot(other)->quiet, 0u) << "stamped the other interface's instance";
    EXPECT_EQ(dp_->lastSeen(other), 0u);
    EXPECT_EQ(dp_->vridState(v3_)->quiet, 1u);
    EXPECT_GT(dp_->lastSeen(v3_), 0u);

    dp_->removeInstance(other);
    EXPECT_EQ(index[idx], dp_->expectation(v3_)->seen_slot + 1) << "entry not handed over";
    run(frame(steady), XDP_DROP, {&xv_stats::adv_quiet}, "repeat once it is ours");
    EXPECT_EQ(dp_->seenSlot(v3_)->quiet, 1u);
}

// Two CPUs' counters are one instance's: summed, with the latest last-seen time.
TEST(VridRx, PerCpuValuesSum) {
    const xv_vrid_rx per[2] = {{100, 3, 2, 1, 0}, {250, 4, 3, 1, 1}};
    const xv_vrid_rx s = dataplane::sumVridRx(per);
    EXPECT_EQ(s.last_seen_ns, 250u);
    EXPECT_EQ(s.adverts, 7u);
    EXPECT_EQ(s.quiet, 5u);
    EXPECT_EQ(s.woken, 2u);
    EXPECT_EQ(s.missed, 1u);
}

}  // namespace
}  // namespace xvrrp::test
