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
    IpAddr primary;                   // our source address in adverts (tie-break)
    // keepalived behaviour switches (defaults as keepalived without strict_mode):
    bool lower_prio_no_advert = false;     // Master: no advert back to a lower-priority master
    bool higher_prio_send_advert = false;  // Master: advert before yielding to a higher one
    uint8_t down_timer_adverts = 3;        // the "3 *" of Master_Down_Interval
    // Master: an advert due within this window of a wake-up is sent at once, so masters
    // sharing an interval fall into step and cost one wake-up per interval (0: exact).
    Duration coalesce_window{0};
    // Backup: let the kernel absorb repeats of the master's advert (AbsorbAdverts) and
    // consult its last-seen timestamp before the Master_Down_Timer decides anything.
    bool kernel_absorb = false;
    // keepalived vrrp_sync_group member: an expired Master_Down_Timer asks the group
    // (AskGroup) instead of taking over alone (vrrp_sync_can_goto_master).
    bool sync_group = false;
};

struct Counters {
    uint64_t adverts_rx = 0;
    uint64_t adverts_tx = 0;
    uint64_t became_master = 0;
    uint64_t released_master = 0;      // left master after a better advert
    uint64_t priority_zero_rx = 0;
    uint64_t priority_zero_tx = 0;
    // PeerLost accepted (xvrrp_bfd_failover): it took over, or asked its sync group to.
    uint64_t peer_lost_accepted = 0;
};

// ---- events -------------------------------------------------------------
// Leave Init. holding: the node already has this instance's VIPs (left by a daemon that
// was killed); they stay while it may still become master and go once it follows another.
struct Startup { bool holding = false; };
struct Shutdown {};                    // graceful stop (SIGTERM): advert priority 0
// Someone else removed one of the master's tracked VIPs (not no_track): keepalived 2.2.7
// leaves MASTER as on a stop (priority 0 advert, VIPs removed) and claims it again after
// Skew_Time unless a better router does (measured: back as master 47 ms later at 150).
struct VipsLost {};
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
// The group's answer to AskGroup: allow means every other member wants MASTER too, or the
// group already is MASTER.
struct GroupAnswer { bool allow = false; };
// The answer to ReadKernelLastSeen: when the kernel last absorbed the expected advert.
struct KernelLastSeen { std::optional<TimePoint> last_seen; };
// The kernel may have dropped an advert this instance needed (its ring was full): stop
// absorbing until an advert is accepted again.
struct AbsorbLost {};
// A reload changed what does not go on the wire (priority, preempt, preempt_delay, ...):
// the new parameters apply from now on, in the current state, without a transition.
struct Reconfigured { Params params; };
// Take over where another instance (a reload that changed the advert, or the daemon before
// a hitless restart) left off, without a transition: MASTER keeps its VIPs and speaks at
// once, BACKUP waits a full Master_Down_Interval. Counters carry over.
struct Adopt {
    State state = State::Backup;
    Counters counters;
};
// A hitless restart hands over to the next process now: a master speaks at once, so the
// backups' Master_Down_Timers run from this advert while the next one starts.
struct Handover {};
// xvrrp_bfd_failover (xvrrpd's own, docs/bfd.md; draft-ietf-rtgwg-vrrp-bfd-p2p): the BFD
// session to PEER went Down by Control Detection Time Expired. When PEER is the master
// this backup follows, it counts as the Master_Down_Timer running out now.
// LAST_HEARD: when the session last received a packet; when the master's adverts came after
// it, the master is heard and the takeover waits for it to fall silent (PeerLostIgnored
// HeardSince). None: take over at once.
struct PeerLost {
    IpAddr peer;
    std::optional<TimePoint> last_heard;
};

using Event = std::variant<Startup, Shutdown, AdvertReceived, TimerFired, FaultRaised,
                           FaultCleared, PriorityChanged, GroupTransition, GroupAnswer,
                           KernelLastSeen, AbsorbLost, Reconfigured, Adopt, Handover, VipsLost,
                           PeerLost>;

