// track_process: matching and quorum (pure) and the proc connector watcher (see
// track_process.hpp).
#include "track/track_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace xvrrp::track {

ProcessMatcher matcherFor(const config::TrackProcess& p) {
    ProcessMatcher m;
    m.name = p.process;
    m.params = p.param_match;
    if (p.param_match_mode == "exact") m.mode = ParamMatch::Exact;
    else if (p.param_match_mode == "initial") m.mode = ParamMatch::Initial;
    else if (p.param_match_mode == "partial") m.mode = ParamMatch::Partial;
    else m.mode = m.params.empty() ? ParamMatch::None : ParamMatch::Exact;
    // keepalived: parameters or param_match compare the command line, not comm.
    m.full_command = p.full_command || m.mode != ParamMatch::None;
    m.quorum = p.quorum;
    m.quorum_max = p.quorum_max.value_or(UINT32_MAX);
    if (m.quorum_max == 0) m.quorum = 0;  // "quorum_max 0": up while none runs
    m.fork_delay = std::chrono::seconds(p.fork_delay);
    m.terminate_delay = std::chrono::seconds(p.terminate_delay);
    return m;
}

bool paramsMatch(ParamMatch mode, const std::vector<std::string>& want, std::string_view actual) {
    if (mode == ParamMatch::None) return true;
    std::string w;  // the configured parameters laid out as in /proc/PID/cmdline
    for (const auto& s : want) {
        w += s;
        w.push_back('\0');
    }
    if (mode == ParamMatch::Exact) return actual == w;
    if (w.empty()) return true;
    if (actual.size() < w.size()) return false;
    if (mode == ParamMatch::Partial) return actual.starts_with(w);
    // Initial: the last configured parameter may be a prefix of the process's one.
    return actual.starts_with(std::string_view(w).substr(0, w.size() - 1));
}

bool processMatches(const ProcessMatcher& m, const ProcessInfo& p) {
    if (p.zombie) return false;
    if (!m.full_command) return p.comm == m.name && m.mode == ParamMatch::None;
    std::string_view cmd = p.cmdline;
    size_t nul = cmd.find('\0');
    std::string_view argv0 = cmd.substr(0, nul);
    std::string_view rest = nul == std::string_view::npos ? std::string_view{} : cmd.substr(nul + 1);
    return argv0 == m.name && paramsMatch(m.mode, m.params, rest);
}

ProcessQuorum::ProcessQuorum(const ProcessMatcher& m)
    : quorum_(m.quorum),
      quorum_max_(m.quorum_max),
      fork_delay_(m.fork_delay),
      terminate_delay_(m.terminate_delay),
      up_(inRange(0)) {}

bool ProcessQuorum::setCount(uint32_t n, CountCause cause, ProcClock::time_point now) {
    bool was = inRange(count_);
    count_ = n;
    bool is = inRange(n);
    if (was == is) return false;
    if (deadline_) {  // the change we were waiting to report has reverted
        deadline_.reset();
        bool changed = up_ != is;
        up_ = is;
        return changed;
    }
    std::chrono::milliseconds delay{0};
    if (cause == CountCause::Fork || (cause == CountCause::Rescan && is)) delay = fork_delay_;
    if (cause == CountCause::Exit || (cause == CountCause::Rescan && !is)) delay = terminate_delay_;
    if (delay.count() > 0) {
        deadline_ = now + delay;
        return false;
    }
    bool changed = up_ != is;
    up_ = is;
    return changed;
}

bool ProcessQuorum::onTimer(ProcClock::time_point now) {
    if (!deadline_ || now < *deadline_) return false;
    deadline_.reset();
    bool is = inRange(count_);
    bool changed = up_ != is;
    up_ = is;
    return changed;
}

