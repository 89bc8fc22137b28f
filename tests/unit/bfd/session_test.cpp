// The BFD session state machine on a fake clock: two sessions wired to each other through
// the codec (encode, decode, checkRx), packets delivered at once unless the link is cut.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <vector>

#include "bfd/session.hpp"
#include "bfd/timers.hpp"

using namespace xvrrp::bfd;
using namespace std::chrono_literals;

namespace {

TimePoint at(Duration d) { return TimePoint{d}; }

struct Change {
    TimePoint when;
    StateChanged what;
};

struct Node {
    Session s;
    std::vector<Control> sent;
    std::vector<TimePoint> sent_at;
    std::vector<Change> changes;
};

// Jitter picks the top of the range: every interval is exactly 100%.
Random fullInterval() {
    return [](uint32_t bound) { return bound - 1; };
}

struct Pair {
    Node n[2];
    TimePoint now{};
    bool link_up = true;
    bool hold = false;  // queue packets, deliver() sends them on
    std::deque<std::pair<int, Control>> wire;
    std::vector<Action> actions;

    Pair(Params a, Params b, Random ra = fullInterval(), Random rb = fullInterval()) {
        n[0].s = makeSession(a, 0x1000, ra);
        n[1].s = makeSession(b, 0x2000, rb);
    }

    void apply(int who, const Event& ev) {
        step(n[who].s, ev, now, actions);
        for (const Action& a : actions) {
            if (const auto* sp = std::get_if<SendPacket>(&a)) {
                n[who].sent.push_back(sp->packet);
                n[who].sent_at.push_back(now);
                if (link_up) wire.emplace_back(1 - who, sp->packet);
            } else if (const auto* sc = std::get_if<StateChanged>(&a)) {
                n[who].changes.push_back({now, *sc});
            } else if (const auto* arm = std::get_if<ArmTimers>(&a)) {
                // what the interpreter arms is what the session says
                EXPECT_EQ(arm->transmit, n[who].s.tx_due);
                EXPECT_EQ(arm->detect, n[who].s.detect_due);
            }
        }
        if (!hold) deliver();
    }

    void deliver() {
        while (!wire.empty()) {
            auto [to, c] = wire.front();
            wire.pop_front();
            const auto bytes = encode(c);
            auto d = decode(bytes);
            ASSERT_TRUE(d.ok()) << name(d.error());
            ASSERT_EQ(checkRx(*d, 255, {kRequiredTtl, n[to].s.local_disc}), RxReject::Ok);
            const bool was = hold;
            hold = true;
            apply(to, PacketReceived{*d, now});
            hold = was;
        }
    }

    void startBoth() {
        hold = true;
        apply(0, Start{});
        apply(1, Start{});
        hold = false;
        deliver();
    }

    // Fire timers in order until END.
    void runUntil(TimePoint end) {
        for (int guard = 0; guard < 100000; ++guard) {
            std::optional<TimePoint> next;
            int who = -1;
            for (int i = 0; i < 2; ++i) {
                auto d = n[i].s.nextDeadline();
                if (d && (!next || *d < *next)) next = d, who = i;
            }
            if (!next || *next > end) break;
            now = *next;
            apply(who, TimerFired{});
        }
        now = end;
    }

    State state(int i) const { return n[i].s.state; }
};

Params fast(uint32_t tx_ms = 10, uint32_t rx_ms = 10, uint8_t mult = 5) {
    Params p;
    p.desired_min_tx_us = tx_ms * 1000;
    p.required_min_rx_us = rx_ms * 1000;
    p.detect_mult = mult;
    return p;
}

Pair upPair(Params a = fast(), Params b = fast()) {
    Pair p(a, b);
    p.startBoth();
    return p;
}

}  // namespace

TEST(BfdSession, ThreeWayHandshakeBringsBothUp) {
    Pair p(fast(), fast());
    p.startBoth();
    ASSERT_EQ(p.state(0), State::Up);
    ASSERT_EQ(p.state(1), State::Up);
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(p.n[i].changes.size(), 2u);
        EXPECT_EQ(p.n[i].changes[0].what.to, State::Init);
        EXPECT_EQ(p.n[i].changes[1].what.to, State::Up);
        EXPECT_EQ(p.n[i].changes[1].what.diag, Diag::None);
        EXPECT_EQ(p.n[i].s.remote_disc, p.n[1 - i].s.local_disc);
        // the first packet knew no remote (Your Discriminator 0, State Down)
        EXPECT_EQ(p.n[i].sent.front().your_disc, 0u);
        EXPECT_EQ(p.n[i].sent.front().state, State::Down);
        // entering Up dropped the slow rate by a Poll Sequence that completed
        EXPECT_FALSE(p.n[i].s.poll_active);
        EXPECT_EQ(p.n[i].s.counters.polls_completed, 1u);
        EXPECT_EQ(p.n[i].s.tx_used_us, 10000u);
    }
}

