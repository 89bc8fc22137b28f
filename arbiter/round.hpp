#pragma once
// What one round collected, and how it becomes per-instance evidence (pure; tested).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "evidence.hpp"
#include "probes/ssh.hpp"
#include "status_view.hpp"

namespace xvrrp::arbiter {

struct PeerResult {
    std::string name;
    std::string address;
    Tri pings = Tri::Unknown;
    SshOutcome ssh;  // no status: UNKNOWN, with the reason
};

struct RoundResult {
    uint64_t number = 0;
    std::string started;  // ISO time
    double duration_ms = 0;
    QuorumEvidence quorum;
    std::vector<std::pair<std::string, bool>> gateways;  // address, answered
    std::optional<DaemonStatus> local;                   // xvrrpd's answer this round
    std::string local_error;                             // why there is none
    std::vector<PeerResult> peers;
};

// Instances the arbiter guards: the configured list, or every instance xvrrpd reports. When
// xvrrpd is silent the instances it reported before (`known`) stay guarded: its silence is
// evidence about them.
std::vector<std::string> guardedInstances(const std::vector<std::string>& configured,
                                          const std::optional<DaemonStatus>& local,
                                          const std::vector<std::string>& known = {});

// Kernel and fence facts come from I/O the caller did; the rest is read from the round.
// now_mono_ns: this host's CLOCK_MONOTONIC, to age the kernel's advert timestamp.
InstanceEvidence assemble(const std::string& instance, const RoundResult& round,
                          Tri kernel_holds_vip, FenceOwner fence,
                          std::optional<uint64_t> now_mono_ns = std::nullopt);

nlohmann::json toJson(const RoundResult& r);

}  // namespace xvrrp::arbiter
