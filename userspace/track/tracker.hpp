#pragma once
// An instance's effective priority from its base priority and its trackers, as a pure
// function. Semantics of keepalived 2.2.7 (vrrp_track.c, track_file.c,
// keepalived_netlink.c), restated without its running totals:
//
// Script, interface, process, BFD (up = script good / link up / process quorum held /
// session Up; keepalived's vrrp_track.c initialise_track_bfd_state and vrrp_bfd_thread),
// weight w, m = -1 with `reverse` else +1:
//   w == 0:  FAULT when up != !reverse (not up normally; up when reversed).
//   w  > 0:  adds w*m while up.
//   w  < 0:  adds w*m while not up.
//   A script with no verdict yet (Init) adds nothing; with w == 0 it keeps the instance
//   pending (keepalived keeps it in INIT until the first result).
// File with value v (the integer in the file; 0 when missing):
//   w == 0:  FAULT when (v != 0) != reverse.
//   w != 0:  s = clamp(v*w*m, -254, 253); s == -254 is FAULT, otherwise adds s.
// Effective priority = clamp(base + sum, 1, 254). An address owner (base 255) keeps 255:
// weights are ignored (keepalived: "Don't change priority if address owner"), silently;
// weight-0 faults still apply.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace xvrrp::track {

enum class TrackState : uint8_t { Init, Up, Down };
const char* trackStateName(TrackState s);  // "INIT", "UP", "DOWN"

enum class TrackerKind : uint8_t { Script, Interface, File, Process, Bfd };
const char* trackerKindName(TrackerKind k);  // "script", "interface", "file", "process", "bfd"

struct TrackerInput {
    TrackerKind kind = TrackerKind::Script;
    std::string name;
    int weight = 0;                     // the instance's override, else the object's weight
    bool reverse = false;
    TrackState state = TrackState::Init;  // Script/Interface/Process/Bfd
    int64_t file_value = 0;              // File only
};

struct Contribution {
    TrackerKind kind = TrackerKind::Script;
    std::string name;
    TrackState state = TrackState::Init;
    int64_t file_value = 0;
    int weight = 0;
    bool reverse = false;
    int delta = 0;         // what it adds to the sum (0 for an owner: see `ignored`)
    bool fault = false;    // this tracker puts the instance in FAULT
    bool pending = false;  // weight-0 script without a verdict yet
    bool ignored = false;  // would add `delta` but the instance is the address owner
};

struct EffectivePriority {
    uint8_t base = 100;
    int total = 100;         // base + every delta, before clamping
    uint8_t priority = 100;  // clamp(total, 1, 254), or 255 for an owner
    bool fault = false;
    bool pending = false;
    std::string fault_reason;  // first faulting tracker, e.g. "script chk_nginx DOWN"
    std::vector<Contribution> breakdown;  // in input order, for xvrrpctl status
};

EffectivePriority effectivePriority(uint8_t base, std::span<const TrackerInput> trackers);

// One tracker's contribution (used by effectivePriority; exposed for tests and status).
Contribution contribution(const TrackerInput& t);

// keepalived clamps track_interface/track_script weights of +-254 to +-253 with a warning.
int clampWeight(int w);

}  // namespace xvrrp::track
