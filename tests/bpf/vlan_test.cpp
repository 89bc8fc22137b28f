// VLAN tags on adverts (issue 9 item 4): an advert counts only on the VLAN of its instance.
// Tagged VRRP reaching an interface's XDP belongs to a VLAN sub-interface: passed to the
// stack when one of our instances runs there (xv_vlans) or the interface is shared,
// dropped with drop_vlan otherwise. VID 0 (priority tag) counts as untagged. Tags the
// driver moved out of the frame need the device-bound build and a real device: see
// tests/integration/vlan_test.cpp.
#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "bpf_test_util.hpp"

namespace xvrrp::test {
namespace {

using dataplane::Dataplane;
using dataplane::DataplaneOptions;
using dataplane::InstanceFilter;
using dataplane::InstanceId;
using dataplane::VlanOf;
using Counter = __u64 xv_stats::*;

constexpr uint8_t kVrid = 7;
constexpr int kSubIfindex = 900001;  // a VLAN sub-interface of lo, as the daemon would name it
const std::array<uint8_t, 16> kMaster{192, 168, 1, 2};
const std::array<uint8_t, 16> kGroup4{224, 0, 0, 18};
const auto kMaster6 = v6({0xfe80, 0, 0, 0, 0, 0, 0, 2});
const auto kGroup6 = v6({0xff02, 0, 0, 0, 0, 0, 0, 0x12});

constexpr Counter kCounters[] = {
    &xv_stats::rx_adverts, &xv_stats::adv_woken,   &xv_stats::drop_vlan, &xv_stats::vlan_passed,
    &xv_stats::drop_vrid,  &xv_stats::vrid_shared, &xv_stats::rx_passed, &xv_stats::truncated};

using Tags = std::vector<std::pair<uint16_t, uint16_t>>;

// The frame: a v2 advert with priority 200 for the untagged instance's VRID.
Bytes advert(const Tags& tags, int family = 4, uint8_t prio = 200) {
    FrameSpec s;
    s.vlans = tags;
    s.family = family;
    if (family == 4) {
        s.saddr = kMaster;
        s.daddr = kGroup4;
        s.payload = vrrpV2(kVrid, prio, {{{10, 0, 0, 1}}});
    } else {
        s.saddr = kMaster6;
        s.daddr = kGroup6;
        s.payload = vrrpV3(kVrid, prio, 1, 16);
        setVrrpChecksum(s.payload, 6, s.saddr, s.daddr);
    }
    return buildFrame(s);
}

InstanceFilter filter(int version, std::optional<VlanOf> vlan = std::nullopt) {
    InstanceFilter f;
    f.version = version;
    f.rate_limit = false;  // test_run repeats one source faster than any advert rate
    f.vlan = vlan;
    return f;
}

class Vlan : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (geteuid() == 0) dp_ = Dataplane::open(DataplaneOptions{.pin_root = ""});
    }
    static void TearDownTestSuite() { dp_.reset(); }
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root";
        ASSERT_TRUE(dp_);
        lo_ = static_cast<int>(if_nametoindex("lo"));
        untagged4_ = {lo_, Family::V4, kVrid};
        untagged6_ = {lo_, Family::V6, kVrid};
        dp_->configureInstance(untagged4_, filter(2));
        dp_->configureInstance(untagged6_, filter(3));
        drain();
    }
    void TearDown() override {
        if (!dp_) return;
        for (const auto& id : {untagged4_, untagged6_, sub_}) dp_->removeInstance(id);
        dp_->setInterfaceShared(lo_, false);
        drain();
    }
    void drain() {
        dp_->consume([](const xv_advert&) {});
        woken(dp_->epollFd());
    }
    // An instance on lo.VID (TPID): what configureKernel does for a VLAN sub-interface.
    void addSubInstance(uint16_t tpid, uint16_t vid) {
        dp_->configureInstance(sub_, filter(2, VlanOf{lo_, tpid, vid}));
    }

    // Runs FRAME: checks the verdict, that exactly the counters in MOVED went up by one,
    // and returns the ring records it produced.
    std::vector<xv_advert> run(const Bytes& f, int verdict, std::vector<Counter> moved,
                               const std::string& what) {
        const xv_stats before = dp_->stats();
        dp_->heartbeat(monoNs());  // a live daemon: VRRP is consumed, not passed
        EXPECT_EQ(testRun(dp_->progFd(), f), verdict) << what;
        const xv_stats after = dp_->stats();
        std::vector<xv_advert> records;
        dp_->consume([&](const xv_advert& ev) { records.push_back(ev); });
        for (Counter c : kCounters) {
            EXPECT_EQ(after.*c - before.*c, std::count(moved.begin(), moved.end(), c) ? 1u : 0u)
                << what << ": counter at offset "
                << reinterpret_cast<size_t>(&(static_cast<xv_stats*>(nullptr)->*c));
        }
        return records;
    }

    static inline std::unique_ptr<Dataplane> dp_;
    int lo_ = 0;
    InstanceId untagged4_, untagged6_, sub_{kSubIfindex, Family::V4, kVrid};
};

