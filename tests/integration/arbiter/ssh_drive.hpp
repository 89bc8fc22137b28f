#pragma once
// Runs one SshQuery to completion the way the arbiter's loop does: poll its pipes and
// pidfd until done or past the deadline. Shared by unit.arbiter (stand-in ssh) and
// integration.arbiter_ssh (real sshd); include as "arbiter/ssh_drive.hpp".
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "probes/ssh.hpp"

namespace xvrrp::arbiter {

inline SshOutcome driveToCompletion(SshQuery& q) {
    while (!q.done()) {
        Child& c = q.child();
        std::vector<pollfd> fds;
        for (int fd : {c.outFd(), c.errFd(), c.pidFd()})
            if (fd >= 0) fds.push_back({fd, POLLIN, 0});
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(q.deadline() -
                                                                          SteadyClock::now());
        ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, left.count()) + 1));
        q.expire(SteadyClock::now());
        c.readFrom(c.outFd());
        c.readFrom(c.errFd());
        c.reap();
    }
    if (q.started()) q.child().readFrom(q.child().outFd());
    return q.outcome();
}

}  // namespace xvrrp::arbiter
