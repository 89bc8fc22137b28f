#pragma once
// Trackers and notify scripts of a running configuration: vrrp_script, track_file,
// track_process, track_interface feed each instance's effective priority (or a fault);
// state changes run notify scripts. Everything is asynchronous: the daemon polls the fds
// in its epoll loop.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "notify/notifier.hpp"
#include "track/script_check.hpp"
#include "track/script_runner.hpp"
#include "track/track_file.hpp"
#include "track/track_process.hpp"
#include "track/tracker.hpp"

namespace xvrrp::daemon {

class Tracking {
public:
    // on_change runs after any tracker changed; the daemon recomputes priorities then.
    // carried: script counters from before a reload (scriptChecks()); scripts whose
    // definition is unchanged keep their state instead of starting over from "init".
    Tracking(const config::Config& cfg, std::function<void()> on_change,
             const track::ScriptTrackers::Checks& carried = {});
    ~Tracking();

    std::vector<int> fds() const;
    void onReadable(int fd);

    // Inputs of one instance (its own track_* and its sync group's); link_up tells the
    // state of a tracked interface by name, bfd_up whether a BFD session is Up (none: all
    // down, as keepalived starts every tracked BFD).
    track::EffectivePriority evaluate(const config::Instance& inst,
                                      const std::function<bool(const std::string&)>& link_up,
                                      const std::function<bool(const std::string&)>& bfd_up = {}) const;
    notify::Notifier& notifier() { return *notifier_; }
    const notify::Notifier& notifier() const { return *notifier_; }
    // The running trackers, for metrics and dumps (null when none is tracked).
    const track::ScriptTrackers* scripts() const { return scripts_.get(); }
    const track::FileTrackers* files() const { return files_.get(); }
    track::ScriptTrackers::Checks scriptChecks() const {
        return scripts_ ? scripts_->checks() : track::ScriptTrackers::Checks{};
    }
    // Scripts and notify scripts still running (xvrrpctl restart hands them over).
    std::vector<pid_t> runningScripts() const { return runner_->pids(); }
    // Notify scripts still running, let go before a reload replaces this: keepalived's
    // reload kills none of them. Whoever takes the pids reaps them.
    std::vector<pid_t> releaseNotifyScripts() {
        auto pids = runner_->release();
        notifier_->released(pids.size());
        return pids;
    }
    // Logs and clears what the components collected (check results, runtime errors).
    void flushMessages();

private:
    const config::Config& cfg_;
    std::function<void()> on_change_;
    std::unique_ptr<track::ScriptRunner> runner_;
    std::unique_ptr<track::ScriptTrackers> scripts_;
    std::unique_ptr<track::FileTrackers> files_;
    std::unique_ptr<track::ProcessTrackers> processes_;
    std::unique_ptr<notify::Notifier> notifier_;
    std::map<std::string, std::string> script_results_;  // last raw result per script
};

}  // namespace xvrrp::daemon
