// A master's steady state costs no allocation: stepping its instances through the table's
// timer index, encoding (cached) and queueing adverts, and flushing them with sendmmsg
// (issue 14: malloc/free per step was ~4.5% of the master's time). This binary replaces
// the global operator new to count the allocations made while a counter is armed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "daemon/advert_batch.hpp"
#include "daemon/instance_table.hpp"
#include "fakes.hpp"
#include "net/netlink.hpp"
#include "../net/test_net.hpp"

namespace {
thread_local bool gCounting = false;
thread_local uint64_t gAllocations = 0;
}  // namespace

void* operator new(size_t n) {
    if (gCounting) ++gAllocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace xvrrp::daemon {
namespace {

using namespace std::chrono_literals;
using vrrp::TimePoint;

// Allocations made by F.
template <class F>
uint64_t allocations(F&& f) {
    gAllocations = 0;
    gCounting = true;
    f();
    gCounting = false;
    return gAllocations;
}

// Counts what it is given, keeps nothing.
class CountingTransport : public AdvertTransport {
public:
    explicit CountingTransport(uint64_t& n) : n_(n) {}
    void send(std::span<const uint8_t>, const IpAddr&) override { ++n_; }

private:
    uint64_t& n_;
};

std::string config(int instances) {
    std::string text = "global_defs {\n vrrp_garp_master_delay 0\n}\n";
    for (int i = 1; i <= instances; ++i)
        text += "vrrp_instance VI_" + std::to_string(i) + " {\n interface eth0\n virtual_router_id " +
                std::to_string(i) + "\n priority 150\n advert_int 0.01\n virtual_ipaddress {\n 10.79." +
                std::to_string(i) + ".1/32\n }\n}\n";
    return text;
}

TEST(HotPath, MasterAdvertsThroughTheTimerIndexCostNoAllocation) {
    config::Config cfg = load(config(8));
    FakeSystem sys;
    uint64_t sent = 0;
    InstanceTable table;
    for (const auto& inst : cfg.instances) {
        auto rt = std::make_unique<InstanceRuntime>(cfg, inst);
        rt->setEffects(&sys, &sys, &sys);
        rt->bind(2, *IpAddr::parse("192.0.2.1"), std::make_unique<CountingTransport>(sent));
        table.add(std::move(rt));
    }
    for (const auto& rt : table) rt->handle(vrrp::Startup{}, TimePoint{});
    // Daemon::onTimer's pass, at every moment the index says.
    std::vector<InstanceRuntime*> due;
    TimePoint now{};
    auto turn = [&] {
        now = *table.timers().next();
        table.timers().timersDue(now, due);
        for (auto* rt : due) rt->fireTimers(now);
        table.timers().announcementsDue(now, due);
        for (auto* rt : due) rt->announceDue(now);
    };
    for (int i = 0; i < 200; ++i) turn();  // masters, GARP rounds over, buffers grown
    for (const auto& rt : table) ASSERT_EQ(rt->machine().state, vrrp::State::Master);
    const uint64_t before = sent;
    EXPECT_EQ(allocations([&] {
                  for (int i = 0; i < 500; ++i) turn();
              }),
              0u);
    EXPECT_GE(sent - before, 8u * 400) << "every master kept advertising";
}

TEST(HotPath, AdvertBatchFlushCostsNoAllocation) {
    if (!net::test::isRoot()) GTEST_SKIP() << "needs root to create network namespaces";
    net::test::VethPair pair;
    pair.inA([&] {
        auto nl = net::Netlink::open();
        const int ifx = pair.ifindex_a;
        nl->addAddress(ifx, net::test::vip("10.9.0.1/24"));
        ASSERT_TRUE(net::test::waitFor([&] { return nl->linkByIndex(ifx)->running(); }));
        const IpAddr group = net::test::ip("224.0.0.18");
        AdvertBatch batch;
        std::vector<std::unique_ptr<AdvertTransport>> tx;
        for (int i = 0; i < 16; ++i)
            tx.push_back(batch.transport("VI_" + std::to_string(i), Family::V4, ifx,
                                         net::test::VethPair::kNameA, net::test::ip("10.9.0.1"),
                                         &group));
        const std::array<uint8_t, 12> advert = {0x31, 1, 100, 1, 0x00, 0x64, 0, 0, 10, 9, 0, 1};
        auto round = [&] {
            for (auto& t : tx) t->send(advert, group);
            batch.flush();
        };
        for (int i = 0; i < 5; ++i) round();
        EXPECT_EQ(allocations([&] {
                      for (int i = 0; i < 100; ++i) round();
                  }),
                  0u);
        for (auto& t : tx) EXPECT_EQ(t->errors(), 0u);
    });
}

}  // namespace
}  // namespace xvrrp::daemon
