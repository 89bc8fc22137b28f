// PeerLost (xvrrp_bfd_failover, docs/bfd.md): the BFD session to the master this backup
// follows expired. On the fake clock: it counts as the Master_Down_Timer running out now,
// about the followed master and in BACKUP only.
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

using std::chrono::milliseconds;
using std::chrono::seconds;


const char* kMaster = "10.0.0.1";

Params params(uint8_t prio = 80) {
    Params p;
    p.name = "vi";
    p.vrid = 51;
    p.priority = prio;
    p.advert_int_cs = 100;
    p.primary = ip("10.0.0.5");
    return p;
}

AdvertReceived advert(TimePoint t, const char* src, uint8_t prio) {
    return {t, ip(src), prio, 100};
}

// A backup (priority 80 unless P says otherwise) that follows kMaster (150) since t = 1 s.
Instance following(Params p = params(), uint8_t master_prio = 150) {
    Instance b = step(makeInstance(p), Startup{}, at({})).instance;
    return step(b, advert(at(seconds(1)), kMaster, master_prio), at(seconds(1))).instance;
}

TEST(PeerLost, TheFollowedMasterLostTakesOverAtOnce) {
    Instance b = following();
    ASSERT_EQ(b.state, State::Backup);
    const TimePoint now = at(seconds(1) + milliseconds(40));  // long before Master_Down_Interval
    ASSERT_LT(now, *b.master_down_due);
    auto r = step(b, PeerLost{ip(kMaster)}, now);
    EXPECT_EQ(r.instance.state, State::Master);
    ASSERT_NE(first<Note>(r), nullptr);
    EXPECT_EQ(first<Note>(r)->what, Note::What::PeerLost);
    EXPECT_EQ(first<Note>(r)->from, ip(kMaster));
    // As on the Master_Down_Timer: an advert at our priority, VIPs, gratuitous ARPs.
    ASSERT_NE(first<SendAdvert>(r), nullptr);
    EXPECT_EQ(first<SendAdvert>(r)->priority, 80);
    EXPECT_EQ(count<AddVips>(r), 1);
    EXPECT_EQ(count<SendGratuitous>(r), 1);
    ASSERT_NE(first<StateChanged>(r), nullptr);
    EXPECT_EQ(first<StateChanged>(r)->to, State::Master);
    EXPECT_EQ(r.instance.advert_due, now + seconds(1));
    EXPECT_FALSE(r.instance.master_down_due.has_value());
    EXPECT_EQ(r.instance.counters.peer_lost_accepted, 1u);
    EXPECT_EQ(r.instance.counters.became_master, 1u);
    EXPECT_EQ(count<PeerLostIgnored>(r), 0);
}

TEST(PeerLost, AnotherAddressIsIgnored) {
    Instance b = following();
    auto r = step(b, PeerLost{ip("10.0.0.9")}, at(seconds(2)));
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_EQ(r.instance.master_down_due, b.master_down_due);  // the timer is untouched
    EXPECT_EQ(count<StateChanged>(r) + count<SendAdvert>(r) + count<Note>(r), 0);
    ASSERT_NE(first<PeerLostIgnored>(r), nullptr);
    EXPECT_EQ(first<PeerLostIgnored>(r)->why, PeerLostIgnored::Why::OtherMaster);
    EXPECT_EQ(first<PeerLostIgnored>(r)->master, ip(kMaster));
    EXPECT_EQ(r.instance.counters.peer_lost_accepted, 0u);
}

TEST(PeerLost, NoMasterHeardYetIsIgnored) {
    Instance b = step(makeInstance(params()), Startup{}, at({})).instance;
    auto r = step(b, PeerLost{ip(kMaster)}, at(milliseconds(500)));
    EXPECT_EQ(r.instance.state, State::Backup);
    ASSERT_NE(first<PeerLostIgnored>(r), nullptr);
    EXPECT_EQ(first<PeerLostIgnored>(r)->why, PeerLostIgnored::Why::NoMaster);
    // Its own Master_Down_Timer still decides.
    EXPECT_EQ(r.instance.master_down_due, b.master_down_due);
}

