#include "daemon/sync_groups.hpp"

#include <spdlog/spdlog.h>

namespace xvrrp::daemon {

SyncGroups::SyncGroups(const config::Config& cfg, const InstanceTable& table, Post post,
                       NotifyGroup notify, Clock clock)
    : cfg_(&cfg), table_(table), post_(std::move(post)), notify_(std::move(notify)),
      clock_(std::move(clock)) {}

std::vector<InstanceRuntime*> SyncGroups::members(const config::SyncGroup& g) const {
    std::vector<InstanceRuntime*> out;
    for (const auto& m : g.members)
        if (auto* rt = table_.byName(m.second); rt && rt->bound()) out.push_back(rt);
    return out;
}

void SyncGroups::later(const std::string& member, std::function<void(InstanceRuntime&)> work) {
    post_([this, member, work = std::move(work)] {
        if (auto* rt = table_.byName(member); rt && rt->bound()) work(*rt);
    });
}

bool SyncGroups::allows(const InstanceRuntime& rt) const {
    const auto* group = cfg_->findSyncGroup(rt.cfg().name);
    if (!group) return true;
    const auto others = members(*group);
    for (const auto* o : others)
        if (o != &rt && o->machine().state == vrrp::State::Master) return true;
    for (const auto* o : others)
        if (o != &rt && !o->machine().wants_master) return false;
    return true;
}

void SyncGroups::memberChanged(const InstanceRuntime& from, const vrrp::StateChanged& sc) {
    const auto* group = cfg_->findSyncGroup(from.cfg().name);
    if (!group) return;
    if (sc.to == vrrp::State::Init) {  // stopping: keepalived runs the group's notify with STOP
        post_([this, name = group->name] { groupState(name, vrrp::State::Init); });
        return;
    }
    logSync(group->name, sc);
    const std::string why = "sync group " + group->name + ": " + from.cfg().name + " " +
                            vrrp::stateName(sc.to);
    for (const auto& m : group->members) {
        if (m.second == from.cfg().name) continue;
        if (sc.to == vrrp::State::Master) {
            later(m.second, [this, why](InstanceRuntime& rt) {
                rt.handle(vrrp::GroupTransition{vrrp::State::Master, why}, clock_());
            });
        } else if (sc.to == vrrp::State::Backup && sc.from == vrrp::State::Master) {
            later(m.second, [this, why](InstanceRuntime& rt) {
                rt.handle(vrrp::GroupTransition{vrrp::State::Backup, why}, clock_());
            });
        } else if (sc.to == vrrp::State::Fault && from.faultedBesides("group")) {
            // A member held in FAULT only by the group does not hold the others.
            later(m.second, [this, why](InstanceRuntime& rt) {
                rt.setFault("group", true, why, clock_());
            });
        }
    }
    if (sc.from == vrrp::State::Fault && sc.to != vrrp::State::Fault)
        post_([this] { settleFaults(clock_()); });
    if (sc.to == vrrp::State::Master || sc.to == vrrp::State::Backup ||
        sc.to == vrrp::State::Fault) {
        // After the members' own moves, as keepalived runs the group's script last.
        post_([this, name = group->name, to = sc.to] { groupState(name, to); });
    }
}

// keepalived's line when one member's move takes the others along (not at start-up, where
// each member enters BACKUP on its own).
void SyncGroups::logSync(const std::string& group, const vrrp::StateChanged& sc) {
    auto [it, fresh] = synced_.try_emplace(group, sc.to);
    if (fresh || it->second == sc.to) return;
    it->second = sc.to;
    if (sc.from != vrrp::State::Init)
        spdlog::info("VRRP_Group({}) Syncing instances to {} state", group, vrrp::stateName(sc.to));
}

void SyncGroups::groupState(const std::string& group, vrrp::State to) {
    auto it = notified_.find(group);
    if (it != notified_.end() && it->second == to) return;
    notified_[group] = to;
    if (notify_) notify_(group, to);
}

void SyncGroups::settleFaults(vrrp::TimePoint t) {
    for (const auto& g : cfg_->sync_groups) {
        const auto list = members(g);
        bool held = false;
        for (const auto* rt : list) held |= rt->faultedBesides("group");
        if (held) continue;
        for (auto* rt : list)
            if (rt->faultActive("group")) rt->setFault("group", false, "", t);
    }
}

}  // namespace xvrrp::daemon
