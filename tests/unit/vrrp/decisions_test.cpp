// Decisions the machine owns besides RFC 5798's election: advert coalescing, the sync-group
// gate, and when the kernel may absorb a master's adverts. All on a fake clock.
#include <gtest/gtest.h>

#include "vrrp/state_machine.hpp"
#include "vrrp/timers.hpp"
#include "step_util.hpp"

namespace xvrrp::vrrp {
namespace {

using test::at;
using test::count;
using test::first;
using test::ip;

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;


Params params(uint8_t prio = 100) {
    Params p;
    p.name = "vi";
    p.vrid = 51;
    p.priority = prio;
    p.advert_int_cs = 100;
    p.primary = ip("10.0.0.5");
    return p;
}

AdvertReceived advert(TimePoint t, const char* src, uint8_t prio, uint16_t int_cs = 100) {
    return AdvertReceived{t, ip(src), prio, int_cs};
}
Instance started(Params p) { return step(makeInstance(p), Startup{}, at({})).instance; }
Instance masterOf(Params p) {
    Instance b = started(p);
    return step(b, TimerFired{}, *b.master_down_due).instance;
}

// ---- advert coalescing ------------------------------------------------------------------

TEST(Coalescing, AdvertWithinWindowGoesNowAndScheduleContinuesFromNow) {
    Params p = params();
    p.coalesce_window = coalesceWindow(p.advert_int_cs);  // 5 ms
    Instance m = masterOf(p);
    const TimePoint due = *m.advert_due;
    EXPECT_EQ(m.wakeAt(), due + (-milliseconds(5)));
    EXPECT_EQ(m.nextDeadline(), due);  // the timer itself stays exact

    auto early = step(m, TimerFired{}, due + (-milliseconds(6)));
    EXPECT_EQ(count<SendAdvert>(early), 0);
    EXPECT_EQ(early.instance.advert_due, due);

    auto r = step(m, TimerFired{}, due + (-milliseconds(4)));
    EXPECT_EQ(count<SendAdvert>(r), 1);
    EXPECT_EQ(r.instance.advert_due, due + (-milliseconds(4)) + seconds(1));
}

TEST(Coalescing, OffMeansExact) {
    Instance m = masterOf(params());
    const TimePoint due = *m.advert_due;
    EXPECT_EQ(m.wakeAt(), due);
    EXPECT_EQ(count<SendAdvert>(step(m, TimerFired{}, due + Duration(-1))), 0);
    EXPECT_EQ(count<SendAdvert>(step(m, TimerFired{}, due)), 1);
}

TEST(Coalescing, WindowIsAQuarterIntervalAtMostFiveMs) {
    EXPECT_EQ(coalesceWindow(1), microseconds(2500));
    EXPECT_EQ(coalesceWindow(2), milliseconds(5));
    EXPECT_EQ(coalesceWindow(100), milliseconds(5));
}

// ---- sync group gate ----------------------------------------------------------------------

TEST(SyncGroupGate, ExpiryAsksTheGroupInsteadOfTakingOver) {
    Params p = params();
    p.sync_group = true;
    Instance b = started(p);
    const TimePoint due = *b.master_down_due;
    auto r = step(b, TimerFired{}, due);
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_EQ(count<AskGroup>(r), 1);
    EXPECT_EQ(count<StateChanged>(r), 0);
    EXPECT_TRUE(r.instance.wants_master);
    // Deferred by default: it looks again one Master_Down_Interval later.
    EXPECT_EQ(r.instance.master_down_due, due + masterDownInterval(100, 100, 3));

    auto allowed = step(r.instance, GroupAnswer{true}, due);
    EXPECT_EQ(allowed.instance.state, State::Master);
    EXPECT_FALSE(allowed.instance.wants_master);

    auto denied = step(r.instance, GroupAnswer{false}, due);
    EXPECT_EQ(denied.instance.state, State::Backup);
    EXPECT_TRUE(denied.instance.wants_master);
    EXPECT_TRUE(denied.actions.empty());
}

TEST(SyncGroupGate, HearingAMasterAgainWithdrawsTheWish) {
    Params p = params();
    p.sync_group = true;
    Instance b = started(p);
    auto asked = step(b, TimerFired{}, *b.master_down_due).instance;
    ASSERT_TRUE(asked.wants_master);
    auto heard = step(asked, advert(at(seconds(4)), "10.0.0.9", 150), at(seconds(4))).instance;
    EXPECT_FALSE(heard.wants_master);
    // A late "allow" no longer moves it.
    EXPECT_EQ(step(heard, GroupAnswer{true}, at(seconds(4))).instance.state, State::Backup);
}

TEST(SyncGroupGate, LeavingBackupClearsTheWish) {
    Params p = params();
    p.sync_group = true;
    Instance b = started(p);
    auto asked = step(b, TimerFired{}, *b.master_down_due).instance;
    auto faulted = step(asked, FaultRaised{"link"}, at(seconds(4))).instance;
    EXPECT_FALSE(faulted.wants_master);
}

TEST(SyncGroupGate, GroupTransitionStillMovesAMember) {
    Params p = params();
    p.sync_group = true;
    Instance b = started(p);
    auto r = step(b, GroupTransition{State::Master, "sync group G: VI_2 MASTER"}, at(seconds(1)));
    EXPECT_EQ(r.instance.state, State::Master);
}

TEST(SyncGroupGate, NotAMemberTakesOverAlone) {
    Instance b = started(params());
    auto r = step(b, TimerFired{}, *b.master_down_due);
    EXPECT_EQ(count<AskGroup>(r), 0);
    EXPECT_EQ(r.instance.state, State::Master);
}

// ---- reload and hitless restart ----------------------------------------------------------

TEST(Reconfigure, NewKnobsSameStateNoTransition) {
    Instance m = masterOf(params());
    Params p = params();
    p.preempt = false;
    p.preempt_delay = seconds(30);
    p.primary = ip("10.9.9.9");  // ignored: the address comes from the interface
    auto r = step(m, Reconfigured{p}, at(seconds(5)));
    EXPECT_TRUE(r.actions.empty());
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(r.instance.advert_due, m.advert_due);
    EXPECT_FALSE(r.instance.params.preempt);
    EXPECT_EQ(r.instance.params.primary, ip("10.0.0.5"));
}

TEST(Adopt, MasterSpeaksAtOnceKeepsItsVipsWithoutATransition) {
    Counters c;
    c.became_master = 3;
    c.adverts_tx = 1000;
    Params p = params();
    p.coalesce_window = milliseconds(5);
    auto r = step(makeInstance(p), Adopt{State::Master, c}, at(seconds(7)));
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(count<SendAdvert>(r), 1);
    EXPECT_EQ(count<AddVips>(r), 1);      // adds what is missing, keeps what is there
    EXPECT_EQ(count<StateChanged>(r), 0);  // no notify, no "Entering MASTER STATE"
    EXPECT_EQ(count<SendGratuitous>(r), 0);
    EXPECT_EQ(r.instance.counters.became_master, 3u);
    EXPECT_EQ(r.instance.counters.adverts_tx, 1001u);
    EXPECT_EQ(r.instance.advert_due, at(seconds(8)));
    EXPECT_EQ(r.instance.master_addr, ip("10.0.0.5"));
}

TEST(Adopt, BackupWaitsAFullMasterDownInterval) {
    auto r = step(makeInstance(params()), Adopt{State::Backup, {}}, at(seconds(7)));
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_TRUE(r.actions.empty());
    EXPECT_EQ(r.instance.master_down_due, at(seconds(7)) + masterDownInterval(100, 100, 3));
    // Only an instance that has not started adopts.
    EXPECT_TRUE(step(masterOf(params()), Adopt{State::Backup, {}}, at(seconds(7))).actions.empty());
}

TEST(Adopt, BackupHearsEveryAdvertUntilItFollowsAMaster) {
    // The kernel may still absorb the master for the instance taken over from; this one
    // would hear nothing and take over after a Master_Down_Interval.
    Params p = params();
    p.kernel_absorb = true;
    auto r = step(makeInstance(p), Adopt{State::Backup, {}}, at(seconds(7)));
    EXPECT_EQ(count<StopAbsorbing>(r), 1);
    EXPECT_FALSE(r.instance.absorbing);
}

// ---- VIPs held at startup (a killed daemon left them) -------------------------------------

Instance holding(Params p) { return step(makeInstance(p), Startup{true}, at({})).instance; }

TEST(HeldVips, KeptWhenItBecomesMaster) {
    Instance b = holding(params());
    EXPECT_TRUE(b.holding_vips);
    auto r = step(b, TimerFired{}, *b.master_down_due);
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(count<RemoveVips>(r), 0);
    EXPECT_EQ(count<AddVips>(r), 1);
    EXPECT_FALSE(r.instance.holding_vips);
}

TEST(HeldVips, RemovedOnceAnotherRouterIsMasterForGood) {
    Instance b = holding(params());
    auto r = step(b, advert(at(milliseconds(50)), "10.0.0.9", 200), at(milliseconds(50)));
    EXPECT_EQ(count<RemoveVips>(r), 1);
    EXPECT_FALSE(r.instance.holding_vips);
    auto again = step(r.instance, advert(at(milliseconds(150)), "10.0.0.9", 200),
                      at(milliseconds(150)));
    EXPECT_EQ(count<RemoveVips>(again), 0);
}

TEST(HeldVips, KeptWhileItMayStillPreemptALowerMaster) {
    Instance b = holding(params());
    auto r = step(b, advert(at(milliseconds(50)), "10.0.0.9", 50), at(milliseconds(50)));
    EXPECT_EQ(count<RemoveVips>(r), 0);
    EXPECT_TRUE(r.instance.holding_vips);
    // nopreempt follows the lower master for good: they go.
    Params np = params();
    np.preempt = false;
    auto n = step(holding(np), advert(at(milliseconds(50)), "10.0.0.9", 50), at(milliseconds(50)));
    EXPECT_EQ(count<RemoveVips>(n), 1);
}

TEST(HeldVips, RemovedOnFaultAndShutdown) {
    EXPECT_EQ(count<RemoveVips>(step(holding(params()), FaultRaised{"link"}, at({}))), 1);
    EXPECT_EQ(count<RemoveVips>(step(holding(params()), Shutdown{}, at({}))), 1);
    EXPECT_EQ(count<RemoveVips>(step(started(params()), Shutdown{}, at({}))), 0);
}

TEST(Handover, AMasterSpeaksAtOnceAndRestartsItsAdvertTimer) {
    Instance m = masterOf(params());
    auto r = step(m, Handover{}, at(seconds(5) + milliseconds(300)));
    EXPECT_EQ(count<SendAdvert>(r), 1);
    EXPECT_EQ(first<SendAdvert>(r)->priority, m.effective_priority);
    EXPECT_EQ(count<StateChanged>(r), 0);
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(r.instance.advert_due, at(seconds(6) + milliseconds(300)));
    EXPECT_EQ(r.instance.counters.adverts_tx, m.counters.adverts_tx + 1);
    // Anyone else has nothing to say.
    EXPECT_TRUE(step(started(params()), Handover{}, at(seconds(5))).actions.empty());
}

// ---- who is master, as status shows it ----------------------------------------------------

TEST(MasterAddress, AFaultedOrStoppedMasterNoLongerNamesItself) {
    Instance m = masterOf(params());
    ASSERT_EQ(m.master_addr, ip("10.0.0.5"));
    auto f = step(m, FaultRaised{"link"}, at(seconds(5))).instance;
    EXPECT_FALSE(f.master_addr);
    EXPECT_EQ(f.master_priority, 0);
    EXPECT_FALSE(step(m, Shutdown{}, at(seconds(5))).instance.master_addr);
    // Yielding to a better advert names the new master.
    auto y = step(m, advert(at(seconds(5)), "10.0.0.9", 200), at(seconds(5))).instance;
    EXPECT_EQ(y.master_addr, ip("10.0.0.9"));
}

// ---- a VIP removed behind the master's back -----------------------------------------------

// keepalived 2.2.7 (differential vip_deleted_on_master): priority 0, VIPs removed, BACKUP,
// and MASTER again after Skew_Time unless a better router claims first.
TEST(VipsLost, TheMasterLeavesAsOnAStopAndComesBackAfterSkewTime) {
    Instance m = masterOf(params(150));
    const TimePoint t = at(seconds(5));
    auto r = step(m, VipsLost{}, t);
    ASSERT_NE(first<SendAdvert>(r), nullptr);
    EXPECT_EQ(first<SendAdvert>(r)->priority, 0);
    EXPECT_EQ(count<RemoveVips>(r), 1);
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_EQ(r.instance.master_down_due, t + skewTime(150, 100, params().version));
    auto back = step(r.instance, TimerFired{}, *r.instance.master_down_due);
    EXPECT_EQ(back.instance.state, State::Master);
    EXPECT_EQ(count<AddVips>(back), 1);
    // Only a master has VIPs to lose.
    EXPECT_TRUE(step(started(params()), VipsLost{}, t).actions.empty());
}

// ---- kernel absorption -------------------------------------------------------------------

Params absorbing() {
    Params p = params();
    p.kernel_absorb = true;
    return p;
}

TEST(KernelAbsorb, FollowingAMasterLetsTheKernelAbsorbIt) {
    Instance b = started(absorbing());
    const TimePoint t = at(seconds(1));
    auto r = step(b, advert(t, "10.0.0.9", 150), t);
    const auto* a = first<AbsorbAdverts>(r);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->master, ip("10.0.0.9"));
    EXPECT_EQ(a->priority, 150);
    EXPECT_EQ(a->interval_cs, 100);
    EXPECT_TRUE(r.instance.absorbing);
    // The kernel is read 20 ms before the Master_Down_Timer would decide.
    EXPECT_EQ(r.instance.kernel_check_due, *r.instance.master_down_due + (-milliseconds(20)));
    // Its own wake-up comes half way into that window (10 ms later); until then another
    // instance's wake-up reads it too.
    EXPECT_EQ(r.instance.nextDeadline(), *r.instance.kernel_check_due + milliseconds(10));
    EXPECT_EQ(r.instance.wakeAt(), r.instance.nextDeadline());
    EXPECT_FALSE(r.instance.timerDue(*r.instance.kernel_check_due + (-milliseconds(1))));
    EXPECT_TRUE(r.instance.timerDue(*r.instance.kernel_check_due));
}

// 255 backups at 10 ms adverts woke 200 times a second, each for its own kernel check (3.8x
// the CPU of the build before): a wake-up for one serves every check whose window is open.
TEST(KernelAbsorb, OneWakeUpReadsEveryBackupWhoseWindowIsOpen) {
    Params p = absorbing();
    p.advert_int_cs = 1;
    Instance a = started(p), b = started(p);
    const TimePoint t = at(seconds(1));
    a = step(a, advert(t, "10.0.0.9", 150, 1), t).instance;
    b = step(b, advert(t + milliseconds(4), "10.0.0.9", 150, 1), t + milliseconds(4)).instance;
    // a wakes for its own check; b's window (10 ms lead) is open by then.
    const TimePoint wake = *a.nextDeadline();
    ASSERT_LT(wake, *b.nextDeadline());
    EXPECT_TRUE(b.timerDue(wake));
    EXPECT_EQ(count<ReadKernelLastSeen>(step(b, TimerFired{}, wake)), 1);
}

TEST(KernelAbsorb, OffByDefault) {
    Instance b = started(params());
    auto r = step(b, advert(at(seconds(1)), "10.0.0.9", 150), at(seconds(1)));
    EXPECT_EQ(count<AbsorbAdverts>(r), 0);
    EXPECT_FALSE(r.instance.absorbing);
}

TEST(KernelAbsorb, ALowerPriorityToPreemptOrAPriorityZeroStopsIt) {
    Instance b = started(absorbing());
    auto following = step(b, advert(at(seconds(1)), "10.0.0.9", 150), at(seconds(1))).instance;
    // A lower priority: absorption ends once the kernel has said when it last took the
    // master's advert (the timer counts from there, RFC 5798 6.4.2).
    auto lower = step(following, advert(at(seconds(2)), "10.0.0.9", 50), at(seconds(2)));
    EXPECT_EQ(count<ReadKernelLastSeen>(lower), 1);
    auto ended = step(lower.instance, KernelLastSeen{at(milliseconds(1900))}, at(seconds(2)));
    EXPECT_EQ(count<StopAbsorbing>(ended), 1);
    EXPECT_FALSE(ended.instance.absorbing);
    EXPECT_FALSE(ended.instance.kernel_check_due);
    auto zero = step(following, advert(at(seconds(2)), "10.0.0.9", 0), at(seconds(2)));
    EXPECT_EQ(count<StopAbsorbing>(zero), 1);
    EXPECT_EQ(count<AbsorbAdverts>(zero), 0);
    // Nothing to stop twice.
    EXPECT_EQ(count<StopAbsorbing>(step(zero.instance, AbsorbLost{}, at(seconds(2)))), 0);
}

// The kernel absorbed the master's adverts for a while (the machine's timer still counts
// from the first one, re-armed only when read); then the master's priority falls below ours.
// The takeover is one Master_Down_Interval after the last advert the kernel took, not after
// the first (differential track_file_weight: a backup took over 160 ms after its master's
// priority fell, where RFC 5798 6.4.2 and keepalived wait 360 ms).
TEST(KernelAbsorb, ALowerPriorityCountsFromTheLastAdvertTheKernelTook) {
    Params p = absorbing();
    p.advert_int_cs = 10;
    Instance b = started(p);
    auto following = step(b, advert(at(seconds(1)), "10.0.0.9", 150, 10), at(seconds(1))).instance;
    const TimePoint last = at(milliseconds(1250)), fell = at(milliseconds(1350));
    auto lower = step(following, advert(fell, "10.0.0.9", 50, 10), fell);
    ASSERT_EQ(count<ReadKernelLastSeen>(lower), 1);
    auto r = step(lower.instance, KernelLastSeen{last}, fell);
    EXPECT_EQ(r.instance.master_down_due, last + masterDownInterval(100, 10, 3));
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_FALSE(r.instance.absorbing);
}

TEST(KernelAbsorb, LeavingBackupStopsIt) {
    Instance b = started(absorbing());
    auto following = step(b, advert(at(seconds(1)), "10.0.0.9", 150), at(seconds(1))).instance;
    auto fault = step(following, FaultRaised{"link"}, at(seconds(2)));
    EXPECT_EQ(count<StopAbsorbing>(fault), 1);
    // The stop comes before the state change is announced.
    EXPECT_TRUE(std::holds_alternative<StateChanged>(fault.actions.back()));
    auto stop = step(following, Shutdown{}, at(seconds(2)));
    EXPECT_EQ(count<StopAbsorbing>(stop), 1);
}

TEST(KernelAbsorb, AMasterThatYieldsAbsorbsItsNewMaster) {
    Instance m = masterOf(absorbing());
    auto r = step(m, advert(at(seconds(5)), "10.0.0.9", 150), at(seconds(5)));
    EXPECT_EQ(r.instance.state, State::Backup);
    ASSERT_NE(first<AbsorbAdverts>(r), nullptr);
    EXPECT_TRUE(r.instance.absorbing);
}

TEST(KernelAbsorb, KernelIsReadBeforeTheTimerDecides) {
    Instance b = started(absorbing());
    const TimePoint t = at(seconds(1));
    auto following = step(b, advert(t, "10.0.0.9", 150), t).instance;
    const TimePoint check = *following.kernel_check_due;
    auto r = step(following, TimerFired{}, check);
    EXPECT_EQ(count<ReadKernelLastSeen>(r), 1);
    EXPECT_EQ(r.instance.state, State::Backup);
    // The kernel absorbed an advert 3 s later: the timer re-arms from it.
    const TimePoint seen = t + seconds(3);
    auto re = step(r.instance, KernelLastSeen{seen}, check);
    EXPECT_EQ(re.instance.master_down_due, seen + masterDownInterval(100, 100, 3));
    EXPECT_EQ(re.instance.last_advert, seen);
    EXPECT_TRUE(re.instance.absorbing);
    EXPECT_EQ(re.instance.kernel_check_due, *re.instance.master_down_due + (-milliseconds(20)));
    EXPECT_TRUE(re.actions.empty());
}

TEST(KernelAbsorb, NothingNewFromTheKernelLetsTheTimerRunOut) {
    Instance b = started(absorbing());
    const TimePoint t = at(seconds(1));
    auto following = step(b, advert(t, "10.0.0.9", 150), t).instance;
    const TimePoint down = *following.master_down_due;
    auto read = step(following, TimerFired{}, *following.kernel_check_due).instance;
    auto stale = step(read, KernelLastSeen{t}, *following.kernel_check_due).instance;
    EXPECT_FALSE(stale.kernel_check_due);
    EXPECT_EQ(stale.nextDeadline(), down);
    // At the deadline the kernel is asked once more, and then the timer decides.
    auto last = step(stale, TimerFired{}, down);
    EXPECT_EQ(count<ReadKernelLastSeen>(last), 1);
    EXPECT_EQ(last.instance.state, State::Backup);
    auto over = step(last.instance, KernelLastSeen{std::nullopt}, down);
    EXPECT_EQ(over.instance.state, State::Master);
    EXPECT_EQ(count<StopAbsorbing>(over), 1);
}

TEST(KernelAbsorb, PreemptDelayOnlyAbsorbsAMasterFollowedForGood) {
    Params p = absorbing();
    p.preempt_delay = seconds(10);
    Instance b = started(p);
    // A lower-priority master is followed while preempt_delay runs, but not absorbed: the
    // machine must see its adverts to preempt when the delay ends.
    auto lower = step(b, advert(at(seconds(1)), "10.0.0.9", 50), at(seconds(1)));
    EXPECT_EQ(count<AbsorbAdverts>(lower), 0);
    auto higher = step(lower.instance, advert(at(seconds(2)), "10.0.0.9", 150), at(seconds(2)));
    EXPECT_EQ(count<AbsorbAdverts>(higher), 1);
}

// Our priority rises above the master's (a tracker): its next adverts are discarded, so the
// takeover comes one Master_Down_Interval after the last advert the kernel took before the
// rise. Before, nothing read the kernel: the timer still counted from the first advert of the
// absorbed run and the backup took over 10-16 ms after its first discarded advert
// (differential track_script_positive_weight; keepalived 323 ms).
TEST(KernelAbsorb, OurPriorityAboveTheMastersCountsFromTheLastAdvertTheKernelTook) {
    Params p = absorbing();
    p.advert_int_cs = 10;
    Instance b = started(p);
    auto following = step(b, advert(at(seconds(1)), "10.0.0.9", 150, 10), at(seconds(1))).instance;
    const TimePoint last = at(milliseconds(4970)), rise = at(seconds(5));
    ASSERT_LT(*following.master_down_due, rise);  // the first advert's timer is long past
    auto r = step(following, PriorityChanged{160}, rise);
    ASSERT_EQ(count<ReadKernelLastSeen>(r), 1);
    auto read = step(r.instance, KernelLastSeen{last}, rise);
    EXPECT_EQ(read.instance.master_down_due, last + masterDownInterval(160, 10, 3));
    EXPECT_FALSE(read.instance.absorbing);
    EXPECT_EQ(read.instance.state, State::Backup);
    EXPECT_EQ(count<Note>(read), 0);  // the kernel's stamp is not logged as a discarded advert
    // The master's next advert (150 < 160) is discarded; the timer decides.
    auto next = step(read.instance, advert(rise + milliseconds(30), "10.0.0.9", 150, 10),
                     rise + milliseconds(30));
    EXPECT_EQ(next.instance.master_down_due, read.instance.master_down_due);
    EXPECT_EQ(step(next.instance, TimerFired{}, *read.instance.master_down_due).instance.state,
              State::Master);
    // A rise that stays below the master's priority changes nothing here.
    EXPECT_EQ(count<ReadKernelLastSeen>(step(following, PriorityChanged{140}, rise)), 0);
}

TEST(KernelAbsorb, NopreemptAbsorbsALowerMaster) {
    Params p = absorbing();
    p.preempt = false;
    Instance b = started(p);
    auto r = step(b, advert(at(seconds(1)), "10.0.0.9", 50), at(seconds(1)));
    EXPECT_EQ(count<AbsorbAdverts>(r), 1);
}

// Lost adverts (the ring was full) end absorption, after the kernel has said when it last
// took the master's advert: the timer counts from there. Before, absorption stopped at once
// and the timer ran out from the last advert read in userspace, though the kernel had taken
// the master's repeats all along (a backup joining a master of 1,000 instances claimed 73).
TEST(KernelAbsorb, LostAdvertsStopItAfterTheKernelSaysWhenItLastHeardTheMaster) {
    Instance b = started(absorbing());
    auto following = step(b, advert(at(seconds(1)), "10.0.0.9", 150), at(seconds(1))).instance;
    const TimePoint lost = at(milliseconds(4550)), taken = at(milliseconds(4500));
    ASSERT_LT(*following.master_down_due, lost + milliseconds(100));
    auto r = step(following, AbsorbLost{}, lost);
    EXPECT_EQ(count<ReadKernelLastSeen>(r), 1);
    EXPECT_EQ(count<StopAbsorbing>(r), 0);
    // A second loss before the answer asks nothing more.
    EXPECT_EQ(count<ReadKernelLastSeen>(step(r.instance, AbsorbLost{}, lost)), 0);
    auto ended = step(r.instance, KernelLastSeen{taken}, lost);
    EXPECT_EQ(count<StopAbsorbing>(ended), 1);
    EXPECT_FALSE(ended.instance.absorbing);
    EXPECT_EQ(ended.instance.master_down_due, taken + masterDownInterval(100, 100, 3));
    EXPECT_EQ(step(ended.instance, TimerFired{}, *following.master_down_due).instance.state,
              State::Backup);
    // Nothing new from the kernel: the timer stands and absorption still ends.
    auto none = step(r.instance, KernelLastSeen{std::nullopt}, lost);
    EXPECT_EQ(count<StopAbsorbing>(none), 1);
    EXPECT_EQ(none.instance.master_down_due, following.master_down_due);
}

TEST(KernelAbsorb, PriorityChangeMovesTheCheckWithTheTimer) {
    Instance b = started(absorbing());
    auto following = step(b, advert(at(seconds(1)), "10.0.0.9", 150), at(seconds(1))).instance;
    auto r = step(following, PriorityChanged{50}, at(seconds(1)));
    EXPECT_EQ(r.instance.kernel_check_due, *r.instance.master_down_due + (-milliseconds(20)));
}

TEST(KernelAbsorb, SyncGroupMemberAsksItsGroupAfterTheKernel) {
    Params p = absorbing();
    p.sync_group = true;
    Instance b = started(p);
    auto following = step(b, advert(at(seconds(1)), "10.0.0.9", 150), at(seconds(1))).instance;
    const TimePoint down = *following.master_down_due;
    auto read = step(following, TimerFired{}, down).instance;
    auto r = step(read, KernelLastSeen{std::nullopt}, down);
    EXPECT_EQ(count<AskGroup>(r), 1);
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_TRUE(r.instance.wants_master);
    EXPECT_EQ(r.instance.kernel_check_due, *r.instance.master_down_due + (-milliseconds(20)));
}

}  // namespace
}  // namespace xvrrp::vrrp
