#pragma once
// The witness's share of xvrrp-arbiter's /metrics (docs/metrics.md, "Witness"): each member's
// last read, our lease and claim, each instance's witness state and token, the requests that
// campaign, refresh and release, and how long a witness round takes. Fed from the finished
// round and each instance's evidence; written only once a witness round has been seen.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "evidence.hpp"
#include "metrics/exposition.hpp"
#include "witness/witness_model.hpp"

namespace xvrrp::arbiter::witness {

class WitnessMetrics {
  public:
    WitnessMetrics();
    void round(const WitnessRound& w);
    void instance(const std::string& name, const WitnessEvidence& ev);
    void write(metrics::Exposition& out) const;

  private:
    uint64_t rounds_ = 0;
    metrics::Histogram duration_;
    WitnessRound last_;
    std::map<std::pair<std::string, std::string>, uint64_t> reads_;  // endpoint, result
    std::map<std::tuple<std::string, std::string, std::string>, uint64_t> requests_;
    std::map<std::string, WitnessEvidence> instances_;
};

}  // namespace xvrrp::arbiter::witness
