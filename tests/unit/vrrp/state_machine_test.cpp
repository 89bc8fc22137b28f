// The pure state machine driven by a fake clock (plain TimePoint values).
#include <gtest/gtest.h>

#include "vrrp/state_machine.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

IpAddr ip(const char* s) { return IpAddr::parse(s).value(); }
TimePoint at(Duration d) { return TimePoint{d}; }

Params params(uint8_t prio = 100, int version = 3) {
    Params p;
    p.name = "vi";
    p.vrid = 51;
    p.version = version;
    p.priority = prio;
    p.advert_int_cs = 100;
    p.primary = ip("10.0.0.5");
    return p;
}

template <class A>
int count(const StepResult& r) {
    int n = 0;
    for (const auto& a : r.actions) n += std::holds_alternative<A>(a);
    return n;
}
const StateChanged* change(const StepResult& r) {
    for (const auto& a : r.actions)
        if (auto* c = std::get_if<StateChanged>(&a)) return c;
    return nullptr;
}
std::vector<uint8_t> sent(const StepResult& r) {
    std::vector<uint8_t> out;
    for (const auto& a : r.actions)
        if (auto* s = std::get_if<SendAdvert>(&a)) out.push_back(s->priority);
    return out;
}
AdvertReceived advert(TimePoint t, const char* src, uint8_t prio, uint16_t int_cs = 100) {
    return AdvertReceived{t, ip(src), prio, int_cs};
}

// Backup started at t=0.
Instance backup(Params p = params()) { return step(makeInstance(p), Startup{}, at({})).instance; }

// Master reached by timeout: returns the instance at the moment it became master.
Instance master(Params p = params()) {
    Instance b = backup(p);
    return step(b, TimerFired{}, *b.master_down_due).instance;
}

// A master stopped or hung for longer than every backup's Master_Down_Interval, then
// fenced: a backup took over meanwhile. Its priority 0 made a third node's timer Skew_Time,
// that node claimed the VIP and sent the last gratuitous ARP, and the client lost 0.4-0.7 s
// (chaos seed 1, faults 60 and 70). It leaves quietly; while still advertising it does not.
TEST(StateMachine, FaultAfterASilenceLongerThanMasterDownSendsNoPriorityZero) {
    Instance m = master();  // advert interval 1 s
    const TimePoint due = *m.advert_due;  // the last advert went out 1 s before
    auto quiet = step(m, FaultRaised{"fenced"}, due + seconds(3) + milliseconds(1));
    EXPECT_EQ(quiet.instance.state, State::Fault);
    EXPECT_TRUE(sent(quiet).empty());
    EXPECT_EQ(count<RemoveVips>(quiet), 1);
    auto loud = step(m, FaultRaised{"fenced"}, due + seconds(3));
    EXPECT_EQ(sent(loud), std::vector<uint8_t>{0});
    EXPECT_EQ(count<RemoveVips>(loud), 1);
}

TEST(StateMachine, OwnerStartsMaster) {
    auto r = step(makeInstance(params(255)), Startup{}, at(seconds(5)));
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(sent(r), std::vector<uint8_t>{255});
    EXPECT_EQ(count<AddVips>(r), 1);
    EXPECT_EQ(count<SendGratuitous>(r), 1);
    ASSERT_NE(change(r), nullptr);
    EXPECT_EQ(change(r)->from, State::Init);
    EXPECT_EQ(change(r)->to, State::Master);
    EXPECT_EQ(r.instance.nextDeadline(), at(seconds(6)));
    EXPECT_EQ(r.instance.counters.became_master, 1u);
    // the StateChanged is the last action: the interpreter notifies after the work
    EXPECT_TRUE(std::holds_alternative<StateChanged>(r.actions.back()));
    // keepalived 2.2.7 logs "Receive advertisement timeout" before the owner's "Entering
    // MASTER STATE" (differential startup_owner): its owner's timer expires at once.
    ASSERT_FALSE(r.actions.empty());
    const auto* first = std::get_if<Note>(&r.actions.front());
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->what, Note::What::AdvertTimeout);
}

