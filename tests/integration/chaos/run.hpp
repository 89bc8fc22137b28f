#pragma once
// One chaos run: a fresh lab for one daemon, the seeded schedule carried out for `minutes`
// with the client probing every VIP every 10 ms, then the checker. The report is JSON.
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <set>

#include "chaos_lab.hpp"
#include "schedule.hpp"

namespace xvrrp::chaos {

struct RunOptions {
    Daemon daemon = Daemon::Xvrrpd;
    uint64_t seed = 1;
    double minutes = 10;
    double advertInt = 0.1;
    ArbiterTiming arbiter;
    std::set<Kind> kinds;  // empty: every kind
    bool keepLogs = false;
    std::string tag = "chaos";
    // Set from a signal handler: no fault after the current one; the run is judged and its
    // lab removed as at the end of --minutes.
    const std::atomic<bool>* stop = nullptr;
};

// Runs and judges; throws only when the lab cannot be built or never converges.
nlohmann::json runChaos(const RunOptions& o);

}  // namespace xvrrp::chaos
