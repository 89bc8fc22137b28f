#include "daemon/inherited_children.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>

namespace xvrrp::daemon {

InheritedChildren::~InheritedChildren() {
    for (const auto& [pid, fd] : pidfds_) {
        ::kill(-pid, SIGKILL);  // its process group (ScriptRunner's setpgid)
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        if (fd >= 0) ::close(fd);
    }
}

// Watches PID's exit. One that cannot be watched (pidfd_open or the loop refuses) stays in
// the table with no fd: not reaped before the stop, but killed and reaped then.
void InheritedChildren::take(pid_t pid) {
    if (pid <= 0 || pidfds_.count(pid)) return;
    if (::waitpid(pid, nullptr, WNOHANG) != 0) return;  // ended and reaped now, or ECHILD
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        spdlog::warn("pidfd_open of script pid {}: {}; reaped at the stop", pid, std::strerror(errno));
        pidfds_.emplace(pid, -1);
        return;
    }
    try {
        loop_.add(fd, "inherited script", [this, pid](uint32_t) { onExit(pid); });
    } catch (const std::exception& e) {
        spdlog::warn("watching script pid {}: {}; reaped at the stop", pid, e.what());
        ::close(fd);
        pidfds_.emplace(pid, -1);
        return;
    }
    pidfds_.emplace(pid, fd);
}

void InheritedChildren::adopt(const std::vector<int64_t>& pids) {
    for (int64_t p : pids) take(static_cast<pid_t>(p));
    if (!pidfds_.empty())
        spdlog::info("handover: {} script(s) of the previous process still running", pidfds_.size());
}

void InheritedChildren::watch(const std::vector<pid_t>& pids) {
    for (pid_t p : pids) take(p);
}

bool InheritedChildren::watching() const {
    for (const auto& [pid, fd] : pidfds_)
        if (fd >= 0) return true;
    return false;
}

std::vector<int64_t> InheritedChildren::pids() const {
    std::vector<int64_t> out;
    for (const auto& [pid, fd] : pidfds_) out.push_back(pid);
    return out;
}

void InheritedChildren::onExit(pid_t pid) {
    auto it = pidfds_.find(pid);
    if (it == pidfds_.end()) return;
    if (::waitpid(pid, nullptr, WNOHANG) == 0) return;  // not yet
    loop_.remove(it->second);
    ::close(it->second);
    pidfds_.erase(it);
}

}  // namespace xvrrp::daemon
