#pragma once
// The arbiter's rules as one pure function: (this round's evidence, what came before) ->
// what to do. No I/O, no clock, no logging; docs/arbiter.md has the same table in prose.

#include <string>

#include "evidence.hpp"

namespace xvrrp::arbiter {

enum class Action { NoChange, FenceSelf, UnfenceSelf };

const char* actionName(Action a);

// What this round's evidence alone asks for, before hysteresis.
enum class Verdict { Hold, WantFence, WantUnfence };

const char* verdictName(Verdict v);

struct Policy {
    int fence_rounds = 2;    // consecutive WantFence rounds before fencing
    int unfence_rounds = 3;  // consecutive WantUnfence rounds before unfencing (the hold-down)
};

// Per instance, carried from round to round by the caller.
struct History {
    bool fenced_by_us = false;  // we set the fence and have not cleared it
    int fence_streak = 0;       // consecutive rounds with WantFence
    int unfence_streak = 0;     // consecutive rounds with WantUnfence
    // Set for the start_fenced (wait_for_all) fence: the first full round may lift it.
    bool start_fence = false;
};

struct Decision {
    Action action = Action::NoChange;
    Verdict verdict = Verdict::Hold;
    std::string rule;    // short rule id from the table ("R1", "U2", ...)
    std::string reason;  // one sentence a person can act on
    History next;        // history to pass to the next round
};

// What the evidence asks for, with the rule and reason; hysteresis is applied by decide().
struct Judgement {
    Verdict verdict = Verdict::Hold;
    std::string rule;
    std::string reason;
};
Judgement judge(const InstanceEvidence& ev, bool fenced_by_us);

Decision decide(const InstanceEvidence& ev, const History& history, const Policy& policy);

// RFC 5798 section 6.4.3: higher priority wins, equal priority -> higher primary address.
// True when a beats b.
bool winsElection(const NodeView& a, const NodeView& b);

}  // namespace xvrrp::arbiter
