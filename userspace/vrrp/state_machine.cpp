#include "vrrp/state_machine.hpp"

#include <algorithm>

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

std::optional<TimePoint> Instance::nextDeadline() const {
    // preempt_allowed_at is no timer: it is only consulted when an advert arrives.
    if (advert_due && master_down_due) return std::min(*advert_due, *master_down_due);
    return advert_due ? advert_due : master_down_due;
}

Instance makeInstance(const Params& p) {
    Instance i;
    i.params = p;
    i.effective_priority = p.priority;
    i.master_advert_int_cs = p.advert_int_cs;
    return i;
}

namespace {

// Builds the result of one step; helpers below mutate it.
struct Stepper {
    StepResult r;
    TimePoint now;

    Instance& in() { return r.instance; }
    const Params& p() { return r.instance.params; }
    bool isOwner() { return p().priority == kPriorityOwner; }
    Duration adverInterval() { return centiseconds(p().advert_int_cs); }
    Duration masterDown() {
        return masterDownInterval(in().effective_priority, in().master_advert_int_cs,
                                  p().version, p().down_timer_adverts);
    }
    Duration skew() {
        return skewTime(in().effective_priority, in().master_advert_int_cs, p().version);
    }

    void sendAdvert(uint8_t prio) {
        r.actions.emplace_back(SendAdvert{prio});  // clang 14: no paren-init of aggregates
        ++in().counters.adverts_tx;
        if (prio == kPriorityStop) ++in().counters.priority_zero_tx;
    }
    void changeState(State to, std::string reason) {
        r.actions.emplace_back(StateChanged{in().state, to, std::move(reason)});
        in().state = to;
    }
    void clearTimers() {
        in().advert_due.reset();
        in().master_down_due.reset();
    }

    // RFC 5798 6.4.1 / 6.4.2 "transition to the Master state".
    void becomeMaster(std::string reason) {
        // keepalived vrrp_state_become_master: our own interval again (v3 had learnt one)
        in().master_advert_int_cs = p().advert_int_cs;
        // advert first so the old master drops the VIPs before our gratuitous ARPs
        sendAdvert(in().effective_priority);
        r.actions.emplace_back(std::in_place_type<AddVips>);
        r.actions.emplace_back(std::in_place_type<SendGratuitous>);
        in().master_down_due.reset();
        in().advert_due = now + adverInterval();
        in().master_addr = p().primary;
        in().master_priority = in().effective_priority;
        in().preempt_allowed_at.reset();
        ++in().counters.became_master;
        changeState(State::Master, std::move(reason));
    }

    // Backup with a fresh Master_Down_Timer from `base`.
    void becomeBackup(TimePoint base, Duration wait, std::string reason) {
        in().advert_due.reset();
        in().master_down_due = base + wait;
        in().preempt_allowed_at.reset();
        changeState(State::Backup, std::move(reason));
    }

    void learnInterval(const AdvertReceived& a) {
        // RFC 5798 6.4.2: Master_Adver_Interval := Max Adver Int of the advert (v3 only;
        // v2 intervals must match, checked on receive).
        if (p().version == 3) in().master_advert_int_cs = a.max_advert_int_cs;
    }

