#pragma once
// Children no ScriptRunner of ours knows any more: vrrp_script checks and notify scripts
// the image before an exec (xvrrpctl restart) started, and notify scripts started by the
// trackers a reload replaced. Each is reaped when it ends (its pidfd is readable),
// so none stays a zombie. What is left when the daemon stops is killed and reaped, as
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
    // Takes over, as adopt() does, the notify scripts a reload's old trackers let go.
    void watch(const std::vector<pid_t>& pids);
    // Still running, for the next exec's record.
    std::vector<int64_t> pids() const;
    // Any of them still watched (not yet reaped).
    bool watching() const;

private:
    void onExit(pid_t pid);
    void take(pid_t pid);

    EventLoop& loop_;
    std::map<pid_t, int> pidfds_;  // -1: not watched, reaped at the stop
};

}  // namespace xvrrp::daemon