TEST(StateMachine, NonOwnerStartsBackupAndTimesOutExactly) {
    auto r = step(makeInstance(params(100)), Startup{}, at({}));
    EXPECT_EQ(r.instance.state, State::Backup);
    ASSERT_NE(change(r), nullptr);
    EXPECT_EQ(change(r)->to, State::Backup);
    const TimePoint due = at(microseconds(3609375));  // 3 s + 156/256 s
    EXPECT_EQ(r.instance.nextDeadline(), due);
    auto early = step(r.instance, TimerFired{}, due + Duration(-1));
    EXPECT_EQ(early.instance.state, State::Backup);
    EXPECT_TRUE(early.actions.empty());
    auto m = step(r.instance, TimerFired{}, due);
    EXPECT_EQ(m.instance.state, State::Master);
    EXPECT_EQ(sent(m), std::vector<uint8_t>{100});
    EXPECT_EQ(change(m)->reason, "master down timer expired");
    EXPECT_EQ(m.instance.nextDeadline(), due + seconds(1));
}

TEST(StateMachine, BackupTimerFromKernelTimestamp) {
    Instance b = backup();
    // received at 2 s, processed at 2.3 s: the deadline counts from 2 s
    auto r = step(b, advert(at(seconds(2)), "10.0.0.9", 200), at(milliseconds(2300)));
    EXPECT_EQ(r.instance.nextDeadline(), at(seconds(2) + microseconds(3609375)));
    EXPECT_EQ(r.instance.master_addr, ip("10.0.0.9"));
    EXPECT_EQ(r.instance.master_priority, 200);
    EXPECT_EQ(r.instance.counters.adverts_rx, 1u);
    EXPECT_TRUE(r.actions.empty());
}

// An advert the kernel stamped before the instance started (it waited in the ring while the
// daemon bound 1,000 instances) says nothing about the master since: the start's wait stands.
// Before, the timer counted from the old stamp and a backup joining a running master at scale
// claimed every VRID at once.
TEST(StateMachine, AdvertStampedBeforeTheStartDoesNotShortenItsWait) {
    auto b = step(makeInstance(params(100)), Startup{}, at(seconds(10))).instance;
    const TimePoint start_due = at(seconds(10) + microseconds(3609375));
    ASSERT_EQ(b.nextDeadline(), start_due);
    auto r = step(b, advert(at(seconds(4)), "10.0.0.9", 200), at(milliseconds(10010)));
    EXPECT_EQ(r.instance.nextDeadline(), start_due);
    EXPECT_EQ(r.instance.master_addr, ip("10.0.0.9"));
    EXPECT_EQ(step(r.instance, TimerFired{}, at(milliseconds(10020))).instance.state, State::Backup);
    // A priority 0 from before the start: Skew_Time from the start, not from its stamp.
    auto z = step(b, advert(at(seconds(4)), "10.0.0.9", 0), at(milliseconds(10010)));
    EXPECT_EQ(z.instance.nextDeadline(), at(seconds(10) + microseconds(609375)));
}

TEST(StateMachine, PriorityZeroTakesOverAfterSkew) {
    Instance b = backup();
    auto r = step(b, advert(at(seconds(2)), "10.0.0.9", 0), at(seconds(2)));
    const TimePoint due = at(seconds(2) + microseconds(609375));
    EXPECT_EQ(r.instance.nextDeadline(), due);
    EXPECT_EQ(r.instance.counters.priority_zero_rx, 1u);
    EXPECT_EQ(step(r.instance, TimerFired{}, due).instance.state, State::Master);
}

TEST(StateMachine, PreemptLowerPriorityMaster) {
    Instance b = backup(params(150));
    const auto before = b.master_down_due;
    auto r = step(b, advert(at(seconds(1)), "10.0.0.9", 100), at(seconds(1)));
    EXPECT_EQ(r.instance.master_down_due, before);  // discarded: the timer keeps running
    EXPECT_EQ(step(r.instance, TimerFired{}, *before).instance.state, State::Master);
}

TEST(StateMachine, NoPreemptFollowsLowerPriorityMaster) {
    Params p = params(150);
    p.preempt = false;
    auto r = step(backup(p), advert(at(seconds(1)), "10.0.0.9", 100), at(seconds(1)));
    // Skew uses our priority 150: 106/256 s
    EXPECT_EQ(r.instance.master_down_due, at(seconds(1) + seconds(3) + microseconds(414062)));
    EXPECT_EQ(r.instance.state, State::Backup);
}

