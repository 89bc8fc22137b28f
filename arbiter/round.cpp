#include "round.hpp"

namespace xvrrp::arbiter {

using nlohmann::json;

std::vector<std::string> guardedInstances(const std::vector<std::string>& configured,
                                          const std::optional<DaemonStatus>& local,
                                          const std::vector<std::string>& known) {
    if (!configured.empty()) return configured;
    if (!local) return known;
    std::vector<std::string> out;
    for (const auto& [name, _] : local->instances) out.push_back(name);
    return out;
}

InstanceEvidence assemble(const std::string& instance, const RoundResult& round,
                          Tri kernel_holds_vip, FenceOwner fence,
                          std::optional<uint64_t> now_mono_ns) {
    InstanceEvidence ev;
    ev.instance = instance;
    ev.quorum = round.quorum;
    ev.local.daemon_answered = round.local.has_value();
    ev.local.kernel_holds_vip = kernel_holds_vip;
    ev.local.fence = fence;
    const InstanceStatus* local = nullptr;
    if (round.local) {
        auto it = round.local->instances.find(instance);
        if (it != round.local->instances.end()) {
            local = &it->second;
            ev.local.view = local->view;
        }
    }
    for (const auto& p : round.peers) {
        PeerEvidence& pe = ev.peers.emplace_back();
        pe.name = p.name;
        pe.pings = p.pings;
        pe.known = p.ssh.status.has_value();
        if (pe.known) {
            auto it = p.ssh.status->instances.find(instance);
            pe.has_instance = it != p.ssh.status->instances.end();
            if (pe.has_instance) pe.view = it->second.view;
            pe.quorum = p.ssh.status->quorum;
            if (pe.view && local)
                pe.adverts_reach_us = hearsAdvertsFrom(*local, pe.view->addr_key, now_mono_ns);
        } else {
            pe.unknown_reason = p.ssh.unknown_reason;
        }
    }
    return ev;
}

json toJson(const RoundResult& r) {
    json gws = json::array();
    for (const auto& [addr, ok] : r.gateways) gws.push_back({{"address", addr}, {"answered", ok}});
    json peers = json::array();
    for (const auto& p : r.peers) {
        json j = {{"name", p.name},
                  {"address", p.address},
                  {"pings", triName(p.pings)},
                  {"ssh", p.ssh.status ? "ok" : "unknown"}};
        if (!p.ssh.status) j["unknown_reason"] = p.ssh.unknown_reason;
        peers.push_back(std::move(j));
    }
    json j = {{"number", r.number},
              {"started", r.started},
              {"duration_ms", r.duration_ms},
              {"quorum",
               {{"reachable", r.quorum.reachable},
                {"total", r.quorum.total},
                {"needed", r.quorum.needed},
                {"ok", r.quorum.ok()}}},
              {"gateways", std::move(gws)},
              {"xvrrpd", r.local ? json("answered") : json(r.local_error)},
              {"peers", std::move(peers)}};
    return j;
}

}  // namespace xvrrp::arbiter