const std::vector<Counter> kAccepted = {&xv_stats::rx_adverts, &xv_stats::adv_woken};
const std::vector<Counter> kDropVlan = {&xv_stats::drop_vlan};
const std::vector<Counter> kPassVlan = {&xv_stats::vlan_passed};

struct Row {
    std::string name;
    Tags tags;
    int family;
    int verdict;
    std::vector<Counter> moved;
    int record_vlan;  // -1: no record; else the record's vlan_id (has_vlan when tags given)
};

TEST_F(Vlan, TaggedAdvertNeverCountsForTheUntaggedInstance) {
    const Row rows[] = {
        {"untagged", {}, 4, XDP_DROP, kAccepted, 0},
        {"untagged_v6", {}, 6, XDP_DROP, kAccepted, 0},
        {"8021q_vid200", {{kTpid8021Q, 200}}, 4, XDP_DROP, kDropVlan, -1},
        {"8021q_vid200_v6", {{kTpid8021Q, 200}}, 6, XDP_DROP, kDropVlan, -1},
        {"8021ad_vid200", {{kTpid8021AD, 200}}, 4, XDP_DROP, kDropVlan, -1},
        {"qinq_100_200", {{kTpid8021AD, 100}, {kTpid8021Q, 200}}, 4, XDP_DROP, kDropVlan, -1},
        {"vid4095", {{kTpid8021Q, 4095}}, 4, XDP_DROP, kDropVlan, -1},
        {"priority_tag_vid0", {{kTpid8021Q, 0}}, 4, XDP_DROP, kAccepted, 0},
        {"priority_then_vid200", {{kTpid8021Q, 0}, {kTpid8021Q, 200}}, 4, XDP_DROP, kDropVlan, -1},
    };
    for (const Row& r : rows) {
        auto records = run(advert(r.tags, r.family), r.verdict, r.moved, r.name);
        ASSERT_EQ(records.size(), r.record_vlan < 0 ? 0u : 1u) << r.name;
        if (r.record_vlan >= 0) {
            EXPECT_EQ(records[0].has_vlan, r.tags.empty() ? 0 : 1) << r.name;
            EXPECT_EQ(records[0].vlan_id, r.record_vlan) << r.name;
        }
    }
}

TEST_F(Vlan, SubInterfaceInstanceGetsItsVlanThroughTheStack) {
    addSubInstance(kTpid8021Q, 200);
    run(advert({{kTpid8021Q, 200}}), XDP_PASS, kPassVlan, "lo.200 has an instance");
    run(advert({{kTpid8021AD, 100}, {kTpid8021Q, 200}}), XDP_DROP, kDropVlan,
        "outer VLAN 100 names the sub-interface, not 200");
    run(advert({{kTpid8021AD, 200}}), XDP_DROP, kDropVlan, "802.1ad 200 is another device");
    run(advert({{kTpid8021Q, 201}}), XDP_DROP, kDropVlan, "VLAN 201 has none");
    run(advert({}), XDP_DROP, kAccepted, "untagged still goes to the untagged instance");

    addSubInstance(kTpid8021AD, 300);  // the instance moved: 200 is no longer let through
    run(advert({{kTpid8021Q, 200}}), XDP_DROP, kDropVlan, "after the move, 802.1Q 200");
    run(advert({{kTpid8021AD, 300}}), XDP_PASS, kPassVlan, "after the move, 802.1ad 300");
    dp_->removeInstance(sub_);
    run(advert({{kTpid8021AD, 300}}), XDP_DROP, kDropVlan, "instance removed");
}

TEST_F(Vlan, SharedInterfaceLeavesTaggedVrrpToTheStack) {
    dp_->setInterfaceShared(lo_, true);
    run(advert({{kTpid8021Q, 200}}), XDP_PASS, kPassVlan, "shared");
}

TEST_F(Vlan, UnfilteredInterfaceDropsTaggedVrrpToo) {
    dp_->removeInstance(untagged4_);
    dp_->removeInstance(untagged6_);
    run(advert({{kTpid8021Q, 200}}), XDP_DROP, kDropVlan, "no instance on lo");
    auto records = run(advert({}), XDP_DROP, {&xv_stats::rx_adverts}, "untagged, unfiltered");
    EXPECT_EQ(records.size(), 1u);
}

TEST_F(Vlan, BadVlanConfigIsRefusedNamingTheInstance) {
    for (auto v : {VlanOf{lo_, 0x8100, 0}, VlanOf{lo_, 0x8100, 4095}, VlanOf{lo_, 0x0800, 5}}) {
        try {
            dp_->configureInstance(sub_, filter(2, v));
            ADD_FAILURE() << "VLAN " << v.vid << " TPID " << v.tpid << " accepted";
        } catch (const dataplane::DataplaneError& e) {
            EXPECT_NE(std::string(e.what()).find("VRID 7"), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace xvrrp::test