TEST(StateMachine, PreemptDelay) {
    Params p = params(150);
    p.preempt_delay = seconds(10);
    Instance b = backup(p);
    // first lower advert starts the delay and is followed
    auto r = step(b, advert(at(seconds(1)), "10.0.0.9", 100), at(seconds(1)));
    EXPECT_EQ(r.instance.preempt_allowed_at, at(seconds(11)));
    EXPECT_EQ(r.instance.master_down_due, at(seconds(1) + microseconds(3414062)));
    // still inside the delay: followed
    r = step(r.instance, advert(at(seconds(10)), "10.0.0.9", 100), at(seconds(10)));
    const auto due = at(seconds(10) + microseconds(3414062));
    EXPECT_EQ(r.instance.master_down_due, due);
    // after the delay: ignored, we take over when the timer runs out
    r = step(r.instance, advert(at(seconds(11)), "10.0.0.9", 100), at(seconds(11)));
    EXPECT_EQ(r.instance.master_down_due, due);
    auto m = step(r.instance, TimerFired{}, due);
    EXPECT_EQ(m.instance.state, State::Master);
    // a higher advert cancels a running delay
    auto h = step(b, advert(at(seconds(1)), "10.0.0.9", 100), at(seconds(1)));
    h = step(h.instance, advert(at(seconds(2)), "10.0.0.8", 200), at(seconds(2)));
    EXPECT_FALSE(h.instance.preempt_allowed_at);
}

TEST(StateMachine, MasterYieldsToHigherPriority) {
    Instance m = master();
    const TimePoint t = at(seconds(10));
    auto r = step(m, advert(t, "10.0.0.2", 200, 50), t);
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_EQ(count<RemoveVips>(r), 1);
    EXPECT_TRUE(sent(r).empty());  // higher_prio_send_advert off by default
    EXPECT_EQ(change(r)->reason, "higher priority advert from 10.0.0.2");
    // v3: learnt 0.5 s interval: MDI = 1.5 s + 156*50/256 cs
    EXPECT_EQ(r.instance.master_advert_int_cs, 50);
    EXPECT_EQ(r.instance.nextDeadline(), t + microseconds(1500000 + 304687));
    EXPECT_EQ(r.instance.counters.released_master, 1u);
    Params p = params();
    p.higher_prio_send_advert = true;
    EXPECT_EQ(sent(step(master(p), advert(t, "10.0.0.2", 200), t)), std::vector<uint8_t>{100});
}

TEST(StateMachine, TieBrokenByPrimaryAddress) {
    Instance m = master();  // primary 10.0.0.5, priority 100
    const TimePoint t = at(seconds(10));
    auto lower = step(m, advert(t, "10.0.0.4", 100), t);
    EXPECT_EQ(lower.instance.state, State::Master);
    auto higher = step(m, advert(t, "10.0.0.6", 100), t);
    EXPECT_EQ(higher.instance.state, State::Backup);
    EXPECT_EQ(change(higher)->reason, "equal priority advert from higher address 10.0.0.6");
}

TEST(StateMachine, MasterAnswersLowerPriorityUnlessConfigured) {
    const TimePoint t = at(seconds(10));
    auto r = step(master(), advert(t, "10.0.0.9", 50), t);
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(sent(r), std::vector<uint8_t>{100});
    EXPECT_EQ(r.instance.advert_due, t + seconds(1));
    Params p = params();
    p.lower_prio_no_advert = true;
    Instance m = master(p);
    auto q = step(m, advert(t, "10.0.0.9", 50), t);
    EXPECT_TRUE(sent(q).empty());
    EXPECT_EQ(q.instance.advert_due, m.advert_due);
}

