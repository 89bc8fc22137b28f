#include "vrrp/state_machine.hpp"

#include <algorithm>
#include <utility>

#include "vrrp/timers.hpp"

namespace xvrrp::vrrp {

const char* stateName(State s) {
    switch (s) {
        case State::Init: return "INIT";
        case State::Backup: return "BACKUP";
        case State::Master: return "MASTER";
        case State::Fault: return "FAULT";
    }
    return "UNKNOWN";
}

namespace {

std::optional<TimePoint> earliest(std::initializer_list<std::optional<TimePoint>> ts) {
    std::optional<TimePoint> out;
    for (const auto& t : ts)
        if (t && (!out || *t < *out)) out = t;
    return out;
}

}  // namespace

namespace {

// When an absorbing backup wakes for its own kernel check: half way into the check's window,
// so the checks of backups whose windows opened meanwhile share the wake-up.
std::optional<TimePoint> checkWake(const Instance& i) {
    if (!i.kernel_check_due) return std::nullopt;
    return *i.kernel_check_due + kernelCheckLead(i.master_advert_int_cs) / 2;
}

}  // namespace

std::optional<TimePoint> Instance::nextDeadline() const {
    // preempt_allowed_at is no timer: it is only consulted when an advert arrives.
    return earliest({advert_due, master_down_due, checkWake(*this)});
}

std::optional<TimePoint> Instance::wakeAt() const {
    std::optional<TimePoint> adv;
    if (advert_due) adv = *advert_due + (-params.coalesce_window);
    return earliest({adv, master_down_due, checkWake(*this)});
}

bool Instance::timerDue(TimePoint now) const {
    const auto wake = wakeAt();
    return (wake && *wake <= now) || (kernel_check_due && *kernel_check_due <= now);
}

Instance makeInstance(const Params& p) {
    Instance i;
    i.params = p;
    i.effective_priority = p.priority;
    i.master_advert_int_cs = p.advert_int_cs;
    return i;
}

namespace {

// One step on an instance in place; helpers below mutate it and append actions.
struct Stepper {
    Instance& inst;
    std::vector<Action>& out;
    TimePoint now;
    bool discarded_ = false;  // backupHears discarded the advert (lower priority, preempt)

    Instance& in() { return inst; }
    const Params& p() { return inst.params; }
    bool isOwner() { return p().priority == kPriorityOwner; }
    Duration adverInterval() { return centiseconds(p().advert_int_cs); }
    Duration masterDown() {
        return masterDownInterval(in().effective_priority, in().master_advert_int_cs,
                                  p().version, p().down_timer_adverts);
    }
    // A master's last advert went out one interval before advert_due. Every backup's
    // Master_Down_Interval is under down_timer_adverts (3) intervals + one: Skew_Time < 1
    // interval (RFC 5798 6.1).
    bool silentPastEveryBackup() {
        return in().advert_due &&
               now - *in().advert_due > p().down_timer_adverts * adverInterval();
    }
    Duration skew() {
        return skewTime(in().effective_priority, in().master_advert_int_cs, p().version);
    }

    // The Master_Down_Timer, and the kernel check that precedes it while absorbing.
    void armDown(TimePoint due) {
        in().master_down_due = due;
        in().kernel_check_due.reset();
        if (in().absorbing) in().kernel_check_due = due + (-kernelCheckLead(in().master_advert_int_cs));
    }
    void absorb(const AdvertReceived& a) {
        if (!p().kernel_absorb || a.priority == kPriorityStop) return;
        out.emplace_back(AbsorbAdverts{a.source, a.priority,
                               in().master_advert_int_cs});
        in().absorbing = true;
        if (in().master_down_due) armDown(*in().master_down_due);
    }
    // Adverts were lost on the way to us (ring full): hear the master in userspace again, but
    // the kernel kept absorbing its repeats meanwhile, so ask it first when it last took one
    // (as for a lower priority). Stopping at once left the timer counting from the last
    // advert we read: a backup joining a running master of 1,000 instances claimed 73 VRIDs
    // whose adverts the kernel had been taking all along.
    void onAbsorbLost() {
        if (in().state == State::Backup && in().absorbing && !in().absorb_ending) {
            in().absorb_ending = true;
            out.emplace_back(ReadKernelLastSeen{});
            return;
        }
        if (!in().absorb_ending) stopAbsorbing();
    }
    void note(Note::What what, const IpAddr& from = {}, uint8_t prio = 0) {
        out.emplace_back(Note{what, from, prio, in().effective_priority});
    }
    void stopAbsorbing() {
        in().absorb_ending = false;
        if (!in().absorbing) return;
        out.emplace_back(StopAbsorbing{});
        in().absorbing = false;
        in().kernel_check_due.reset();
    }

