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

config::RunAs runAs(const config::RunAsMap& m, const std::string& keyword) {
    auto it = m.find(keyword);
    return it == m.end() ? config::RunAs{} : it->second;
}

const char* keyword(NotifyState s) {
    switch (s) {
    case NotifyState::Master: return "notify_master";
    case NotifyState::Backup: return "notify_backup";
    case NotifyState::Fault: return "notify_fault";
    case NotifyState::Stop: return "notify_stop";
    case NotifyState::Deleted: return "notify_deleted";
    }
    return "";
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
    if (const auto& s = specific(i, state); !s.empty())
        p.scripts.push_back({s, {}, stop, runAs(i.notify_run_as, keyword(state))});
    if (!i.notify.empty())
        p.scripts.push_back({i.notify, {"INSTANCE", i.name, notifyStateName(state), std::to_string(priority)}, stop,
                             runAs(i.notify_run_as, "notify")});
    p.fifo_line = fifoLine(false, i.name, notifyStateName(state), priority);
    return p;
}

Plan planGroup(const config::SyncGroup& g, NotifyState state) {
    Plan p;
    // keepalived's send_group_notifies() uses notify_exec() (no timeout) even for STOP.
    if (const auto& s = specific(g, state); !s.empty())
        p.scripts.push_back({s, {}, false, runAs(g.notify_run_as, keyword(state))});
    if (!g.notify.empty())
        p.scripts.push_back({g.notify, {"GROUP", g.name, notifyStateName(state), "0"}, false,
                             runAs(g.notify_run_as, "notify")});
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
    // Each notify script once per (command, user, group), named by keyword and owner.
    using Scripts = std::initializer_list<std::pair<const std::string*, const char*>>;
    auto prepAll = [&](const config::RunAsMap& run_as, const std::string& of, Scripts scripts) {
        for (const auto& [script, kw] : scripts) prepare(*script, runAs(run_as, kw), kw + of);
    };
    for (const auto& i : cfg_.instances)
        prepAll(i.notify_run_as, " of vrrp_instance " + i.name,
                {{&i.notify_backup, "notify_backup"},
                 {&i.notify_master, "notify_master"},
                 {&i.notify_fault, "notify_fault"},
                 {&i.notify_stop, "notify_stop"},
                 {&i.notify_deleted, "notify_deleted"},
                 {&i.notify, "notify"},
                 {&i.notify_master_rx_lower_pri, "notify_master_rx_lower_pri"}});
    for (const auto& g : cfg_.sync_groups)
        prepAll(g.notify_run_as, " of vrrp_sync_group " + g.name,
                {{&g.notify_backup, "notify_backup"},
                 {&g.notify_master, "notify_master"},
                 {&g.notify_fault, "notify_fault"},
                 {&g.notify_stop, "notify_stop"},
                 {&g.notify, "notify"}});
    const auto& gl = cfg_.global;
    prepare(gl.notify_fifo_script, runAs(gl.fifo_run_as, "notify_fifo_script"), "notify_fifo");
    prepare(gl.vrrp_notify_fifo_script, runAs(gl.fifo_run_as, "vrrp_notify_fifo_script"), "vrrp_notify_fifo");
}

Notifier::~Notifier() {
    *alive_ = false;
    closeFifos();
}

void Notifier::prepare(const std::string& script, const config::RunAs& as, const std::string& what) {
    auto key = std::make_tuple(script, as.user, as.group);
    if (script.empty() || prepared_.count(key)) return;
    auto chk = track::prepareScript(script, as.user, as.group, cfg_.global, what);
    flags_ |= chk.flags;
    for (auto& m : chk.messages) messages_.push_back(std::move(m));
    prepared_[key] = std::move(chk.command);
}

const std::optional<track::Command>* Notifier::prepared(const std::string& script, const config::RunAs& as) const {
    auto it = prepared_.find(std::make_tuple(script, as.user, as.group));
    return it == prepared_.end() ? nullptr : &it->second;
}

