#pragma once
// static_ipaddress / static_routes / static_rules: addresses, routes and rules that exist
// whatever the VRRP state, as keepalived's vrrp daemon manages them: added at start,
// reconciled on reload, removed at stop. Each one added is a ledger entry, so the stop (and
// a start that fails later on) takes it away again.

#include "config/config.hpp"
#include "daemon/ledger.hpp"
#include "net/netlink.hpp"

namespace xvrrp::daemon {

class StaticConfig {
public:
    StaticConfig(net::Netlink& nl, Ledger& ledger) : nl_(nl), ledger_(ledger) {}
    // Adds what `cfg` holds; errors are logged per item and do not stop the others.
    void apply(const config::Config& cfg);
    // Removes what is no longer in `next` and adds what is new.
    void reconcile(const config::Config& current, const config::Config& next);

private:
    int devIndex(const std::string& dev);
    void addAll(const config::Config& cfg, const config::Config* except);
    void removeAll(const config::Config& cfg, const config::Config* except);

    net::Netlink& nl_;
    Ledger& ledger_;
};

}  // namespace xvrrp::daemon
