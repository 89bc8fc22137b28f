// ProcessTuning against a fake SchedulerOps: what global_defs' scheduling keywords call, as
// keepalived 2.2.7 was measured doing (chrt -p, /proc/PID/limits, VmLck, taskset), what a
// reload changes, and that a refused call is reported and the rest still applied.
#include <gtest/gtest.h>

#include <sched.h>

#include <map>

#include "daemon/process_tuning.hpp"

namespace xvrrp::daemon {
namespace {

class FakeOps : public SchedulerOps {
public:
    Policy policy() override { return pol; }
    int setPolicy(const Policy& p, bool rof) override {
        calls.push_back("policy " + std::to_string(p.policy) + "/" + std::to_string(p.priority) +
                        (rof ? " reset_on_fork" : ""));
        if (int e = fail["policy"]) return e;
        pol = p;
        reset_on_fork = rof;
        return 0;
    }
    rlimit rttime() override { return rt; }
    int setRttime(const rlimit& r) override {
        calls.push_back("rttime " + num(r.rlim_cur) + "/" + num(r.rlim_max));
        if (int e = fail["rttime"]) return e;
        rt = r;
        return 0;
    }
    int nice() override { return niceness; }
    int setNice(int n) override {
        calls.push_back("nice " + std::to_string(n));
        if (int e = fail["nice"]) return e;
        niceness = n;
        return 0;
    }
    int lockMemory() override {
        calls.push_back("mlockall");
        if (int e = fail["lock"]) return e;
        locked = true;
        return 0;
    }
    int unlockMemory() override {
        calls.push_back("munlockall");
        locked = false;
        return 0;
    }
    std::vector<int> affinity() override { return cpus; }
    int setAffinity(const std::vector<int>& c) override {
        std::string s;
        for (int x : c) s += " " + std::to_string(x);
        calls.push_back("affinity" + s);
        if (int e = fail["affinity"]) return e;
        cpus = c;
        return 0;
    }

    int64_t nowNs() override { return clock_ns; }
    long voluntarySwitches() override { return switches; }
    void sleepFor(int64_t ns) override {
        calls.push_back("sleep " + std::to_string(ns / 1000) + " us");
        if (!sleep_is_no_sleep) ++switches;
        clock_ns += ns;
    }

    static std::string num(rlim_t v) { return v == RLIM_INFINITY ? "inf" : std::to_string(v); }

