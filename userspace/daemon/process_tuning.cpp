#include "daemon/process_tuning.hpp"

#include <sched.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <time.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xvrrp::daemon {
namespace {

bool sameLimit(const rlimit& a, const rlimit& b) {
    return a.rlim_cur == b.rlim_cur && a.rlim_max == b.rlim_max;
}

bool isRealTime(const SchedulerOps::Policy& p) {
    return p.policy == SCHED_RR || p.policy == SCHED_FIFO;
}

std::string policyName(const SchedulerOps::Policy& p) {
    switch (p.policy) {
        case SCHED_OTHER: return "SCHED_OTHER";
        case SCHED_RR: return "SCHED_RR priority " + std::to_string(p.priority);
        case SCHED_FIFO: return "SCHED_FIFO priority " + std::to_string(p.priority);
        case SCHED_BATCH: return "SCHED_BATCH";
        case SCHED_IDLE: return "SCHED_IDLE";
        default: return "policy " + std::to_string(p.policy);
    }
}

std::string limitText(const rlimit& r) {
    auto one = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
    return one(r.rlim_cur) + "/" + one(r.rlim_max) + " us";
}

// "0-1,3" as in /proc/PID/status Cpus_allowed_list.
std::string cpuList(const std::vector<int>& cpus) {
    std::string s;
    for (size_t i = 0; i < cpus.size();) {
        size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
        if (!s.empty()) s += ",";
        s += std::to_string(cpus[i]);
        if (j > i) s += "-" + std::to_string(cpus[j]);
        i = j + 1;
    }
    return s.empty() ? "none" : s;
}

class SystemOps final : public SchedulerOps {
public:
    Policy policy() override {
        Policy p;
        p.policy = ::sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
        sched_param sp{};
        if (::sched_getparam(0, &sp) == 0) p.priority = sp.sched_priority;
        return p;
    }
    int setPolicy(const Policy& p, bool reset_on_fork) override {
        sched_param sp{};
        sp.sched_priority = p.priority;
        return result(::sched_setscheduler(0, p.policy | (reset_on_fork ? SCHED_RESET_ON_FORK : 0), &sp));
    }
    rlimit rttime() override {
        rlimit r{RLIM_INFINITY, RLIM_INFINITY};
        ::getrlimit(RLIMIT_RTTIME, &r);
        return r;
    }
    int setRttime(const rlimit& r) override { return result(::setrlimit(RLIMIT_RTTIME, &r)); }
    int nice() override {
        errno = 0;
        int n = ::getpriority(PRIO_PROCESS, 0);
        return errno ? 0 : n;
    }
    int setNice(int n) override { return result(::setpriority(PRIO_PROCESS, 0, n)); }
    int lockMemory() override { return result(::mlockall(MCL_CURRENT | MCL_FUTURE)); }
    int unlockMemory() override { return result(::munlockall()); }
    std::vector<int> affinity() override {
        const int n = std::max(::get_nprocs_conf(), 1);
        CpuSet set(n);
        std::vector<int> cpus;
        if (::sched_getaffinity(0, set.size, set.p) != 0) return cpus;
        for (int c = 0; c < n; ++c)
            if (CPU_ISSET_S(c, set.size, set.p)) cpus.push_back(c);
        return cpus;
    }
    int setAffinity(const std::vector<int>& cpus) override {
        const int n = std::max(::get_nprocs_conf(), cpus.empty() ? 1 : cpus.back() + 1);
        CpuSet set(n);
        for (int c : cpus) CPU_SET_S(c, set.size, set.p);
        return result(::sched_setaffinity(0, set.size, set.p));
    }

    int64_t nowNs() override {
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    }
    long voluntarySwitches() override {
        rusage ru{};
        ::getrusage(RUSAGE_THREAD, &ru);
        return ru.ru_nvcsw;
    }
    void sleepFor(int64_t ns) override {
        timespec ts{0, static_cast<long>(ns)};
        ::nanosleep(&ts, nullptr);
    }

private:
    struct CpuSet {
        explicit CpuSet(int n) : size(CPU_ALLOC_SIZE(n)), p(CPU_ALLOC(n)) { CPU_ZERO_S(size, p); }
        ~CpuSet() { CPU_FREE(p); }
        CpuSet(const CpuSet&) = delete;
        CpuSet& operator=(const CpuSet&) = delete;
        size_t size;
        cpu_set_t* p;
    };
    static int result(int rc) { return rc == 0 ? 0 : errno; }
};

}  // namespace

