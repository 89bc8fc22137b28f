#pragma once
// The VRRP process's scheduling from global_defs, as keepalived.conf(5) describes it for its
// VRRP child and as keepalived 2.2.7 was measured doing it:
//   vrrp_rt_priority N   SCHED_RR at N, with SCHED_RESET_ON_FORK (scripts run at normal
//                        priority), then RLIMIT_RTTIME soft = hard / 2, hard =
//                        vrrp_rlimit_rttime (default 10000 us, at least 2); vrrp_priority is
//                        not applied while real-time;
//   vrrp_priority N      nice N (setpriority);
//   vrrp_no_swap         mlockall(MCL_CURRENT | MCL_FUTURE);
//   vrrp_cpu_affinity    sched_setaffinity.
// A setting that cannot be applied (EPERM, a CPU outside the cpuset) is reported and the
// daemon carries on without it, as keepalived does. A reload applies what changed; a
// keyword removed by a reload restores what the daemon started with (keepalived keeps a
// removed vrrp_cpu_affinity in force: the one difference).
//
// RLIMIT_RTTIME kills a real-time process that runs its hard limit without blocking (at
// HZ 250 the default 10000 us is the third tick, with no SIGXCPU before it). Start-up and
// reload are bounded work longer than that (BPF loads, a whole file), so the limit is set
// when the loop starts (arm()), and a reload runs under a Lift: the limit raised to
// unlimited when CAP_SYS_RESOURCE allows, else the policy dropped to the start-up one.

#include <sys/resource.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace xvrrp::daemon {

// The calls ProcessTuning makes on its own process; each setter returns 0 or an errno.
// Unit tests replace them.
class SchedulerOps {
public:
    struct Policy {
        int policy = 0;    // SCHED_OTHER, SCHED_RR, ... (without SCHED_RESET_ON_FORK)
        int priority = 0;  // sched_priority
        bool operator==(const Policy&) const = default;
    };
    virtual ~SchedulerOps() = default;
    virtual Policy policy() = 0;
    virtual int setPolicy(const Policy& p, bool reset_on_fork) = 0;
    virtual rlimit rttime() = 0;
    virtual int setRttime(const rlimit& r) = 0;
    virtual int nice() = 0;
    virtual int setNice(int nice) = 0;
    virtual int lockMemory() = 0;
    virtual int unlockMemory() = 0;
    virtual std::vector<int> affinity() = 0;
    virtual int setAffinity(const std::vector<int>& cpus) = 0;
    // For checkpoint(): CLOCK_MONOTONIC, the thread's voluntary context switches (each one
    // a sleep, which restarts the kernel's RLIMIT_RTTIME count) and a sleep.
    virtual int64_t nowNs() = 0;
    virtual long voluntarySwitches() = 0;
    virtual void sleepFor(int64_t ns) = 0;
};

// The real calls on the calling thread (xvrrpd's loop) and its process.
std::unique_ptr<SchedulerOps> systemSchedulerOps();

constexpr uint32_t kDefaultRlimitRttimeUs = 10000;  // keepalived.conf(5), measured in 2.2.7

class ProcessTuning {
public:
    // Records the settings the daemon was started with, to restore what a reload removes.
    explicit ProcessTuning(SchedulerOps& ops);

    struct Outcome {
        std::vector<std::string> applied;  // "SCHED_RR priority 50", ... (what changed)
        std::vector<std::string> failed;   // one sentence each, naming the call and errno
    };
    // Brings the process to `want`, calling only for what differs from what is in force.
    // Not within a Lift.
    Outcome apply(const config::ProcessTuning& want);
    // The loop runs: RLIMIT_RTTIME from now on (while real-time). Returns what failed.
    std::optional<std::string> arm();
    // Before an exec (xvrrpctl restart): back to what the daemon started with, watchdog
    // off, so the next image starts as a first start does (it records the right settings
    // to restore, and its BPF loads run without RLIMIT_RTTIME). After a failed exec,
    // apply() and arm() again.
    Outcome release();

    // Suspends the RLIMIT_RTTIME watchdog for bounded work (a reload). Does not nest.
    class Lift {
    public:
        explicit Lift(ProcessTuning& t);
        ~Lift();
        Lift(const Lift&) = delete;
        Lift& operator=(const Lift&) = delete;

    private:
        ProcessTuning& t_;
        enum class Mode { None, Raised, Demoted } mode_ = Mode::None;
    };

    // The soft and hard RLIMIT_RTTIME (us) in force while real-time; nullopt otherwise.
    std::optional<rlimit> rttimeInForce() const;

    // Called between units of work (an event, an instance's step): while the watchdog is
    // armed, sleeps ~50 us once the loop may have run a quarter of the hard limit without
    // sleeping, so bounded work over many instances (255 becoming master in one turn) never
    // meets it, while a step that never returns still does. Costs a clock read otherwise.
    void checkpoint();
    uint64_t checkpointSleeps() const { return sleeps_; }

private:
    struct State {
        SchedulerOps::Policy policy;
        bool reset_on_fork = false;
        rlimit rttime{};
        int nice = 0;
        bool locked = false;
        std::vector<int> cpus;
    };
    State desired(const config::ProcessTuning& want) const;
    void applyPolicy(const State& want, Outcome& out);
    void applyRest(const State& want, Outcome& out);

    SchedulerOps& ops_;
    State base_;  // at construction
    State now_;   // in force, as far as the calls succeeded (rttime: once armed)
    rlimit actual_rttime_{};  // what setrlimit last set
    bool armed_ = false;
    bool lifted_ = false;
    int64_t budget_ns_ = 0;  // hard limit / 4 while armed and real-time; 0 = no checkpoints
    int64_t mark_ns_ = 0;    // the loop is known to have slept since about then
    long switches_ = -1;
    uint64_t sleeps_ = 0;
    void updateBudget();
};

}  // namespace xvrrp::daemon
