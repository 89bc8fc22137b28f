#pragma once
// The BFD session of RFC 5880 (asynchronous mode, no Echo, no Demand, no authentication) as
// a pure function in the style of vrrp/state_machine.hpp: no I/O, no clock reads, no
// logging, no globals. The daemon decodes and checks packets (bfd/packet.hpp), feeds them
// here with the receive time, carries out the actions in order and arms one timer at
// Session::nextDeadline().
//
// Choices where RFC 5880 leaves room (docs/bfd.md):
// - While not Up, bfd.DesiredMinTxInterval is max(min_tx, idle_tx) and idle_tx is at
//   least 1 s (6.8.3 "not less than one second"); keepalived's idle_tx is this rate.
// - A state change sends a Control packet at once and restarts the periodic timer, so a
//   three-way handshake takes three packets, not three intervals.
// - A Poll Sequence starts on entering Up (the interval drops from the slow rate) and on a
//   ParamsChanged while Up; a change during a poll waits for its Final (6.5).
// - A Detection Time expiry in Down (or Init) clears bfd.RemoteDiscr too, so a passive
//   session whose peer went away stops transmitting (6.8.7).
// - AdminDown keeps sending at the slow rate until one Detection Time has passed (6.8.16).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <variant>
#include <vector>

#include "bfd/packet.hpp"
#include "vrrp/types.hpp"  // TimePoint, Duration (CLOCK_MONOTONIC)

namespace xvrrp::bfd {

using vrrp::Duration;
using vrrp::TimePoint;

inline constexpr uint32_t kSlowTxMinUs = 1000000;  // RFC 5880 6.8.3: one second

// Configuration of one session; keepalived's units (milliseconds there, microseconds here).
struct Params {
    uint32_t desired_min_tx_us = 10000;   // keepalived min_tx, default 10 ms
    uint32_t required_min_rx_us = 10000;  // keepalived min_rx, default 10 ms
    uint32_t idle_tx_us = 1000000;        // keepalived idle_tx, default 1000 ms
    uint8_t detect_mult = 5;              // keepalived multiplier, default 5
    bool passive = false;                 // RFC 5880 6.1 passive role
    bool operator==(const Params&) const = default;
};

// Returns a value in [0, bound). Injected so tests pick the jitter; the default (an
// xorshift seeded with the local discriminator) is deterministic too.
using Random = std::function<uint32_t(uint32_t bound)>;

struct Counters {
    uint64_t packets_rx = 0;
    uint64_t packets_tx = 0;
    uint64_t polls_started = 0;
    uint64_t polls_completed = 0;
    uint64_t up_transitions = 0;
    uint64_t down_transitions = 0;  // Up -> Down
};

// RFC 5880 section 6.8.1 state variables, and the timers.
struct Session {
    Params params;
    State state = State::Down;
    State remote_state = State::Down;
    uint32_t local_disc = 0;
    uint32_t remote_disc = 0;
    Diag local_diag = Diag::None;
    // As sent (bfd.DesiredMinTxInterval, bfd.RequiredMinRxInterval) ...
    uint32_t desired_min_tx_us = kSlowTxMinUs;
    uint32_t required_min_rx_us = 10000;
    // ... and as used for our own timing: they lag behind while a Poll Sequence runs (6.8.3).
    uint32_t tx_used_us = kSlowTxMinUs;
    uint32_t rx_used_us = 10000;
    uint32_t remote_min_rx_us = 1;         // bfd.RemoteMinRxInterval, initially 1 (6.8.1)
    uint32_t remote_desired_min_tx_us = 0;  // last received Desired Min TX Interval
    uint8_t remote_detect_mult = 0;
    bool poll_active = false;     // our Poll Sequence awaits a Final
    bool poll_needed = false;     // parameters changed during a poll: poll again after it
    uint32_t polled_tx_us = 0;    // the values the running poll announces
    uint32_t polled_rx_us = 0;
    std::optional<TimePoint> tx_due;       // next periodic Control packet
    std::optional<TimePoint> detect_due;   // Detection Time expiry
    std::optional<TimePoint> admin_tx_until;  // AdminDown: stop sending after this
    bool started = false;
    uint64_t random_state = 0;
    Random random;                // empty: xorshift on random_state
    Counters counters;

    std::optional<TimePoint> nextDeadline() const;
};

// A session in Down, not yet started (no timers). LOCAL_DISC must be nonzero and unique
// on the system (6.8.1); the caller picks it.
Session makeSession(const Params& p, uint32_t local_disc, Random random = {});

// What a session needs to go on in another process (xvrrpctl restart): its RFC 5880 6.8.1
// variables as last sent and heard.
struct Carried {
    State state = State::Down;
    State remote_state = State::Down;
    uint32_t local_disc = 0;
    uint32_t remote_disc = 0;
    uint32_t desired_min_tx_us = kSlowTxMinUs;  // as announced
    uint32_t required_min_rx_us = 10000;
    uint32_t remote_min_rx_us = 1;
    uint32_t remote_desired_min_tx_us = 0;
    uint8_t remote_detect_mult = 0;
    bool operator==(const Carried&) const = default;
};
Carried carry(const Session& s);
// The session CARRIED describes, going on at NOW with parameters P: the same state and
// discriminators, a packet due at once, the Detection Time counted from NOW (the gap is the
// peer's to judge), and a Poll Sequence when P asks for other intervals than were announced.
Session resumeSession(const Params& p, const Carried& carried, TimePoint now, Random random = {});

// ---- events -------------------------------------------------------------
struct Start {};                   // begin transmitting (unless passive)
struct PacketReceived {            // decoded and checked (decode, checkRx)
    Control packet;
    TimePoint received;
};
struct TimerFired {};              // a deadline (nextDeadline) has passed
struct AdminDown {};               // operator takes the session down (diag 7)
struct AdminUp {};                 // back to Down, handshake starts again
struct ParamsChanged { Params params; };  // reload changed min_tx/min_rx/idle_tx/mult/passive
// The kernel absorbed repeats of the packet an ExpectRepeats named (XDP, docs/bfd.md), the
// last one at RECEIVED: the same packet again, so the Detection Time runs from then
// (6.8.4); nothing else changes and nothing is sent. Ignored unless Up with a deadline.
struct KernelSeen { TimePoint received; };

using Event = std::variant<Start, PacketReceived, TimerFired, AdminDown, AdminUp, ParamsChanged, KernelSeen>;

// ---- actions ------------------------------------------------------------
struct SendPacket { Control packet; };   // transmit now
struct ArmTimers {                       // the session's deadlines changed
    std::optional<TimePoint> transmit;
    std::optional<TimePoint> detect;
};
struct StateChanged { State from = State::Down; State to = State::Down; Diag diag = Diag::None; };
// An Up session accepted PACKET, which may be absorbed: its exact repeats only say the
// neighbour is still there (state Up, no Poll, Final, Authentication or Demand bit). The
// daemon lets the kernel absorb them and reports their times as KernelSeen.
struct ExpectRepeats { Control packet; };
// The session left Up: every packet must reach step() again.
struct StopExpecting {};

using Action = std::variant<SendPacket, ArmTimers, StateChanged, ExpectRepeats, StopExpecting>;

// True when a packet P an Up session accepted may be absorbed (ExpectRepeats).
bool absorbable(const Control& p);

void step(Session& s, const Event& ev, TimePoint now, std::vector<Action>& actions);

}  // namespace xvrrp::bfd
