#include "daemon/net_effects.hpp"

namespace xvrrp::daemon {

std::optional<uint64_t> DataplaneOwnership::lastSeen(const dataplane::InstanceId& inst) {
    const uint64_t ns = dp_.lastSeen(inst);  // the mapped xv_seen: no system call
    return ns ? std::optional<uint64_t>(ns) : std::nullopt;
}

std::string addressKey(const char* kind, int ifindex, const config::VirtualAddress& a) {
    return std::string(kind) + " " + std::to_string(ifindex) + " " + a.prefix.str();
}

// The kernel tells routes apart by table, destination and metric; the gateway and device
// keep two of ours with the same destination apart.
std::string routeKey(const char* kind, const config::Route& r, int default_ifindex) {
    std::string k = std::string(kind) + " t" + std::to_string(r.table.value_or(0)) + " " +
                    r.to.str() + " m" + std::to_string(r.metric.value_or(0));
    if (r.via) k += " via " + r.via->str();
    k += " dev " + (r.dev.empty() ? std::to_string(default_ifindex) : r.dev);
    return k;
}

std::string ruleKey(const char* kind, const config::Rule& r) {
    std::string k = kind;
    for (const auto& w : r.words) k += " " + w;
    return k;
}

}  // namespace xvrrp::daemon