TEST(BfdSession, HandshakeWhenOneSideStartsLater) {
    Pair p(fast(), fast());
    p.apply(0, Start{});  // B not started: A's Down moves B to Init, B stays silent
    EXPECT_EQ(p.state(1), State::Init);
    EXPECT_TRUE(p.n[1].sent.empty());
    p.now = at(300ms);
    p.apply(1, Start{});  // Init -> A Up -> B Up
    EXPECT_EQ(p.state(0), State::Up);
    EXPECT_EQ(p.state(1), State::Up);
    EXPECT_EQ(p.n[0].changes[0].what.to, State::Up);  // Down -> Up on B's Init
}

TEST(BfdSession, DetectionTimeoutGoesDownWithDiag1) {
    Pair p = upPair();
    p.runUntil(at(200ms));
    ASSERT_EQ(p.state(0), State::Up);
    const TimePoint last_rx = p.n[1].sent_at.back();
    p.link_up = false;
    p.runUntil(at(400ms));
    ASSERT_EQ(p.state(0), State::Down);
    const Change& down = p.n[0].changes.back();
    EXPECT_EQ(down.what.from, State::Up);
    EXPECT_EQ(down.what.diag, Diag::ControlDetectionExpired);
    // 5 x max(10 ms, 10 ms)
    EXPECT_EQ(down.when, last_rx + 50ms);
    EXPECT_EQ(p.n[0].s.remote_disc, 0u);
    // back to the slow rate, announcing Down with diag 1
    EXPECT_EQ(p.n[0].sent.back().state, State::Down);
    EXPECT_EQ(p.n[0].sent.back().diag, Diag::ControlDetectionExpired);
    EXPECT_EQ(p.n[0].sent.back().desired_min_tx_us, 1000000u);
}

TEST(BfdSession, RemoteAdminDownGoesDownWithDiag3AndAdminUpRecovers) {
    Pair p = upPair();
    p.runUntil(at(100ms));
    p.apply(1, AdminDown{});
    EXPECT_EQ(p.state(1), State::AdminDown);
    EXPECT_EQ(p.n[1].changes.back().what.diag, Diag::AdministrativelyDown);
    EXPECT_EQ(p.state(0), State::Down);
    EXPECT_EQ(p.n[0].changes.back().what.diag, Diag::NeighborSignaledDown);
    // A stays Down (AdminDown packets do not start a handshake), B ignores A
    p.runUntil(at(2s));
    EXPECT_EQ(p.state(0), State::Down);
    EXPECT_EQ(p.state(1), State::AdminDown);
    // B stopped sending once a Detection Time had passed (6.8.16)
    EXPECT_LE(p.n[1].sent_at.back(), at(100ms) + 50ms);
    p.apply(1, AdminUp{});
    p.runUntil(at(4s));
    EXPECT_EQ(p.state(0), State::Up);
    EXPECT_EQ(p.state(1), State::Up);
}

TEST(BfdSession, RemoteDownWhileUpGoesDownWithDiag3) {
    Pair p = upPair();
    Control c = p.n[1].sent.back();
    c.state = State::Down;
    c.poll = c.final = false;
    p.hold = true;  // (delivered, A's Down would start the next handshake)
    p.apply(0, PacketReceived{c, p.now});
    EXPECT_EQ(p.state(0), State::Down);
    EXPECT_EQ(p.n[0].changes.back().what.diag, Diag::NeighborSignaledDown);
}

