#pragma once
// The invariant checker of tools/bench/chaos. Pure: a recorded timeline in, violations out.
//
// Outside the window after each fault, every probe is answered by exactly one node, and no
// transition happens without a fault that explains it. Windows (docs/bench.md, "chaos"):
// - a disruptive fault (kill9, sigstop, linkcut, partition) opens one at its injection and
//   one at its restore, each lasting until Master_Down_Interval + 10 ms after the action
//   finished (the restarted daemon logged its first state); a partition's first window is the
//   arbiter's documented bound instead;
// - an arbiter action (fence_self, unfence_self) within `arbiterSettleS` of such a fault
//   belongs to it and opens a window of its own;
// - the faulted node itself may change state from the injection to the end of the restore
//   window (it was killed, stopped or cut).
// Reloads, CPU hogs, floods and restarts open no window: they must cost nothing.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "schedule.hpp"

namespace xvrrp::chaos {

// Times are seconds on the run's clock (CLOCK_MONOTONIC since the harness started).
struct FaultRecord {
    Fault fault;
    bool skipped = false;
    std::string note;      // the edit, why it was skipped, what went wrong
    double tInject = 0;    // the injecting action began
    double tInjected = 0;  // ... and returned
    double tRestore = 0;   // the restoring action began (tInjected when nothing is restored)
    double tReady = 0;     // the restore is complete
    double windowS = 0;    // Master_Down_Interval + 10 ms of the configuration in force
    double boundS = 0;     // Partition: the arbiter's documented bound
};

inline constexpr uint8_t kForeign = 0x80;  // a reply from a MAC that is no node's
struct Probe {
    double t = 0;      // sent
    int vip = 0;       // instance index
    uint8_t arp = 0;   // nodes (bit n) whose ARP replies answered this probe
    uint8_t echo = 0;  // the node whose echo reply answered it (one bit), 0 when none did
};

struct Transition {
    double t = 0;
    int node = 0;
    int instance = 0;
    std::string from, to;  // "MASTER", "BACKUP", "FAULT"; from "DOWN" after a (re)start
};

struct ArbiterAction {
    double t = 0;
    int node = 0;
    std::string instance, action, rule;
};

// The runner's own finding: the system did not return to its steady state in time.
struct Unrecovered {
    double t = 0;
    int fault = -1;  // index into Timeline::faults
    std::string seen;
};

struct Timeline {
    double tStart = 0, tEnd = 0;  // the judged span
    std::vector<FaultRecord> faults;
    std::vector<Probe> probes;
    std::vector<Transition> transitions;
    std::vector<ArbiterAction> actions;
    std::vector<Unrecovered> unrecovered;
};

struct Params {
    double arbiterSettleS = 0;  // 0: no arbiters
    std::vector<std::string> vips;
};

struct Violation {
    double t = 0, tEnd = 0;
    std::string kind;  // multiple_answers, unanswered, unexplained_transition, not_recovered
    int fault = -1;    // the last fault injected at or before t (index into faults), -1 none
    int probes = 0;    // bad probes in this episode (consecutive, one VIP)
    std::string seen;
    double afterWindowS = -1;  // how long after the end of the last window before it (-1: none)
};

struct Verdict {
    std::vector<Violation> violations;
    std::vector<int> actionFault;  // per Timeline::actions: the fault it belongs to, or -1
    int probesJudged = 0, probesExcused = 0;
    int transitionsJudged = 0;
};

Verdict check(const Timeline& tl, const Params& p);

nlohmann::json toJson(const Violation& v, const Timeline& tl);
std::string nodesText(uint8_t mask);  // "n1+n3", "n2+foreign", "none"

}  // namespace xvrrp::chaos
