#pragma once
// What the machine's tests share: addresses and times on the fake clock, and the actions a
// step emitted, by type.
#include <variant>

#include "vrrp/state_machine.hpp"

namespace xvrrp::vrrp::test {

inline IpAddr ip(const char* s) { return IpAddr::parse(s).value(); }
inline TimePoint at(Duration d) { return TimePoint{d}; }

// How many actions of type A the step emitted.
template <class A>
int count(const StepResult& r) {
    int n = 0;
    for (const auto& a : r.actions) n += std::holds_alternative<A>(a);
    return n;
}
// The first action of type A, or nullptr.
template <class A>
const A* first(const StepResult& r) {
    for (const auto& a : r.actions)
        if (auto* x = std::get_if<A>(&a)) return x;
    return nullptr;
}

}  // namespace xvrrp::vrrp::test