// Another router believed it was master and may have drawn the clients' ARP caches to
// itself (two masters for a moment, its gratuitous ARPs last): the master announces its VIPs
// again, with lower_prio_no_advert too (keepalived 2.2.7 measured: garp_lower_prio_repeat
// GARPs at once and again after garp_lower_prio_delay).
TEST(StateMachine, MasterAnnouncesAgainOnALowerPriorityAdvert) {
    const TimePoint t = at(seconds(10));
    auto lowerPrio = [](const StepResult& r) {
        int n = 0;
        for (const auto& a : r.actions)
            if (const auto* g = std::get_if<SendGratuitous>(&a)) n += g->lower_priority;
        return n;
    };
    EXPECT_EQ(lowerPrio(step(master(), advert(t, "10.0.0.9", 50), t)), 1);
    EXPECT_EQ(lowerPrio(step(master(), advert(t, "10.0.0.4", 100), t)), 1);  // tie, lower address
    Params p = params();
    p.lower_prio_no_advert = true;
    EXPECT_EQ(lowerPrio(step(master(p), advert(t, "10.0.0.9", 50), t)), 1);
    EXPECT_EQ(lowerPrio(step(master(), advert(t, "10.0.0.9", 0), t)), 0);   // priority 0: advert only
    EXPECT_EQ(lowerPrio(step(master(), advert(t, "10.0.0.9", 200), t)), 0);  // it steps down
}

TEST(StateMachine, MasterAnswersPriorityZeroAtOnce) {
    Instance m = master();
    const TimePoint t = *m.advert_due + Duration(-milliseconds(300));
    auto r = step(m, advert(t, "10.0.0.9", 0), t);
    EXPECT_EQ(sent(r), std::vector<uint8_t>{100});
    EXPECT_EQ(r.instance.advert_due, t + seconds(1));
    EXPECT_EQ(r.instance.state, State::Master);
}

TEST(StateMachine, MasterAdvertTimer) {
    Instance m = master();
    const TimePoint due = *m.advert_due;
    auto r = step(m, TimerFired{}, due);
    EXPECT_EQ(sent(r), std::vector<uint8_t>{100});
    EXPECT_EQ(r.instance.advert_due, due + seconds(1));
    EXPECT_EQ(r.instance.counters.adverts_tx, m.counters.adverts_tx + 1);
}

TEST(StateMachine, LearntIntervalChangesMasterDown) {
    Instance b = backup();
    auto r = step(b, advert(at(seconds(1)), "10.0.0.9", 200, 300), at(seconds(1)));
    EXPECT_EQ(r.instance.master_advert_int_cs, 300);
    // 3 * 3 s + 156 * 300 cs / 256
    EXPECT_EQ(r.instance.master_down_due, at(seconds(1) + microseconds(9000000 + 1828125)));
    // v2 does not learn: interval mismatch is rejected before the state machine
    Instance b2 = backup(params(100, 2));
    auto r2 = step(b2, advert(at(seconds(1)), "10.0.0.9", 200, 300), at(seconds(1)));
    EXPECT_EQ(r2.instance.master_advert_int_cs, 100);
    // on becoming master our own interval is used again
    auto m = step(r.instance, TimerFired{}, *r.instance.master_down_due);
    EXPECT_EQ(m.instance.master_advert_int_cs, 100);
    EXPECT_EQ(m.instance.advert_due, *r.instance.master_down_due + seconds(1));
}

TEST(StateMachine, FaultInAndOut) {
    Instance m = master();
    const TimePoint t = *m.advert_due;  // still advertising
    auto f = step(m, FaultRaised{"eth0 down"}, t);
    EXPECT_EQ(f.instance.state, State::Fault);
    EXPECT_EQ(sent(f), std::vector<uint8_t>{0});
    EXPECT_EQ(count<RemoveVips>(f), 1);
    EXPECT_EQ(change(f)->reason, "fault: eth0 down");
    EXPECT_FALSE(f.instance.nextDeadline());
    // adverts and timers do nothing in Fault
    EXPECT_TRUE(step(f.instance, advert(t, "10.0.0.9", 0), t).actions.empty());
    EXPECT_TRUE(step(f.instance, TimerFired{}, t).actions.empty());
    auto c = step(f.instance, FaultCleared{}, t + seconds(1));
    EXPECT_EQ(c.instance.state, State::Backup);
    EXPECT_EQ(c.instance.nextDeadline(), t + seconds(1) + microseconds(3609375));
    // backup -> fault sends nothing
    auto bf = step(backup(), FaultRaised{"track script"}, t);
    EXPECT_EQ(bf.instance.state, State::Fault);
    EXPECT_TRUE(sent(bf).empty());
    // the owner comes back as master
    auto o = step(makeInstance(params(255)), Startup{}, at({})).instance;
    o = step(o, FaultRaised{"x"}, t).instance;
    auto oc = step(o, FaultCleared{}, t);
    EXPECT_EQ(oc.instance.state, State::Master);
    EXPECT_EQ(sent(oc), std::vector<uint8_t>{255});
}

