// The instance table's timer index against a pass over every instance (what the daemon did
// before): the same next moment, the same instances due, in table order, through random
// starts, adverts, faults and timer turns of instances with different intervals.
#include <gtest/gtest.h>

#include <random>

#include "daemon/instance_table.hpp"
#include "fakes.hpp"

namespace xvrrp::daemon {
namespace {

using namespace std::chrono_literals;
using vrrp::TimePoint;

std::string config(int n) {
    static const char* kIntervals[] = {"0.01", "0.05", "0.1", "1"};
    std::string text;
    for (int i = 1; i <= n; ++i)
        text += "vrrp_instance VI_" + std::to_string(i) + " {\n interface eth0\n virtual_router_id " +
                std::to_string(i) + "\n priority " + std::to_string(100 + i % 3) +
                "\n advert_int " + kIntervals[i % 4] + "\n virtual_ipaddress {\n 10.1." +
                std::to_string(i) + ".1/32\n }\n}\n";
    return text;
}

struct Brute {
    const InstanceTable& table;
    std::optional<TimePoint> next() const {
        std::optional<TimePoint> out;
        for (const auto& rt : table)
            if (auto d = rt->nextDeadline(); d && (!out || *d < *out)) out = d;
        return out;
    }
    std::vector<InstanceRuntime*> timersDue(TimePoint t) const {
        std::vector<InstanceRuntime*> out;
        for (const auto& rt : table)
            if (rt->machine().timerDue(t)) out.push_back(rt.get());
        return out;
    }
    std::vector<InstanceRuntime*> announcementsDue(TimePoint t) const {
        std::vector<InstanceRuntime*> out;
        for (const auto& rt : table)
            if (auto a = rt->nextAnnouncement(); a && *a <= t) out.push_back(rt.get());
        return out;
    }
};

// The kernel's quiet path as absorbing backups see it: the last-seen stamp is what the test
// last set (a master heard by XDP, or silent). The machine absorbs once it follows a master
// (kernel checks before its Master_Down_Timer) whether or not an expectation was written.
struct FakeKernel : KernelAbsorb {
    void expect(const dataplane::InstanceId&, const dataplane::Dataplane::Expectation&) override {}
    void stop(const dataplane::InstanceId&) override {}
    std::optional<uint64_t> lastSeen(const dataplane::InstanceId&) override { return seen; }
    std::optional<uint64_t> seen;
};

TEST(TimerIndex, AgreesWithAPassOverEveryInstance) {
    config::Config cfg = load(config(40));
    FakeSystem sys;
    std::vector<Sent> sent;
    FakeKernel kernel;
    InstanceTable table;
    for (const auto& inst : cfg.instances) {
        auto rt = std::make_unique<InstanceRuntime>(cfg, inst);
        // Every other instance absorbs its master's repeats: kernel checks before its
        // Master_Down_Timer (vrrp::Instance::kernel_check_due).
        rt->setEffects(&sys, &sys, &sys, inst.vrid % 2 ? &kernel : nullptr);
        rt->bind(2, *IpAddr::parse("192.0.2.1"), std::make_unique<FakeTransport>(sent));
        table.add(std::move(rt));
    }
    std::vector<InstanceRuntime*> all;
    for (const auto& rt : table) all.push_back(rt.get());
    const Brute brute{table};
    std::mt19937 rng(1234);
    TimePoint now{};
    std::vector<InstanceRuntime*> due;
    auto check = [&](TimePoint t) {
        ASSERT_EQ(table.timers().next(), brute.next());
        table.timers().timersDue(t, due);
        ASSERT_EQ(due, brute.timersDue(t));
        table.timers().announcementsDue(t, due);
        ASSERT_EQ(due, brute.announcementsDue(t));
    };
    for (int step = 0; step < 4000; ++step) {
        InstanceRuntime& rt = *all[rng() % all.size()];
        switch (rng() % 7) {
            case 0: rt.handle(vrrp::Startup{}, now); break;
            case 1: {  // a master of higher priority speaks
                vrrp::AdvertReceived a{now, *IpAddr::parse("192.0.2.9"), 200, 10};
                rt.handleAdvert(a, {}, now);
                break;
            }
            case 4:  // the kernel absorbs a repeat now, or has heard nothing for a while
                if (rng() % 3) kernel.seen = static_cast<uint64_t>(now.since_boot.count());
                break;
            case 2: rt.setFault("link", rng() % 2 == 0, "interface eth0 is down", now); break;
            default: {  // the daemon's timer turn
                if (auto n = table.timers().next()) now = std::max(now, *n);
                table.timers().timersDue(now, due);
                for (auto* r : std::vector<InstanceRuntime*>(due)) r->fireTimers(now);
                table.timers().announcementsDue(now, due);
                for (auto* r : std::vector<InstanceRuntime*>(due)) r->announceDue(now);
                break;
            }
        }
        check(now);
        check(now + std::chrono::microseconds(rng() % 200'000));
        if (HasFatalFailure()) FAIL() << "at step " << step;
    }
    // Taken out of the table, the instances leave the index.
    auto taken = table.takeAll();
    EXPECT_FALSE(table.timers().next());
}

}  // namespace
}  // namespace xvrrp::daemon
