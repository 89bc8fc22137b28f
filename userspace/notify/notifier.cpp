// notify scripts and fifo lines the keepalived way (see notifier.hpp).
#include "notify/notifier.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xvrrp::notify {
namespace {

constexpr auto kStopTimeout = std::chrono::seconds(1);  // keepalived: TIMER_HZ

const std::string& specific(const config::Instance& i, NotifyState s) {
    static const std::string none;
    switch (s) {
    case NotifyState::Master: return i.notify_master;
    case NotifyState::Backup: return i.notify_backup;
    case NotifyState::Fault: return i.notify_fault;
    case NotifyState::Stop: return i.notify_stop;
    case NotifyState::Deleted: return i.notify_deleted;
    }
    return none;
}

const std::string& specific(const config::SyncGroup& g, NotifyState s) {
    static const std::string none;
    switch (s) {
    case NotifyState::Master: return g.notify_master;
    case NotifyState::Backup: return g.notify_backup;
    case NotifyState::Fault: return g.notify_fault;
    case NotifyState::Stop: return g.notify_stop;
    case NotifyState::Deleted: return none;
    }
    return none;
}

}  // namespace

const char* notifyStateName(NotifyState s) {
    switch (s) {
    case NotifyState::Master: return "MASTER";
    case NotifyState::Backup: return "BACKUP";
    case NotifyState::Fault: return "FAULT";
    case NotifyState::Stop: return "STOP";
    case NotifyState::Deleted: return "DELETED";
    }
    return "{UNKNOWN}";
}

std::string fifoLine(bool group, const std::string& name, const std::string& state, int priority) {
    return std::string(group ? "GROUP" : "INSTANCE") + " \"" + name + "\" " + state + " " +
           std::to_string(priority) + "\n";
}

Plan planInstance(const config::Instance& i, NotifyState state, uint8_t priority) {
    if (state == NotifyState::Deleted && i.notify_deleted.empty()) state = NotifyState::Fault;
    Plan p;
    const bool stop = state == NotifyState::Stop;
    if (const auto& s = specific(i, state); !s.empty()) p.scripts.push_back({s, {}, stop});
    if (!i.notify.empty())
        p.scripts.push_back({i.notify, {"INSTANCE", i.name, notifyStateName(state), std::to_string(priority)}, stop});
    p.fifo_line = fifoLine(false, i.name, notifyStateName(state), priority);
    return p;
}

Plan planGroup(const config::SyncGroup& g, NotifyState state) {
    Plan p;
    // keepalived's send_group_notifies() uses notify_exec() (no timeout) even for STOP.
    if (const auto& s = specific(g, state); !s.empty()) p.scripts.push_back({s, {}, false});
    if (!g.notify.empty()) p.scripts.push_back({g.notify, {"GROUP", g.name, notifyStateName(state), "0"}, false});
    p.fifo_line = fifoLine(true, g.name, notifyStateName(state), 0);
    return p;
}

bool InstanceNotifyGate::shouldSend(const std::string& instance, bool in_sync_group, bool equals_group_state) {
    bool& sent = sent_[instance];
    if (sent && in_sync_group && equals_group_state) return false;
    sent = true;
    return true;
}

Notifier::Notifier(track::ScriptRunner& runner, const config::Config& cfg)
    : runner_(runner), cfg_(cfg), alive_(std::make_shared<bool>(true)) {
    for (const auto& i : cfg_.instances) {
        const std::string of = " of vrrp_instance " + i.name;
        prepare(i.notify_backup, "notify_backup" + of);
        prepare(i.notify_master, "notify_master" + of);
        prepare(i.notify_fault, "notify_fault" + of);
        prepare(i.notify_stop, "notify_stop" + of);
        prepare(i.notify_deleted, "notify_deleted" + of);
        prepare(i.notify, "notify" + of);
        prepare(i.notify_master_rx_lower_pri, "notify_master_rx_lower_pri" + of);
    }
    for (const auto& g : cfg_.sync_groups) {
        const std::string of = " of vrrp_sync_group " + g.name;
        prepare(g.notify_backup, "notify_backup" + of);
        prepare(g.notify_master, "notify_master" + of);
        prepare(g.notify_fault, "notify_fault" + of);
        prepare(g.notify_stop, "notify_stop" + of);
        prepare(g.notify, "notify" + of);
    }
    prepare(cfg_.global.notify_fifo_script, "notify_fifo");
    prepare(cfg_.global.vrrp_notify_fifo_script, "vrrp_notify_fifo");
}

Notifier::~Notifier() {
    *alive_ = false;
    closeFifos();
}

