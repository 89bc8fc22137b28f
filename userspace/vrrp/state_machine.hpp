#pragma once
// The VRRP state machine of RFC 5798 section 6.4 (and RFC 3768 section 6.4 for v2) as a
// pure function: no I/O, no clock, no logging, no globals. The daemon feeds it events with
// the current CLOCK_MONOTONIC time, carries out the returned actions in order, and arms
// one timer at Instance::nextDeadline().
//
// Where RFC and keepalived 2.2.7 differ, keepalived wins (we replace it in place):
// - Startup: priority 255 -> Master at once. A non-owner with `state MASTER` starts Backup
//   but waits only Adver_Interval + Skew(255) (vrrp_init_state), else Master_Down_Interval.
//   (keepalived also lets `state BACKUP` hold an owner in Backup; we follow RFC 6.4.1.)
// - preempt_delay: the delay starts at the first lower-priority advert seen in Backup
//   (after startup, after leaving Master or Fault); until it ends such adverts are
//   accepted as from the master. A higher/equal advert cancels it (vrrp_state_backup).
// - Master receiving a lower-priority advert answers with an advert and restarts the
//   Adver_Timer unless lower_prio_no_advert (RFC 6.4.3 only says discard).
// - Master receiving priority 0 sends an advert and restarts the Adver_Timer.
// - Backup timers are based on the advert's kernel receive timestamp, not on `now`.
// - PriorityChanged: owner ignores it; others are clamped to 1..254. A Master keeps its
//   role; a Backup's Master_Down_Timer moves by the change of Master_Down_Interval
//   (vrrp_set_effective_priority).
// - Fault while Master sends one priority 0 advert and removes the VIPs (keepalived
//   sends it twice); FaultCleared enters Master if owner, else Backup.
// - Shutdown: Master sends priority 0 and removes VIPs; every state goes to Init.

#include "vrrp/types.hpp"

namespace xvrrp::vrrp {

Instance makeInstance(const Params& p);

StepResult step(const Instance& in, const Event& ev, TimePoint now);

// The same step on INST in place, with the actions in ACTIONS (cleared first): what the
// daemon calls for every event, so a master's advert costs no copy of the instance and,
// once ACTIONS has grown, no allocation. Still no I/O, clock or globals.
void step(Instance& inst, const Event& ev, TimePoint now, std::vector<Action>& actions);

}  // namespace xvrrp::vrrp
