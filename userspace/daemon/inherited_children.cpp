#include "daemon/inherited_children.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace xvrrp::daemon {

InheritedChildren::~InheritedChildren() {
    for (const auto& [pid, fd] : pidfds_) {
        ::kill(-pid, SIGKILL);  // its process group (ScriptRunner's setpgid)
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        ::close(fd);
    }
}

// Watches PID's exit; false when it has ended already (reaped now) or is not ours.
bool InheritedChildren::take(pid_t pid) {
    if (pid <= 0 || pidfds_.count(pid)) return false;
    if (::waitpid(pid, nullptr, WNOHANG) != 0) return false;  // ended and reaped now, or ECHILD
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        spdlog::warn("pidfd_open of script pid {}: {}; reaped at the stop", pid, std::strerror(errno));
        return false;
    }
    pidfds_.emplace(pid, fd);
    loop_.add(fd, "inherited script", [this, pid](uint32_t) { onExit(pid); });
    return true;
}

void InheritedChildren::adopt(const std::vector<int64_t>& pids) {
    for (int64_t p : pids) take(static_cast<pid_t>(p));
    if (!pidfds_.empty())
        spdlog::info("handover: {} script(s) of the previous process still running", pidfds_.size());
}

void InheritedChildren::watch(const std::vector<pid_t>& pids) {
    for (pid_t p : pids) take(p);
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
