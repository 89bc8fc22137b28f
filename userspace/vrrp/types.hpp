#pragma once
// Types of the pure VRRP state machine (see state_machine.hpp). No I/O here.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/ip.hpp"

namespace xvrrp::vrrp {

// CLOCK_MONOTONIC nanoseconds, the clock of bpf_ktime_get_ns() and timerfd.
using Duration = std::chrono::nanoseconds;
struct TimePoint {
    Duration since_boot{0};
    auto operator<=>(const TimePoint&) const = default;
    TimePoint operator+(Duration d) const { return {since_boot + d}; }
    Duration operator-(TimePoint o) const { return since_boot - o.since_boot; }
};

enum class State : uint8_t { Init, Backup, Master, Fault };
const char* stateName(State s);  // "INIT", "BACKUP", "MASTER", "FAULT"

// What the state machine needs to know of an instance; fixed for its lifetime.
struct Params {
    std::string name;
    uint8_t vrid = 0;
    int version = 3;                  // 2 (RFC 3768) or 3 (RFC 5798)
    Family family = Family::V4;
    uint8_t priority = 100;           // configured; 255 = address owner
    uint16_t advert_int_cs = 100;     // centiseconds
    bool preempt = true;
    Duration preempt_delay{0};
    bool start_as_master = false;     // keepalived `state MASTER`
    IpAddr primary;                   // our source address in adverts (tie-break)
    // keepalived behaviour switches (defaults as keepalived without strict_mode):
    bool lower_prio_no_advert = false;     // Master: no advert back to a lower-priority master
    bool higher_prio_send_advert = false;  // Master: advert before yielding to a higher one
    uint8_t down_timer_adverts = 3;        // the "3 *" of Master_Down_Interval
};

// ---- events -------------------------------------------------------------
struct Startup {};                     // leave Init
struct Shutdown {};                    // graceful stop (SIGTERM): advert priority 0
struct AdvertReceived {                // already validated (RFC 5798 section 7.1)
    TimePoint received;                // kernel timestamp from XDP
    IpAddr source;
    uint8_t priority = 0;
    uint16_t max_advert_int_cs = 100;  // v2: Adver Int seconds * 100
};
struct TimerFired {};                  // one of the instance's deadlines has passed
struct FaultRaised { std::string reason; };
struct FaultCleared {};
struct PriorityChanged { uint8_t effective = 0; };  // trackers changed the sum
// keepalived vrrp_sync_group: another member moved; follow it (Master or Backup only).
struct GroupTransition { State to = State::Backup; std::string reason; };

using Event = std::variant<Startup, Shutdown, AdvertReceived, TimerFired, FaultRaised,
                           FaultCleared, PriorityChanged, GroupTransition>;

// ---- actions ------------------------------------------------------------
struct SendAdvert { uint8_t priority = 0; };
struct AddVips {};                     // add VIPs and virtual routes
struct RemoveVips {};
struct SendGratuitous {};              // GARP / unsolicited NA per garp_* settings
struct StateChanged { State from = State::Init; State to = State::Init; std::string reason; };

using Action = std::variant<SendAdvert, AddVips, RemoveVips, SendGratuitous, StateChanged>;

struct Counters {
    uint64_t adverts_rx = 0;
    uint64_t adverts_tx = 0;
    uint64_t became_master = 0;
    uint64_t released_master = 0;      // left master after a better advert
    uint64_t priority_zero_rx = 0;
    uint64_t priority_zero_tx = 0;
};

// The whole dynamic state of one instance; a plain value.
struct Instance {
    Params params;
    State state = State::Init;
    uint8_t effective_priority = 100;  // params.priority adjusted by trackers
    uint16_t master_advert_int_cs = 100;  // learnt from the master (v3)
    std::optional<TimePoint> advert_due;       // Adver_Timer (Master)
    std::optional<TimePoint> master_down_due;  // Master_Down_Timer (Backup)
    std::optional<TimePoint> preempt_allowed_at;  // preempt_delay window end
    std::optional<IpAddr> master_addr;         // master as last seen (ourselves when Master)
    std::optional<TimePoint> last_advert;      // last advert received
    uint8_t master_priority = 0;               // priority in the last advert received
    std::string fault_reason;
    Counters counters;

    // Earliest pending deadline, for the event loop's timer.
    std::optional<TimePoint> nextDeadline() const;
};

struct StepResult {
    Instance instance;
    std::vector<Action> actions;
};

}  // namespace xvrrp::vrrp