TEST(BfdSession, TimerNegotiationBothWays) {
    // A: fast sender, slow receiver; B: slow sender, fast receiver
    Pair p = upPair(fast(10, 300), fast(100, 20, 3));
    // A sends at max(A tx 10, B rx 20) = 20 ms, B at max(B tx 100, A rx 300) = 300 ms
    EXPECT_EQ(transmitIntervalUs(p.n[0].s.tx_used_us, p.n[0].s.remote_min_rx_us), 20000u);
    EXPECT_EQ(transmitIntervalUs(p.n[1].s.tx_used_us, p.n[1].s.remote_min_rx_us), 300000u);
    const size_t a0 = p.n[0].sent.size(), b0 = p.n[1].sent.size();
    p.runUntil(p.now + 3s);
    auto gaps = [](const Node& n, size_t from) {
        std::vector<Duration> g;
        for (size_t i = from + 1; i < n.sent_at.size(); ++i)
            g.push_back(n.sent_at[i] - n.sent_at[i - 1]);
        return g;
    };
    for (Duration g : gaps(p.n[0], a0)) EXPECT_EQ(g, 20ms);
    for (Duration g : gaps(p.n[1], b0)) EXPECT_EQ(g, 300ms);
    // Detection: A = B mult 3 x max(A rx 300, B tx 100) = 900 ms;
    //            B = A mult 5 x max(B rx 20, A tx 10) = 100 ms
    EXPECT_EQ(*p.n[0].s.detect_due - p.n[1].sent_at.back(), 900ms);
    EXPECT_EQ(*p.n[1].s.detect_due - p.n[0].sent_at.back(), 100ms);
}

TEST(BfdSession, PollFinalOnAnIncreasedTransmitInterval) {
    Pair p = upPair();
    p.hold = true;
    p.apply(0, ParamsChanged{fast(50, 10)});
    // the Poll goes out at once with the new value; the old interval holds until Final
    ASSERT_FALSE(p.n[0].sent.empty());
    EXPECT_TRUE(p.n[0].sent.back().poll);
    EXPECT_EQ(p.n[0].sent.back().desired_min_tx_us, 50000u);
    EXPECT_EQ(p.n[0].s.tx_used_us, 10000u);
    EXPECT_TRUE(p.n[0].s.poll_active);
    // B answers with Final (and no Poll) at once
    p.hold = false;
    p.deliver();
    const Control& answer = p.n[1].sent.back();
    EXPECT_TRUE(answer.final);
    EXPECT_FALSE(answer.poll);
    EXPECT_FALSE(p.n[0].s.poll_active);
    EXPECT_EQ(p.n[0].s.tx_used_us, 50000u);
    // B's Detection Time follows A's new Desired Min TX: 5 x 50 ms
    EXPECT_EQ(detectionTimeUs(p.n[1].s.remote_detect_mult, p.n[1].s.rx_used_us,
                              p.n[1].s.remote_desired_min_tx_us),
              250000u);
    const size_t from = p.n[0].sent.size();
    p.runUntil(p.now + 500ms);
    for (size_t i = from + 1; i < p.n[0].sent_at.size(); ++i)
        EXPECT_EQ(p.n[0].sent_at[i] - p.n[0].sent_at[i - 1], 50ms);
}

TEST(BfdSession, ReducedReceiveIntervalKeepsTheOldOneUntilFinal) {
    Pair p = upPair(fast(10, 100), fast(10, 10));
    p.hold = true;
    p.apply(0, ParamsChanged{fast(10, 20)});
    EXPECT_EQ(p.n[0].s.required_min_rx_us, 20000u);
    EXPECT_EQ(p.n[0].s.rx_used_us, 100000u);  // 6.8.3
    p.hold = false;
    p.deliver();
    EXPECT_EQ(p.n[0].s.rx_used_us, 20000u);
}

TEST(BfdSession, ChangeDuringAPollWaitsForItsFinal) {
    Pair p = upPair();
    p.hold = true;
    p.apply(0, ParamsChanged{fast(50, 10)});
    p.apply(0, ParamsChanged{fast(80, 10)});
    EXPECT_EQ(p.n[0].s.counters.polls_started, 2u);  // the handshake's and the first change's
    p.hold = false;
    p.deliver();  // Final for the 50 ms poll: a second poll for 80 ms starts
    EXPECT_EQ(p.n[0].s.counters.polls_started, 3u);
    p.runUntil(p.now + 200ms);
    EXPECT_FALSE(p.n[0].s.poll_active);
    EXPECT_EQ(p.n[0].s.tx_used_us, 80000u);
}

