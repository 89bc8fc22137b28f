#pragma once
// vrrp_script: keepalived 2.2.7's rise/fall counter (vrrp_scheduler.c
// vrrp_script_child_thread) as a pure value, a pure scheduler over a fake-able clock, and
// the driver that runs the scripts through ScriptRunner.
//
// The counter `result` runs 0 .. rise+fall-1; the script is good when result >= rise.
//   start:      result = rise-1 and "init" (no verdict yet: contributes nothing; a weight-0
//               script holds its instances out of BACKUP/MASTER until it has one); with
//               init_fail result = 0, not init (failed from the start), and
//               unproven() until a failure or `rise` successes.
//   success:    below rise-1 count up; at rise-1 become good and jump to the top.
//   failure:    above rise count down; at rise (or in init) become bad and drop to 0.
// So a good script needs `fall` consecutive failures to go bad, a bad one `rise`
// consecutive successes to go good, and the very first result decides at once.
// Exit status 0 is success; any other status, a signal or a timeout is failure.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "track/script_runner.hpp"
#include "track/tracker.hpp"
#include "track/messages.hpp"

namespace xvrrp::track {

class ScriptCheck {
public:
    static ScriptCheck start(uint32_t rise, uint32_t fall, bool init_fail);
    // The counter as another process left it (hitless restart); clamped to its range.
    static ScriptCheck restore(uint32_t rise, uint32_t fall, int result, bool init);

    TrackState state() const;
    // Feeds one result; true when state() changed.
    bool onResult(bool ok);
    int result() const { return result_; }
    bool initial() const { return init_; }  // no result yet
    // init_fail and neither a failure nor `rise` successes yet: keepalived 2.2.7 counts
    // such a script failed for a weight-0 FAULT but adds no weight for it (measured: a
    // -60 script started 150 -> notify BACKUP 150; its first failure logs "failed" and
    // moves 150 -> 90; rise successes leave 150 unchanged).
    bool unproven() const { return unproven_; }

private:
    int rise_ = 1, fall_ = 1;
    int result_ = 0;
    bool init_ = true;
    bool unproven_ = false;
};

// When each script runs. keepalived starts every script at startup and then every
// `interval` after the previous start (not after its end). A run still going when the next
// is due is skipped (keepalived logs "Track script %s is already running, expect idle -
// skipping run"; 2.2.7 then starts it anyway, which we do not).
// The timeout is the script's `timeout`, else its interval.
class ScriptSchedule {
public:
    using TimePoint = Clock::time_point;
    struct Entry {
        std::string name;
        std::chrono::nanoseconds interval{std::chrono::seconds(1)};
        std::chrono::nanoseconds timeout{std::chrono::seconds(1)};
        ScriptCheck check = ScriptCheck::start(1, 1, false);
        TimePoint next_run{};
        bool running = false;
        uint64_t skipped = 0;
        std::optional<std::string> last_outcome;  // ScriptExit::describe() of the last run
    };

    // carried: the script's rise/fall counter from before a reload that left its
    // definition alone, so a good script stays good (no trip through "init").
    void add(const config::Script& s, TimePoint now, const ScriptCheck* carried = nullptr);
    // Scripts to start now (marked running) and their next run times advanced.
    std::vector<std::string> due(TimePoint now);
    // A run finished; true when the script's state changed.
    bool finished(const std::string& name, bool ok);
    // A run that could not start (fork failed): no result, try again next interval.
    void abandon(const std::string& name);
    void noteOutcome(const std::string& name, std::string outcome);
    // The earliest next_run, for the driver's timer.
    std::optional<TimePoint> nextDeadline() const;
    const Entry* find(const std::string& name) const;
    const std::map<std::string, Entry>& entries() const { return entries_; }

private:
    std::map<std::string, Entry> entries_;
};

// The driver: one timerfd for the schedule; runs go through a shared ScriptRunner.
// Daemon use:
//   ScriptTrackers st(runner, cfg, [&](const std::string& name, TrackState s) {...});
//   for (auto& m : st.messages()) log(m);     // security check results, keepalived wording
//   epoll add st.fd() -> st.onReadable();    runner.fd() -> runner.onReadable();
//   st.state("chk_nginx") feeds effectivePriority().
// Scripts refused by the security check ("Disabling track script %s due to insecure") are
// not run and are reported by disabled(); keepalived removes them from the instances' track
// lists, so the daemon should leave them out of its TrackerInputs.
class ScriptTrackers {
public:
    using ChangeHandler = std::function<void(const std::string& name, TrackState state)>;

    // Only the scripts in `names` are run (keepalived drops vrrp_scripts nobody tracks);
    // empty `names` means all of cfg.scripts. `carried` (from checks() before a reload)
    // gives scripts whose definition did not change their previous counter.
    using Checks = std::map<std::string, std::pair<config::Script, ScriptCheck>>;
    ScriptTrackers(ScriptRunner& runner, const config::Config& cfg, ChangeHandler on_change,
                   const std::vector<std::string>& names = {}, const Checks& carried = {});
    ~ScriptTrackers();
    ScriptTrackers(const ScriptTrackers&) = delete;
    ScriptTrackers& operator=(const ScriptTrackers&) = delete;

    int fd() const { return timerfd_; }
    void onReadable();
    // Every finished run, before its effect on the state (keepalived logs changes of the
    // raw result as "Script `NAME` now returning N").
    using ResultHandler = std::function<void(const std::string& name, const ScriptExit& x)>;
    void onResult(ResultHandler h) { on_result_ = std::move(h); }

    std::optional<TrackState> state(const std::string& name) const;
    bool unproven(const std::string& name) const;  // ScriptCheck::unproven()
    // Each running script's definition and counter, to carry over a reload.
    Checks checks() const;
    const ScriptSchedule& schedule() const { return schedule_; }
    // Lines not taken yet; the daemon drains them with takeMessages() (track/messages.hpp).
    const std::vector<std::string>& messages() const { return messages_.pending(); }
    std::vector<std::string> takeMessages() { return messages_.take(); }
    const std::vector<std::string>& disabled() const { return disabled_; }
    unsigned securityFlags() const { return flags_; }

private:
    void runDue();
    void armTimer();

    ScriptRunner& runner_;
    ChangeHandler on_change_;
    ResultHandler on_result_;
    ScriptSchedule schedule_;
    std::map<std::string, config::Script> defs_;
    std::map<std::string, Command> commands_;
    std::map<std::string, uint64_t> runs_;  // name -> runner id while running
    Messages messages_;
    std::vector<std::string> disabled_;
    unsigned flags_ = 0;
    int timerfd_ = -1;
    std::shared_ptr<bool> alive_token_;
};

}  // namespace xvrrp::track