void Notifier::run(const Invocation& inv) {
    const auto* prep = prepared(inv.script, inv.run_as);
    if (!prep || !*prep) return;  // refused at construction
    track::Command cmd = **prep;
    cmd.argv.insert(cmd.argv.end(), inv.extra_args.begin(), inv.extra_args.end());
    track::RunOptions opts;
    if (inv.is_stop) {
        opts.timeout = kStopTimeout;
        opts.term_grace = std::chrono::nanoseconds(0);  // child_killed_thread: straight SIGKILL
    } else {
        opts.outlives = true;  // keepalived's notify_exec(): a reload kills none
    }
    std::weak_ptr<bool> alive = alive_;
    const bool stop = inv.is_stop;
    std::string err;
    auto id = runner_.start(cmd, opts,
                            [this, alive, stop](const track::ScriptExit& e) {
                                auto a = alive.lock();
                                if (!a || !*a) return;
                                --live_runs_;
                                if (stop) --stop_runs_;
                                if (!e.succeeded()) ++failed_;
                            },
                            &err);
    ++runs_;
    if (!id) {
        ++failed_;
        messages_.push_back(err);
    } else {
        ++live_runs_;
        if (stop) ++stop_runs_;
    }
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
    if (!i->notify_master_rx_lower_pri.empty())
        run({i->notify_master_rx_lower_pri, {}, false, runAs(i->notify_run_as, "notify_master_rx_lower_pri")});
    writeFifo(fifoLine(false, name, "MASTER_RX_LOWER_PRI", priority));
}

void Notifier::priorityChanged(const std::string& name, bool master, uint8_t priority) {
    writeFifo(fifoLine(false, name, master ? "MASTER_PRIORITY" : "BACKUP_PRIORITY", priority));
}

namespace {

// fd < 0: looks at path itself (never following a symlink).
bool isFifo(const std::string& path, int fd) {
    struct stat st {};
    int rc = fd >= 0 ? fstat(fd, &st) : lstat(path.c_str(), &st);
    return rc == 0 && S_ISFIFO(st.st_mode);
}

std::string notAFifo(const std::string& type, const std::string& path) {
    return type + "notify fifo " + path + " exists and is not a FIFO - ignoring";
}

}  // namespace

void Notifier::openFifo(Fifo& f) {
    const std::string& type = f.type;
    // keepalived notify_fifo(): a fifo whose owner cannot be resolved is ignored.
    auto u = f.owner.user.empty() ? track::defaultScriptUser(cfg_.global)
                                  : track::lookupScriptUser(f.owner.user, f.owner.group);
    if (!u.user) {
        for (auto& m : u.messages) messages_.push_back(std::move(m));
        messages_.push_back((f.owner.user.empty() ? "Failed to set default user for " : "Invalid user/group for ") +
                            type + " fifo " + f.path + " - ignoring");
        return;
    }
    if (mkfifo(f.path.c_str(), S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH) == 0) {
        f.created = true;
        if ((u.user->uid != geteuid() || u.user->gid != getegid()) &&
            chown(f.path.c_str(), u.user->uid, u.user->gid) != 0)
            messages_.push_back("chown " + f.path + " to " + std::to_string(u.user->uid) + ":" +
                                std::to_string(u.user->gid) + ": " + strerror(errno));
    } else if (errno != EEXIST) {
        messages_.push_back(std::string("Unable to create ") + type + "notify fifo " + f.path + ": " + strerror(errno));
        return;
    } else if (!isFifo(f.path, -1)) {  // lines written to a regular file would overwrite it
        messages_.push_back(notAFifo(type, f.path));
        return;
    }
    if (!f.script.empty()) {
        const auto* prep = prepared(f.script, f.script_as);
        if (prep && *prep) {
            track::Command cmd = **prep;
            cmd.argv.push_back(f.path);
            std::string err;
            if (!runner_.start(cmd, {}, nullptr, &err)) messages_.push_back(err);
        }
    }
    f.fd = open(f.path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (f.fd >= 0 && !isFifo(f.path, f.fd)) {  // replaced since the check above
        messages_.push_back(notAFifo(type, f.path));
        close(f.fd);
        f.fd = -1;
        return;
    }
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
    const auto& ra = g.fifo_run_as;
    if (!g.notify_fifo.empty())
        fifos_.push_back({g.notify_fifo, g.notify_fifo_script, "", runAs(ra, "notify_fifo"),
                          runAs(ra, "notify_fifo_script")});
    if (!g.vrrp_notify_fifo.empty())
        fifos_.push_back({g.vrrp_notify_fifo, g.vrrp_notify_fifo_script, "vrrp_", runAs(ra, "vrrp_notify_fifo"),
                          runAs(ra, "vrrp_notify_fifo_script")});
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