namespace {

std::optional<std::string> slurp(const std::string& path, size_t max) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string out(max, '\0');
    size_t got = 0;
    while (got < max) {
        ssize_t n = read(fd, out.data() + got, max - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    close(fd);
    out.resize(got);
    return out;
}

std::string errnoText(int e) { return strerror(e); }

bool sendMcastOp(int fd, uint32_t op) {
    alignas(nlmsghdr) unsigned char msg[NLMSG_SPACE(sizeof(cn_msg) + sizeof(uint32_t))] = {};
    nlmsghdr h{};
    h.nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof(uint32_t));
    h.nlmsg_type = NLMSG_DONE;
    cn_msg c{};
    c.id.idx = CN_IDX_PROC;
    c.id.val = CN_VAL_PROC;
    c.len = sizeof(uint32_t);
    memcpy(msg, &h, sizeof h);
    memcpy(msg + NLMSG_HDRLEN, &c, sizeof c);
    memcpy(msg + NLMSG_HDRLEN + sizeof c, &op, sizeof op);
    return send(fd, msg, h.nlmsg_len, 0) == static_cast<ssize_t>(h.nlmsg_len);
}

// A connector socket subscribed to process events in the current network namespace.
int subscribeConnector(std::string& err) {
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) {
        err = "socket(NETLINK_CONNECTOR): " + errnoText(errno);
        return -1;
    }
    // Bursts of forks overflow the default buffer; ENOBUFS is handled by a rescan anyway.
    int rcvbuf = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = CN_IDX_PROC;
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        err = "bind(NETLINK_CONNECTOR, CN_IDX_PROC): " + errnoText(errno);
        close(fd);
        return -1;
    }
    if (!sendMcastOp(fd, PROC_CN_MCAST_LISTEN)) {
        int e = errno;
        err = "send PROC_CN_MCAST_LISTEN on the proc connector: " + errnoText(e);
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

}  // namespace

std::optional<ProcessInfo> readProcess(int pid, size_t cmdline_max) {
    const std::string dir = "/proc/" + std::to_string(pid);
    auto stat = slurp(dir + "/stat", 512);
    if (!stat) return std::nullopt;
    // "PID (comm) S ...": comm may itself contain ')' - the last one ends it.
    size_t open = stat->find('('), close = stat->rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
    ProcessInfo p;
    p.comm = stat->substr(open + 1, close - open - 1);
    p.zombie = close + 2 < stat->size() && (*stat)[close + 2] == 'Z';
    if (cmdline_max > 0) {
        auto cmd = slurp(dir + "/cmdline", cmdline_max);
        if (!cmd) return std::nullopt;
        p.cmdline = std::move(*cmd);
    }
    return p;
}

ProcessTrackers::ProcessTrackers(const config::Config& cfg, ChangeHandler on_change,
                                 const std::vector<std::string>& names)
    : ProcessTrackers(cfg, std::move(on_change), names, Options{}) {}

ProcessTrackers::ProcessTrackers(const config::Config& cfg, ChangeHandler on_change,
                                 const std::vector<std::string>& names, Options opts)
    : opts_(opts) {
    for (const auto& [name, p] : cfg.track_processes) {
        if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
        ProcessMatcher m = matcherFor(p);
        if (!m.full_command && m.name.size() > 15)
            messages_.push("track_process " + name + ": process name '" + m.name +
                                "' is longer than a comm (15 characters) and never matches");
        if (m.full_command) {
            // Enough of cmdline to see argv[0], the parameters and whether more follow.
            size_t need = m.name.size() + 2;
            for (const auto& s : m.params) need += s.size() + 1;
            cmdline_max_ = std::max(cmdline_max_, need);
        }
        tracked_.push_back(Tracked{name, m, ProcessQuorum(m), {}});
    }
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1 for track_process");
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) {
        int e = errno;
        close(epoll_fd_);
        throw std::system_error(e, std::generic_category(), "timerfd_create for track_process");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = timer_fd_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev);
    // Subscribe before scanning, so nothing that starts in between is missed.
    if (!opts_.use_connector || !openConnector())
        next_rescan_ = ProcClock::now() + opts_.rescan_interval;
    if (nl_fd_ >= 0) {
        ev.data.fd = nl_fd_;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, nl_fd_, &ev);
    }
    scan(CountCause::Scan);
    on_change_ = std::move(on_change);  // set last: the first scan is the initial state
    armTimer();
}

