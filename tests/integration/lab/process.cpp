#include "lab/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "lab/child.hpp"

namespace xvrrp::lab {

namespace {
std::system_error sysError(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}
}  // namespace

namespace detail {

std::vector<char*> execArgv(const std::vector<std::string>& argv) {
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    return cargv;
}

int openNetnsFd(const std::string& netnsPath) {
    if (netnsPath.empty()) return -1;
    int nsFd = ::open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsFd < 0) throw sysError("open(" + netnsPath + ")");
    return nsFd;
}

void execChild(int nsFd, const std::vector<char*>& argv, int outFd, int errFd) {
    ::setpgid(0, 0);
    if (nsFd >= 0 && ::setns(nsFd, CLONE_NEWNET) != 0) _exit(126);
    int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devNull >= 0) ::dup2(devNull, 0);
    ::dup2(outFd, 1);
    ::dup2(errFd, 2);
    // dup2 onto itself keeps O_CLOEXEC (a parent without stdin or stdout): clear it.
    for (int fd = 0; fd <= 2; ++fd) ::fcntl(fd, F_SETFD, 0);
    // Nothing else crosses exec: a descriptor another thread opened without O_CLOEXEC
    // (std::ofstream does) would stay open for the child's life, and a script held open
    // for writing cannot be executed (ETXTBSY).
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execvp(argv[0], argv.data());
    _exit(127);
}

}  // namespace detail

Process Process::spawn(const std::string& netnsPath, const std::vector<std::string>& argv,
                       const std::string& logPath) {
    if (argv.empty()) throw std::invalid_argument("Process::spawn: empty argv");
    // Everything the child needs is prepared before fork: after fork only
    // async-signal-safe calls are allowed in a threaded parent.
    const std::vector<char*> cargv = detail::execArgv(argv);
    int nsFd = detail::openNetnsFd(netnsPath);
    int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logFd < 0) {
        int saved = errno;
        if (nsFd >= 0) ::close(nsFd);
        errno = saved;
        throw sysError("open(" + logPath + ")");
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        int saved = errno;
        ::close(logFd);
        if (nsFd >= 0) ::close(nsFd);
        errno = saved;
        throw sysError("fork for " + argv[0]);
    }
    if (pid == 0) detail::execChild(nsFd, cargv, logFd, logFd);
    ::setpgid(pid, pid);  // also from the parent, so a signal sent at once reaches the group
    ::close(logFd);
    if (nsFd >= 0) ::close(nsFd);
    Process p;
    p.pid_ = pid;
    p.logPath_ = logPath;
    return p;
}

Process::Process(Process&& other) noexcept { *this = std::move(other); }

Process& Process::operator=(Process&& other) noexcept {
    if (this != &other) {
        if (pid_ > 0 && !exited_) stop();
        pid_ = other.pid_;
        exited_ = other.exited_;
        status_ = other.status_;
        logPath_ = std::move(other.logPath_);
        other.pid_ = -1;
    }
    return *this;
}

Process::~Process() {
    if (pid_ > 0 && !exited_) stop();
}

bool Process::reap(int options) {
    if (pid_ <= 0 || exited_) return true;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, options);
    if (r == pid_) {
        exited_ = true;
        status_ = st;
        return true;
    }
    if (r < 0 && errno == ECHILD) {  // reaped elsewhere; treat as gone
        exited_ = true;
        return true;
    }
    return false;
}

bool Process::running() { return pid_ > 0 && !reap(WNOHANG); }

void Process::sendSignal(int sig) {
    if (!running()) return;
    // The group (the daemon and its helpers); the pid on its own only when it left the group,
    // else it would get the signal twice (two SIGHUPs are two reloads).
    const bool leads = ::getpgid(pid_) == pid_;
    ::kill(-pid_, sig);
    if (!leads) ::kill(pid_, sig);
}

std::optional<int> Process::waitExit(std::chrono::steady_clock::duration timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reap(WNOHANG)) {
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
}

int Process::stop(std::chrono::steady_clock::duration grace) {
    if (pid_ <= 0) return 0;
    sendSignal(SIGTERM);
    if (!waitExit(grace)) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        reap(0);
    } else {
        ::kill(-pid_, SIGKILL);  // leftover helpers of an exited leader
    }
    return status_;
}

std::string Process::readLog() const {
    std::ifstream in(logPath_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace xvrrp::lab