    void sendAdvert(uint8_t prio) {
        out.emplace_back(SendAdvert{prio});
        ++in().counters.adverts_tx;
        if (prio == kPriorityStop) ++in().counters.priority_zero_tx;
    }
    void changeState(State to, std::string reason) {
        // Only a backup lets the kernel absorb its master's adverts: a master, a faulted or
        // stopped instance must hear every advert (a higher priority comes back).
        if (to != State::Backup) stopAbsorbing();
        in().wants_master = false;  // a new state settles what a sync group waited for
        in().followed.reset();      // a backup follows whom it hears from now on
        in().peer_lost_heard.reset();
        in().peer_lost_deferred = false;
        // Leaving MASTER other than for a better advert: nobody is known to be master now.
        if (in().state == State::Master && to != State::Master && in().master_addr == p().primary) {
            in().master_addr.reset();
            in().master_priority = 0;
        }
        out.emplace_back(StateChanged{in().state, to, std::move(reason)});
        in().state = to;
    }
    void clearTimers() {
        in().advert_due.reset();
        in().master_down_due.reset();
        in().kernel_check_due.reset();
    }

    // RFC 5798 6.4.1 / 6.4.2 "transition to the Master state".
    void becomeMaster(std::string reason) {
        // keepalived vrrp_state_become_master: our own interval again (v3 had learnt one)
        in().master_advert_int_cs = p().advert_int_cs;
        // advert first so the old master drops the VIPs before our gratuitous ARPs
        sendAdvert(in().effective_priority);
        out.emplace_back(AddVips{});
        out.emplace_back(SendGratuitous{});
        in().master_down_due.reset();
        in().advert_due = now + adverInterval();
        in().master_addr = p().primary;
        in().master_priority = in().effective_priority;
        in().preempt_allowed_at.reset();
        in().holding_vips = false;  // AddVips keeps what is there
        ++in().counters.became_master;
        changeState(State::Master, std::move(reason));
    }

    // Backup with a fresh Master_Down_Timer from `base`.
    void becomeBackup(TimePoint base, Duration wait, std::string reason) {
        in().advert_due.reset();
        in().preempt_allowed_at.reset();
        changeState(State::Backup, std::move(reason));
        in().backup_since = base;
        armDown(base + wait);
    }

    void learnInterval(const AdvertReceived& a) {
        // RFC 5798 6.4.2: Master_Adver_Interval := Max Adver Int of the advert (v3 only;
        // v2 intervals must match, checked on receive).
        if (p().version == 3) in().master_advert_int_cs = a.max_advert_int_cs;
    }