TEST(BfdSession, JitterBounds) {
    for (uint8_t mult : {uint8_t{1}, uint8_t{3}}) {
        uint32_t lo = 0, hi = 0;
        for (Random r : {Random([](uint32_t) { return 0u; }), fullInterval()}) {
            Params prm = fast(10, 10, mult);
            Session s = makeSession(prm, 7, r);
            std::vector<Action> acts;
            step(s, Start{}, at(0s), acts);
            const auto gap = (*s.tx_due - at(0s)) / 1us;
            (r(2) == 0 ? lo : hi) = static_cast<uint32_t>(gap);
        }
        EXPECT_EQ(lo, 750000u) << int(mult);
        EXPECT_EQ(hi, mult == 1 ? 900000u : 1000000u) << int(mult);
    }
    // the default source stays within 75..100% (90% for mult 1)
    for (uint8_t mult : {uint8_t{1}, uint8_t{5}}) {
        Session s = makeSession(fast(10, 10, mult), 12345);
        std::vector<Action> acts;
        TimePoint now{};
        step(s, Start{}, now, acts);
        for (int i = 0; i < 1000; ++i) {
            const Duration gap = *s.tx_due - now;
            EXPECT_GE(gap, 750ms);
            EXPECT_LE(gap, mult == 1 ? 900ms : 1000ms);
            now = *s.tx_due;
            step(s, TimerFired{}, now, acts);
        }
    }
}

TEST(BfdSession, SlowRateWhileNotUp) {
    Params prm = fast();
    for (uint32_t idle_ms : {500u, 1000u, 2000u}) {
        prm.idle_tx_us = idle_ms * 1000;
        Session s = makeSession(prm, 9, fullInterval());
        std::vector<Action> acts;
        TimePoint now{};
        step(s, Start{}, now, acts);
        ASSERT_TRUE(std::holds_alternative<SendPacket>(acts.front()));
        const Control first = std::get<SendPacket>(acts.front()).packet;
        const uint32_t slow = std::max(idle_ms, 1000u) * 1000;  // never under 1 s (6.8.3)
        EXPECT_EQ(first.desired_min_tx_us, slow);
        EXPECT_EQ(first.required_min_rx_us, 10000u);
        for (int i = 0; i < 5; ++i) {
            EXPECT_EQ(*s.tx_due - now, std::chrono::microseconds(slow));
            now = *s.tx_due;
            step(s, TimerFired{}, now, acts);
            ASSERT_TRUE(std::holds_alternative<SendPacket>(acts.front()));
        }
        EXPECT_EQ(s.state, State::Down);
    }
}

TEST(BfdSession, PassiveWaitsForTheRemote) {
    Params passive = fast();
    passive.passive = true;
    Pair p(passive, fast());
    p.hold = true;
    p.apply(0, Start{});
    EXPECT_TRUE(p.n[0].sent.empty());
    EXPECT_FALSE(p.n[0].s.tx_due);
    p.hold = false;
    p.runUntil(at(5s));
    EXPECT_TRUE(p.n[0].sent.empty());  // nobody talked to it
    p.apply(1, Start{});
    EXPECT_EQ(p.state(0), State::Up);
    EXPECT_EQ(p.state(1), State::Up);
    // the peer goes away: Down on detection, then silent again
    p.link_up = false;
    p.runUntil(at(10s));
    EXPECT_EQ(p.state(0), State::Down);
    const size_t sent = p.n[0].sent.size();
    p.runUntil(at(20s));
    EXPECT_EQ(p.n[0].sent.size(), sent);
}

TEST(BfdSession, NoPeriodicPacketsWhenTheRemoteAsksForNone) {
    Pair p = upPair();
    Control c = p.n[1].sent.back();
    c.required_min_rx_us = 0;  // 6.8.7
    c.poll = c.final = false;
    p.hold = true;
    p.apply(0, PacketReceived{c, p.now});
    p.runUntil(p.now + 30ms);
    EXPECT_FALSE(p.n[0].s.tx_due);
}

