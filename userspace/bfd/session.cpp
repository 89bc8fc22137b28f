#include "bfd/session.hpp"

#include <algorithm>

#include "bfd/timers.hpp"

namespace xvrrp::bfd {
namespace {

Duration us(uint64_t v) { return std::chrono::microseconds(v); }

uint32_t pick(Session& s, uint32_t bound) {
    if (s.random) return s.random(bound) % bound;
    // xorshift64: deterministic, no global state
    uint64_t x = s.random_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s.random_state = x;
    return static_cast<uint32_t>(x % bound);
}

// 6.8.3: not Up -> at least one second; keepalived sends idle_tx then.
uint32_t wantedTx(const Session& s) {
    if (s.state == State::Up) return s.params.desired_min_tx_us;
    return std::max({s.params.desired_min_tx_us, s.params.idle_tx_us, kSlowTxMinUs});
}

uint64_t detectionTime(const Session& s) {
    return detectionTimeUs(s.remote_detect_mult, s.rx_used_us, s.remote_desired_min_tx_us);
}

bool mayTransmit(const Session& s, TimePoint now) {
    if (!s.started) return false;
    if (s.params.passive && s.remote_disc == 0) return false;  // 6.8.7
    if (s.state == State::AdminDown && (!s.admin_tx_until || now >= *s.admin_tx_until))
        return false;  // 6.8.16: stop after a Detection Time
    return true;
}

void scheduleTx(Session& s, TimePoint now) {
    const uint64_t interval = transmitIntervalUs(s.tx_used_us, s.remote_min_rx_us);
    if (interval == 0 || !mayTransmit(s, now)) {
        s.tx_due.reset();
        return;
    }
    s.tx_due = now + us(jitteredUs(interval, pick(s, jitterSpan(s.params.detect_mult))));
}

Control packetOf(const Session& s, bool final) {
    Control c;
    c.diag = s.local_diag;
    c.state = s.state;
    c.poll = s.poll_active && !final;  // never both (4.1)
    c.final = final;
    c.detect_mult = s.params.detect_mult;
    c.my_disc = s.local_disc;
    c.your_disc = s.remote_disc;
    c.desired_min_tx_us = s.desired_min_tx_us;
    c.required_min_rx_us = s.required_min_rx_us;
    c.required_min_echo_rx_us = 0;  // no Echo function
    return c;
}

void send(Session& s, bool final, TimePoint now, std::vector<Action>& actions) {
    actions.push_back(SendPacket{packetOf(s, final)});
    ++s.counters.packets_tx;
    scheduleTx(s, now);
}

void startPoll(Session& s) {
    s.poll_active = true;
    s.poll_needed = false;
    s.polled_tx_us = s.desired_min_tx_us;
    s.polled_rx_us = s.required_min_rx_us;
    ++s.counters.polls_started;
}

// 6.8.3: recompute what we announce. While Up an increased transmit interval and a reduced
// receive interval wait for the Poll Sequence; the other directions apply at once.
// Returns whether a Poll Sequence started (its first packet should go out now).
bool updateIntervals(Session& s) {
    const uint32_t tx = wantedTx(s);
    const uint32_t rx = s.params.required_min_rx_us;
    if (tx == s.desired_min_tx_us && rx == s.required_min_rx_us) return false;
    s.desired_min_tx_us = tx;
    s.required_min_rx_us = rx;
    if (s.state != State::Up) {
        s.tx_used_us = tx;
        s.rx_used_us = rx;
        return false;
    }
    if (tx < s.tx_used_us) s.tx_used_us = tx;
    if (rx > s.rx_used_us) s.rx_used_us = rx;
    if (s.poll_active) {
        s.poll_needed = true;  // 6.5: one Poll Sequence at a time
        return false;
    }
    startPoll(s);
    return true;
}

void finishPoll(Session& s) {
    s.poll_active = false;
    ++s.counters.polls_completed;
    s.tx_used_us = s.polled_tx_us;
    s.rx_used_us = s.polled_rx_us;
    if (s.desired_min_tx_us != s.polled_tx_us || s.required_min_rx_us != s.polled_rx_us ||
        s.poll_needed) {
        startPoll(s);
        // values changed after the poll went out: keep the safer of old and new until Final
        s.tx_used_us = std::min(s.tx_used_us, s.desired_min_tx_us);
        s.rx_used_us = std::max(s.rx_used_us, s.required_min_rx_us);
    }
}

void setState(Session& s, State to, Diag diag, std::vector<Action>& actions) {
    const State from = s.state;
    s.state = to;
    s.local_diag = diag;
    if (to == State::Up) ++s.counters.up_transitions;
    if (from == State::Up) {
        ++s.counters.down_transitions;
        s.poll_active = false;  // nobody will answer it
        s.poll_needed = false;
    }
    actions.push_back(StateChanged{from, to, diag});
    if (from == State::Up) actions.push_back(StopExpecting{});
    updateIntervals(s);
}

// 6.8.6, after the packet checks (decode, checkRx).
bool receive(Session& s, const PacketReceived& ev, std::vector<Action>& actions) {
    const Control& p = ev.packet;
    ++s.counters.packets_rx;
    s.remote_disc = p.my_disc;
    s.remote_state = p.state;
    s.remote_min_rx_us = p.required_min_rx_us;
    s.remote_desired_min_tx_us = p.desired_min_tx_us;
    s.remote_detect_mult = p.detect_mult;
    if (p.final && s.poll_active) finishPoll(s);

    if (s.state == State::AdminDown) return false;  // discard
    const uint64_t detect = detectionTime(s);
    s.detect_due = ev.received + us(detect);

    const State before = s.state;
    if (p.state == State::AdminDown) {
        if (s.state != State::Down) setState(s, State::Down, Diag::NeighborSignaledDown, actions);
    } else if (s.state == State::Down) {
        if (p.state == State::Down)
            setState(s, State::Init, Diag::None, actions);
        else if (p.state == State::Init)
            setState(s, State::Up, Diag::None, actions);
    } else if (s.state == State::Init) {
        if (p.state == State::Init || p.state == State::Up)
            setState(s, State::Up, Diag::None, actions);
    } else if (p.state == State::Down) {  // Up
        setState(s, State::Down, Diag::NeighborSignaledDown, actions);
    }
    return s.state != before;
}

}  // namespace

bool absorbable(const Control& p) {
    return p.state == State::Up && !p.poll && !p.final && !p.auth && !p.demand && !p.multipoint;
}

std::optional<TimePoint> Session::nextDeadline() const {
    if (tx_due && detect_due) return std::min(*tx_due, *detect_due);
    return tx_due ? tx_due : detect_due;
}

Session makeSession(const Params& p, uint32_t local_disc, Random random) {
    Session s;
    s.params = p;
    s.local_disc = local_disc;
    s.random = std::move(random);
    s.random_state = (uint64_t{local_disc} << 32 | local_disc) | 1;
    s.desired_min_tx_us = s.tx_used_us = wantedTx(s);
    s.required_min_rx_us = s.rx_used_us = p.required_min_rx_us;
    return s;
}

Carried carry(const Session& s) {
    return {s.state, s.remote_state, s.local_disc, s.remote_disc, s.desired_min_tx_us, s.required_min_rx_us,
            s.remote_min_rx_us, s.remote_desired_min_tx_us, s.remote_detect_mult};
}

Session resumeSession(const Params& p, const Carried& c, TimePoint now, Random random) {
    Session s = makeSession(p, c.local_disc, std::move(random));
    s.state = c.state;
    s.remote_state = c.remote_state;
    s.remote_disc = c.remote_disc;
    s.desired_min_tx_us = s.tx_used_us = c.desired_min_tx_us;
    s.required_min_rx_us = s.rx_used_us = c.required_min_rx_us;
    s.remote_min_rx_us = c.remote_min_rx_us;
    s.remote_desired_min_tx_us = c.remote_desired_min_tx_us;
    s.remote_detect_mult = c.remote_detect_mult;
    s.started = true;
    if (s.remote_disc != 0 && s.remote_detect_mult != 0) s.detect_due = now + us(detectionTime(s));
    updateIntervals(s);  // a Poll while Up when the configuration changed in between
    if (mayTransmit(s, now)) s.tx_due = now;
    return s;
}

void step(Session& s, const Event& ev, TimePoint now, std::vector<Action>& actions) {
    actions.clear();
    const auto tx_before = s.tx_due;
    const auto detect_before = s.detect_due;
    bool send_now = false;
    bool final = false;

    if (std::holds_alternative<Start>(ev)) {
        if (!s.started) {
            s.started = true;
            send_now = true;
        }
    } else if (const auto* rx = std::get_if<PacketReceived>(&ev)) {
        const bool had_tx = s.tx_due.has_value();
        send_now = receive(s, *rx, actions);
        final = rx->packet.poll && s.state != State::AdminDown;  // 6.8.6: answer a Poll
        if (!had_tx && !send_now) scheduleTx(s, now);  // e.g. passive: remote now known
        if (s.state == State::Up && absorbable(rx->packet)) actions.push_back(ExpectRepeats{rx->packet});
    } else if (const auto* ks = std::get_if<KernelSeen>(&ev)) {
        // 6.8.4 counts from the last packet received; the kernel's repeat is one.
        if (s.state == State::Up && s.detect_due && s.remote_detect_mult) {
            const TimePoint due = ks->received + us(detectionTime(s));
            if (due > *s.detect_due) s.detect_due = due;
        }
    } else if (std::holds_alternative<TimerFired>(ev)) {
        if (s.detect_due && now >= *s.detect_due) {
            s.detect_due.reset();
            if (s.state == State::Init || s.state == State::Up) {  // 6.8.4
                setState(s, State::Down, Diag::ControlDetectionExpired, actions);
                send_now = true;
            }
            s.remote_disc = 0;  // 6.8.1
            s.remote_min_rx_us = 1;
            s.poll_active = false;
        }
        if (!send_now && s.tx_due && now >= *s.tx_due) {
            if (mayTransmit(s, now))
                send_now = true;
            else
                s.tx_due.reset();
        }
    } else if (std::holds_alternative<AdminDown>(ev)) {
        if (s.state != State::AdminDown) {
            const uint64_t detect = detectionTime(s);
            setState(s, State::AdminDown, Diag::AdministrativelyDown, actions);
            s.admin_tx_until = now + us(detect);
            s.detect_due.reset();
            send_now = true;
        }
    } else if (std::holds_alternative<AdminUp>(ev)) {
        if (s.state == State::AdminDown) {
            s.admin_tx_until.reset();
            setState(s, State::Down, Diag::None, actions);
            send_now = true;
        }
    } else if (const auto* pc = std::get_if<ParamsChanged>(&ev)) {
        const bool passive_changed = pc->params.passive != s.params.passive;
        s.params = pc->params;
        send_now = updateIntervals(s);
        if (passive_changed && !send_now) scheduleTx(s, now);
    }

    if (final || send_now) {
        // a passive session sends only once it knows the remote; AdminDown only until its end
        if (final || mayTransmit(s, now) ||
            (s.state == State::AdminDown && s.started &&
             !(s.params.passive && s.remote_disc == 0)))
            send(s, final, now, actions);
        else
            scheduleTx(s, now);
    }
    if (s.tx_due != tx_before || s.detect_due != detect_before)
        actions.push_back(ArmTimers{s.tx_due, s.detect_due});
}

}  // namespace xvrrp::bfd
