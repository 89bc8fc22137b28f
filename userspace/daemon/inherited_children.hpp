#pragma once
// Children of the image before an exec (xvrrpctl restart): vrrp_script checks and notify
// scripts it started that were still running. They are this process's children now, but
// no ScriptRunner of ours knows them: each is reaped when it ends (its pidfd is readable),
// so none stays a zombie, and what is left when the daemon stops is killed and reaped, as
// ScriptRunner does with its own.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <vector>

#include "daemon/event_loop.hpp"

namespace xvrrp::daemon {

class InheritedChildren {
public:
    explicit InheritedChildren(EventLoop& loop) : loop_(loop) {}
    ~InheritedChildren();
    InheritedChildren(const InheritedChildren&) = delete;
    InheritedChildren& operator=(const InheritedChildren&) = delete;

    // Takes PIDS over: those that ended are reaped now, pids that are not our children
    // (already reaped) are ignored.
    void adopt(const std::vector<int64_t>& pids);
    // Still running, for the next exec's record.
    std::vector<int64_t> pids() const;

private:
    void onExit(pid_t pid);

    EventLoop& loop_;
    std::map<pid_t, int> pidfds_;
};

}  // namespace xvrrp::daemon