ProcessTrackers::~ProcessTrackers() {
    if (nl_fd_ >= 0) {
        sendMcastOp(nl_fd_, PROC_CN_MCAST_IGNORE);  // the kernel counts listeners
        close(nl_fd_);
    }
    close(timer_fd_);
    close(epoll_fd_);
}

bool ProcessTrackers::openConnector() {
    std::string err;
    int fd = subscribeConnector(err);
    if (fd < 0 && (errno == ECONNREFUSED || errno == EPROTONOSUPPORT)) {
        // The connector's kernel socket exists only in the initial network namespace;
        // a socket made there keeps receiving after this thread returns.
        int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int init = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
        if (self >= 0 && init >= 0 && setns(init, CLONE_NEWNET) == 0) {
            std::string err2;
            fd = subscribeConnector(err2);
            if (fd < 0) err += "; in the initial network namespace: " + err2;
            if (setns(self, CLONE_NEWNET) != 0) {
                int e = errno;
                if (fd >= 0) close(fd);
                close(self);
                close(init);
                throw std::system_error(e, std::generic_category(),
                                        "setns back to the daemon's network namespace");
            }
        } else {
            err += std::string(self < 0 || init < 0 ? "; open " : "; setns to ") + "/proc/1/ns/net: " +
                   errnoText(errno);
        }
        if (self >= 0) close(self);
        if (init >= 0) close(init);
    }
    if (fd < 0) {
        messages_.push("WARNING - track_process cannot follow process events (" + err +
                            ") - rescanning /proc every " +
                            std::to_string(opts_.rescan_interval.count()) + " ms instead");
        return false;
    }
    nl_fd_ = fd;
    return true;
}

void ProcessTrackers::apply(Tracked& t, CountCause cause) {
    if (t.quorum.setCount(static_cast<uint32_t>(t.pids.size()), cause, ProcClock::now()) && on_change_)
        on_change_(t.name, t.quorum.up());
}

void ProcessTrackers::scan(CountCause cause) {
    DIR* d = opendir("/proc");
    if (!d) {
        messages_.push(std::string("opendir /proc for track_process: ") + strerror(errno));
        return;
    }
    std::vector<std::set<int>> found(tracked_.size());
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        int pid = atoi(e->d_name);
        auto info = readProcess(pid, cmdline_max_);
        if (!info) continue;  // gone meanwhile
        for (size_t i = 0; i < tracked_.size(); ++i)
            if (processMatches(tracked_[i].matcher, *info)) found[i].insert(pid);
    }
    closedir(d);
    for (size_t i = 0; i < tracked_.size(); ++i) {
        tracked_[i].pids = std::move(found[i]);
        apply(tracked_[i], cause);
    }
}

void ProcessTrackers::onExec(int pid) {
    auto info = readProcess(pid, cmdline_max_);
    for (auto& t : tracked_) {
        bool now = info && processMatches(t.matcher, *info);
        bool had = t.pids.count(pid) > 0;
        if (now == had) continue;
        if (now) t.pids.insert(pid);
        else t.pids.erase(pid);
        apply(t, CountCause::Exec);
    }
}

void ProcessTrackers::onComm(int pid, std::string_view comm) {
    ProcessInfo info;
    info.comm = comm;
    for (auto& t : tracked_) {
        if (t.matcher.full_command) continue;  // cmdline does not change with comm
        bool now = processMatches(t.matcher, info);
        bool had = t.pids.count(pid) > 0;
        if (now == had) continue;
        if (now) t.pids.insert(pid);
        else t.pids.erase(pid);
        apply(t, CountCause::Comm);
    }
}

void ProcessTrackers::onFork(int parent, int child) {
    for (auto& t : tracked_)  // a child runs its parent's program until it execs
        if (t.pids.count(parent) && t.pids.insert(child).second) apply(t, CountCause::Fork);
}

void ProcessTrackers::onExit(int pid) {
    for (auto& t : tracked_)
        if (t.pids.erase(pid)) apply(t, CountCause::Exit);
}

