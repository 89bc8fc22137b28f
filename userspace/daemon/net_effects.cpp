#include "daemon/net_effects.hpp"

namespace xvrrp::daemon {

namespace {
uint64_t packed(uint32_t ifindex, uint8_t family, uint8_t vrid) {
    return uint64_t(ifindex) << 16 | uint64_t(family) << 8 | vrid;
}
}  // namespace

std::optional<uint64_t> DataplaneOwnership::lastSeen(const dataplane::InstanceId& inst) {
    const xv_inst_key k = dataplane::toKey(inst);
    if (in_pass_ && !pass_seen_ && ++pass_lookups_ > kLookupsBeforeBatch) {
        pass_seen_.emplace();
        for (const auto& [key, rx] : dp_.vridStates())
            (*pass_seen_)[packed(key.ifindex, key.family, key.vrid)] = rx.last_seen_ns;
    }
    uint64_t ns = 0;
    if (pass_seen_) {
        auto it = pass_seen_->find(packed(k.ifindex, k.family, k.vrid));
        if (it != pass_seen_->end()) ns = it->second;
    } else {
        ns = dp_.lastSeen(inst);
    }
    return ns ? std::optional<uint64_t>(ns) : std::nullopt;
}

void DataplaneOwnership::beginPass() {
    in_pass_ = true;
    pass_lookups_ = 0;
    pass_seen_.reset();
}

void DataplaneOwnership::endPass() {
    in_pass_ = false;
    pass_seen_.reset();
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
