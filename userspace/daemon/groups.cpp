// Trackers, notify scripts and sync groups of the running instances: how a tracker change
// becomes a priority or a fault, and how one member's transition moves its group.
#include <spdlog/spdlog.h>

#include "daemon/daemon.hpp"
#include "daemon/net_effects.hpp"
#include "daemon/tracking.hpp"
#include "dataplane/dataplane.hpp"
#include "net/netlink.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::daemon {

// Trackers decide each instance's effective priority, or a fault (weight 0 failures).
void Daemon::recomputePriorities() {
    if (!tracking_) return;
    auto t = now();
    auto link_up = [this](const std::string& name) {
        auto l = netlink_->linkByName(name);
        return l && l->running();
    };
    for (auto& rt : instances_) {
        auto ep = tracking_->evaluate(rt->cfg(), link_up);
        nlohmann::json rep = {{"base", ep.base}, {"total", ep.total}, {"effective", ep.priority}};
        nlohmann::json items = nlohmann::json::array();
        for (const auto& c : ep.breakdown) {
            static const char* kKinds[] = {"script", "interface", "file", "process"};
            static const char* kStates[] = {"INIT", "UP", "DOWN"};
            items.push_back({{"kind", kKinds[static_cast<int>(c.kind)]},
                             {"name", c.name},
                             {"state", kStates[static_cast<int>(c.state)]},
                             {"weight", c.weight},
                             {"reverse", c.reverse},
                             {"delta", c.delta},
                             {"fault", c.fault}});
        }
        rep["trackers"] = items;
        rt->setTrackReport(rep);
        if (!rt->bound()) continue;
        rt->setFault("track", ep.fault, ep.fault_reason, t);
        if (!ep.fault && ep.priority != rt->machine().effective_priority) {
            spdlog::info("({}) Changing effective priority from {} to {}", rt->cfg().name,
                         rt->machine().effective_priority, ep.priority);
            rt->handle(vrrp::PriorityChanged{ep.priority}, t);
        }
    }
    settleGroupFaults(t);
}

// keepalived runs notify scripts for every state an instance enters; STOP on shutdown.
void Daemon::wireInstance(InstanceRuntime& rt) {
    rt.setEffects(effects_.get(), effects_.get(), ownership_.get());
    rt.onStateChange([this](const InstanceRuntime& r, const vrrp::StateChanged& sc) {
        // Only a backup may let XDP absorb its master's adverts; a backup that became
        // master on its timer must hear that master again (a higher priority returns).
        if (sc.to != vrrp::State::Backup && dataplane_) dataplane_->forgetMaster(r.id());
        if (!tracking_) return;
        notify::NotifyState st;
        switch (sc.to) {
            case vrrp::State::Master: st = notify::NotifyState::Master; break;
            case vrrp::State::Backup: st = notify::NotifyState::Backup; break;
            case vrrp::State::Fault: st = notify::NotifyState::Fault; break;
            default: st = notify::NotifyState::Stop; break;
        }
        tracking_->notifier().instanceChanged(r.cfg().name, st, r.machine().effective_priority);
        if (!propagating_) propagateGroup(r, sc);
    });
}

void Daemon::releaseVmac(const std::string& instance) {
    auto it = vmacs_.find(instance);
    if (it == vmacs_.end()) return;
    try {
        netlink_->deleteVmac(it->second);
    } catch (const std::exception& e) {
        spdlog::warn("({}) deleting VMAC {}: {}", instance, it->second.name, e.what());
    }
    vmacs_.erase(it);
}

