// Trackers of the running configuration: how a tracker change becomes an instance's
// effective priority or a fault (weight-0 failures), as in keepalived.
#include <spdlog/spdlog.h>

#include "daemon/daemon.hpp"
#include "daemon/sync_groups.hpp"
#include "daemon/tracking.hpp"
#include "net/netlink.hpp"

namespace xvrrp::daemon {

void Daemon::startTracking(const track::ScriptTrackers::Checks& carried) {
    for (int fd : tracking_fds_) loop_.remove(fd);
    if (tracking_) {
        telemetry_.carryNotify(tracking_->notifier().counts());
        inherited_children_.watch(tracking_->releaseNotifyScripts());
    }
    tracking_.reset();
    tracking_ = std::make_unique<Tracking>(*config_, [this] { recomputePriorities(); }, carried);
    tracking_fds_ = tracking_->fds();
    for (int fd : tracking_fds_)
        loop_.add(fd, "trackers", [this, fd](uint32_t) { tracking_->onReadable(fd); });
}

std::function<bool(const std::string&)> Daemon::bfdUp() const {
    return [this](const std::string& name) {
        auto it = bfd_up_.find(name);
        return it != bfd_up_.end() && it->second;
    };
}

bool Daemon::trackersPending(const InstanceRuntime& rt) {
    if (!tracking_) return false;
    auto link_up = [this](const std::string& name) { return linkRunning(name); };
    return tracking_->evaluate(rt.cfg(), link_up, bfdUp()).pending;
}

void Daemon::recomputePriorities() {
    if (!tracking_) return;
    auto t = now();
    auto link_up = [this](const std::string& name) { return linkRunning(name); };
    const auto bfd_up = bfdUp();
    for (const auto& rt : table_) {
        auto ep = tracking_->evaluate(rt->cfg(), link_up, bfd_up);
        nlohmann::json rep = {{"base", ep.base}, {"total", ep.total}, {"effective", ep.priority}};
        nlohmann::json items = nlohmann::json::array();
        for (const auto& c : ep.breakdown) {
            items.push_back({{"kind", track::trackerKindName(c.kind)},
                             {"name", c.name},
                             {"state", track::trackStateName(c.state)},
                             {"weight", c.weight},
                             {"reverse", c.reverse},
                             {"delta", c.delta},
                             {"fault", c.fault}});
        }
        rep["trackers"] = items;
        // keepalived logs a change its trackers make, not a new priority from a reload.
        const auto& prev = rt->trackReport();
        const bool trackers_moved = !prev.is_object() || prev.value("effective", 0) - prev.value("base", 0) !=
                                                             int(ep.priority) - int(ep.base);
        rt->setTrackReport(rep);
        if (!rt->bound()) continue;
        if (rt->held() && !ep.pending) {
            rt->release(t, ep.fault ? std::optional<std::string>(ep.fault_reason) : std::nullopt);
            auto link = netlink_->linkByIndex(rt->ifindex());
            if (!link || !link->running()) applyLinkState(*rt, false, rt->cfg().interface, t);
        }
        if (rt->held()) continue;
        rt->setFault("track", ep.fault, ep.fault_reason, t);
        if (!ep.fault && ep.priority != rt->machine().effective_priority) {
            if (trackers_moved)
                spdlog::info("({}) Changing effective priority from {} to {}", rt->cfg().name,
                             rt->machine().effective_priority, ep.priority);
            rt->handle(vrrp::PriorityChanged{ep.priority}, t);
        }
    }
    groups_->settleFaults(t);
}

}  // namespace xvrrp::daemon
