// keepalived 2.2.7 logs "Netlink reports eth0 down" (and "up") once for each change of an
// interface it uses, before the instances act on it; log watchers match that line.
#include <spdlog/spdlog.h>

#include <unordered_set>

#include "daemon/daemon.hpp"
#include "net/netlink.hpp"

namespace xvrrp::daemon {

void Daemon::seedLinkStates() {
    // One netlink request per interface, not per instance naming it (1,000 instances on
    // four interfaces asked 1,000 times at every start and reload).
    std::unordered_set<std::string> asked;
    auto seed = [&](const std::string& name) {
        if (name.empty() || !asked.insert(name).second) return;
        if (auto l = netlink_->linkByName(name)) link_running_.try_emplace(l->ifindex, l->running());
    };
    for (const auto& i : config_->instances) {
        seed(i.interface);
        for (const auto& t : i.track_interfaces) seed(t.name);
    }
    for (const auto& g : config_->sync_groups)
        for (const auto& t : g.track_interfaces) seed(t.name);
}

// Trackers follow the link events, not the kernel's state of the moment: an interface that
// comes up sends one event with IFF_UP and another once it is running, and reading the kernel
// at the first let a tracked interface count as up before its "Netlink reports ... up" line
// (differential sync_group_fault: "Syncing instances to BACKUP state" came first; keepalived
// logs the netlink line, then acts on it).
bool Daemon::linkRunning(const std::string& name) {
    auto l = netlink_->linkByName(name);
    if (!l) return false;
    auto it = link_running_.find(l->ifindex);
    return it != link_running_.end() ? it->second : l->running();
}

void Daemon::reportLink(int ifindex, const std::string& name, bool running) {
    auto it = link_running_.find(ifindex);
    if (it == link_running_.end() || it->second == running) return;
    it->second = running;
    spdlog::info("Netlink reports {} {}", name, running ? "up" : "down");
}

// keepalived 2.2.7 follows the VIPs it added: one removed by someone else (not no_track)
// makes a master leave as on a stop and claim again (vrrp::VipsLost). Our own removals come
// when the instance is no longer master, or after a reload no longer names the address, or
// just before the instance taking over at a reload adds it again: the event arrives after
// that, so only an address that is still missing counts (differential reload_vip_option).
void Daemon::addressRemoved(int ifindex, const IpPrefix& address, vrrp::TimePoint t) {
    bool missing = true, asked = false;
    for (const auto& rt : table_) {
        if (!rt->bound() || rt->machine().state != vrrp::State::Master || !rt->tracksVip(ifindex, address))
            continue;
        if (!asked) {
            asked = true;
            missing = !netlink_->hasAddress(ifindex, address.addr);
        }
        if (!missing) return;
        loop_.guarded("(" + rt->cfg().name + ") VIP removed", [&] { rt->handle(vrrp::VipsLost{}, t); });
    }
}

}  // namespace xvrrp::daemon