TEST(StateMachine, ShutdownSendsPriorityZero) {
    auto r = step(master(), Shutdown{}, at(seconds(30)));
    EXPECT_EQ(sent(r), std::vector<uint8_t>{0});
    EXPECT_EQ(count<RemoveVips>(r), 1);
    EXPECT_EQ(r.instance.state, State::Init);
    EXPECT_EQ(r.instance.counters.priority_zero_tx, 1u);
    EXPECT_FALSE(r.instance.nextDeadline());
    auto b = step(backup(), Shutdown{}, at(seconds(30)));
    EXPECT_TRUE(sent(b).empty());
    EXPECT_EQ(b.instance.state, State::Init);
}

TEST(StateMachine, PriorityChanges) {
    Instance b = backup();
    const TimePoint due = *b.master_down_due;  // 3 s + 156/256 s
    auto r = step(b, PriorityChanged{200}, at(seconds(1)));
    EXPECT_EQ(r.instance.effective_priority, 200);
    // skew shrinks from 609375 to 218750 us
    EXPECT_EQ(r.instance.master_down_due, due + Duration(-microseconds(609375 - 218750)));
    EXPECT_EQ(step(b, PriorityChanged{0}, at({})).instance.effective_priority, 1);
    EXPECT_EQ(step(b, PriorityChanged{255}, at({})).instance.effective_priority, 254);
    // owner ignores trackers
    auto o = step(makeInstance(params(255)), Startup{}, at({})).instance;
    EXPECT_EQ(step(o, PriorityChanged{50}, at({})).instance.effective_priority, 255);
    // a master keeps the role and advertises its new priority
    Instance m = step(master(), PriorityChanged{20}, at(seconds(5))).instance;
    EXPECT_EQ(m.state, State::Master);
    EXPECT_EQ(sent(step(m, TimerFired{}, *m.advert_due)), std::vector<uint8_t>{20});
}

TEST(StateMachine, V2TimersUseSecondsSkew) {
    Instance b = backup(params(100, 2));
    EXPECT_EQ(b.master_down_due, at(microseconds(3609375)));
    Params p = params(100, 2);
    p.advert_int_cs = 300;
    EXPECT_EQ(backup(p).master_down_due, at(microseconds(9609375)));
}

TEST(StateMachine, StateNames) {
    EXPECT_STREQ(stateName(State::Init), "INIT");
    EXPECT_STREQ(stateName(State::Backup), "BACKUP");
    EXPECT_STREQ(stateName(State::Master), "MASTER");
    EXPECT_STREQ(stateName(State::Fault), "FAULT");
}


TEST(StateMachine, SyncGroupMovesBackupToMasterAndBack) {
    Instance b = backup();
    auto r = step(b, GroupTransition{State::Master, "sync group VG"}, at(milliseconds(10)));
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(count<AddVips>(r), 1);
    EXPECT_EQ(sent(r), std::vector<uint8_t>{100});
    auto r2 = step(r.instance, GroupTransition{State::Backup, "sync group VG"}, at(seconds(1)));
    EXPECT_EQ(r2.instance.state, State::Backup);
    EXPECT_EQ(count<RemoveVips>(r2), 1);
    EXPECT_EQ(*r2.instance.master_down_due, at(seconds(1)) + masterDownInterval(100, 100, 3));
    // Fault and Init are not moved by the group.
    auto f = step(b, FaultRaised{"link"}, at(seconds(1))).instance;
    EXPECT_EQ(step(f, GroupTransition{State::Master, "g"}, at(seconds(2))).instance.state,
              State::Fault);
}

}  // namespace
}  // namespace xvrrp::vrrp