// keepalived's vrrp_sync_can_goto_master: a member whose master-down timer ran out goes to
// MASTER only if the group already is, or every other member wants to as well (its own
// timer ran out too). Otherwise it keeps BACKUP and looks again one Master_Down_Interval
// later, so one member's lost master never splits the group (prefer backup to thrashing).
bool Daemon::groupMayGoMaster(InstanceRuntime& rt, vrrp::TimePoint t) {
    const auto* group = config_->findSyncGroup(rt.cfg().name);
    if (!group) return true;
    rt.setWantsMaster(true);
    std::vector<InstanceRuntime*> others;
    for (const auto& m : group->members)
        if (auto* o = findRuntime(m.second); o && o != &rt && o->bound()) others.push_back(o);
    for (auto* o : others)
        if (o->machine().state == vrrp::State::Master) return true;
    for (auto* o : others) {
        if (o->wantsMaster()) continue;
        const auto& m = rt.machine();
        spdlog::debug("({}) not becoming master yet: sync group {} member {} still has a master",
                      rt.cfg().name, group->name, o->cfg().name);
        rt.deferMasterDown(t + vrrp::masterDownInterval(m.effective_priority,
                                                        m.master_advert_int_cs, rt.version()));
        return false;
    }
    return true;
}

// A group held in FAULT by one member is released once no member has a fault of its own;
// run after any fault source changed (link, fence, trackers), since the last member to
// recover may itself still be held by the group.
void Daemon::settleGroupFaults(vrrp::TimePoint t) {
    for (const auto& g : config_->sync_groups) {
        std::vector<InstanceRuntime*> members;
        bool any = false;
        for (const auto& m : g.members)
            if (auto* rt = findRuntime(m.second); rt && rt->bound()) {
                members.push_back(rt);
                any |= rt->faultedBesides("group");
            }
        if (!any)
            for (auto* rt : members)
                if (rt->faultActive("group")) rt->setFault("group", false, "", t);
    }
}

InstanceRuntime* Daemon::findRuntime(const std::string& name) {
    for (auto& rt : instances_)
        if (rt->cfg().name == name) return rt.get();
    return nullptr;
}

// vrrp_sync_group: members change state together, as in keepalived. One becoming MASTER
// takes the others to MASTER, one leaving MASTER for BACKUP takes them to BACKUP, a FAULT in
// one puts all in FAULT until no member has a fault of its own.
void Daemon::propagateGroup(const InstanceRuntime& from, const vrrp::StateChanged& sc) {
    const auto* group = config_->findSyncGroup(from.cfg().name);
    if (!group) return;
    propagating_ = true;
    auto t = now();
    const std::string why = "sync group " + group->name + ": " + from.cfg().name + " " +
                            vrrp::stateName(sc.to);
    std::vector<InstanceRuntime*> members;
    for (const auto& m : group->members)
        if (auto* rt = findRuntime(m.second); rt && rt->bound()) members.push_back(rt);
    for (auto* rt : members) {
        if (rt == &from) continue;
        if (sc.to == vrrp::State::Master)
            rt->handle(vrrp::GroupTransition{vrrp::State::Master, why}, t);
        else if (sc.to == vrrp::State::Backup && sc.from == vrrp::State::Master)
            rt->handle(vrrp::GroupTransition{vrrp::State::Backup, why}, t);
        else if (sc.to == vrrp::State::Fault)
            rt->setFault("group", true, why, t);
    }
    if (sc.from == vrrp::State::Fault && sc.to != vrrp::State::Fault) {
        bool any = false;
        for (auto* rt : members) any |= rt->faultedBesides("group");
        if (!any)
            for (auto* rt : members) rt->setFault("group", false, "", t);
    }
    propagating_ = false;
    if (tracking_ && (sc.to == vrrp::State::Master || sc.to == vrrp::State::Backup ||
                      sc.to == vrrp::State::Fault)) {
        auto it = group_state_.find(group->name);
        if (it == group_state_.end() || it->second != sc.to) {
            group_state_[group->name] = sc.to;
            tracking_->notifier().groupChanged(
                group->name, sc.to == vrrp::State::Master   ? notify::NotifyState::Master
                             : sc.to == vrrp::State::Backup ? notify::NotifyState::Backup
                                                            : notify::NotifyState::Fault);
        }
    }
}

}  // namespace xvrrp::daemon