// xvrrpctl restart: the session goes on in the next process from what carry() kept; the
// peer sees one packet from the same discriminator and no state change on either side.
TEST(BfdSession, AResumedSessionGoesOnWithoutAStateChange) {
    Pair p = upPair();
    p.runUntil(p.now + std::chrono::seconds(2));
    ASSERT_EQ(p.state(0), State::Up);
    const Carried c = carry(p.n[0].s);
    EXPECT_EQ(c.state, State::Up);
    EXPECT_EQ(c.local_disc, 0x1000u);
    EXPECT_EQ(c.remote_disc, 0x2000u);
    // 20 ms later (an exec), the next process.
    p.now = p.now + std::chrono::milliseconds(20);
    p.n[0].s = resumeSession(fast(), c, p.now, fullInterval());
    p.n[0].changes.clear();
    p.n[1].changes.clear();
    EXPECT_EQ(p.n[0].s.tx_due, p.now);  // a packet at once
    ASSERT_TRUE(p.n[0].s.detect_due);
    EXPECT_EQ(*p.n[0].s.detect_due, p.now + std::chrono::milliseconds(50));  // 5 x 10 ms
    EXPECT_FALSE(p.n[0].s.poll_active);  // same intervals: nothing to poll
    p.runUntil(p.now + std::chrono::seconds(2));
    EXPECT_EQ(p.state(0), State::Up);
    EXPECT_EQ(p.state(1), State::Up);
    EXPECT_TRUE(p.n[0].changes.empty());
    EXPECT_TRUE(p.n[1].changes.empty());

    // Resumed with other intervals (the configuration changed too): a Poll Sequence.
    const Carried c2 = carry(p.n[0].s);
    p.n[0].s = resumeSession(fast(20, 20), c2, p.now, fullInterval());
    EXPECT_TRUE(p.n[0].s.poll_active);
    p.runUntil(p.now + std::chrono::seconds(1));
    EXPECT_FALSE(p.n[0].s.poll_active);
    EXPECT_EQ(p.state(1), State::Up);
    EXPECT_TRUE(p.n[1].changes.empty());
}

// ---- the kernel absorbing repeats (docs/bfd.md) ----

namespace {

template <class A>
int count(const std::vector<Action>& actions) {
    return static_cast<int>(std::count_if(actions.begin(), actions.end(),
                                          [](const Action& a) { return std::holds_alternative<A>(a); }));
}

}  // namespace

// An Up session names the plain Up packets it accepts; Poll and Final are never absorbed.
TEST(BfdSession, AnUpSessionAsksTheKernelToAbsorbPlainUpPacketsOnly) {
    Pair p = upPair();
    p.runUntil(at(100ms));
    Control c = p.n[1].sent.back();
    ASSERT_EQ(c.state, State::Up);
    ASSERT_FALSE(c.poll || c.final);
    std::vector<Action> actions;
    step(p.n[0].s, PacketReceived{c, p.now}, p.now, actions);
    ASSERT_EQ(count<ExpectRepeats>(actions), 1);
    for (const auto& a : actions)
        if (const auto* x = std::get_if<ExpectRepeats>(&a)) EXPECT_EQ(x->packet, c);
    for (auto change : {&Control::poll, &Control::final, &Control::auth, &Control::demand}) {
        Control d = c;
        d.*change = true;
        step(p.n[0].s, PacketReceived{d, p.now}, p.now, actions);
        EXPECT_EQ(count<ExpectRepeats>(actions), 0);
    }
    EXPECT_FALSE(absorbable(Control{}));  // Down
}

// KernelSeen is one more packet received: the Detection Time runs from it, never back.
TEST(BfdSession, KernelSeenMovesTheDetectionTimeForwardOnly) {
    Pair p = upPair();
    p.runUntil(at(100ms));
    Session& s = p.n[0].s;
    const TimePoint due = *s.detect_due;
    std::vector<Action> actions;
    step(s, KernelSeen{due + (-60ms)}, p.now, actions);  // older than the last packet: no change
    EXPECT_EQ(*s.detect_due, due);
    EXPECT_EQ(count<SendPacket>(actions), 0);
    step(s, KernelSeen{due + 5ms}, p.now, actions);
    EXPECT_EQ(*s.detect_due, due + 5ms + 50ms);  // 5 x 10 ms from the absorbed repeat
    EXPECT_EQ(count<SendPacket>(actions), 0);
    EXPECT_EQ(count<StateChanged>(actions), 0);
}

// Leaving Up (here by detection) tells the daemon to let every packet through again.
TEST(BfdSession, LeavingUpStopsTheKernelAbsorbing) {
    Pair p = upPair();
    p.runUntil(at(100ms));
    p.link_up = false;
    std::vector<Action> actions;
    Session& s = p.n[0].s;
    const TimePoint due = *s.detect_due;
    p.now = due;
    step(s, TimerFired{}, due, actions);
    EXPECT_EQ(s.state, State::Down);
    EXPECT_EQ(count<StopExpecting>(actions), 1);
    step(s, KernelSeen{due}, due, actions);  // Down: nothing to move
    EXPECT_FALSE(s.detect_due.has_value() && *s.detect_due > due);
}
