#include "witness/witness_metrics.hpp"

namespace xvrrp::arbiter::witness {

using metrics::Labels;
using metrics::Type;

// A round is three steps of at most `timeout` (0.1-30 s) each.
WitnessMetrics::WitnessMetrics() : duration_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}) {}

void WitnessMetrics::round(const WitnessRound& w) {
    ++rounds_;
    duration_.observe(w.duration_ms / 1000.0);
    for (const auto& m : w.members) ++reads_[{m.endpoint, memberStateName(m.state)}];
    for (const auto& r : w.requests) ++requests_[{r.instance, r.what, r.result}];
    last_ = w;
}

void WitnessMetrics::instance(const std::string& name, const WitnessEvidence& ev) {
    if (ev.state != WitnessState::Off) instances_[name] = ev;
}

namespace {

constexpr WitnessState kStates[] = {WitnessState::Owned, WitnessState::PeerOwns,
                                    WitnessState::Free, WitnessState::Minority,
                                    WitnessState::Unreachable};
constexpr WitnessRound::Member kMembers[] = {
    WitnessRound::Member::NotAsked, WitnessRound::Member::Ok, WitnessRound::Member::NoMajority,
    WitnessRound::Member::Unreachable};

}  // namespace

void WitnessMetrics::write(metrics::Exposition& out) const {
    if (rounds_ == 0) return;  // no witness configured, or no round yet
    out.family("xvrrp_arbiter_witness_rounds_total", Type::Counter, "Witness rounds finished.");
    out.sample("", rounds_);
    out.family("xvrrp_arbiter_witness_round_duration_seconds", Type::Histogram,
               "A witness round: the read of every member, the lease, the ownership requests.");
    out.histogram(Labels(), duration_);
    out.family("xvrrp_arbiter_witness_member_state", Type::Gauge,
               "1 for each member's last read result: ok, no_majority, unreachable, not_asked.");
    for (const auto& m : last_.members)
        for (auto s : kMembers)
            out.sample(Labels().add("endpoint", m.endpoint).add("state", memberStateName(s)).str(),
                       m.state == s ? 1 : 0);
    out.family("xvrrp_arbiter_witness_member_read_seconds", Type::Gauge,
               "Each member's answer time to the last round's read (absent when it failed).");
    for (const auto& m : last_.members)
        if (m.read_ms >= 0) out.sample(Labels().add("endpoint", m.endpoint).str(), m.read_ms / 1000.0);
    out.family("xvrrp_arbiter_witness_reads_total", Type::Counter,
               "Reads by member and result (ok, no_majority, unreachable).");
    for (const auto& [k, n] : reads_)
        if (k.second != "not_asked")
            out.sample(Labels().add("endpoint", k.first).add("result", k.second).str(), n);
    out.family("xvrrp_arbiter_witness_requests_total", Type::Counter,
               "Lease and ownership requests by instance (empty for the lease), request and "
               "result (ok, refused, failed).");
    for (const auto& [k, n] : requests_) {
        const auto& [inst, what, result] = k;
        out.sample(Labels().add("instance", inst).add("request", what).add("result", result).str(), n);
    }
    out.family("xvrrp_arbiter_witness_lease_left_seconds", Type::Gauge,
               "Our lease's time left on etcd as we count it (0 without a lease).");
    out.sample("", static_cast<double>(last_.lease_left_ms) / 1000.0);
    out.family("xvrrp_arbiter_witness_claim_left_seconds", Type::Gauge,
               "Time left before our claim may have run out (negative: past it).");
    out.sample("", static_cast<double>(last_.claim_left_ms) / 1000.0);
    if (last_.since_majority_ms >= 0) {
        out.family("xvrrp_arbiter_witness_since_majority_seconds", Type::Gauge,
                   "Since the send of the last read a majority served.");
        out.sample("", static_cast<double>(last_.since_majority_ms) / 1000.0);
    }
    out.family("xvrrp_arbiter_witness_state", Type::Gauge,
               "1 for each instance's witness state: owned, peer_owns, free, minority, "
               "unreachable.");
    for (const auto& [name, ev] : instances_)
        for (auto s : kStates)
            out.sample(Labels().add("instance", name).add("state", witnessStateName(s)).str(),
                       ev.state == s ? 1 : 0);
    out.family("xvrrp_arbiter_witness_token", Type::Gauge,
               "The fencing token: the ownership key's create revision (0: no key seen).");
    for (const auto& [name, ev] : instances_)
        out.sample(Labels().add("instance", name).str(), ev.token);
    out.family("xvrrp_arbiter_witness_past_claim", Type::Gauge,
               "1 when our clock says our claim on the instance may have run out.");
    for (const auto& [name, ev] : instances_)
        out.sample(Labels().add("instance", name).str(), ev.past_claim ? 1 : 0);
}

}  // namespace xvrrp::arbiter::witness
