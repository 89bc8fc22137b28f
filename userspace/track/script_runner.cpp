// Asynchronous script children: pidfd per child, one timerfd, one private epoll.
#include "track/script_runner.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

extern char** environ;

namespace xvrrp::track {
namespace {

constexpr uint64_t kTimerKey = 0;
constexpr auto kForcedRetry = std::chrono::seconds(10);  // keepalived gives SIGKILL 10 s

std::system_error sysError(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

int pidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Everything the child does between fork and exec: async-signal-safe calls only.
[[noreturn]] void childExec(const char* path, char* const* argv, const ScriptUser& user,
                            uid_t parent_uid, gid_t parent_gid, pid_t parent, int errfd) {
    auto fail = [errfd]() {
        int e = errno;
        ssize_t n = write(errfd, &e, sizeof e);
        (void)n;
        _exit(0);  // keepalived: "Script errors aren't server errors"
    };
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);
    setpgid(0, 0);
    if (user.gid != parent_gid && setgid(user.gid) < 0) fail();
    if (setgroups(1, &user.gid) < 0 && errno != EPERM) fail();
    if (user.uid != parent_uid && setuid(user.uid) < 0) fail();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2) close(null);
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(0);  // the daemon died before PDEATHSIG was set
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(path, argv, environ);
    fail();
    _exit(0);
}

}  // namespace

bool ScriptExit::exited() const { return WIFEXITED(wait_status); }
int ScriptExit::exitCode() const { return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1; }
int ScriptExit::termSignal() const { return WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0; }

std::string ScriptExit::describe() const {
    if (timed_out) return "timed out";
    if (exec_errno) return std::string("could not be exec'd: ") + strerror(exec_errno);
    if (exited()) return "exited with status " + std::to_string(exitCode());
    return "killed by signal " + std::to_string(termSignal()) + " (" + strsignal(termSignal()) + ")";
}

ScriptRunner::ScriptRunner() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw sysError("epoll_create1 for script runner");
    timerfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (timerfd_ < 0) {
        close(epfd_);
        throw sysError("timerfd_create for script timeouts");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kTimerKey;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, timerfd_, &ev) < 0) {
        close(timerfd_);
        close(epfd_);
        throw sysError("epoll_ctl ADD script timerfd");
    }
}

ScriptRunner::~ScriptRunner() {
    for (auto& [id, c] : children_) {
        kill(-c.pid, SIGKILL);
        int st = 0;
        while (waitpid(c.pid, &st, 0) < 0 && errno == EINTR) {
        }
        close(c.pidfd);
        close(c.errfd);
    }
    close(timerfd_);
    close(epfd_);
}

std::vector<pid_t> ScriptRunner::pids() const {
    std::vector<pid_t> out;
    for (const auto& [id, c] : children_) out.push_back(c.pid);
    return out;
}

std::vector<pid_t> ScriptRunner::release() {
    std::vector<pid_t> out;
    for (auto it = children_.begin(); it != children_.end();) {
        Child& c = it->second;
        if (!c.outlives) {
            ++it;
            continue;
        }
        epoll_ctl(epfd_, EPOLL_CTL_DEL, c.pidfd, nullptr);
        close(c.pidfd);
        close(c.errfd);
        out.push_back(c.pid);
        it = children_.erase(it);
    }
    if (!out.empty()) armTimer();
    return out;
}

std::optional<uint64_t> ScriptRunner::start(const Command& cmd, const RunOptions& opts,
                                            ExitHandler on_exit, std::string* error) {
    std::vector<std::string> words;
    if (cmd.use_shell) words = {"/bin/sh", "-c", shellCommandLine(cmd.argv)};
    else words = cmd.argv;
    if (words.empty()) {
        if (error) *error = "start script: empty command";
        return std::nullopt;
    }
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
        if (error) *error = "pipe2 for " + words[0] + ": " + strerror(errno);
        return std::nullopt;
    }
    uid_t uid = geteuid();
    gid_t gid = getegid();
    pid_t self = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        if (error) *error = "fork " + words[0] + ": " + strerror(e);
        return std::nullopt;
    }
    if (pid == 0) childExec(words[0].c_str(), argv.data(), cmd.user, uid, gid, self, pipefd[1]);

    close(pipefd[1]);
    // Also from here: a timeout may fire before the child has run setpgid itself. EACCES
    // means it has already exec'd, after doing it.
    setpgid(pid, pid);
    int pidfd = pidfdOpen(pid);
    if (pidfd < 0) {
        int e = errno;
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        close(pipefd[0]);
        if (error) *error = "pidfd_open " + words[0] + " (pid " + std::to_string(pid) + "): " + strerror(e);
        return std::nullopt;
    }
    uint64_t id = next_id_++;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = id;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
        int e = errno;
        kill(-pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        close(pidfd);
        close(pipefd[0]);
        if (error) *error = "epoll_ctl ADD pidfd of " + words[0] + ": " + strerror(e);
        return std::nullopt;
    }
    Child c;
    c.pid = pid;
    c.pidfd = pidfd;
    c.errfd = pipefd[0];
    c.use_shell = cmd.use_shell;
    c.started = Clock::now();
    if (opts.timeout) c.deadline = c.started + *opts.timeout;
    c.term_grace = opts.term_grace;
    c.outlives = opts.outlives;
    c.on_exit = std::move(on_exit);
    children_.emplace(id, std::move(c));
    armTimer();
    return id;
}

