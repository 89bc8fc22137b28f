#include "arbiter_metrics.hpp"

namespace xvrrp::arbiter {

using metrics::Labels;
using metrics::Type;

ArbiterMetrics::ArbiterMetrics()
    // A round waits for its slowest probe: ping_timeout (<= probe_interval), ssh_timeout (4 s).
    : round_seconds_({0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}) {}

void ArbiterMetrics::probe(const std::string& kind, const std::string& target, bool ok) {
    probe_now_[{kind, target}] = ok;
    ++probes_[{kind, target, ok ? "ok" : "failed"}];
}

void ArbiterMetrics::round(const RoundResult& r, double wall_s) {
    ++rounds_;
    round_seconds_.observe(r.duration_ms / 1000.0);
    last_round_wall_s_ = wall_s;
    quorum_ = r.quorum;
    probe_now_.clear();  // a peer or gateway dropped by a reload stops being reported
    for (const auto& [addr, answered] : r.gateways) probe("gateway_ping", addr, answered);
    probe("xvrrpd", "local", r.local.has_value());
    for (const auto& p : r.peers) {
        probe("peer_ping", p.name, p.pings == Tri::Yes);
        probe("peer_ssh", p.name, p.ssh.status.has_value());
    }
}

void ArbiterMetrics::decided(const std::string& instance, const InstanceEvidence* ev,
                             const Decision& d) {
    auto& now = instances_[instance];
    now.fenced_by_us = d.next.fenced_by_us;
    ++verdicts_[{instance, verdictName(d.verdict), d.rule}];
    if (d.action != Action::NoChange) ++actions_[{instance, actionName(d.action)}];
    if (!ev) return;
    now.owner = ev->local.fence;
    witness_.instance(instance, ev->witness);
    ++evidence_[{instance, "xvrrpd_view", ev->local.view ? "yes" : "no"}];
    ++evidence_[{instance, "kernel_holds_vip", triName(ev->local.kernel_holds_vip)}];
    for (const auto& peer : ev->peers)
        ++peer_adverts_[{instance, peer.name, triName(peer.adverts_reach_us)}];
}

namespace {

template <typename Map, typename Fn>
void each(const Map& m, Fn fn) {
    for (const auto& [k, v] : m) fn(k, v);
}

}  // namespace

void ArbiterMetrics::write(metrics::Exposition& out, const std::string& node) const {
    out.family("xvrrp_arbiter_up", Type::Gauge, "1: the arbiter runs.");
    out.sample("", 1);
    out.family("xvrrp_arbiter_info", Type::Gauge, "1, with the arbiter's node_name.");
    out.sample(Labels().add("node", node).str(), 1);
    out.family("xvrrp_arbiter_rounds_total", Type::Counter, "Probe rounds finished.");
    out.sample("", rounds_);
    out.family("xvrrp_arbiter_round_duration_seconds", Type::Histogram,
               "Time from a round's start to its last probe's answer or deadline.");
    out.histogram(Labels(), round_seconds_);
    if (rounds_ > 0) {
        out.family("xvrrp_arbiter_last_round_timestamp_seconds", Type::Gauge,
                   "Wall-clock time the last round finished.");
        out.sample("", last_round_wall_s_);
    }
    out.family("xvrrp_arbiter_gateways", Type::Gauge, "Gateways configured.");
    out.sample("", quorum_.total);
    out.family("xvrrp_arbiter_gateways_reachable", Type::Gauge,
               "Gateways that answered in the last round.");
    out.sample("", quorum_.reachable);
    out.family("xvrrp_arbiter_gateways_needed", Type::Gauge,
               "The quorum: gateways that must answer.");
    out.sample("", quorum_.needed);
    out.family("xvrrp_arbiter_quorum_ok", Type::Gauge, "1 when the last round had gateway quorum.");
    out.sample("", rounds_ > 0 && quorum_.ok() ? 1 : 0);

    out.family("xvrrp_arbiter_probe_ok", Type::Gauge,
               "Last round's probe results, 1 answered, 0 not: gateway_ping, peer_ping, "
               "peer_ssh, xvrrpd.");
    each(probe_now_, [&](const ProbeKey& k, bool ok) {
        out.sample(Labels().add("probe", k.first).add("target", k.second).str(), ok ? 1 : 0);
    });
    out.family("xvrrp_arbiter_probes_total", Type::Counter,
               "Probe results by probe, target, result.");
    each(probes_, [&](const auto& k, uint64_t n) {
        const auto& [probe, target, result] = k;
        out.sample(Labels().add("probe", probe).add("target", target).add("result", result).str(),
                   n);
    });
    out.family("xvrrp_arbiter_evidence_total", Type::Counter,
               "Rounds by the local evidence on each instance (yes, no, unknown).");
    each(evidence_, [&](const auto& k, uint64_t n) {
        const auto& [inst, what, result] = k;
        out.sample(Labels().add("instance", inst).add("evidence", what).add("result", result).str(),
                   n);
    });
    out.family("xvrrp_arbiter_peer_adverts_total", Type::Counter,
               "Rounds by whether each peer's adverts reached this node (yes, no, unknown).");
    each(peer_adverts_, [&](const auto& k, uint64_t n) {
        const auto& [inst, peer, result] = k;
        out.sample(Labels().add("instance", inst).add("peer", peer).add("result", result).str(), n);
    });
    out.family("xvrrp_arbiter_verdicts_total", Type::Counter,
               "Decisions by instance, verdict and rule (docs/arbiter.md's table).");
    each(verdicts_, [&](const auto& k, uint64_t n) {
        const auto& [inst, verdict, rule] = k;
        out.sample(Labels().add("instance", inst).add("verdict", verdict).add("rule", rule).str(),
                   n);
    });
    out.family("xvrrp_arbiter_actions_total", Type::Counter, "Fences and unfences ordered.");
    each(actions_, [&](const auto& k, uint64_t n) {
        out.sample(Labels().add("instance", k.first).add("action", k.second).str(), n);
    });

    out.family("xvrrp_arbiter_instances", Type::Gauge, "Instances the arbiter has guarded.");
    out.sample("", static_cast<uint64_t>(instances_.size()));
    uint64_t held = 0;
    out.family("xvrrp_arbiter_fenced", Type::Gauge,
               "1 while the arbiter holds a fence on the instance.");
    each(instances_, [&](const std::string& inst, const InstanceNow& s) {
        held += s.fenced_by_us ? 1 : 0;
        out.sample(Labels().add("instance", inst).str(), s.fenced_by_us ? 1 : 0);
    });
    out.family("xvrrp_arbiter_fences_held", Type::Gauge, "Instances the arbiter holds fenced.");
    out.sample("", held);
    out.family("xvrrp_arbiter_fence_owner", Type::Gauge,
               "1 for who held the instance's fence map entry at the last round: none, arbiter, "
               "operator, unknown.");
    each(instances_, [&](const std::string& inst, const InstanceNow& s) {
        out.sample(Labels().add("instance", inst).add("owner", fenceOwnerName(s.owner)).str(), 1);
    });
    witness_.write(out);
}

}  // namespace xvrrp::arbiter