TEST(PeerLost, OnlyABackupActsOnIt) {
    Instance b = step(makeInstance(params()), Startup{}, at({})).instance;
    Instance m = step(b, TimerFired{}, *b.master_down_due).instance;
    ASSERT_EQ(m.state, State::Master);
    auto r = step(m, PeerLost{ip(kMaster)}, at(seconds(5)));
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(count<SendAdvert>(r), 0);
    ASSERT_NE(first<PeerLostIgnored>(r), nullptr);
    EXPECT_EQ(first<PeerLostIgnored>(r)->why, PeerLostIgnored::Why::NotBackup);

    Instance f = step(following(), FaultRaised{"link"}, at(seconds(2))).instance;
    auto rf = step(f, PeerLost{ip(kMaster)}, at(seconds(2)));
    EXPECT_EQ(rf.instance.state, State::Fault);
    ASSERT_NE(first<PeerLostIgnored>(rf), nullptr);
    EXPECT_EQ(first<PeerLostIgnored>(rf)->why, PeerLostIgnored::Why::NotBackup);
    // Back in BACKUP after the fault, the master heard before it is not followed yet.
    Instance back = step(f, FaultCleared{}, at(seconds(3))).instance;
    auto rb = step(back, PeerLost{ip(kMaster)}, at(seconds(3)));
    EXPECT_EQ(rb.instance.state, State::Backup);
    ASSERT_NE(first<PeerLostIgnored>(rb), nullptr);
    EXPECT_EQ(first<PeerLostIgnored>(rb)->why, PeerLostIgnored::Why::NoMaster);
}

// The master it yielded to is the one it follows from then on.
TEST(PeerLost, AMasterThatYieldedFollowsTheWinner) {
    Instance b = step(makeInstance(params()), Startup{}, at({})).instance;
    Instance m = step(b, TimerFired{}, *b.master_down_due).instance;
    Instance y = step(m, advert(at(seconds(5)), kMaster, 150), at(seconds(5))).instance;
    ASSERT_EQ(y.state, State::Backup);
    auto r = step(y, PeerLost{ip(kMaster)}, at(seconds(5) + milliseconds(30)));
    EXPECT_EQ(r.instance.state, State::Master);
}

// A sync group member asks its group, as on the Master_Down_Timer (the group gate intact).
TEST(PeerLost, ASyncGroupMemberAsksItsGroup) {
    Params p = params();
    p.sync_group = true;
    Instance b = following(p);
    const TimePoint now = at(seconds(1) + milliseconds(40));
    auto r = step(b, PeerLost{ip(kMaster)}, now);
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_EQ(count<AskGroup>(r), 1);
    EXPECT_TRUE(r.instance.wants_master);
    EXPECT_EQ(r.instance.master_down_due, now + masterDownInterval(80, 100, 3));
    EXPECT_EQ(step(r.instance, GroupAnswer{true}, now).instance.state, State::Master);
    auto refused = step(r.instance, GroupAnswer{false}, now);
    EXPECT_EQ(refused.instance.state, State::Backup);
    EXPECT_EQ(count<SendAdvert>(refused), 0);
}

// nopreempt follows a lower-priority master; losing it takes over as the timer would.
TEST(PeerLost, NopreemptBackupTakesOverFromALowerMaster) {
    Params p = params(200);
    p.preempt = false;
    Instance b = following(p, 100);
    ASSERT_EQ(b.state, State::Backup);
    EXPECT_EQ(step(b, PeerLost{ip(kMaster)}, at(seconds(2))).instance.state, State::Master);
}

// Preempting: the lower master's adverts are discarded, not accepted, so a PeerLost about
// it decides nothing; the Master_Down_Timer that already runs out does.
TEST(PeerLost, ADiscardedMasterIsNotTheFollowedOne) {
    Instance b = following(params(100), 150);
    Instance low = step(b, advert(at(seconds(2)), "10.0.0.7", 50), at(seconds(2))).instance;
    ASSERT_EQ(low.master_addr, ip("10.0.0.7"));  // recorded, as keepalived does
    auto r = step(low, PeerLost{ip("10.0.0.7")}, at(seconds(2) + milliseconds(10)));
    EXPECT_EQ(r.instance.state, State::Backup);
    ASSERT_NE(first<PeerLostIgnored>(r), nullptr);
    EXPECT_EQ(first<PeerLostIgnored>(r)->why, PeerLostIgnored::Why::OtherMaster);
}

// After the master's priority 0 the timer runs Skew_Time; the lost session need not wait.
TEST(PeerLost, AfterPriorityZeroItStillTakesOverAtOnce) {
    Instance b = following();
    Instance z = step(b, advert(at(seconds(2)), kMaster, 0), at(seconds(2))).instance;
    ASSERT_EQ(z.master_down_due, at(seconds(2)) + skewTime(80, 100, 3));
    EXPECT_EQ(step(z, PeerLost{ip(kMaster)}, at(seconds(2) + milliseconds(1))).instance.state,
              State::Master);
}

