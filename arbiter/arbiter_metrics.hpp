#pragma once
// xvrrp-arbiter --metrics: what the rounds found, kept as counters and last-round gauges and
// written as Prometheus text (docs/metrics.md, "xvrrp-arbiter"). Fed from the round's result
// and each instance's decision; it never reads the clock, a socket or a map itself.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "decision.hpp"
#include "evidence.hpp"
#include "metrics/exposition.hpp"
#include "round.hpp"
#include "witness/witness_metrics.hpp"

namespace xvrrp::arbiter {

class ArbiterMetrics {
  public:
    ArbiterMetrics();

    // A finished round; WALL_S: when it ended (Unix seconds).
    void round(const RoundResult& r, double wall_s);
    // An instance's decision. EV is null for the start_fenced fence (no round ran).
    void decided(const std::string& instance, const InstanceEvidence* ev, const Decision& d);
    // The witness round that the round waited for.
    void witness(const witness::WitnessRound& w) { witness_.round(w); }

    void write(metrics::Exposition& out, const std::string& node) const;

  private:
    struct InstanceNow {
        bool fenced_by_us = false;
        FenceOwner owner = FenceOwner::Unknown;
    };
    using ProbeKey = std::pair<std::string, std::string>;  // probe, target

    void probe(const std::string& kind, const std::string& target, bool ok);

    uint64_t rounds_ = 0;
    metrics::Histogram round_seconds_;
    double last_round_wall_s_ = 0;
    QuorumEvidence quorum_;
    std::map<ProbeKey, bool> probe_now_;  // the last round's results only
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t> probes_;
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t> evidence_;
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t> peer_adverts_;
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t> verdicts_;
    std::map<std::pair<std::string, std::string>, uint64_t> actions_;
    std::map<std::string, InstanceNow> instances_;
    witness::WitnessMetrics witness_;
};

}  // namespace xvrrp::arbiter
