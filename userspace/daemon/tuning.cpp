// global_defs' scheduling of the VRRP process (process_tuning.hpp) in the daemon: applied
// at start before the instances bind, and again after every reload that took.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include "daemon/daemon.hpp"
#include "daemon/process_tuning.hpp"

namespace xvrrp::daemon {

void Daemon::applyTuning() {
    auto out = tuning_->apply(config_->global.vrrp_process);
    // keepalived logs a setting it cannot apply and runs on without it.
    for (const auto& f : out.failed) spdlog::error("{}; running on without it", f);
    if (out.applied.empty()) return;
    std::string line;
    for (const auto& a : out.applied) line += (line.empty() ? "" : ", ") + a;
    spdlog::info("vrrp process: {}", line);
}

nlohmann::json Daemon::reloadAndTune() {
    nlohmann::json out;
    {
        // Reading and diffing a whole file can run past RLIMIT_RTTIME's hard limit without
        // blocking: a real-time daemon would be killed by its own watchdog.
        ProcessTuning::Lift lift(*tuning_);
        out = reload();
        // A reload builds the new configuration beside the old one: the heap's free pages go
        // back to the kernel, so the memory after many reloads is what the daemon holds, not
        // the peak of its largest reload (1,000 instances: the heap grew once by 960 KiB
        // between the 10th and the 100th reload in 3 of 4 runs, and stayed so; nothing leaked).
        ::malloc_trim(0);
    }
    if (out.value("ok", true)) applyTuning();
    return out;
}

void Daemon::releaseTuning() {
    for (const auto& f : tuning_->release().failed)
        spdlog::error("{} before the exec; the new process starts with it", f);
}

void Daemon::armTuning() {
    if (auto failed = tuning_->arm()) spdlog::error("{}; running on without it", *failed);
}

}  // namespace xvrrp::daemon
