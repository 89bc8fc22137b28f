#pragma once
// Runs scripts as child processes without ever blocking the event loop.
//
// Each child: its own process group (setpgid, so a timeout can kill everything it started),
// stdin/stdout/stderr on /dev/null, signal mask and dispositions reset (xvrrpd blocks
// signals for its signalfd), PR_SET_PDEATHSIG SIGTERM, fds >= 3 closed on exec, uid/gid and
// supplementary groups of the Command's user. keepalived 2.2.7 does the same in
// system_call_script().
//
// Exit delivery: one pidfd per child and one timerfd for deadlines, all inside a private
// epoll instance whose fd the daemon adds to its own epoll (EPOLLIN). When it is readable
// the daemon calls onReadable(); exits are reaped with waitpid(pid, WNOHANG) and reported
// through the handler given to start(). No SIGCHLD handling needed - but SIGCHLD must not be
// SIG_IGN (the kernel would reap the children before we see their status), and nobody else
// in the process may call waitpid(-1).
//
// Timeout (keepalived's vrrp_script_child_thread): at the deadline the whole group gets
// SIGTERM; if the leader then dies of that SIGTERM the rest of the group gets SIGKILL at
// once; if it is still alive after term_grace the group gets SIGKILL (repeated every 10 s
// while it survives). term_grace 0 sends SIGKILL straight away.
//
// Exec failure: keepalived's child logs "Error exec-ing command" and exits 0, so a script
// that cannot be exec'd counts as success there. We report the same exit status 0 and set
// ScriptExit::exec_errno so the daemon can log it.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "track/command.hpp"

namespace xvrrp::track {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC

struct ScriptExit {
    uint64_t id = 0;
    pid_t pid = 0;
    int wait_status = 0;         // as from waitpid(); see succeeded()
    bool timed_out = false;      // we signalled it for its timeout and it died of that
    int exec_errno = 0;          // execve() failed with this (wait_status is then exit 0)
    int shell_status = 0;        // use_shell: 126/127 from /bin/sh, mapped to exit 0 as keepalived
    std::chrono::nanoseconds elapsed{0};

    bool exited() const;
    int exitCode() const;        // -1 when killed by a signal
    int termSignal() const;      // 0 when it exited
    // keepalived's rule: exit status 0 is success; a signal or any other status is failure.
    bool succeeded() const { return exited() && exitCode() == 0; }
    std::string describe() const;  // "exited with status 1", "timed out", "killed by signal 9"
};

struct RunOptions {
    std::optional<std::chrono::nanoseconds> timeout;      // none: runs as long as it likes
    std::chrono::nanoseconds term_grace = std::chrono::seconds(2);  // keepalived: 2 s
    // Left running by release(): keepalived kills no notify script at a reload.
    bool outlives = false;
};

class ScriptRunner {
public:
    using ExitHandler = std::function<void(const ScriptExit&)>;

    // Throws std::system_error naming the call (epoll_create1/timerfd_create) on failure.
    ScriptRunner();
    // Kills every running group with SIGKILL and reaps them (no zombies left behind).
    ~ScriptRunner();
    ScriptRunner(const ScriptRunner&) = delete;
    ScriptRunner& operator=(const ScriptRunner&) = delete;

    // The fd to put in the daemon's epoll (EPOLLIN); call onReadable() when it fires.
    int fd() const { return epfd_; }
    // Reaps every finished child, fires due timeouts, calls the exit handlers. Never blocks.
    void onReadable();

    // Forks and execs; returns at once. The id (never 0) identifies the run in ScriptExit.
    // nullopt when fork/pidfd_open fails, with "fork <argv0>: <strerror>" in *error.
    std::optional<uint64_t> start(const Command& cmd, const RunOptions& opts, ExitHandler on_exit,
                                  std::string* error = nullptr);

    // Signals the process group of a run now (e.g. SIGTERM at shutdown); false if not running.
    bool signal(uint64_t id, int sig);
    // Signals every running group.
    void signalAll(int sig);
    size_t running() const { return children_.size(); }
    // The running children (reaped or not): an exec hands them to the next image.
    std::vector<pid_t> pids() const;
    bool isRunning(uint64_t id) const;
    // Forgets the running `outlives` runs without signalling them (no exit handler will be
    // called) and returns their pids: still this process's children, the caller reaps them.
    std::vector<pid_t> release();

private:
    enum class Kill { None, Term, Forced };
    struct Child {
        pid_t pid = 0;
        int pidfd = -1;
        int errfd = -1;  // read end of the CLOEXEC pipe the child writes exec's errno to
        bool use_shell = false;
        Clock::time_point started;
        std::optional<Clock::time_point> deadline;
        std::chrono::nanoseconds term_grace{0};
        bool outlives = false;
        Kill kill = Kill::None;
        ExitHandler on_exit;
    };

    void reap(uint64_t id);
    void fireTimeouts();
    void armTimer();

    int epfd_ = -1;
    int timerfd_ = -1;
    uint64_t next_id_ = 1;
    std::map<uint64_t, Child> children_;
};

}  // namespace xvrrp::track
