#include "daemon/fresh_thread.hpp"

#include <spdlog/spdlog.h>

#include <cstring>

#include "common/thread.hpp"

namespace xvrrp::daemon {
namespace {

// The configuration reader's nesting is bounded (bounds.hpp: 32 includes, blocks and
// substitutions deep); its deepest file needs 128-256 KiB of stack, 256-384 KiB under ASan
// (FreshThread.ParsesTheDeepestConfigurationTheBoundsAllow): four times the former. Under
// vrrp_no_swap (mlockall) every page of it is resident.
constexpr size_t kStackBytes = 1024 * 1024;

}  // namespace

bool runOnThread(void (*run)(void*), void* arg) {
    struct Call {
        void (*run)(void*);
        void* arg;
    } call{run, arg};
    pthread_t t;
    // At the caller's priority: the caller waits for it.
    const ThreadOptions options{.stack_bytes = kStackBytes, .name = "xvrrpd-reload",
                                .like_caller = true};
    const int err = startThread(
        t, options,
        [](void* c) -> void* {
            auto* call = static_cast<Call*>(c);
            call->run(call->arg);
            return nullptr;
        },
        &call);
    if (err != 0) {
        spdlog::warn("cannot start a thread for the reload's work ({}); doing it in the event loop",
                     std::strerror(err));
        return false;
    }
    ::pthread_join(t, nullptr);
    return true;
}

}  // namespace xvrrp::daemon
