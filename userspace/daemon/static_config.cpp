#include "daemon/static_config.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/carry.hpp"
#include "daemon/net_effects.hpp"

namespace xvrrp::daemon {
namespace {

// keepalived puts static entries without `dev` on its default interface.
constexpr const char* kDefaultInterface = "eth0";

std::string staticAddressKey(const config::VirtualAddress& a) {
    return "static " + (a.dev.empty() ? std::string(kDefaultInterface) : a.dev) + " " +
           a.prefix.str();
}

template <class T>
bool contains(const std::vector<T>& list, const T& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

int StaticConfig::devIndex(const std::string& dev) {
    return nl_.ifindexForDev(dev.empty() ? kDefaultInterface : dev, "static address");
}

void StaticConfig::apply(const config::Config& cfg) { addAll(cfg, nullptr); }

void StaticConfig::reconcile(const config::Config& current, const config::Config& next) {
    removeAll(current, &next);
    addAll(next, &current);
}

// Items of `cfg` that `except` also has are skipped (already there / still wanted).
void StaticConfig::addAll(const config::Config& cfg, const config::Config* except) {
    for (const auto& a : cfg.static_addresses) {
        if (except && contains(except->static_addresses, a)) continue;
        try {
            const int ifindex = devIndex(a.dev);
            nl_.addAddress(ifindex, a);
            ledger_.record(staticAddressKey(a), "static_ipaddress " + a.prefix.str(),
                           [this, ifindex, a] { nl_.removeAddress(ifindex, a); },
                           carryAddress(ifindex, a));
        } catch (const std::exception& e) {
            spdlog::error("static_ipaddress {}: {}", a.prefix.str(), e.what());
        }
    }
    for (const auto& r : cfg.static_routes) {
        if (except && contains(except->static_routes, r)) continue;
        try {
            nl_.addRoute(r, 0);  // no dev: the kernel picks it from via
            ledger_.record(routeKey("static", r, 0), "static_routes " + r.to.str(),
                           [this, r] { nl_.removeRoute(r, 0); }, carryRoute(0, r));
        } catch (const std::exception& e) {
            spdlog::error("static_routes {}: {}", r.to.str(), e.what());
        }
    }
    for (const auto& r : cfg.static_rules) {
        if (except && contains(except->static_rules, r)) continue;
        try {
            nl_.addRule(r);
            ledger_.record(ruleKey("static", r), "static_rules", [this, r] { nl_.removeRule(r); },
                           carryRule(r));
        } catch (const std::exception& e) {
            spdlog::error("static_rules: {}", e.what());
        }
    }
}

// What `except` no longer has goes (rules, routes, addresses: reverse order of adding).
void StaticConfig::removeAll(const config::Config& cfg, const config::Config* except) {
    for (const auto& r : cfg.static_rules)
        if (!except || !contains(except->static_rules, r)) ledger_.undo(ruleKey("static", r));
    for (const auto& r : cfg.static_routes)
        if (!except || !contains(except->static_routes, r)) ledger_.undo(routeKey("static", r, 0));
    for (const auto& a : cfg.static_addresses)
        if (!except || !contains(except->static_addresses, a)) ledger_.undo(staticAddressKey(a));
}

}  // namespace xvrrp::daemon
