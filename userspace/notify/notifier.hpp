#pragma once
// notify scripts and notify_fifo, with keepalived 2.2.7's conventions (vrrp_notify.c):
//
// On an instance state change, in this order:
//   1. notify_master | notify_backup | notify_fault | notify_stop - exactly the words
//      written in the config, no extra arguments;
//   2. notify - the written words plus  INSTANCE <name> <MASTER|BACKUP|FAULT|STOP> <prio>
//      (prio = effective priority);
//   3. one line to notify_fifo and vrrp_notify_fifo:  INSTANCE "<name>" MASTER 100\n
// A sync group change does the same with GROUP, the group's scripts and priority 0:
//   GROUP "<name>" BACKUP 0. keepalived sends a group's notifies after its members have
// changed state (vrrp_sync.c), and skips a member's own notifies when it already sent them
// and the member's state equals the group's (send_instance_notifies()) - that ordering is
// the daemon's; InstanceNotifyGate below holds the skip rule.
// Other fifo lines: MASTER_RX_LOWER_PRI (also runs notify_master_rx_lower_pri),
// MASTER_PRIORITY / BACKUP_PRIORITY (priority changes, fifo only), DELETED.
// Scripts run without a timeout, except notify_stop: killed (SIGKILL to its group) after
// 1 s, and keepalived waits for it before exiting (stopScriptsRunning()).
// Every script string goes through track::prepareScript() once, at construction: split,
// user, enable_script_security. Refused scripts are not run (messages() says why).
// `notify_master "S" USER [GROUP]` runs S as USER (setuid/setgid in the child, as a
// vrrp_script `user`); without USER, as script_user's default (keepalived
// notify_script_init()). The security check is made for the user that runs it.
// Fifo: created with mkfifo 0644 (owned by `notify_fifo F USER [GROUP]`, else the default
// script user) when absent, then
// notify_fifo_script is started with the fifo path as last argument, then the fifo is
// opened O_RDWR|O_NONBLOCK; lines are written non-blocking and dropped when it is full.

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "config/config.hpp"
#include "track/command.hpp"
#include "track/script_runner.hpp"

namespace xvrrp::notify {

enum class NotifyState : uint8_t { Master, Backup, Fault, Stop, Deleted };
const char* notifyStateName(NotifyState s);  // "MASTER", "BACKUP", "FAULT", "STOP", "DELETED"

// One script to run: the config string and the extra words to append.
struct Invocation {
    std::string script;
    std::vector<std::string> extra_args;
    bool is_stop = false;  // notify_stop, or notify run for STOP: 1 s timeout
    config::RunAs run_as;  // USER/GROUP written after the script; empty: the default user
};

struct Plan {
    std::vector<Invocation> scripts;  // in keepalived's order
    std::string fifo_line;            // with its trailing newline
};

// Pure: what keepalived does when instance `i` enters `state` with effective `priority`.
// DELETED is reported as FAULT unless notify_deleted is configured (keepalived's default).
Plan planInstance(const config::Instance& i, NotifyState state, uint8_t priority);
Plan planGroup(const config::SyncGroup& g, NotifyState state);
// `INSTANCE "VI_1" MASTER 100\n` / `GROUP "G" FAULT 0\n`; `state` may be an event name.
std::string fifoLine(bool group, const std::string& name, const std::string& state, int priority);

// keepalived sends an instance's notifies unless it already sent some and it is now in
// its sync group's state (the group's notifies said it all).
class InstanceNotifyGate {
public:
    bool shouldSend(const std::string& instance, bool in_sync_group, bool equals_group_state);

private:
    std::map<std::string, bool> sent_;
};

// Outcomes of notify scripts (for metrics): a run that could not start or ended other than
// with exit status 0 failed.
struct NotifyCounts {
    uint64_t runs = 0;
    uint64_t failed = 0;
    uint64_t fifo_dropped = 0;  // notify_fifo lines not written (fifo full or closed)
};

class Notifier {
public:
    Notifier(track::ScriptRunner& runner, const config::Config& cfg);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // Creates/opens notify_fifo and vrrp_notify_fifo and starts their scripts. Call once
    // after start-up validation; failures go to messages().
    void openFifos();
    // Unlinks fifos we created, closes them.
    void closeFifos();

    void instanceChanged(const std::string& name, NotifyState state, uint8_t priority);
    void groupChanged(const std::string& name, NotifyState state);
    // Received a lower-priority advert as master: runs notify_master_rx_lower_pri, fifo line.
    void masterRxLowerPriority(const std::string& name, uint8_t priority);
    // notify_priority_changes: fifo line MASTER_PRIORITY / BACKUP_PRIORITY.
    void priorityChanged(const std::string& name, bool master, uint8_t priority);

    // notify_stop runs still going (the daemon waits for 0, at most ~1 s, before exiting).
    size_t stopScriptsRunning() const { return stop_runs_; }
    // Every notify script still running, for the stop: keepalived takes about a second to
    // exit and kills what is left then, so a script started at the stop (a sync group's
    // STOP) gets that second.
    size_t scriptsRunning() const { return live_runs_; }
    // N of the running notify scripts were let go (ScriptRunner::release): no exit will be
    // reported for them.
    void released(size_t n) { live_runs_ -= std::min(n, live_runs_); }
    // Check results at construction and runtime errors (fork, fifo); the daemon logs and
    // clears them.
    std::vector<std::string>& messages() { return messages_; }
    unsigned securityFlags() const { return flags_; }
    uint64_t fifoLinesDropped() const { return fifo_dropped_; }
    NotifyCounts counts() const { return {runs_, failed_, fifo_dropped_}; }

private:
    struct Fifo {
        std::string path;
        std::string script;
        std::string type;  // "" or "vrrp_", for messages
        config::RunAs owner, script_as;
        int fd = -1;
        bool created = false;
    };
    void prepare(const std::string& script, const config::RunAs& as, const std::string& what);
    const std::optional<track::Command>* prepared(const std::string& script, const config::RunAs& as) const;
    void run(const Invocation& inv);
    void writeFifo(const std::string& line);
    void openFifo(Fifo& f);

    track::ScriptRunner& runner_;
    // The daemon's: Tracking, which owns this notifier, is rebuilt with the new one at a
    // reload. A copy here doubled the configuration's memory and a reload's allocations
    // (1,000 instances: a 960 KiB instance vector and its strings, at every reload).
    const config::Config& cfg_;
    // By script string and user: one script may be run by several users.
    std::map<std::tuple<std::string, std::string, std::string>, std::optional<track::Command>> prepared_;
    std::vector<Fifo> fifos_;
    std::vector<std::string> messages_;
    unsigned flags_ = 0;
    size_t live_runs_ = 0;
    size_t stop_runs_ = 0;
    uint64_t fifo_dropped_ = 0;
    uint64_t runs_ = 0;
    uint64_t failed_ = 0;
    std::shared_ptr<bool> alive_;
};

}  // namespace xvrrp::notify