    Policy pol{SCHED_OTHER, 0};
    bool reset_on_fork = false;
    rlimit rt{RLIM_INFINITY, RLIM_INFINITY};
    int niceness = 0;
    bool locked = false;
    std::vector<int> cpus{0, 1};
    std::vector<std::string> calls;
    std::map<std::string, int> fail;
    int64_t clock_ns = 1'000'000'000;
    long switches = 7;
    bool sleep_is_no_sleep = false;  // a timer that fired before the task left the CPU
};

using Calls = std::vector<std::string>;

config::ProcessTuning rt(int prio) {
    config::ProcessTuning t;
    t.rt_priority = prio;
    return t;
}

TEST(ProcessTuning, NothingConfiguredCallsNothing) {
    FakeOps ops;
    ProcessTuning t(ops);
    auto out = t.apply({});
    EXPECT_TRUE(ops.calls.empty());
    EXPECT_TRUE(out.applied.empty() && out.failed.empty());
    EXPECT_FALSE(t.rttimeInForce());
}

// keepalived: SCHED_RR|SCHED_RESET_ON_FORK, RLIMIT_RTTIME 5000/10000 us by default; the
// limit waits for the loop (arm()).
TEST(ProcessTuning, RtPriorityIsRoundRobinWithTheRttimeWatchdog) {
    FakeOps ops;
    ProcessTuning t(ops);
    auto out = t.apply(rt(50));
    EXPECT_EQ(ops.calls, (Calls{"policy 2/50 reset_on_fork"}));
    EXPECT_EQ(out.applied,
              (Calls{"SCHED_RR priority 50", "RLIMIT_RTTIME 5000/10000 us once running"}));
    EXPECT_FALSE(t.rttimeInForce());
    EXPECT_FALSE(t.arm());
    EXPECT_EQ(ops.calls, (Calls{"policy 2/50 reset_on_fork", "rttime 5000/10000"}));
    ASSERT_TRUE(t.rttimeInForce());
    EXPECT_EQ(t.rttimeInForce()->rlim_max, 10000u);
}

// Measured: vrrp_rlimit_rttime 20000 -> 10000/20000; 3 -> 1/3; 1 -> 1/2.
TEST(ProcessTuning, RlimitRttimeIsTheHardLimitWithHalfAsSoft) {
    for (auto [given, soft, hard] : {std::tuple{20000u, 10000u, 20000u}, {3u, 1u, 3u}, {1u, 1u, 2u}}) {
        FakeOps ops;
        ProcessTuning t(ops);
        auto want = rt(10);
        want.rlimit_rttime_us = given;
        t.apply(want);
        t.arm();
        EXPECT_EQ(ops.rt.rlim_cur, soft) << given;
        EXPECT_EQ(ops.rt.rlim_max, hard) << given;
    }
}

// Without vrrp_rt_priority keepalived leaves RLIMIT_RTTIME alone.
TEST(ProcessTuning, RlimitRttimeAloneDoesNothing) {
    FakeOps ops;
    ProcessTuning t(ops);
    config::ProcessTuning want;
    want.rlimit_rttime_us = 20000;
    t.apply(want);
    t.arm();
    EXPECT_TRUE(ops.calls.empty());
}

TEST(ProcessTuning, NiceLockAndAffinity) {
    FakeOps ops;
    ProcessTuning t(ops);
    config::ProcessTuning want;
    want.nice = -5;
    want.no_swap = true;
    want.cpu_affinity = {1, 1};
    auto out = t.apply(want);
    EXPECT_EQ(ops.calls, (Calls{"nice -5", "mlockall", "affinity 1"}));
    EXPECT_EQ(out.applied, (Calls{"nice -5", "memory locked", "CPUs 1"}));
}

// Measured: vrrp_rt_priority 50 with vrrp_priority -5 left nice at 0.
TEST(ProcessTuning, NiceNotAppliedWhileRealTime) {
    FakeOps ops;
    ProcessTuning t(ops);
    auto want = rt(50);
    want.nice = -5;
    t.apply(want);
    EXPECT_EQ(ops.niceness, 0);
    EXPECT_EQ(ops.pol.policy, SCHED_RR);
}

// A refused call is reported (keepalived's wording where it has one, the call, the errno)
// and the others still apply; the watchdog limit is not set for a policy that failed.
TEST(ProcessTuning, RefusedCallsReportedAndTheRestApplied) {
    FakeOps ops;
    ops.fail = {{"policy", EPERM}, {"lock", ENOMEM}};
    ProcessTuning t(ops);
    auto want = rt(50);
    want.no_swap = true;
    want.cpu_affinity = {1};
    auto out = t.apply(want);
    t.arm();
    ASSERT_EQ(out.failed.size(), 2u);
    EXPECT_NE(out.failed[0].find("sched_setscheduler"), std::string::npos) << out.failed[0];
    EXPECT_NE(out.failed[0].find("Operation not permitted"), std::string::npos) << out.failed[0];
    EXPECT_EQ(out.failed[1], "Unable to lock process in memory - Cannot allocate memory (mlockall)");
    EXPECT_EQ(ops.rt.rlim_max, RLIM_INFINITY);
    EXPECT_FALSE(t.rttimeInForce());
    EXPECT_EQ(ops.cpus, std::vector<int>{1});
}

TEST(ProcessTuning, AffinityRefusedNamesTheCpus) {
    FakeOps ops;
    ops.fail = {{"affinity", EINVAL}};
    ProcessTuning t(ops);
    config::ProcessTuning want;
    want.cpu_affinity = {1, 2, 3};
    auto out = t.apply(want);
    ASSERT_EQ(out.failed.size(), 1u);
    EXPECT_EQ(out.failed[0],
              "unable to set cpu affinity to vrrp process (Invalid argument): sched_setaffinity "
              "to CPUs 1-3");
    EXPECT_EQ(ops.cpus, (std::vector<int>{0, 1}));
}

// A reload applies only what changed; what it removes goes back to what the daemon started
// with (keepalived measured: priority, nice and the memory lock follow the file in place).
TEST(ProcessTuning, ReloadAppliesChangesAndRestoresRemovedKeywords) {
    FakeOps ops;
    ops.niceness = 2;
    ProcessTuning t(ops);
    auto first = rt(10);
    first.no_swap = true;
    first.cpu_affinity = {1};
    t.apply(first);
    t.arm();
    ops.calls.clear();
    t.apply(first);
    EXPECT_TRUE(ops.calls.empty()) << "an unchanged file calls nothing";

    auto second = rt(20);
    second.cpu_affinity = {0};
    t.apply(second);
    EXPECT_EQ(ops.calls, (Calls{"policy 2/20 reset_on_fork", "munlockall", "affinity 0"}));
    ops.calls.clear();

    config::ProcessTuning none;
    none.nice = 3;
    t.apply(none);
    EXPECT_EQ(ops.calls, (Calls{"policy 0/0", "rttime inf/inf", "nice 3", "affinity 0 1"}));
    EXPECT_FALSE(t.rttimeInForce());
    ops.calls.clear();
    t.apply({});
    EXPECT_EQ(ops.calls, (Calls{"nice 2"}));
}

// A call refused once is tried again by the next reload.
TEST(ProcessTuning, RefusedSettingRetriedByTheNextApply) {
    FakeOps ops;
    ops.fail = {{"nice", EACCES}};
    ProcessTuning t(ops);
    config::ProcessTuning want;
    want.nice = -5;
    EXPECT_EQ(t.apply(want).failed.size(), 1u);
    ops.fail.clear();
    auto out = t.apply(want);
    EXPECT_TRUE(out.failed.empty());
    EXPECT_EQ(ops.niceness, -5);
}

// A reload runs with RLIMIT_RTTIME raised (CAP_SYS_RESOURCE), then the limit is back.
TEST(ProcessTuning, LiftRaisesTheLimitForAReload) {
    FakeOps ops;
    ProcessTuning t(ops);
    {
        ProcessTuning::Lift idle(t);  // not armed: nothing to lift
    }
    t.apply(rt(50));
    t.arm();
    ops.calls.clear();
    {
        ProcessTuning::Lift l(t);
        EXPECT_EQ(ops.rt.rlim_max, RLIM_INFINITY);
        EXPECT_EQ(ops.pol.policy, SCHED_RR);
    }
    EXPECT_EQ(ops.calls, (Calls{"rttime inf/inf", "rttime 5000/10000"}));
    // The reload's new limit after the lift.
    auto want = rt(50);
    want.rlimit_rttime_us = 40000;
    t.apply(want);
    EXPECT_EQ(ops.rt.rlim_max, 40000u);
}

// Without CAP_SYS_RESOURCE (raising a hard limit is EPERM) the reload runs at the policy
// the daemon started with, and real-time comes back after it.
TEST(ProcessTuning, LiftDemotesWhenTheLimitCannotBeRaised) {
    FakeOps ops;
    ProcessTuning t(ops);
    t.apply(rt(50));
    t.arm();
    ops.calls.clear();
    ops.fail["rttime"] = EPERM;
    {
        ProcessTuning::Lift l(t);
        EXPECT_EQ(ops.pol.policy, SCHED_OTHER);
        EXPECT_EQ(ops.rt.rlim_max, 10000u);
    }
    EXPECT_EQ(ops.calls, (Calls{"rttime inf/inf", "policy 0/0", "policy 2/50 reset_on_fork"}));
    EXPECT_EQ(ops.pol.policy, SCHED_RR);
    // keepalived's reload could not raise it either ("child process cannot set realtime rlimit").
    auto want = rt(50);
    want.rlimit_rttime_us = 40000;
    auto out = t.apply(want);
    ASSERT_EQ(out.failed.size(), 1u);
    EXPECT_NE(out.failed[0].find("RLIMIT_RTTIME 20000/40000 us (setrlimit)"), std::string::npos);
}

// xvrrpctl restart execs: the new image must find what the daemon started with (it records
// that as what a reload restores) and load its programs without the watchdog; an exec
// that failed applies the configuration again.
TEST(ProcessTuning, ReleaseBeforeAnExecRestoresTheStart) {
    FakeOps ops;
    ProcessTuning t(ops);
    auto want = rt(50);
    want.no_swap = true;
    want.cpu_affinity = {1};
    t.apply(want);
    t.arm();
    ops.calls.clear();
    auto out = t.release();
    EXPECT_TRUE(out.failed.empty());
    EXPECT_EQ(ops.calls, (Calls{"policy 0/0", "rttime inf/inf", "munlockall", "affinity 0 1"}));
    EXPECT_FALSE(t.rttimeInForce());
    ops.calls.clear();
    t.checkpoint();
    t.checkpoint();
    EXPECT_TRUE(ops.calls.empty()) << "no watchdog budget after a release";
    // The exec failed: back as configured, the limit once armed.
    t.apply(want);
    EXPECT_EQ(ops.rt.rlim_max, RLIM_INFINITY);
    t.arm();
    EXPECT_EQ(ops.pol.policy, SCHED_RR);
    EXPECT_EQ(ops.rt.rlim_max, 10000u);
    EXPECT_TRUE(ops.locked);
    EXPECT_EQ(ops.cpus, std::vector<int>{1});
}

// Going real-time in a reload arms the limit at once: the loop is running.
TEST(ProcessTuning, RealTimeAddedByAReloadArmsTheLimit) {
    FakeOps ops;
    ProcessTuning t(ops);
    t.apply({});
    t.arm();
    {
        ProcessTuning::Lift l(t);  // not real-time: nothing to lift
        EXPECT_TRUE(ops.calls.empty());
    }
    t.apply(rt(5));
    EXPECT_EQ(ops.calls, (Calls{"policy 2/5 reset_on_fork", "rttime 5000/10000"}));
}

// Checkpoints sleep once the loop may have run a quarter of the hard limit (2.5 ms of the
// default 10 ms) without sleeping; a sleep of its own in between makes that unnecessary.
TEST(ProcessTuning, CheckpointSleepsBeforeTheWatchdogCouldFire) {
    FakeOps ops;
    ProcessTuning t(ops);
    t.checkpoint();  // not real-time: nothing
    t.apply(rt(50));
    t.checkpoint();  // not armed yet (start-up)
    EXPECT_EQ(ops.calls, (Calls{"policy 2/50 reset_on_fork"}));
    t.arm();
    ops.calls.clear();
    t.checkpoint();  // first look: takes the switch count
    for (int i = 0; i < 24; ++i) {  // 24 steps of 0.1 ms: within the budget
        ops.clock_ns += 100'000;
        t.checkpoint();
    }
    EXPECT_TRUE(ops.calls.empty());
    ops.clock_ns += 200'000;  // 2.6 ms since the mark, no sleep seen
    t.checkpoint();
    EXPECT_EQ(ops.calls, (Calls{"sleep 50 us"}));
    EXPECT_EQ(t.checkpointSleeps(), 1u);
    ops.clock_ns += 3'000'000;
    ++ops.switches;  // the loop blocked in epoll_wait meanwhile
    t.checkpoint();
    EXPECT_EQ(t.checkpointSleeps(), 1u);
    {
        ProcessTuning::Lift l(t);  // a reload: the watchdog is lifted, no checkpoints
        ops.clock_ns += 10'000'000;
        t.checkpoint();
        EXPECT_EQ(t.checkpointSleeps(), 1u);
    }
}

// A sleep that did not take the task off the CPU (no voluntary switch) is tried longer.
TEST(ProcessTuning, CheckpointSleepsLongerWhenTheSleepDidNotBlock) {
    FakeOps ops;
    ProcessTuning t(ops);
    t.apply(rt(50));
    t.arm();
    t.checkpoint();
    ops.calls.clear();
    ops.sleep_is_no_sleep = true;
    ops.clock_ns += 3'000'000;
    t.checkpoint();
    EXPECT_EQ(ops.calls, (Calls{"sleep 50 us", "sleep 500 us"}));
}

}  // namespace
}  // namespace xvrrp::daemon
