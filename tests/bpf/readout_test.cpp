// Whole-map reads for metrics and dumps (dataplane/readout.cpp): every entry, with the
// same values the per-key readers give, also past one batch of 256 entries.
#include <gtest/gtest.h>
#include <net/if.h>

#include <cstring>
#include <map>

#include "bpf_test_util.hpp"
#include "daemon/net_effects.hpp"
#include "dataplane/fence.hpp"

namespace xvrrp::test {
namespace {

using dataplane::Dataplane;
using dataplane::DataplaneOptions;
using dataplane::InstanceFilter;
using dataplane::InstanceId;

const std::array<uint8_t, 16> kSrc4{192, 168, 1, 2};
const std::array<uint8_t, 16> kGroup4{224, 0, 0, 18};
const auto kSrc6 = v6({0xfe80, 0, 0, 0, 0, 0, 0, 2});
const auto kGroup6 = v6({0xff02, 0, 0, 0, 0, 0, 0, 0x12});

FrameSpec advertSpec(int family, uint8_t vrid) {
    FrameSpec s;
    s.family = family;
    s.saddr = family == 4 ? kSrc4 : kSrc6;
    s.daddr = family == 4 ? kGroup4 : kGroup6;
    s.payload = vrrpV3(vrid, 100, 1, family == 4 ? 4 : 16, 100);
    s.payload[8] = 1;
    setVrrpChecksum(s.payload, family, s.saddr, s.daddr, false);
    return s;
}

Bytes advert(int family, uint8_t vrid) { return buildFrame(advertSpec(family, vrid)); }

uint64_t key(const xv_inst_key& k) {
    uint64_t v = 0;
    std::memcpy(&v, &k, sizeof k);
    return v;
}

class Readout : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root";
        dp_ = Dataplane::open(DataplaneOptions{.pin_root = pin_.path()});
        lo_ = static_cast<int>(if_nametoindex("lo"));
    }
    TmpPinRoot pin_;
    std::unique_ptr<Dataplane> dp_;
    int lo_ = 0;
};

TEST_F(Readout, VridStatesListsEveryInstanceAsVridStateDoes) {
    std::vector<InstanceId> ids;
    for (int vrid = 1; vrid <= 255; ++vrid) ids.push_back({lo_, Family::V4, uint8_t(vrid)});
    for (int vrid = 1; vrid <= 60; ++vrid) ids.push_back({lo_, Family::V6, uint8_t(vrid)});
    for (const auto& id : ids) dp_->configureInstance(id, InstanceFilter{.rate_limit = false});
    EXPECT_TRUE(dp_->vridStates().empty());
    for (const auto& id : ids) {
        // VRID n gets n % 3 + 1 adverts, so the counts tell entries apart.
        const int family = id.family == Family::V4 ? 4 : 6;
        for (int i = 0; i < id.vrid % 3 + 1; ++i) testRun(dp_->progFd(), advert(family, id.vrid));
        dp_->consume([](const xv_advert&) {});
    }
    auto all = dp_->vridStates();
    ASSERT_EQ(all.size(), ids.size());  // 315 > one batch of 256
    std::map<uint64_t, xv_vrid_rx> by_key;
    for (const auto& [k, v] : all) by_key[key(k)] = v;
    for (const auto& id : ids) {
        auto one = dp_->vridState(id);
        ASSERT_TRUE(one);
        const auto& v = by_key.at(key(dataplane::toKey(id)));
        EXPECT_EQ(v.adverts, uint64_t(id.vrid % 3 + 1));
        EXPECT_EQ(v.adverts, one->adverts);
        EXPECT_EQ(v.woken, one->woken);
        EXPECT_EQ(v.last_seen_ns, one->last_seen_ns);
    }
    for (const auto& id : ids) dp_->removeInstance(id);
}