void ProcessTrackers::readConnector() {
    // One proc_event per datagram (cn_proc.c never chains them); copied out with memcpy
    // because the kernel's layout leaves proc_event only 4-byte aligned.
    alignas(8) unsigned char buf[1024];
    while (true) {
        sockaddr_nl from{};
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(nl_fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == ENOBUFS) {  // events were lost: count again from /proc
                messages_.push("track_process: process events lost (ENOBUFS) - rescanning /proc");
                scan(CountCause::Rescan);
                continue;
            }
            messages_.push(std::string("recvfrom on the proc connector: ") + strerror(errno));
            return;
        }
        if (from.nl_pid != 0) continue;  // only the kernel speaks here
        const size_t off = NLMSG_HDRLEN + sizeof(cn_msg);
        if (static_cast<size_t>(n) < off + offsetof(proc_event, event_data)) continue;
        nlmsghdr h;
        cn_msg c;
        memcpy(&h, buf, sizeof h);
        memcpy(&c, buf + NLMSG_HDRLEN, sizeof c);
        if (h.nlmsg_type == NLMSG_ERROR || c.id.idx != CN_IDX_PROC || c.id.val != CN_VAL_PROC) continue;
        proc_event ev{};
        memcpy(&ev, buf + off, std::min(sizeof ev, static_cast<size_t>(n) - off));
        switch (ev.what) {
            case proc_event::PROC_EVENT_FORK:
                // child_pid != child_tgid is a new thread, not a process.
                if (ev.event_data.fork.child_pid == ev.event_data.fork.child_tgid)
                    onFork(ev.event_data.fork.parent_tgid, ev.event_data.fork.child_tgid);
                break;
            case proc_event::PROC_EVENT_EXEC:
                if (ev.event_data.exec.process_pid == ev.event_data.exec.process_tgid)
                    onExec(ev.event_data.exec.process_tgid);
                break;
            case proc_event::PROC_EVENT_COMM:
                if (ev.event_data.comm.process_pid == ev.event_data.comm.process_tgid)
                    onComm(ev.event_data.comm.process_tgid,
                           std::string_view(ev.event_data.comm.comm,
                                            strnlen(ev.event_data.comm.comm, sizeof ev.event_data.comm.comm)));
                break;
            case proc_event::PROC_EVENT_EXIT:
                if (ev.event_data.exit.process_pid == ev.event_data.exit.process_tgid)
                    onExit(ev.event_data.exit.process_tgid);
                break;
            default:  // PROC_EVENT_NONE acknowledges the subscription
                break;
        }
    }
}

void ProcessTrackers::onReadable() {
    if (nl_fd_ >= 0) readConnector();
    uint64_t ticks;
    while (read(timer_fd_, &ticks, sizeof ticks) > 0) {
    }
    auto now = ProcClock::now();
    for (auto& t : tracked_)
        if (t.quorum.onTimer(now) && on_change_) on_change_(t.name, t.quorum.up());
    if (next_rescan_ && now >= *next_rescan_) {
        scan(CountCause::Rescan);
        next_rescan_ = now + opts_.rescan_interval;
    }
    armTimer();
}

void ProcessTrackers::armTimer() {
    std::optional<ProcClock::time_point> next = next_rescan_;
    for (const auto& t : tracked_)
        if (auto d = t.quorum.deadline(); d && (!next || *d < *next)) next = d;
    itimerspec its{};  // all zero disarms
    if (next) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(next->time_since_epoch()).count();
        if (ns <= 0) ns = 1;
        its.it_value.tv_sec = ns / 1000000000;
        its.it_value.tv_nsec = ns % 1000000000;
    }
    // steady_clock is CLOCK_MONOTONIC on Linux.
    if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr) != 0)
        messages_.push(std::string("timerfd_settime for track_process: ") + strerror(errno));
}

std::optional<TrackState> ProcessTrackers::state(const std::string& name) const {
    for (const auto& t : tracked_)
        if (t.name == name) return t.quorum.up() ? TrackState::Up : TrackState::Down;
    return std::nullopt;
}

std::optional<uint32_t> ProcessTrackers::count(const std::string& name) const {
    for (const auto& t : tracked_)
        if (t.name == name) return t.quorum.count();
    return std::nullopt;
}

}  // namespace xvrrp::track
