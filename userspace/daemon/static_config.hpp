#pragma once
// static_ipaddress / static_routes / static_rules: addresses, routes and rules that exist
// whatever the VRRP state, as keepalived's vrrp daemon manages them: added at start
// (leftovers of a crash removed first), removed at stop, reconciled on reload.

#include "config/config.hpp"
#include "net/netlink.hpp"

namespace xvrrp::daemon {

class StaticConfig {
public:
    explicit StaticConfig(net::Netlink& nl) : nl_(nl) {}
    // Adds what `cfg` holds; errors are logged per item and do not stop the others.
    void apply(const config::Config& cfg);
    // Removes what is no longer in `next` and adds what is new.
    void reconcile(const config::Config& current, const config::Config& next);
    // Removes everything `cfg` added (rules, routes, addresses: reverse order).
    void remove(const config::Config& cfg);

private:
    int devIndex(const std::string& dev);
    void addAll(const config::Config& cfg, const config::Config* except);
    void removeAll(const config::Config& cfg, const config::Config* except);

    net::Netlink& nl_;
};

}  // namespace xvrrp::daemon