TEST_F(Readout, FencesAndVipsAndHeartbeat) {
    const InstanceId a{lo_, Family::V4, 1}, b{lo_, Family::V6, 2};
    dataplane::FenceMap fence(pin_.path());
    fence.fence(a, XV_FENCE_OPERATOR);
    fence.fence(b, XV_FENCE_ARBITER);
    std::map<uint64_t, uint32_t> by;
    for (const auto& [k, f] : dp_->fences().list())
        by[key(xv_inst_key{.ifindex = k.ifindex, .family = k.family, .vrid = k.vrid})] = f.by;
    EXPECT_EQ(by.size(), 2u);
    EXPECT_EQ(by.at(key(dataplane::toKey(a))), uint32_t(XV_FENCE_OPERATOR));
    EXPECT_EQ(by.at(key(dataplane::toKey(b))), uint32_t(XV_FENCE_ARBITER));

    const auto vip1 = *IpAddr::parse("10.9.0.1"), vip2 = *IpAddr::parse("fd00::9");
    dp_->setVipVerdict(lo_, vip1, dataplane::Verdict::kPass, a, 0);
    dp_->setVipVerdict(lo_, vip2, dataplane::Verdict::kDropAll, b, 0);
    std::map<std::string, uint8_t> verdicts;
    for (const auto& [k, v] : dp_->vips())
        verdicts[IpAddr::fromBytes(k.family == XV_FAMILY_V4 ? Family::V4 : Family::V6, k.addr).str()] =
            v.verdict;
    EXPECT_EQ(verdicts, (std::map<std::string, uint8_t>{{"10.9.0.1", XV_VERDICT_PASS},
                                                         {"fd00::9", XV_VERDICT_DROP_ALL}}));
    dp_->heartbeat(123456789);
    EXPECT_EQ(dp_->lastHeartbeat(), 123456789u);
}

// checkFences reads the whole map in one walk: each fenced instance once, whoever's entry
// (or both) it holds, sorted; nothing when no entry is there.
TEST_F(Readout, FencedIdsListsEachFencedInstanceOnce) {
    dataplane::FenceMap fence(pin_.path());
    EXPECT_TRUE(fence.fencedIds().empty());
    const InstanceId a{lo_, Family::V4, 7}, b{lo_, Family::V6, 3}, c{lo_, Family::V4, 2};
    fence.fence(a, XV_FENCE_OPERATOR);
    fence.fence(a, XV_FENCE_ARBITER);
    fence.fence(b, XV_FENCE_ARBITER);
    fence.fence(c, XV_FENCE_OPERATOR);
    EXPECT_EQ(fence.fencedIds(), (std::vector<InstanceId>{c, a, b}));
    fence.unfence(a, XV_FENCE_OPERATOR);
    fence.unfence(b, XV_FENCE_OPERATOR);
    EXPECT_EQ(fence.fencedIds(), (std::vector<InstanceId>{c}));
    fence.unfence(c, XV_FENCE_OPERATOR);
    EXPECT_TRUE(fence.fencedIds().empty());
}

// A timer pass answers last-seen from one read of xv_vrid_rx once it has asked more than
// a few times: the same answers as a lookup each, a later advert seen by the next pass.
TEST_F(Readout, ATimerPassAnswersLastSeenAsLookupsDo) {
    daemon::DataplaneOwnership own(*dp_);
    std::vector<InstanceId> ids;
    for (int vrid = 1; vrid <= 40; ++vrid) ids.push_back({lo_, Family::V4, uint8_t(vrid)});
    const IpAddr master = IpAddr::fromBytes(Family::V4, kSrc4.data());
    for (const auto& id : ids) {
        dp_->configureInstance(id, InstanceFilter{.rate_limit = false});
        if (id.vrid % 4 == 0) continue;  // a quarter never absorbs: nothing seen
        const auto spec = advertSpec(4, id.vrid);
        dp_->expectMaster(id, master, 100, 100, spec.payload);
        testRun(dp_->progFd(), buildFrame(spec));
    }
    dp_->consume([](const xv_advert&) {});
    const InstanceId unknown{lo_, Family::V6, 9};
    own.beginPass();
    for (const auto& id : ids) {
        const uint64_t ns = dp_->lastSeen(id);
        EXPECT_EQ(ns != 0, id.vrid % 4 != 0) << int(id.vrid);
        EXPECT_EQ(own.lastSeen(id), ns ? std::optional<uint64_t>(ns) : std::nullopt)
            << int(id.vrid);
    }
    EXPECT_EQ(own.lastSeen(unknown), std::nullopt);
    own.endPass();

    testRun(dp_->progFd(), advert(4, 1));  // absorbed again, later
    const uint64_t later = dp_->lastSeen(ids[0]);
    own.beginPass();
    for (const auto& id : ids) (void)own.lastSeen(id);
    EXPECT_EQ(own.lastSeen(ids[0]), later);
    own.endPass();
    EXPECT_EQ(own.lastSeen(ids[0]), later);
    for (const auto& id : ids) dp_->removeInstance(id);
}

}  // namespace
}  // namespace xvrrp::test