void ScriptRunner::onReadable() {
    epoll_event evs[32];
    while (true) {
        int n = epoll_wait(epfd_, evs, 32, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (int i = 0; i < n; ++i) {
            if (evs[i].data.u64 == kTimerKey) {
                uint64_t ticks;
                while (read(timerfd_, &ticks, sizeof ticks) > 0) {
                }
            } else {
                reap(evs[i].data.u64);
            }
        }
        if (n < 32) break;
    }
    fireTimeouts();
    armTimer();
}

void ScriptRunner::reap(uint64_t id) {
    auto it = children_.find(id);
    if (it == children_.end()) return;
    Child& c = it->second;
    int st = 0;
    pid_t r = waitpid(c.pid, &st, WNOHANG);
    if (r == 0) return;  // spurious
    ScriptExit x;
    x.id = id;
    x.pid = c.pid;
    x.elapsed = Clock::now() - c.started;
    if (r < 0) {
        // Reaped elsewhere (SIGCHLD ignored?): nothing to report but a failure.
        x.wait_status = W_EXITCODE(255, 0);
    } else {
        x.wait_status = st;
    }
    int e = 0;
    if (read(c.errfd, &e, sizeof e) == static_cast<ssize_t>(sizeof e)) x.exec_errno = e;
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        // Leader died of our SIGTERM: make sure whatever it started dies too.
        if (c.kill == Kill::Term && sig == SIGTERM) kill(-c.pid, SIGKILL);
        x.timed_out = (c.kill == Kill::Term && sig == SIGTERM) ||
                      (c.kill == Kill::Forced && (sig == SIGKILL || sig == SIGTERM));
    } else if (c.use_shell && WIFEXITED(st) && (WEXITSTATUS(st) == 126 || WEXITSTATUS(st) == 127)) {
        // keepalived's child treats sh's "cannot find/execute" as exit 0.
        x.shell_status = WEXITSTATUS(st);
        x.wait_status = W_EXITCODE(0, 0);
    }
    epoll_ctl(epfd_, EPOLL_CTL_DEL, c.pidfd, nullptr);
    close(c.pidfd);
    close(c.errfd);
    ExitHandler h = std::move(c.on_exit);
    children_.erase(it);
    if (h) h(x);
}

void ScriptRunner::fireTimeouts() {
    auto now = Clock::now();
    for (auto& [id, c] : children_) {
        if (!c.deadline || *c.deadline > now) continue;
        if (c.kill == Kill::None && c.term_grace.count() > 0) {
            c.kill = Kill::Term;
            kill(-c.pid, SIGTERM);
            c.deadline = now + c.term_grace;
        } else {
            c.kill = Kill::Forced;
            kill(-c.pid, SIGKILL);
            c.deadline = now + kForcedRetry;
        }
    }
}

void ScriptRunner::armTimer() {
    std::optional<Clock::time_point> first;
    for (const auto& [id, c] : children_)
        if (c.deadline && (!first || *c.deadline < *first)) first = c.deadline;
    itimerspec its{};
    if (first) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(first->time_since_epoch()).count();
        if (ns <= 0) ns = 1;
        its.it_value.tv_sec = ns / 1000000000;
        its.it_value.tv_nsec = ns % 1000000000;
    }
    timerfd_settime(timerfd_, TFD_TIMER_ABSTIME, &its, nullptr);
}

bool ScriptRunner::signal(uint64_t id, int sig) {
    auto it = children_.find(id);
    if (it == children_.end()) return false;
    return kill(-it->second.pid, sig) == 0;
}

void ScriptRunner::signalAll(int sig) {
    for (auto& [id, c] : children_) kill(-c.pid, sig);
}

bool ScriptRunner::isRunning(uint64_t id) const { return children_.count(id) != 0; }

}  // namespace xvrrp::track
