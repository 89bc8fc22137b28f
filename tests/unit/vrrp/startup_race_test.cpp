// Two routers started close together (interop.mixed_sync): the higher priority wins the
// startup only if it starts less than the gap between their Master_Down_Intervals after
// the lower one (RFC 3768 6.1 / RFC 5798 6.1: Skew_Time shrinks with priority). Beyond that
// the lower one is MASTER for a moment and is preempted (RFC 5798 6.4.3): one more
// MASTER/BACKUP pair, whichever daemon is slower to start.
#include <gtest/gtest.h>

#include "vrrp/state_machine.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

Params router(uint8_t prio, const char* addr) {
    Params p;
    p.name = "VI_2";
    p.vrid = 52;
    p.version = 2;  // the s004 seed: keepalived's default
    p.priority = prio;
    p.advert_int_cs = 100;
    p.primary = *IpAddr::parse(addr);
    return p;
}

// node2 (priority 80) starts at 0, node1 (90) `late` after it. Adverts arrive at once.
// Returns the states node2 entered during the first 10 s.
std::vector<State> node2States(Duration late) {
    Instance r[2] = {makeInstance(router(90, "10.77.0.1")), makeInstance(router(80, "10.77.0.2"))};
    std::optional<TimePoint> startAt[2] = {TimePoint{late}, TimePoint{}};
    std::vector<State> seen;
    auto apply = [&](int k, const Event& ev, TimePoint t) {
        StepResult res = step(r[k], ev, t);
        r[k] = res.instance;
        for (const auto& a : res.actions) {
            if (auto* c = std::get_if<StateChanged>(&a); c && k == 1) seen.push_back(c->to);
            if (auto* s = std::get_if<SendAdvert>(&a); s && r[1 - k].state != State::Init) {
                StepResult peer = step(r[1 - k], AdvertReceived{t, r[k].params.primary, s->priority, 100}, t);
                r[1 - k] = peer.instance;
                for (const auto& pa : peer.actions)
                    if (auto* c = std::get_if<StateChanged>(&pa); c && k == 0) seen.push_back(c->to);
            }
        }
    };
    for (int guard = 0; guard < 100; ++guard) {
        // the earliest of the two startups and the two instances' deadlines
        int who = -1;
        bool isStart = false;
        TimePoint when{seconds(10)};
        for (int k = 0; k < 2; ++k) {
            if (startAt[k] && *startAt[k] < when) when = *startAt[k], who = k, isStart = true;
            if (auto d = r[k].nextDeadline(); d && *d < when) when = *d, who = k, isStart = false;
        }
        if (who < 0) break;
        if (isStart) startAt[who].reset();
        apply(who, isStart ? Event{Startup{}} : Event{TimerFired{}}, when);
    }
    return seen;
}

TEST(StartupRace, MarginIsTheSkewDifference) {
    const Duration margin = masterDownInterval(80, 100, 2) - masterDownInterval(90, 100, 2);
    // (90 - 80) / 256 s; each Skew_Time is kept in whole microseconds
    const double us = std::chrono::duration<double, std::micro>(margin).count();
    EXPECT_NEAR(us, 39062.5, 1.0);
}

TEST(StartupRace, HigherPriorityStartingWithinTheMarginWinsOutright) {
    EXPECT_EQ(node2States(Duration::zero()), std::vector<State>{State::Backup});
    EXPECT_EQ(node2States(microseconds(39000)), std::vector<State>{State::Backup});
}

// What keepalived on node2 did while xvrrpd on node1 was ~300 ms slower to start.
TEST(StartupRace, HigherPriorityStartingLaterPreemptsAfterAMomentaryMaster) {
    const std::vector<State> want{State::Backup, State::Master, State::Backup};
    EXPECT_EQ(node2States(microseconds(39100)), want);
    EXPECT_EQ(node2States(std::chrono::milliseconds(330)), want);
}

}  // namespace
}  // namespace xvrrp::vrrp
