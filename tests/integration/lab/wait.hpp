#pragma once
// Condition waits with a deadline: tests assert on the predicate, never on a sleep.
#include <chrono>
#include <thread>

namespace xvrrp::lab {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

// Polls pred() every `step` until it returns true or `timeout` has passed.
// Returns the last value of pred(), evaluated once more at the deadline.
template <typename Pred>
bool waitUntil(Pred&& pred, Clock::duration timeout, Clock::duration step = Ms(10)) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(step);
    }
    return pred();
}

}  // namespace xvrrp::lab
