// integration.chaos_smoke: tools/bench/chaos's harness on a 30-second schedule with a fixed
// seed against xvrrpd (three nodes, arbiters): the lab comes up, every fault is carried out
// and restored in order, the client's probes are filed, and the run meets the target.
#include <gtest/gtest.h>
#include <unistd.h>

#include <iostream>

#include "run.hpp"

namespace xvrrp::chaos {
namespace {

// Seed 98 starts with kill -9 of VI_1's master, SIGSTOP of the backup, a priority reload,
// a link cut of VI_2's master and a CPU hog (schedule_test.cpp pins the stream).
constexpr uint64_t kSeed = 98;

TEST(ChaosSmoke, ThirtySecondsOfFaults) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and XDP";
    RunOptions o;
    o.seed = kSeed;
    o.minutes = 0.5;
    o.tag = "chsm";
    nlohmann::json r;
    try {
        r = runChaos(o);
    } catch (const std::exception& e) {
        FAIL() << e.what();
    }
    EXPECT_TRUE(r["errors"].empty()) << r["errors"].dump(2);
    EXPECT_GE(r["faults_run"].get<int>(), 3);
    int disruptive = 0;
    for (const auto& f : r["faults"]) {
        if (f.value("skipped", false)) continue;
        EXPECT_LE(f["t_inject"].get<double>(), f["t_injected"].get<double>());
        EXPECT_LE(f["t_injected"].get<double>(), f["t_restore"].get<double>());
        EXPECT_LE(f["t_restore"].get<double>(), f["t_ready"].get<double>());
        const std::string k = f["kind"];
        const bool held = k == "kill9" || k == "sigstop" || k == "linkcut" || k == "partition";
        if (held || k == "cpuhog")
            EXPECT_GE(f["t_restore"].get<double>() - f["t_injected"].get<double>(),
                      f["hold_s"].get<double>() * 0.99)
                << f.dump();
        disruptive += held;
    }
    EXPECT_GE(disruptive, 2);
    // 30 s of two VIPs every 10 ms, less what a loaded machine drops.
    EXPECT_GT(r["probes"]["sent"].get<int>(), 3000);
    EXPECT_GT(r["transitions"].get<int>(), 0);
    EXPECT_EQ(r["violations_total"].get<int>(), 0) << r["violations"].dump(2);
    if (HasFailure()) std::cerr << r.dump(2) << "\n";
}

}  // namespace
}  // namespace xvrrp::chaos