// ---- actions ------------------------------------------------------------
struct SendAdvert { uint8_t priority = 0; };
struct AddVips {};                     // add VIPs and virtual routes
struct RemoveVips {};
// GARP / unsolicited NA per garp_master_* settings; garp_lower_prio_* for a master that
// heard a lower-priority advert.
struct SendGratuitous { bool lower_priority = false; };
struct StateChanged { State from = State::Init; State to = State::Init; std::string reason; };
// The advert being handled is the steady state: the kernel may absorb identical ones
// (same source, priority, interval and bytes) from now on.
struct AbsorbAdverts {
    IpAddr master;
    uint8_t priority = 0;
    uint16_t interval_cs = 0;
};
struct StopAbsorbing {};       // every advert reaches the machine again
// Something keepalived reports at a decision; the interpreter words it as keepalived does
// (log watchers match those lines), before the state change it explains.
struct Note {
    enum class What : uint8_t {
        AdvertTimeout,               // the Master_Down_Timer ran out
        HigherPriority,              // a master yields to FROM (PRIORITY > OURS)
        EqualPriorityHigherAddress,  // a master yields to FROM (same priority, higher address)
        PriorityZero,                // a backup heard its master leave
        LowerPriorityDiscarded,      // a backup ignores FROM (RFC 5798 6.4.2) to preempt it
        PeerLost,                    // xvrrpd's own: the master FROM is lost (PeerLost)
    };
    What what = What::AdvertTimeout;
    IpAddr from;
    uint8_t priority = 0;
    uint8_t ours = 0;
};
// A PeerLost that decides nothing, and why (the interpreter logs it at debug level).
struct PeerLostIgnored {
    enum class Why : uint8_t {
        NotBackup,       // only a backup waits for its master
        NoMaster,        // no advert accepted since it became backup
        OtherMaster,     // it follows MASTER, not the lost peer
        HeardSince,      // its adverts came after BFD's last packet: taken over at UNTIL
                         // unless another advert comes first
    };
    Why why = Why::NotBackup;
    IpAddr peer;
    std::optional<IpAddr> master;  // the master it follows, if any
    std::optional<TimePoint> until;  // HeardSince: the shortened Master_Down_Timer
};
struct ReadKernelLastSeen {};  // answer with KernelLastSeen before anything else
struct AskGroup {};            // answer with GroupAnswer (sync group gate)

using Action = std::variant<SendAdvert, AddVips, RemoveVips, SendGratuitous, StateChanged,
                            AbsorbAdverts, StopAbsorbing, ReadKernelLastSeen, AskGroup, Note,
                            PeerLostIgnored>;


// The whole dynamic state of one instance; a plain value.
struct Instance {
    Params params;
    State state = State::Init;
    uint8_t effective_priority = 100;  // params.priority adjusted by trackers
    uint16_t master_advert_int_cs = 100;  // learnt from the master (v3)
    std::optional<TimePoint> advert_due;       // Adver_Timer (Master)
    std::optional<TimePoint> master_down_due;  // Master_Down_Timer (Backup)
    std::optional<TimePoint> preempt_allowed_at;  // preempt_delay window end
    // Backup absorbing: from here on, any wake-up reads the kernel before the timer decides;
    // the instance's own wake-up for it comes half a kernelCheckLead later, so backups whose
    // windows overlap are read together in one wake-up (timerDue).
    std::optional<TimePoint> kernel_check_due;
    std::optional<IpAddr> master_addr;         // master as last seen (ourselves when Master)
    // Backup: the source of the last advert it accepted in this state (not of one it
    // discards to preempt): the master a PeerLost may be about. Cleared on every transition.
    std::optional<IpAddr> followed;
    // A PeerLost about the followed master waits for the kernel's last-seen stamp (absorbing):
    // when BFD last heard it.
    std::optional<TimePoint> peer_lost_heard;
    // The followed master's adverts came after BFD's last packet: the Master_Down_Timer was
    // shortened, and its expiry is the BFD takeover. Cleared by any advert heard from it.
    bool peer_lost_deferred = false;
    std::optional<TimePoint> last_advert;      // last advert received
    // When this instance last became Backup: an advert stamped earlier (it waited in the ring
    // while the daemon was busy) counts from here, so it never shortens that wait.
    std::optional<TimePoint> backup_since;
    uint8_t master_priority = 0;               // priority in the last advert received
    std::string fault_reason;
    bool absorbing = false;      // the kernel absorbs the master's repeats (Backup only)
    // A lower-priority advert ends absorption, but the Master_Down_Timer still counts from
    // an advert the kernel took before the last ones: absorption ends once the kernel's
    // last-seen stamp has re-armed it (ReadKernelLastSeen, then KernelLastSeen).
    bool absorb_ending = false;
    // Sync group: this member's Master_Down_Timer ran out and it waits for the group
    // (keepalived's wantstate MASTER); cleared when it hears a master or changes state.
    bool wants_master = false;
    std::string takeover_reason;  // why it wants MASTER (a StateChanged's reason once allowed)
    // Started holding its VIPs (Startup::holding) and not yet master or following another.
    bool holding_vips = false;
    Counters counters;

    // Earliest pending deadline, for the event loop's timer.
    std::optional<TimePoint> nextDeadline() const;
    // Earliest moment a TimerFired does something: nextDeadline(), but a master's advert
    // counts from coalesce_window before it is due.
    std::optional<TimePoint> wakeAt() const;
    // Whether a TimerFired at `now` does something: wakeAt() has come, or a kernel check's
    // window is open (another instance's wake-up serves this one too).
    bool timerDue(TimePoint now) const;
};

struct StepResult {
    Instance instance;
    std::vector<Action> actions;
};

}  // namespace xvrrp::vrrp
