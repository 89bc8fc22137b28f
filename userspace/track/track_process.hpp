#pragma once
// track_process / vrrp_track_process (keepalived 2.2.7 core/track_process.c).
//
// Matching (keepalived's parser defaults applied by matcherFor):
//   * The name is compared exactly (pgrep "^name$") with the process's comm
//     (/proc/PID/comm, at most 15 characters), or with argv[0] of /proc/PID/cmdline when
//     `full_command` is set. Parameters on the `process` line or a `param_match` line
//     imply full_command.
//   * Parameters follow argv[0] in cmdline, NUL-separated. param_match exact (the default
//     when parameters are given): the same parameters, no more. partial: the configured
//     ones are the first n parameters. initial: like partial but the last configured one
//     may be a prefix of the process's parameter. No parameters and no param_match: any.
//   * Zombies do not count. Threads are not processes.
// Quorum: up while quorum <= count <= quorum_max (quorum_max 0 means "up when none run").
// Delays: a change of up/down caused by a fork waits fork_delay, one caused by an exit
// waits terminate_delay; the change reverting while it waits cancels it. An exec or a
// comm change applies at once (keepalived: check_process, check_process_comm_change).
// A fallback /proc rescan cannot tell fork from exec, so it waits fork_delay for up and
// terminate_delay for down.
//
// Counting follows the kernel proc connector (NETLINK_CONNECTOR, CN_IDX_PROC: fork, exec,
// comm, exit) after one /proc scan. The connector exists only in the initial network
// namespace, so a daemon inside another netns opens it there (needs CAP_SYS_ADMIN); when
// it cannot be subscribed at all, /proc is rescanned every second with a warning.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "track/tracker.hpp"
#include "track/messages.hpp"

namespace xvrrp::track {

using ProcClock = std::chrono::steady_clock;

enum class ParamMatch : uint8_t { None, Exact, Initial, Partial };

// One vrrp_track_process with keepalived's defaults and implications resolved.
struct ProcessMatcher {
    std::string name;
    std::vector<std::string> params;
    ParamMatch mode = ParamMatch::None;
    bool full_command = false;
    uint32_t quorum = 1;
    uint32_t quorum_max = UINT32_MAX;
    std::chrono::milliseconds fork_delay{0};
    std::chrono::milliseconds terminate_delay{0};
};
ProcessMatcher matcherFor(const config::TrackProcess& p);

// What /proc or the connector told us about one process.
struct ProcessInfo {
    std::string comm;     // without the trailing newline
    std::string cmdline;  // raw: argv[0] NUL arg1 NUL ...
    bool zombie = false;
};

// `actual` is everything after argv[0]'s NUL in cmdline.
bool paramsMatch(ParamMatch mode, const std::vector<std::string>& want, std::string_view actual);
bool processMatches(const ProcessMatcher& m, const ProcessInfo& p);

enum class CountCause : uint8_t { Scan, Exec, Comm, Fork, Exit, Rescan };

// Quorum and delays of one tracked process on the caller's clock (no I/O).
class ProcessQuorum {
public:
    explicit ProcessQuorum(const ProcessMatcher& m);

    bool inRange(uint32_t n) const { return n >= quorum_ && n <= quorum_max_; }
    // The number of matching processes is now `n`; true when up() changed.
    bool setCount(uint32_t n, CountCause cause, ProcClock::time_point now);
    // Call when deadline() has passed; true when up() changed.
    bool onTimer(ProcClock::time_point now);
    std::optional<ProcClock::time_point> deadline() const { return deadline_; }

    bool up() const { return up_; }
    uint32_t count() const { return count_; }

private:
    uint32_t quorum_, quorum_max_;
    std::chrono::milliseconds fork_delay_, terminate_delay_;
    uint32_t count_ = 0;
    bool up_;
    std::optional<ProcClock::time_point> deadline_;
};

// Reads /proc/PID/stat (comm and zombie state) and, when `cmdline_max` > 0, at most that
// many bytes of /proc/PID/cmdline. nullopt when the process is gone.
std::optional<ProcessInfo> readProcess(int pid, size_t cmdline_max);

// Watches every tracked process with one epoll fd (connector socket + timerfd).
// Daemon use:
//   ProcessTrackers pt(cfg, [&](const std::string& name, bool up) {...}, names);
//   log pt.messages();  epoll add pt.fd() -> pt.onReadable();
//   pt.state("name") feeds effectivePriority() as TrackerKind::Process.
class ProcessTrackers {
public:
    using ChangeHandler = std::function<void(const std::string& name, bool up)>;
    struct Options {
        bool use_connector = true;  // false: tests of the /proc fallback
        std::chrono::milliseconds rescan_interval{1000};
    };

    // Subscribes to the connector, then scans /proc. `names` limits to the processes some
    // instance tracks (empty: all). Throws std::system_error when epoll/timerfd fail.
    ProcessTrackers(const config::Config& cfg, ChangeHandler on_change,
                    const std::vector<std::string>& names = {});
    ProcessTrackers(const config::Config& cfg, ChangeHandler on_change,
                    const std::vector<std::string>& names, Options opts);
    ~ProcessTrackers();
    ProcessTrackers(const ProcessTrackers&) = delete;
    ProcessTrackers& operator=(const ProcessTrackers&) = delete;

    int fd() const { return epoll_fd_; }
    void onReadable();

    std::optional<TrackState> state(const std::string& name) const;
    std::optional<uint32_t> count(const std::string& name) const;
    bool usingConnector() const { return nl_fd_ >= 0; }
    // Lines not taken yet; the daemon drains them with takeMessages() (track/messages.hpp).
    const std::vector<std::string>& messages() const { return messages_.pending(); }
    std::vector<std::string> takeMessages() { return messages_.take(); }

private:
    struct Tracked {
        std::string name;
        ProcessMatcher matcher;
        ProcessQuorum quorum;
        std::set<int> pids;
    };
    bool openConnector();
    void scan(CountCause cause);
    void onExec(int pid);
    void onComm(int pid, std::string_view comm);
    void onFork(int parent, int child);
    void onExit(int pid);
    void readConnector();
    void apply(Tracked& t, CountCause cause);
    void armTimer();

    ChangeHandler on_change_;
    Options opts_;
    std::vector<Tracked> tracked_;
    size_t cmdline_max_ = 0;  // 0: no tracker needs cmdline
    int epoll_fd_ = -1, nl_fd_ = -1, timer_fd_ = -1;
    std::optional<ProcClock::time_point> next_rescan_;
    Messages messages_;
};

}  // namespace xvrrp::track