    void onStartup(const Startup& s);
    // VIPs found on the node at startup go once this instance will not be master.
    void releaseHeld() {
        if (!in().holding_vips) return;
        out.emplace_back(RemoveVips{});
        in().holding_vips = false;
    }
    void onShutdown();
    void onVipsLost();
    void onAdvert(const AdvertReceived& a);
    // Returns true when the advert re-armed the Master_Down_Timer (the master is followed).
    bool backupHears(const AdvertReceived& a);
    bool steady(const AdvertReceived& a);
    // keepalived preempt_delay: lower-priority adverts are still followed until it ends.
    bool delaying() {
        return p().preempt_delay > Duration::zero() &&
               (!in().preempt_allowed_at || *in().preempt_allowed_at > now);
    }
    void onAdvertMaster(const AdvertReceived& a);
    void onTimer();
    void masterDownExpired();
    // The master is gone: Master, or a sync group member asks its group first.
    void takeOver(std::string reason);
    void peerLostTakeOver(const IpAddr& peer);
    void resolvePeerLost(const IpAddr& peer, std::optional<TimePoint> heard);
    void onGroupAnswer(const GroupAnswer& g);
    void onKernelLastSeen(const KernelLastSeen& k);
    void onFault(const FaultRaised& f);
    void onFaultCleared();
    void onPriority(const PriorityChanged& c);
    void onGroup(const GroupTransition& g);
    void onReconfigured(const Reconfigured& c);
    void onAdopt(const Adopt& a);
    void onHandover();
    void onPeerLost(const PeerLost& l);
};

void Stepper::onStartup(const Startup& s) {
    if (in().state != State::Init) return;
    in().master_advert_int_cs = p().advert_int_cs;
    // Kept, not removed and added again, if it becomes master (RFC 5798 leaves it open).
    in().holding_vips = s.holding;
    if (isOwner()) {
        // keepalived 2.2.7 says "Receive advertisement timeout" first: its owner runs the
        // same timer, set to expire at once.
        note(Note::What::AdvertTimeout);
        becomeMaster("address owner (priority 255) at startup");  // RFC 5798 6.4.1
    } else {
        // RFC 5798 6.4.1: a non-owner waits Master_Down_Interval. keepalived 2.2.7 does so
        // for `state MASTER` too (measured), so notify scripts run in the same order.
        becomeBackup(now, masterDown(), "startup");
    }
}

void Stepper::onShutdown() {
    if (in().state == State::Init) return;
    if (in().state == State::Master) {
        // RFC 5798 6.4.3 "If a Shutdown event is received": priority 0 advert
        sendAdvert(kPriorityStop);
        out.emplace_back(RemoveVips{});
    }
    releaseHeld();
    clearTimers();
    in().preempt_allowed_at.reset();
    changeState(State::Init, "shutdown");
}

void Stepper::onVipsLost() {
    if (in().state != State::Master) return;
    sendAdvert(kPriorityStop);
    out.emplace_back(RemoveVips{});
    ++in().counters.released_master;
    becomeBackup(now, skew(), "a virtual address was removed");
}

void Stepper::onAdvert(const AdvertReceived& a) {
    ++in().counters.adverts_rx;
    if (a.priority == kPriorityStop) ++in().counters.priority_zero_rx;
    in().last_advert = a.received;
    if (in().state == State::Backup) {
        discarded_ = false;
        if (steady(a)) {
            absorb(a);
            releaseHeld();  // another router is master for good
        } else if (discarded_ && in().absorbing) {
            // RFC 5798 6.4.2 lets the timer run out from the master's last good advert,
            // which only the kernel saw: read it before absorption ends (measured before:
            // a backup took over 160 ms after its master's priority fell, not 360 ms).
            in().absorb_ending = true;
            out.emplace_back(ReadKernelLastSeen{});
        } else {
            stopAbsorbing();
        }
    } else if (in().state == State::Master) {
        onAdvertMaster(a);
    }
    // Init and Fault do not take part in the election.
}

// The steady state: a master this backup follows for good (not only while preempt_delay
// holds it back) may be absorbed by the kernel.
bool Stepper::steady(const AdvertReceived& a) {
    const bool held = delaying();
    return backupHears(a) && (!held || a.priority >= in().effective_priority);
}

// RFC 5798 section 6.4.2 with keepalived's preempt_delay (vrrp_state_backup).
bool Stepper::backupHears(const AdvertReceived& a) {
    Instance& i = in();
    const TimePoint heard = i.backup_since ? std::max(a.received, *i.backup_since) : a.received;
    if (a.priority == kPriorityStop) {
        // the master is leaving: take over after Skew_Time only
        note(Note::What::PriorityZero, a.source);
        armDown(heard + skew());
        i.peer_lost_deferred = false;  // its own timer now
        return false;
    }
    if (!p().preempt || a.priority >= i.effective_priority || delaying()) {
        learnInterval(a);
        armDown(heard + masterDown());
        i.peer_lost_deferred = false;  // heard again: VRRP speaks for itself
        i.master_addr = a.source;
        i.followed = a.source;
        i.master_priority = a.priority;
        i.wants_master = false;  // it hears a master it follows again
        if (p().preempt_delay > Duration::zero()) {
            if (a.priority >= i.effective_priority) i.preempt_allowed_at.reset();
            else if (!i.preempt_allowed_at) i.preempt_allowed_at = now + p().preempt_delay;
        }
        return true;
    }
    // Lower priority and we may preempt: discard, so the Master_Down_Timer runs out.
    note(Note::What::LowerPriorityDiscarded, a.source, a.priority);
    discarded_ = true;
    i.master_addr = a.source;  // keepalived records it (SNMP); keeps the check_addr logic
    return false;
}

// RFC 5798 section 6.4.3.
void Stepper::onAdvertMaster(const AdvertReceived& a) {
    Instance& i = in();
    const uint8_t mine = i.effective_priority;
    if (a.priority == kPriorityStop) {
        sendAdvert(mine);
        i.advert_due = now + adverInterval();
        return;
    }
    const bool higher = a.priority > mine || (a.priority == mine && a.source > p().primary);
    const bool lower = a.priority < mine || (a.priority == mine && a.source < p().primary);
    if (higher) {
        if (p().higher_prio_send_advert) sendAdvert(mine);
        learnInterval(a);
        i.master_addr = a.source;
        i.master_priority = a.priority;
        note(a.priority > mine ? Note::What::HigherPriority
                               : Note::What::EqualPriorityHigherAddress,
             a.source, a.priority);
        out.emplace_back(RemoveVips{});
        ++i.counters.released_master;
        std::string why = a.priority > mine
                              ? "higher priority advert from " + a.source.str()
                              : "equal priority advert from higher address " + a.source.str();
        becomeBackup(a.received, masterDown(), std::move(why));
        i.followed = a.source;  // the advert it yielded to is accepted
        absorb(a);
        return;
    }
    if (lower && !p().lower_prio_no_advert) {
        // keepalived: "forcing new election" - remind the other router who is master
        sendAdvert(mine);
        i.advert_due = now + adverInterval();
    }
    // The other router thought it was master: its gratuitous ARPs may have reached the
    // clients last. Announce the VIPs again (keepalived 2.2.7, measured: with or without
    // lower_prio_no_advert; RFC 5798 6.4.3 only says discard).
    if (lower) out.emplace_back(SendGratuitous{.lower_priority = true});
    // Same priority from our own address: a loop or a duplicate; nothing to decide.
}

void Stepper::onTimer() {
    Instance& i = in();
    if (i.state == State::Backup) {
        const bool check = i.kernel_check_due && *i.kernel_check_due <= now;
        const bool down = i.master_down_due && *i.master_down_due <= now;
        if (i.absorbing && (check || down)) {
            // The kernel may have absorbed the master's adverts: ask it before deciding.
            i.kernel_check_due.reset();
            out.emplace_back(ReadKernelLastSeen{});
        } else if (down) {
            masterDownExpired();
        }
    } else if (i.state == State::Master && i.advert_due &&
               *i.advert_due <= now + p().coalesce_window) {
        sendAdvert(i.effective_priority);  // RFC 5798 6.4.3 Adver_Timer fires
        i.advert_due = now + adverInterval();
    }
}

// RFC 5798 6.4.2 "If the Master_Down_Timer fires"; a sync group member asks its group
// first (keepalived vrrp_sync_can_goto_master) and looks again one Master_Down_Interval
// later if the group says no, so one member's lost master never splits the group.
void Stepper::masterDownExpired() {
    if (in().peer_lost_deferred && in().followed) {
        // The timer a PeerLost shortened: nothing came from the master since.
        in().peer_lost_deferred = false;
        peerLostTakeOver(*in().followed);
        return;
    }
    note(Note::What::AdvertTimeout);
    takeOver("master down timer expired");
}

void Stepper::peerLostTakeOver(const IpAddr& peer) {
    ++in().counters.peer_lost_accepted;
    note(Note::What::PeerLost, peer);
    takeOver("BFD session to master " + peer.str() + " down");
}

// BFD went quiet at HEARD; the followed master's last advert says whether VRRP still hears
// it. Adverts after BFD's last packet mean the path works and BFD's silence may be its own
// (a stall at either end): the takeover waits one advert interval and a quarter, and at
// least BFD's own silence, from that advert; another advert in that time cancels it.
void Stepper::resolvePeerLost(const IpAddr& peer, std::optional<TimePoint> heard) {
    Instance& i = in();
    if (!heard || !i.last_advert || *i.last_advert <= *heard) {
        peerLostTakeOver(peer);
        return;
    }
    const Duration interval = centiseconds(i.master_advert_int_cs);
    const TimePoint due = *i.last_advert + std::max(now - *heard, interval + interval / 4);
    if (!i.master_down_due || due < *i.master_down_due) {
        armDown(due);
        i.peer_lost_deferred = true;  // its expiry is the BFD takeover
    }  // else the Master_Down_Timer comes first and is what it is
    out.emplace_back(PeerLostIgnored{PeerLostIgnored::Why::HeardSince, peer, i.followed, i.master_down_due});
}

void Stepper::takeOver(std::string reason) {
    if (!p().sync_group) {
        becomeMaster(std::move(reason));
        return;
    }
    in().takeover_reason = std::move(reason);  // for the group's answer
    in().wants_master = true;
    armDown(now + masterDown());
    out.emplace_back(AskGroup{});
}

void Stepper::onGroupAnswer(const GroupAnswer& g) {
    if (g.allow && in().state == State::Backup && in().wants_master)
        becomeMaster(in().takeover_reason.empty() ? "master down timer expired" : in().takeover_reason);
}

// What the kernel absorbed counts as heard from the master we follow: the same decision as
// for an advert that reached us (preempt_delay may have run out since).
void Stepper::onKernelLastSeen(const KernelLastSeen& k) {
    Instance& i = in();
    // The answer to a PeerLost's question (onPeerLost), decided once the stamp is taken in.
    const std::optional<TimePoint> lost = std::exchange(i.peer_lost_heard, std::nullopt);
    auto decideLost = [&] {
        if (lost && i.state == State::Backup && i.followed) resolvePeerLost(*i.followed, lost);
    };
    if (i.state != State::Backup || !i.absorbing) {
        decideLost();
        return;
    }
    const bool newer = k.last_seen && i.master_addr && i.master_priority != kPriorityStop &&
                       (!i.last_advert || *k.last_seen > *i.last_advert);
    const bool ending = i.absorb_ending;
    if (newer) {
        i.last_advert = *k.last_seen;
        if (!ending && !steady({*k.last_seen, *i.master_addr, i.master_priority, i.master_advert_int_cs}))
            stopAbsorbing();
    }
    if (ending) {
        // Absorption ends (a lower advert, lost adverts, our priority above the master's):
        // what the kernel took were the followed master's adverts, accepted before the
        // change, so its stamp only moves the timer; it is not judged as a new advert.
        if (k.last_seen && i.master_down_due && *k.last_seen + masterDown() > *i.master_down_due) {
            armDown(*k.last_seen + masterDown());
            i.peer_lost_deferred = false;  // the master was heard after the wait began
        }
        stopAbsorbing();
    }
    if (lost) {
        decideLost();
        return;
    }
    if (i.master_down_due && *i.master_down_due <= now) {
        if (i.absorbing) i.kernel_check_due.reset();
        masterDownExpired();
    } else if (!newer) {
        i.kernel_check_due.reset();  // nothing new: the Master_Down_Timer decides
    }
}

void Stepper::onFault(const FaultRaised& f) {
    Instance& i = in();
    i.fault_reason = f.reason;
    if (i.state == State::Fault) return;
    if (i.state == State::Master) {
        // keepalived vrrp_state_leave_master with wantstate FAULT, unless we were silent
        // for longer than any backup's Master_Down_Interval (stopped or hung, then fenced):
        // a backup has taken over, and priority 0 would only cut the others' timers to
        // Skew_Time (RFC 5798 6.4.2), so one of them claims the VIP beside the new master.
        if (!silentPastEveryBackup()) sendAdvert(kPriorityStop);
        out.emplace_back(RemoveVips{});
        ++i.counters.released_master;
    }
    releaseHeld();
    clearTimers();
    i.preempt_allowed_at.reset();
    changeState(State::Fault, "fault: " + f.reason);
}

void Stepper::onFaultCleared() {
    Instance& i = in();
    if (i.state != State::Fault) return;
    i.fault_reason.clear();
    i.master_advert_int_cs = p().advert_int_cs;  // keepalived vrrp_state_leave_fault
    if (isOwner()) becomeMaster("fault cleared, address owner");
    else becomeBackup(now, masterDown(), "fault cleared");
}

void Stepper::onPriority(const PriorityChanged& c) {
    Instance& i = in();
    if (isOwner()) return;  // the owner's priority is fixed (RFC 5798 5.2.4)
    const uint8_t prio = std::clamp<uint8_t>(c.effective, 1, kPriorityOwner - 1);
    if (prio == i.effective_priority) return;
    const Duration before = masterDown();
    i.effective_priority = prio;
    // A PeerLost's wait counts from the master's last advert, not from our priority.
    if (i.state == State::Backup && i.master_down_due && !i.peer_lost_deferred)
        armDown(*i.master_down_due + (masterDown() - before));
    // Now above the master we follow, with preempt: its next adverts are discarded, so the
    // Master_Down_Timer counts from the last one taken before this moment, which only the
    // kernel saw while absorbing (keepalived: 323 ms to preempt at 0.1 s; xvrrpd took over
    // 10-16 ms after its first discarded advert, the timer still counting from the first
    // advert of the absorbed run; differential track_script_positive_weight).
    if (i.state == State::Backup && i.absorbing && !i.absorb_ending && p().preempt &&
        i.master_priority != kPriorityStop && i.master_priority < prio) {
        i.absorb_ending = true;
        out.emplace_back(ReadKernelLastSeen{});
    }
    // A Master keeps the role: its next advert carries the new priority and a better
    // Backup preempts (RFC 5798 6.4.2), as keepalived does.
}

// Sync groups move members together (keepalived vrrp_sync_master / vrrp_sync_backup).
// Only Backup <-> Master: Init and Fault are left to their own events.
void Stepper::onGroup(const GroupTransition& g) {
    Instance& i = in();
    if (g.to == State::Master && i.state == State::Backup) {
        becomeMaster(g.reason);
    } else if (g.to == State::Backup && i.state == State::Master) {
        out.emplace_back(RemoveVips{});
        ++i.counters.released_master;
        becomeBackup(now, masterDown(), g.reason);
    } else if (g.to == State::Backup && i.state == State::Backup) {
        releaseHeld();  // the group follows another master
    }
}

// A reload that left the wire alone: new knobs, same state, same timers (a changed
// priority arrives as PriorityChanged from the trackers' sum).
void Stepper::onReconfigured(const Reconfigured& c) {
    const Params old = p();
    in().params = c.params;
    in().params.primary = old.primary;  // bound to the interface, not the configuration
    if (!p().preempt_delay.count()) in().preempt_allowed_at.reset();
    if (in().absorbing && !p().kernel_absorb) stopAbsorbing();
}

void Stepper::onAdopt(const Adopt& a) {
    Instance& i = in();
    if (i.state != State::Init) return;
    i.counters = a.counters;
    i.master_advert_int_cs = p().advert_int_cs;
    if (a.state == State::Master) {
        // Speak at once (the peer's Master_Down_Timer runs) and make sure every VIP is
        // there; the addresses it already holds stay.
        i.state = State::Master;
        sendAdvert(i.effective_priority);
        out.emplace_back(AddVips{});
        i.advert_due = now + adverInterval();
        i.master_addr = p().primary;
        i.master_priority = i.effective_priority;
    } else {
        i.state = State::Backup;
        armDown(now + masterDown());
        // The kernel may still absorb adverts for the instance taken over from: every
        // advert reaches this one until it follows a master itself.
        if (p().kernel_absorb) out.emplace_back(StopAbsorbing{});
    }
}

void Stepper::onHandover() {
    if (in().state != State::Master) return;
    sendAdvert(in().effective_priority);
    in().advert_due = now + adverInterval();
}

// xvrrp_bfd_failover (draft-ietf-rtgwg-vrrp-bfd-p2p): the BFD session to the master this
// backup follows expired, so the master is gone now, not one Master_Down_Interval from now.
// The same decision as the Master_Down_Timer's (a sync group member asks its group first);
// about anyone else, or in another state, it decides nothing.
void Stepper::onPeerLost(const PeerLost& l) {
    Instance& i = in();
    using Why = PeerLostIgnored::Why;
    if (i.state != State::Backup) {
        out.emplace_back(PeerLostIgnored{Why::NotBackup, l.peer, i.master_addr});
        return;
    }
    if (!i.followed || *i.followed != l.peer) {
        out.emplace_back(
            PeerLostIgnored{i.followed ? Why::OtherMaster : Why::NoMaster, l.peer, i.followed});
        return;
    }
    if (l.last_heard && i.absorbing) {
        // The kernel may have taken adverts since: ask it first (onKernelLastSeen).
        i.peer_lost_heard = l.last_heard;
        out.emplace_back(ReadKernelLastSeen{});
        return;
    }
    resolvePeerLost(l.peer, l.last_heard);
}

}  // namespace

StepResult step(const Instance& in, const Event& ev, TimePoint now) {
    StepResult r{in, {}};
    step(r.instance, ev, now, r.actions);
    return r;
}

void step(Instance& inst, const Event& ev, TimePoint now, std::vector<Action>& actions) {
    actions.clear();
    Stepper s{inst, actions, now};
    std::visit(
        [&](const auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, Startup>) s.onStartup(e);
            else if constexpr (std::is_same_v<E, Shutdown>) s.onShutdown();
            else if constexpr (std::is_same_v<E, VipsLost>) s.onVipsLost();
            else if constexpr (std::is_same_v<E, AdvertReceived>) s.onAdvert(e);
            else if constexpr (std::is_same_v<E, TimerFired>) s.onTimer();
            else if constexpr (std::is_same_v<E, FaultRaised>) s.onFault(e);
            else if constexpr (std::is_same_v<E, FaultCleared>) s.onFaultCleared();
            else if constexpr (std::is_same_v<E, PriorityChanged>) s.onPriority(e);
            else if constexpr (std::is_same_v<E, GroupTransition>) s.onGroup(e);
            else if constexpr (std::is_same_v<E, GroupAnswer>) s.onGroupAnswer(e);
            else if constexpr (std::is_same_v<E, KernelLastSeen>) s.onKernelLastSeen(e);
            else if constexpr (std::is_same_v<E, AbsorbLost>) s.onAbsorbLost();
            else if constexpr (std::is_same_v<E, Reconfigured>) s.onReconfigured(e);
            else if constexpr (std::is_same_v<E, Adopt>) s.onAdopt(e);
            else if constexpr (std::is_same_v<E, Handover>) s.onHandover();
            else if constexpr (std::is_same_v<E, PeerLost>) s.onPeerLost(e);
        },
        ev);
}

}  // namespace xvrrp::vrrp
