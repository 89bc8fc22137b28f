#pragma once
// Runs a piece of pure, allocation-heavy work (parsing a configuration, dropping the previous
// one) on a thread of its own and waits for it, so the small blocks that work frees do not
// stay behind in the event loop's malloc cache. glibc keeps a thread's last freed blocks of
// each size (its tcache) outside the heap: malloc_trim cannot return their pages, their
// neighbours cannot merge with them, and the next reload's allocations are spread over them.
// A thread's cache goes back to the heap when the thread exits. xvrrpd keeps one heap for
// all its threads (M_ARENA_MAX 1, main.cpp), so the work's memory is in the main heap, whose
// top malloc_trim can shrink. Measured with 1,000 instances over 100 reloads (docs/bench.md).
//
// Only for work that starts no process and registers nothing with the event loop: a child
// forked here with PR_SET_PDEATHSIG would be signalled when the thread ends. If no thread can
// be started, the work runs in place.
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace xvrrp::daemon {

// Runs RUN(ARG) on a new thread (common/thread.hpp: every signal blocked, the caller's
// scheduling) and waits for it; false, logged, if no thread could be started.
bool runOnThread(void (*run)(void*), void* arg);

template <class F>
std::invoke_result_t<F&> onFreshThread(F&& work) {
    using R = std::invoke_result_t<F&>;
    struct State {
        F& work;
        std::exception_ptr failed;
        std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> out{};
        void run() noexcept {
            try {
                if constexpr (std::is_void_v<R>) {
                    work();
                    out = true;
                } else {
                    out.emplace(work());
                }
            } catch (...) {
                failed = std::current_exception();
            }
        }
    } state{work, {}, {}};
    // No thread to spare (RLIMIT_NPROC, memory): the same work, in place.
    if (!runOnThread([](void* s) { static_cast<State*>(s)->run(); }, &state)) state.run();
    if (state.failed) std::rethrow_exception(state.failed);
    if constexpr (!std::is_void_v<R>) return std::move(*state.out);
}

}  // namespace xvrrp::daemon