void Notifier::prepare(const std::string& script, const std::string& what) {
    if (script.empty() || prepared_.count(script)) return;
    auto chk = track::prepareScript(script, "", "", cfg_.global, what);
    flags_ |= chk.flags;
    for (auto& m : chk.messages) messages_.push_back(std::move(m));
    prepared_[script] = std::move(chk.command);
}

void Notifier::run(const Invocation& inv) {
    auto it = prepared_.find(inv.script);
    if (it == prepared_.end() || !it->second) return;  // refused at construction
    track::Command cmd = *it->second;
    cmd.argv.insert(cmd.argv.end(), inv.extra_args.begin(), inv.extra_args.end());
    track::RunOptions opts;
    if (inv.is_stop) {
        opts.timeout = kStopTimeout;
        opts.term_grace = std::chrono::nanoseconds(0);  // child_killed_thread: straight SIGKILL
    }
    std::weak_ptr<bool> alive = alive_;
    const bool stop = inv.is_stop;
    std::string err;
    auto id = runner_.start(cmd, opts,
                            [this, alive, stop](const track::ScriptExit&) {
                                auto a = alive.lock();
                                if (a && *a && stop) --stop_runs_;
                            },
                            &err);
    if (!id) messages_.push_back(err);
    else if (stop) ++stop_runs_;
}

void Notifier::writeFifo(const std::string& line) {
    for (auto& f : fifos_) {
        if (f.fd < 0) continue;
        if (write(f.fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ++fifo_dropped_;
    }
}

void Notifier::instanceChanged(const std::string& name, NotifyState state, uint8_t priority) {
    const auto* i = cfg_.findInstance(name);
    if (!i) return;
    Plan p = planInstance(*i, state, priority);
    for (const auto& inv : p.scripts) run(inv);
    writeFifo(p.fifo_line);
}

void Notifier::groupChanged(const std::string& name, NotifyState state) {
    for (const auto& g : cfg_.sync_groups) {
        if (g.name != name) continue;
        Plan p = planGroup(g, state);
        for (const auto& inv : p.scripts) run(inv);
        writeFifo(p.fifo_line);
        return;
    }
}

void Notifier::masterRxLowerPriority(const std::string& name, uint8_t priority) {
    const auto* i = cfg_.findInstance(name);
    if (!i) return;
    if (!i->notify_master_rx_lower_pri.empty()) run({i->notify_master_rx_lower_pri, {}, false});
    writeFifo(fifoLine(false, name, "MASTER_RX_LOWER_PRI", priority));
}

void Notifier::priorityChanged(const std::string& name, bool master, uint8_t priority) {
    writeFifo(fifoLine(false, name, master ? "MASTER_PRIORITY" : "BACKUP_PRIORITY", priority));
}

void Notifier::openFifo(Fifo& f) {
    const std::string& type = f.type;
    if (mkfifo(f.path.c_str(), S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH) == 0) {
        f.created = true;
        auto u = track::defaultScriptUser(cfg_.global);
        if (u.user && (u.user->uid != geteuid() || u.user->gid != getegid()) &&
            chown(f.path.c_str(), u.user->uid, u.user->gid) != 0)
            messages_.push_back("Failed to set uid:gid for fifo " + f.path);
    } else if (errno != EEXIST) {
        messages_.push_back(std::string("Unable to create ") + type + "notify fifo " + f.path + ": " + strerror(errno));
        return;
    }
    if (!f.script.empty()) {
        auto it = prepared_.find(f.script);
        if (it != prepared_.end() && it->second) {
            track::Command cmd = *it->second;
            cmd.argv.push_back(f.path);
            std::string err;
            if (!runner_.start(cmd, {}, nullptr, &err)) messages_.push_back(err);
        }
    }
    f.fd = open(f.path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (f.fd < 0) {
        messages_.push_back(std::string("Unable to open ") + type + "notify fifo " + f.path + " - errno " +
                            std::to_string(errno) + " (" + strerror(errno) + ")");
        if (f.created) unlink(f.path.c_str());
        f.created = false;
    }
}

void Notifier::openFifos() {
    closeFifos();
    const auto& g = cfg_.global;
    if (!g.notify_fifo.empty()) fifos_.push_back({g.notify_fifo, g.notify_fifo_script, ""});
    if (!g.vrrp_notify_fifo.empty()) fifos_.push_back({g.vrrp_notify_fifo, g.vrrp_notify_fifo_script, "vrrp_"});
    for (auto& f : fifos_) openFifo(f);
}

void Notifier::closeFifos() {
    for (auto& f : fifos_) {
        // Unlink first so a reader that reopens in a loop cannot find it again.
        if (f.created) unlink(f.path.c_str());
        if (f.fd >= 0) close(f.fd);
    }
    fifos_.clear();
}

}  // namespace xvrrp::notify