    void onStartup();
    void onShutdown();
    void onAdvert(const AdvertReceived& a);
    void onAdvertBackup(const AdvertReceived& a);
    void onAdvertMaster(const AdvertReceived& a);
    void onTimer();
    void onFault(const FaultRaised& f);
    void onFaultCleared();
    void onPriority(const PriorityChanged& c);
    void onGroup(const GroupTransition& g);
};

void Stepper::onStartup() {
    if (in().state != State::Init) return;
    in().master_advert_int_cs = p().advert_int_cs;
    if (isOwner()) {
        becomeMaster("address owner (priority 255) at startup");  // RFC 5798 6.4.1
    } else if (p().start_as_master) {
        becomeBackup(now, startAsMasterWait(p().advert_int_cs, p().version),
                     "startup (state MASTER: waiting one advert interval)");
    } else {
        becomeBackup(now, masterDown(), "startup");
    }
}

void Stepper::onShutdown() {
    if (in().state == State::Init) return;
    if (in().state == State::Master) {
        // RFC 5798 6.4.3 "If a Shutdown event is received": priority 0 advert
        sendAdvert(kPriorityStop);
        r.actions.emplace_back(std::in_place_type<RemoveVips>);
    }
    clearTimers();
    in().preempt_allowed_at.reset();
    changeState(State::Init, "shutdown");
}

void Stepper::onAdvert(const AdvertReceived& a) {
    ++in().counters.adverts_rx;
    if (a.priority == kPriorityStop) ++in().counters.priority_zero_rx;
    in().last_advert = a.received;
    if (in().state == State::Backup) onAdvertBackup(a);
    else if (in().state == State::Master) onAdvertMaster(a);
    // Init and Fault do not take part in the election.
}

// RFC 5798 section 6.4.2 with keepalived's preempt_delay (vrrp_state_backup).
void Stepper::onAdvertBackup(const AdvertReceived& a) {
    Instance& i = in();
    if (a.priority == kPriorityStop) {
        // the master is leaving: take over after Skew_Time only
        i.master_down_due = a.received + skew();
        return;
    }
    const bool delaying = p().preempt_delay > Duration::zero() &&
                          (!i.preempt_allowed_at || *i.preempt_allowed_at > now);
    if (!p().preempt || a.priority >= i.effective_priority || delaying) {
        learnInterval(a);
        i.master_down_due = a.received + masterDown();
        i.master_addr = a.source;
        i.master_priority = a.priority;
        if (p().preempt_delay > Duration::zero()) {
            if (a.priority >= i.effective_priority) i.preempt_allowed_at.reset();
            else if (!i.preempt_allowed_at) i.preempt_allowed_at = now + p().preempt_delay;
        }
        return;
    }
    // Lower priority and we may preempt: discard, so the Master_Down_Timer runs out.
    i.master_addr = a.source;  // keepalived records it (SNMP); keeps the check_addr logic
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
        r.actions.emplace_back(std::in_place_type<RemoveVips>);
        ++i.counters.released_master;
        std::string why = a.priority > mine
                              ? "higher priority advert from " + a.source.str()
                              : "equal priority advert from higher address " + a.source.str();
        becomeBackup(a.received, masterDown(), std::move(why));
        return;
    }
    if (lower && !p().lower_prio_no_advert) {
        // keepalived: "forcing new election" - remind the other router who is master
        sendAdvert(mine);
        i.advert_due = now + adverInterval();
    }
    // Same priority from our own address: a loop or a duplicate; nothing to decide.
}

void Stepper::onTimer() {
    Instance& i = in();
    if (i.state == State::Backup && i.master_down_due && *i.master_down_due <= now) {
        becomeMaster("master down timer expired");  // RFC 5798 6.4.2
    } else if (i.state == State::Master && i.advert_due && *i.advert_due <= now) {
        sendAdvert(i.effective_priority);  // RFC 5798 6.4.3 Adver_Timer fires
        i.advert_due = now + adverInterval();
    }
}

void Stepper::onFault(const FaultRaised& f) {
    Instance& i = in();
    i.fault_reason = f.reason;
    if (i.state == State::Fault) return;
    if (i.state == State::Master) {
        // keepalived vrrp_state_leave_master with wantstate FAULT
        sendAdvert(kPriorityStop);
        r.actions.emplace_back(std::in_place_type<RemoveVips>);
        ++i.counters.released_master;
    }
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
    if (i.state == State::Backup && i.master_down_due)
        i.master_down_due = *i.master_down_due + (masterDown() - before);
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
        r.actions.emplace_back(std::in_place_type<RemoveVips>);
        ++i.counters.released_master;
        becomeBackup(now, masterDown(), g.reason);
    }
}

}  // namespace

StepResult step(const Instance& in, const Event& ev, TimePoint now) {
    Stepper s{StepResult{in, {}}, now};
    std::visit(
        [&](const auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, Startup>) s.onStartup();
            else if constexpr (std::is_same_v<E, Shutdown>) s.onShutdown();
            else if constexpr (std::is_same_v<E, AdvertReceived>) s.onAdvert(e);
            else if constexpr (std::is_same_v<E, TimerFired>) s.onTimer();
            else if constexpr (std::is_same_v<E, FaultRaised>) s.onFault(e);
            else if constexpr (std::is_same_v<E, FaultCleared>) s.onFaultCleared();
            else if constexpr (std::is_same_v<E, PriorityChanged>) s.onPriority(e);
            else if constexpr (std::is_same_v<E, GroupTransition>) s.onGroup(e);
        },
        ev);
    return std::move(s.r);
}

}  // namespace xvrrp::vrrp