// A backup whose kernel absorbs the master's adverts stops that on taking over.
TEST(PeerLost, AnAbsorbingBackupStopsAbsorbing) {
    Params p = params();
    p.kernel_absorb = true;
    Instance b = following(p);
    ASSERT_TRUE(b.absorbing);
    auto r = step(b, PeerLost{ip(kMaster)}, at(seconds(1) + milliseconds(40)));
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(count<StopAbsorbing>(r), 1);
    EXPECT_EQ(count<ReadKernelLastSeen>(r), 0);  // the kernel's stamp cannot make it wait
    EXPECT_FALSE(r.instance.absorbing);
}


// BFD went quiet (its last packet at 1 s - 5 ms) but the master's advert came after it
// (1 s): the path to the master works, and BFD's silence may be a stall of either BFD end.
// The takeover waits for the master to fall silent: one advert interval and a quarter
// after its last advert (measured before: 6 false takeovers in 40 bench trials at BFD
// 3 ms x 3, each from a live master whose adverts kept coming).
TEST(PeerLost, AdvertsAfterBfdsLastPacketWaitForTheMasterToFallSilent) {
    Instance b = following();  // advert at 1 s, advert_int 1 s
    const TimePoint now = at(seconds(1) + milliseconds(40));
    auto r = step(b, PeerLost{ip(kMaster), at(seconds(1) - milliseconds(5))}, now);
    EXPECT_EQ(r.instance.state, State::Backup);
    ASSERT_NE(first<PeerLostIgnored>(r), nullptr);
    EXPECT_EQ(first<PeerLostIgnored>(r)->why, PeerLostIgnored::Why::HeardSince);
    const TimePoint due = at(seconds(1) + milliseconds(1250));
    EXPECT_EQ(first<PeerLostIgnored>(r)->until, due);
    EXPECT_EQ(r.instance.master_down_due, due);  // shortened from 1 s + Master_Down_Interval
    EXPECT_EQ(r.instance.counters.peer_lost_accepted, 0u);
    EXPECT_EQ(count<SendAdvert>(r) + count<StateChanged>(r), 0);

    // Its next advert: alive after all; the ordinary Master_Down_Timer again.
    auto alive = step(r.instance, advert(at(seconds(2)), kMaster, 150), at(seconds(2)));
    EXPECT_EQ(alive.instance.master_down_due, at(seconds(2)) + masterDownInterval(80, 100, 3));
    EXPECT_FALSE(alive.instance.peer_lost_deferred);
    EXPECT_EQ(step(alive.instance, TimerFired{}, due).instance.state, State::Backup);

    // Silent: the shortened timer is the BFD takeover.
    auto gone = step(r.instance, TimerFired{}, due);
    EXPECT_EQ(gone.instance.state, State::Master);
    ASSERT_NE(first<Note>(gone), nullptr);
    EXPECT_EQ(first<Note>(gone)->what, Note::What::PeerLost);
    EXPECT_EQ(gone.instance.counters.peer_lost_accepted, 1u);
}

// BFD heard the master after its last advert: nothing says it lives; at once.
TEST(PeerLost, BfdHeardAfterTheLastAdvertTakesOverAtOnce) {
    Instance b = following();
    const TimePoint now = at(seconds(1) + milliseconds(40));
    auto r = step(b, PeerLost{ip(kMaster), at(seconds(1) + milliseconds(31))}, now);
    EXPECT_EQ(r.instance.state, State::Master);
    EXPECT_EQ(r.instance.counters.peer_lost_accepted, 1u);
}

// At least BFD's own silence from the advert: a slow BFD (silent 3 s) against 1 s adverts.
TEST(PeerLost, TheWaitIsAtLeastBfdsSilence) {
    Instance b = following();
    const TimePoint now = at(seconds(4));
    Instance more = step(b, advert(at(seconds(3)), kMaster, 150), at(seconds(3))).instance;
    auto r = step(more, PeerLost{ip(kMaster), at(seconds(1))}, now);
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_EQ(r.instance.master_down_due, at(seconds(6)));  // 3 s + (4 s - 1 s)
}