std::unique_ptr<SchedulerOps> systemSchedulerOps() { return std::make_unique<SystemOps>(); }

ProcessTuning::ProcessTuning(SchedulerOps& ops) : ops_(ops) {
    base_.policy = ops_.policy();
    base_.rttime = ops_.rttime();
    base_.nice = ops_.nice();
    base_.cpus = ops_.affinity();
    now_ = base_;
    actual_rttime_ = base_.rttime;
}

ProcessTuning::State ProcessTuning::desired(const config::ProcessTuning& want) const {
    State d = base_;
    if (want.rt_priority) {
        d.policy = {SCHED_RR, *want.rt_priority};
        d.reset_on_fork = true;  // notify and track scripts run at normal priority
        const rlim_t hard = std::max<rlim_t>(want.rlimit_rttime_us.value_or(kDefaultRlimitRttimeUs), 2);
        d.rttime = {hard / 2, hard};
    } else if (want.nice) {
        d.nice = *want.nice;  // keepalived leaves nice alone while real-time
    }
    d.locked = want.no_swap;
    if (!want.cpu_affinity.empty()) {
        d.cpus = want.cpu_affinity;
        std::sort(d.cpus.begin(), d.cpus.end());
        d.cpus.erase(std::unique(d.cpus.begin(), d.cpus.end()), d.cpus.end());
    }
    return d;
}

ProcessTuning::Outcome ProcessTuning::apply(const config::ProcessTuning& want) {
    Outcome out;
    const State d = desired(want);
    applyPolicy(d, out);
    applyRest(d, out);
    updateBudget();
    return out;
}

void ProcessTuning::updateBudget() {
    const bool watched = armed_ && !lifted_ && isRealTime(now_.policy) &&
                         actual_rttime_.rlim_max != RLIM_INFINITY;
    budget_ns_ = watched ? static_cast<int64_t>(actual_rttime_.rlim_max) * 1000 / 4 : 0;
    mark_ns_ = 0;  // the next checkpoint looks at the switch count
}

void ProcessTuning::checkpoint() {
    if (budget_ns_ == 0) return;
    const int64_t t = ops_.nowNs();
    if (t - mark_ns_ < budget_ns_) return;
    const long sw = ops_.voluntarySwitches();
    long after = sw;
    if (sw == switches_) {
        // The wakeup restarts the kernel's count. A sleep so short that its timer fires
        // before the task is off the CPU is no sleep (1 us was not): check, then longer.
        for (int64_t ns : {50'000, 500'000}) {
            ops_.sleepFor(ns);
            ++sleeps_;
            if ((after = ops_.voluntarySwitches()) != sw) break;
        }
    }
    switches_ = after;
    mark_ns_ = ops_.nowNs();
}

void ProcessTuning::applyPolicy(const State& want, Outcome& out) {
    if (!(want.policy == now_.policy) || want.reset_on_fork != now_.reset_on_fork) {
        if (int e = ops_.setPolicy(want.policy, want.reset_on_fork)) {
            out.failed.push_back("cannot set scheduling policy " + policyName(want.policy) +
                                 " (sched_setscheduler): " + std::strerror(e));
        } else {
            now_.policy = want.policy;
            now_.reset_on_fork = want.reset_on_fork;
            out.applied.push_back(policyName(want.policy));
        }
    }
    // The configured limit only once real-time: keepalived sets it after sched_setscheduler
    // succeeded and leaves it alone when that failed.
    const rlimit target = now_.policy == want.policy ? want.rttime : now_.rttime;
    if (sameLimit(target, now_.rttime)) return;
    if (armed_ && !sameLimit(target, actual_rttime_)) {
        if (int e = ops_.setRttime(target)) {
            // Raising it back needs CAP_SYS_RESOURCE; out of real-time it counts for nothing.
            if (isRealTime(now_.policy))
                out.failed.push_back("cannot set RLIMIT_RTTIME " + limitText(target) +
                                     " (setrlimit): " + std::strerror(e));
            return;
        }
        actual_rttime_ = target;
    }
    now_.rttime = target;
    out.applied.push_back("RLIMIT_RTTIME " + limitText(target) + (armed_ ? "" : " once running"));
}

