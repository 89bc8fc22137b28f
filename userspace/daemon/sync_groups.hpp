#pragma once
// keepalived's vrrp_sync_group for the running instances. Members move together: one
// becoming MASTER takes the others to MASTER, one leaving MASTER for BACKUP takes them to
// BACKUP, a FAULT in one holds all in FAULT until no member has a fault of its own. A member
// whose Master_Down_Timer ran out asks allows() (vrrp::AskGroup) before going MASTER.
//
// Nothing here steps an instance while another is stepping: moves are posted to the
// daemon's queue and run after the current step's actions are done.

#include <functional>
#include <map>
#include <string>

#include "config/config.hpp"
#include "daemon/instance_table.hpp"
#include "vrrp/types.hpp"

namespace xvrrp::daemon {

class SyncGroups {
public:
    // Queues work for after the current step (the daemon drains it).
    using Post = std::function<void(std::function<void()>)>;
    // Runs a group's notify scripts (notify_master/backup/fault of vrrp_sync_group).
    using NotifyGroup = std::function<void(const std::string& group, vrrp::State)>;
    using Clock = std::function<vrrp::TimePoint()>;

    SyncGroups(const config::Config& cfg, const InstanceTable& table, Post post,
               NotifyGroup notify, Clock clock);

    // A member changed state (InstanceHost::stateChanged).
    void memberChanged(const InstanceRuntime& from, const vrrp::StateChanged& sc);
    // keepalived vrrp_sync_can_goto_master: the group already is MASTER, or every other
    // member wants to be (its own timer ran out too).
    bool allows(const InstanceRuntime& rt) const;
    // Releases a group held in FAULT once no member has a fault of its own; run after any
    // fault source changed (the last member to recover may itself be held by the group).
    void settleFaults(vrrp::TimePoint t);

    // Reload: the new configuration (the table is the same object).
    void reset(const config::Config& cfg) { cfg_ = &cfg; }

private:
    std::vector<InstanceRuntime*> members(const config::SyncGroup& g) const;
    // Posts work on a member by name (a reload may remove it before the work runs).
    void later(const std::string& member, std::function<void(InstanceRuntime&)> work);
    void groupState(const std::string& group, vrrp::State to);
    void logSync(const std::string& group, const vrrp::StateChanged& sc);

    const config::Config* cfg_;
    const InstanceTable& table_;
    Post post_;
    NotifyGroup notify_;
    Clock clock_;
    std::map<std::string, vrrp::State> notified_;  // last state notified per group
    std::map<std::string, vrrp::State> synced_;    // the state its members were last synced to
};

}  // namespace xvrrp::daemon