// Absorbing: the kernel's last-seen stamp says whether adverts came after BFD's last packet.
TEST(PeerLost, AnAbsorbingBackupAsksTheKernelFirst) {
    Params p = params();
    p.kernel_absorb = true;
    Instance b = following(p);
    ASSERT_TRUE(b.absorbing);
    const TimePoint heard = at(seconds(2) + milliseconds(995));
    const TimePoint now = at(seconds(3) + milliseconds(40));
    auto r = step(b, PeerLost{ip(kMaster), heard}, now);
    EXPECT_EQ(r.instance.state, State::Backup);
    EXPECT_EQ(count<ReadKernelLastSeen>(r), 1);

    // The kernel took an advert at 3 s, after BFD's last packet: wait.
    auto fresh = step(r.instance, KernelLastSeen{at(seconds(3))}, now);
    EXPECT_EQ(fresh.instance.state, State::Backup);
    EXPECT_EQ(fresh.instance.master_down_due, at(seconds(3) + milliseconds(1250)));
    ASSERT_NE(first<PeerLostIgnored>(fresh), nullptr);
    EXPECT_EQ(first<PeerLostIgnored>(fresh)->why, PeerLostIgnored::Why::HeardSince);

    // Its last one was at 2 s, before BFD's last packet: at once.
    auto stale = step(r.instance, KernelLastSeen{at(seconds(2))}, now);
    EXPECT_EQ(stale.instance.state, State::Master);
    EXPECT_EQ(stale.instance.counters.peer_lost_accepted, 1u);
    // Nothing readable: the advert it accepted (1 s) is all it knows; at once.
    EXPECT_EQ(step(r.instance, KernelLastSeen{std::nullopt}, now).instance.state, State::Master);
}


// The wait counts from the master's last advert: our priority moving meanwhile (a tracker)
// does not shift it the way it shifts Master_Down_Interval (review: a raise shortened it
// below one advert interval and took over from a live master).
TEST(PeerLost, APriorityChangeDoesNotMoveTheWait) {
    Instance b = following(params(100), 250);
    const TimePoint now = at(seconds(1) + milliseconds(40));
    Instance w = step(b, PeerLost{ip(kMaster), at(seconds(1) - milliseconds(5))}, now).instance;
    const TimePoint due = at(seconds(1) + milliseconds(1250));
    ASSERT_EQ(w.master_down_due, due);
    Instance up = step(w, PriorityChanged{200}, at(seconds(1) + milliseconds(100))).instance;
    EXPECT_EQ(up.master_down_due, due);
    EXPECT_TRUE(up.peer_lost_deferred);
}

// The master's priority 0 set a Skew_Time timer, earlier than the wait: that timer decides,
// and its expiry is an ordinary one (not counted, not logged as BFD).
TEST(PeerLost, AnEarlierTimerStaysTheOrdinaryOne) {
    Instance b = following();
    Instance z = step(b, advert(at(seconds(2)), kMaster, 0), at(seconds(2))).instance;
    auto r = step(z, PeerLost{ip(kMaster), at(seconds(2) - milliseconds(5))}, at(seconds(2) + milliseconds(1)));
    EXPECT_FALSE(r.instance.peer_lost_deferred);
    EXPECT_EQ(r.instance.master_down_due, at(seconds(2)) + skewTime(80, 100, 3));
    auto m = step(r.instance, TimerFired{}, *r.instance.master_down_due);
    EXPECT_EQ(m.instance.state, State::Master);
    EXPECT_EQ(m.instance.counters.peer_lost_accepted, 0u);
    ASSERT_NE(first<Note>(m), nullptr);
    EXPECT_EQ(first<Note>(m)->what, Note::What::AdvertTimeout);
}

// Another router's discarded lower advert says nothing of the master: the wait stands and
// its end is still the BFD takeover.
TEST(PeerLost, AnotherRoutersLowerAdvertLeavesTheWait) {
    Instance b = following();
    const TimePoint now = at(seconds(1) + milliseconds(40));
    Instance w = step(b, PeerLost{ip(kMaster), at(seconds(1) - milliseconds(5))}, now).instance;
    Instance o = step(w, advert(at(seconds(1) + milliseconds(500)), "10.0.0.7", 50),
                      at(seconds(1) + milliseconds(500))).instance;
    EXPECT_TRUE(o.peer_lost_deferred);
    auto m = step(o, TimerFired{}, at(seconds(1) + milliseconds(1250)));
    EXPECT_EQ(m.instance.state, State::Master);
    EXPECT_EQ(m.instance.counters.peer_lost_accepted, 1u);
}

// A sync group member that asked its group becomes MASTER for the reason it asked.
TEST(PeerLost, TheGroupsAnswerKeepsTheBfdReason) {
    Params p = params();
    p.sync_group = true;
    Instance b = following(p);
    const TimePoint now = at(seconds(1) + milliseconds(40));
    Instance asked = step(b, PeerLost{ip(kMaster)}, now).instance;
    auto r = step(asked, GroupAnswer{true}, now);
    ASSERT_NE(first<StateChanged>(r), nullptr);
    EXPECT_NE(first<StateChanged>(r)->reason.find("BFD session to master"), std::string::npos)
        << first<StateChanged>(r)->reason;
}

}  // namespace
}  // namespace xvrrp::vrrp
