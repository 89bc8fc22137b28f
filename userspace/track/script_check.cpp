// vrrp_script rise/fall, schedule and driver (see script_check.hpp).
#include "track/script_check.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

namespace xvrrp::track {

ScriptCheck ScriptCheck::start(uint32_t rise, uint32_t fall, bool init_fail) {
    ScriptCheck c;
    c.rise_ = static_cast<int>(rise ? rise : 1);
    c.fall_ = static_cast<int>(fall ? fall : 1);
    // keepalived vrrp_init_script(): "one success is enough" / "assume failed by config".
    c.result_ = init_fail ? 0 : c.rise_ - 1;
    c.init_ = !init_fail;
    c.unproven_ = init_fail;
    return c;
}

ScriptCheck ScriptCheck::restore(uint32_t rise, uint32_t fall, int result, bool init) {
    ScriptCheck c = start(rise, fall, false);
    c.result_ = std::clamp(result, 0, c.rise_ + c.fall_ - 1);
    c.init_ = init;
    return c;
}

TrackState ScriptCheck::state() const {
    if (init_) return TrackState::Init;
    return result_ >= rise_ ? TrackState::Up : TrackState::Down;
}

bool ScriptCheck::onResult(bool ok) {
    const TrackState before = state();
    const bool was_unproven = unproven_;
    const int top = rise_ + fall_ - 1;
    if (ok) {
        if (result_ < rise_ - 1) ++result_;
        else if (result_ != top) result_ = top;
    } else {
        if (result_ > rise_) --result_;
        else result_ = 0;
    }
    init_ = false;
    if (!ok || state() == TrackState::Up) unproven_ = false;
    return state() != before || (was_unproven && !unproven_);
}

void ScriptSchedule::add(const config::Script& s, TimePoint now, const ScriptCheck* carried) {
    Entry e;
    e.name = s.name;
    e.interval = std::chrono::seconds(s.interval_s ? s.interval_s : 1);
    e.timeout = s.timeout_s ? std::chrono::nanoseconds(std::chrono::seconds(*s.timeout_s)) : e.interval;
    e.check = carried ? *carried : ScriptCheck::start(s.rise, s.fall, s.init_fail);
    e.next_run = now;
    entries_[s.name] = std::move(e);
}

std::vector<std::string> ScriptSchedule::due(TimePoint now) {
    std::vector<std::string> out;
    for (auto& [name, e] : entries_) {
        if (e.next_run > now) continue;
        // Fixed cadence from the previous start; after a long stall, do not run a backlog.
        while (e.next_run <= now) e.next_run += e.interval;
        if (e.running) {
            ++e.skipped;
            continue;
        }
        e.running = true;
        out.push_back(name);
    }
    return out;
}

bool ScriptSchedule::finished(const std::string& name, bool ok) {
    auto it = entries_.find(name);
    if (it == entries_.end()) return false;
    it->second.running = false;
    return it->second.check.onResult(ok);
}

void ScriptSchedule::abandon(const std::string& name) {
    auto it = entries_.find(name);
    if (it != entries_.end()) it->second.running = false;
}

void ScriptSchedule::noteOutcome(const std::string& name, std::string outcome) {
    auto it = entries_.find(name);
    if (it != entries_.end()) it->second.last_outcome = std::move(outcome);
}

std::optional<ScriptSchedule::TimePoint> ScriptSchedule::nextDeadline() const {
    std::optional<TimePoint> first;
    for (const auto& [name, e] : entries_)
        if (!first || e.next_run < *first) first = e.next_run;
    return first;
}

const ScriptSchedule::Entry* ScriptSchedule::find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
}

ScriptTrackers::ScriptTrackers(ScriptRunner& runner, const config::Config& cfg,
                               ChangeHandler on_change, const std::vector<std::string>& names,
                               const Checks& carried)
    : runner_(runner), on_change_(std::move(on_change)), alive_token_(std::make_shared<bool>(true)) {
    timerfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (timerfd_ < 0)
        throw std::system_error(errno, std::generic_category(), "timerfd_create for vrrp_script schedule");
    const auto now = Clock::now();
    for (const auto& [name, s] : cfg.scripts) {
        if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
        SecurityCheck chk = prepareScript(s.script, s.user, s.group, cfg.global, "vrrp_script " + name);
        flags_ |= chk.flags;
        for (auto& m : chk.messages) messages_.push(std::move(m));
        if (!chk.command) {
            messages_.push((chk.flags & kScInhibit)    ? "Disabling track script " + name + " due to insecure"
                                : (chk.flags & kScNotFound) ? "Disabling track script " + name +
                                                                  " since not found/accessible"
                                                            : "Disabling track script " + name);
            disabled_.push_back(name);
            continue;
        }
        commands_[name] = std::move(*chk.command);
        defs_[name] = s;
        auto prev = carried.find(name);
        schedule_.add(s, now, prev != carried.end() && prev->second.first == s ? &prev->second.second : nullptr);
    }
    std::string summary = securitySummary(flags_, cfg.global.enable_script_security);
    if (!summary.empty()) messages_.push(summary);
    runDue();
}

ScriptTrackers::Checks ScriptTrackers::checks() const {
    Checks out;
    for (const auto& [name, e] : schedule_.entries())
        if (auto d = defs_.find(name); d != defs_.end()) out.emplace(name, std::make_pair(d->second, e.check));
    return out;
}

ScriptTrackers::~ScriptTrackers() {
    *alive_token_ = false;
    for (const auto& [name, id] : runs_) runner_.signal(id, SIGKILL);
    close(timerfd_);
}

void ScriptTrackers::onReadable() {
    uint64_t ticks;
    while (read(timerfd_, &ticks, sizeof ticks) > 0) {
    }
    runDue();
}

void ScriptTrackers::runDue() {
    for (const auto& name : schedule_.due(Clock::now())) {
        const auto* e = schedule_.find(name);
        RunOptions opts;
        opts.timeout = e->timeout;
        std::weak_ptr<bool> alive = alive_token_;
        std::string err;
        auto id = runner_.start(commands_.at(name), opts,
                                [this, alive, name](const ScriptExit& x) {
                                    auto a = alive.lock();
                                    if (!a || !*a) return;
                                    runs_.erase(name);
                                    if (on_result_) on_result_(name, x);
                                    bool changed = schedule_.finished(name, x.succeeded());
                                    schedule_.noteOutcome(name, x.describe());
                                    if (changed && on_change_) on_change_(name, *state(name));
                                },
                                &err);
        if (id) {
            runs_[name] = *id;
        } else {
            // keepalived leaves the script idle when fork fails; count nothing, retry next interval.
            messages_.push(err);
            schedule_.abandon(name);
        }
    }
    armTimer();
}

void ScriptTrackers::armTimer() {
    itimerspec its{};
    if (auto t = schedule_.nextDeadline()) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t->time_since_epoch()).count();
        if (ns <= 0) ns = 1;
        its.it_value.tv_sec = ns / 1000000000;
        its.it_value.tv_nsec = ns % 1000000000;
    }
    timerfd_settime(timerfd_, TFD_TIMER_ABSTIME, &its, nullptr);
}

std::optional<TrackState> ScriptTrackers::state(const std::string& name) const {
    const auto* e = schedule_.find(name);
    if (!e) return std::nullopt;
    return e->check.state();
}

bool ScriptTrackers::unproven(const std::string& name) const {
    const auto* e = schedule_.find(name);
    return e && e->check.unproven();
}

}  // namespace xvrrp::track