void ProcessTuning::applyRest(const State& want, Outcome& out) {
    if (want.nice != now_.nice) {
        if (int e = ops_.setNice(want.nice)) {
            out.failed.push_back("Unable to set process priority to " + std::to_string(want.nice) +
                                 " - " + std::strerror(e) + " (setpriority)");
        } else {
            now_.nice = want.nice;
            out.applied.push_back("nice " + std::to_string(want.nice));
        }
    }
    if (want.locked != now_.locked) {
        if (int e = want.locked ? ops_.lockMemory() : ops_.unlockMemory()) {
            out.failed.push_back(want.locked ? "Unable to lock process in memory - " +
                                                   std::string(std::strerror(e)) + " (mlockall)"
                                             : "munlockall: " + std::string(std::strerror(e)));
        } else {
            now_.locked = want.locked;
            out.applied.push_back(want.locked ? "memory locked" : "memory unlocked");
        }
    }
    if (want.cpus != now_.cpus) {
        if (int e = ops_.setAffinity(want.cpus)) {
            out.failed.push_back("unable to set cpu affinity to vrrp process (" +
                                 std::string(std::strerror(e)) + "): sched_setaffinity to CPUs " +
                                 cpuList(want.cpus));
        } else {
            now_.cpus = want.cpus;
            out.applied.push_back("CPUs " + cpuList(want.cpus));
        }
    }
}

std::optional<rlimit> ProcessTuning::rttimeInForce() const {
    if (!armed_ || actual_rttime_.rlim_max == RLIM_INFINITY) return std::nullopt;
    return actual_rttime_;
}

std::optional<std::string> ProcessTuning::arm() {
    armed_ = true;
    std::optional<std::string> failed;
    if (!sameLimit(actual_rttime_, now_.rttime)) {
        if (int e = ops_.setRttime(now_.rttime))
            failed = "cannot set RLIMIT_RTTIME " + limitText(now_.rttime) + " (setrlimit): " +
                     std::strerror(e);
        else
            actual_rttime_ = now_.rttime;
    }
    updateBudget();
    return failed;
}

ProcessTuning::Outcome ProcessTuning::release() {
    Outcome out;
    applyPolicy(base_, out);  // the start's limit too, while armed
    applyRest(base_, out);
    armed_ = false;
    updateBudget();
    return out;
}

ProcessTuning::Lift::Lift(ProcessTuning& t) : t_(t) {
    if (t_.lifted_ || !t_.armed_ || t_.actual_rttime_.rlim_max == RLIM_INFINITY) return;
    // Raising a hard limit takes CAP_SYS_RESOURCE; leaving real-time never needs a right.
    if (t_.ops_.setRttime({RLIM_INFINITY, RLIM_INFINITY}) == 0) {
        t_.actual_rttime_ = {RLIM_INFINITY, RLIM_INFINITY};
        mode_ = Mode::Raised;
    } else if (!(t_.now_.policy == t_.base_.policy) &&
               t_.ops_.setPolicy(t_.base_.policy, false) == 0) {
        mode_ = Mode::Demoted;
    }
    t_.lifted_ = mode_ != Mode::None;
    t_.updateBudget();
}

ProcessTuning::Lift::~Lift() {
    if (mode_ == Mode::None) return;
    t_.lifted_ = false;
    struct Update {  // however this ends
        ProcessTuning& t;
        ~Update() { t.updateBudget(); }
    } update{t_};
    if (mode_ == Mode::Raised) {
        if (int e = t_.ops_.setRttime(t_.now_.rttime))
            spdlog::error("cannot restore RLIMIT_RTTIME {} (setrlimit): {}",
                          limitText(t_.now_.rttime), std::strerror(e));
        else
            t_.actual_rttime_ = t_.now_.rttime;
        return;
    }
    if (int e = t_.ops_.setPolicy(t_.now_.policy, t_.now_.reset_on_fork)) {
        spdlog::error("cannot return to {} after the reload (sched_setscheduler): {}",
                      policyName(t_.now_.policy), std::strerror(e));
        t_.now_.policy = t_.base_.policy;
        t_.now_.reset_on_fork = false;
    }
}

}  // namespace xvrrp::daemon
