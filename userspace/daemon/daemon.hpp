#pragma once
// xvrrpd: one epoll loop (the XDP ring, the netlink link monitor, one timerfd, a signalfd,
// the control socket, the trackers) around a table of instances, each a pure state machine
// with its interpreter. The pieces:
//   daemon.cpp          start, the loop's handlers, stop
//   instance_table.*    instances by name and by (ifindex, family, VRID)
//   sync_groups.*       vrrp_sync_group moves, queued until the current step is done
//   binder.*            what an instance puts on the system, recorded in the ledger
//   ledger.*            every system change and its undo
//   tracking.*, priorities.cpp   trackers -> effective priorities and faults
//   reload.cpp          SIGHUP / xvrrpctl reload
//   restart.cpp, handover.*, carry.*   xvrrpctl restart: exec the binary, which adopts
//   control.cpp, status.cpp      control socket requests and the status document
//   snapshot.cpp, telemetry.*, metrics*.cpp   --metrics: the Prometheus endpoint
//   dump*.cpp, signum.cpp        keepalived's dump files on its signals

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bfd/session.hpp"
#include "config/config.hpp"
#include "daemon/advert_batch.hpp"
#include "daemon/event_loop.hpp"
#include "daemon/handover.hpp"
#include "daemon/inherited_children.hpp"
#include "daemon/instance_table.hpp"
#include "daemon/keepalived_stats.hpp"
#include "daemon/ledger.hpp"
#include "daemon/options.hpp"
#include "daemon/snapshot.hpp"
#include "daemon/systemd.hpp"
#include "daemon/telemetry.hpp"
#include "metrics/http_server.hpp"
#include "track/script_check.hpp"
#include "xvrrp/abi.h"

namespace xvrrp::dataplane {
class Dataplane;
}
namespace xvrrp::net {
class LinkMonitor;
class Netlink;
}
namespace xvrrp::control {
class Server;
}

namespace xvrrp::daemon {

class NetlinkEffects;
class DataplaneOwnership;
class Tracking;
class StaticConfig;
class SyncGroups;
class Binder;
class SchedulerOps;
class ProcessTuning;
class BfdWorker;

class Daemon : private InstanceHost {
public:
    Daemon(config::Config config, Options options);
    ~Daemon() override;
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Sets everything up; throws std::runtime_error naming what failed. Whatever it changed
    // on the system before that is undone (the ledger unwinds in the destructor).
    void start();
    // Runs until SIGTERM/SIGINT; returns the process exit code.
    int run();
    // A start that took over from another process (--handover) failed: undoes what this
    // process added and execs the binary that handed over, with the same record. Returns
    // only if there is no way back (the caller then unwinds everything).
    bool fallBack(const std::string& reason);

private:
    // InstanceHost: called while an instance carries out a step's actions.
    void stateChanged(const InstanceRuntime& rt, const vrrp::StateChanged& sc) override;
    bool groupAllows(const InstanceRuntime& rt) override;

    void setupInstances();
    std::unique_ptr<InstanceRuntime> makeRuntime(const config::Config& cfg,
                                                 const config::Instance& inst);
    void bindInstance(InstanceRuntime& rt);
    void startInstance(InstanceRuntime& rt, vrrp::TimePoint t);
    void shutdown();

    // The loop's handlers.
    void onSignal();
    void onTimer();
    void onRing();
    void onAdvert(const xv_advert& ev);
    void onDropSample(const xv_advert& ev);
    void logReject(InstanceRuntime& rt, const std::string& text, bool counted);
    void onLinkEvents();
    void applyLinkState(InstanceRuntime& rt, bool running, const std::string& ifname,
                        vrrp::TimePoint t);
    // keepalived's "Netlink reports IF down|up" for the interfaces the configuration names
    // (instance and tracked ones), once per change (links.cpp).
    void seedLinkStates();
    void reportLink(int ifindex, const std::string& name, bool running);
    // Whether interface NAME is running as the daemon has been told (the state its last
    // "Netlink reports" line gave), else as the kernel says now.
    bool linkRunning(const std::string& name);
    // Someone removed an address a master holds as a tracked VIP (links.cpp).
    void addressRemoved(int ifindex, const IpPrefix& address, vrrp::TimePoint t);
    void housekeeping(vrrp::TimePoint t);
    void checkFences(vrrp::TimePoint t);
    void armTimer();
    void startWatchdog();
    // STATUS= for systemd: "2 MASTER, 1 BACKUP", sent when a state changed.
    void updateStatusLine();

    // Work queued by steps for after them (sync group moves); drained after every handler.
    void post(std::function<void()> work) { queue_.push_back(std::move(work)); }
    void drain();

    // BFD sessions of the bfd_instance blocks (bfd.cpp, on their own thread): started and
    // reloaded from the configuration, their state changes feed track_bfd.
    void startBfd();
    void reconcileBfd();
    // Hands the BFD thread its handle of xv_rx's BFD maps (docs/bfd.md); a failure is
    // logged and every BFD packet goes on reaching the daemon.
    void attachBfdKernel();
    void onBfdChanges();
    // xvrrp_bfd_failover: SESSION to NEIGHBOR left Up with DIAG (bfd.cpp).
    void peerLost(const std::string& session, bfd::Diag diag, bfd::Diag remote_diag,
                  const IpAddr& neighbor, std::optional<vrrp::TimePoint> last_rx);

    // Trackers -> effective priorities and faults (priorities.cpp).
    void startTracking(const track::ScriptTrackers::Checks& carried = {});
    void recomputePriorities();
    bool trackersPending(const InstanceRuntime& rt);  // a weight-0 tracker has no result yet
    std::function<bool(const std::string&)> bfdUp() const;  // a BFD session's Up, by name

    // SIGHUP / xvrrpctl reload: unchanged instances keep state and VIPs; a config with errors
    // changes nothing. Returns the report sent to xvrrpctl.
    nlohmann::json reload();
    // reload() with global_defs' scheduling applied after it (tuning.cpp); what SIGHUP and
    // xvrrpctl reload call.
    nlohmann::json reloadAndTune();
    void applyTuning();
    void armTuning();  // RLIMIT_RTTIME once the loop runs
    void releaseTuning();  // before an exec: back to the start's settings
    nlohmann::json handleControl(const nlohmann::json& req);
    nlohmann::json fenceCommand(const nlohmann::json& req, bool fence);
    nlohmann::json checkFencesCommand();
    nlohmann::json status() const;
    vrrp::TimePoint now() const;

    // xvrrpctl restart, the old process's side (restart.cpp).
    nlohmann::json restartCommand();
    void startRestartCheck();
    void readRestartCheck();
    void onRestartCheck();
    void checkRestartTimeout();
    void cancelRestartCheck();
    void failRestart(const std::string& why);
    HandoverRecord handoverRecord(vrrp::TimePoint t) const;
    std::vector<int64_t> runningChildren() const;
    void handover();  // execs; returns only when the exec failed
    // The new process's side.
    void loadHandover();
    bool reusePinned() const;
    bool keepPrograms() const;
    void inheritLedger();
    track::ScriptTrackers::Checks inheritedScripts() const;
    bool adoptInherited(InstanceRuntime& rt, vrrp::TimePoint t);
    void finishHandover();
    // Operators' views (snapshot.cpp, metrics.cpp, dump.cpp): a picture of the daemon, the
    // /metrics body, keepalived's dump files on SIGUSR1/SIGUSR2/SIGRTMIN+2.
    DaemonSnapshot snapshot() const;
    void startMetrics();
    // On the loop for each scrape: a snapshot, and the job that renders it on the thread.
    std::function<std::string()> captureMetrics(const metrics::HttpServer::Stats& st) const;
    // Handles the dump signals; false when SIGNO is none of them.
    bool onDumpSignal(int signo);
    void noteTransition(const InstanceRuntime& rt, const vrrp::StateChanged& sc);

    // Runtimes point into it; replaced on reload. Shared: a /metrics capture keeps the one
    // it names alive while the render thread reads it.
    std::shared_ptr<const config::Config> config_;
    Options options_;
    std::unique_ptr<SchedulerOps> sched_ops_;
    std::unique_ptr<ProcessTuning> tuning_;  // vrrp_rt_priority, vrrp_no_swap, ...
    std::chrono::steady_clock::time_point started_;
    EventLoop loop_;
    int signal_fd_ = -1;
    int timer_fd_ = -1;
    std::optional<vrrp::TimePoint> timer_armed_;  // what timer_fd_ holds, until it fires
    int watchdog_fd_ = -1;
    bool running_ = true;
    SystemdNotify systemd_;
    bool states_changed_ = true;  // STATUS= line due
    std::unique_ptr<net::Netlink> netlink_;
    std::unique_ptr<net::LinkMonitor> links_;
    std::unique_ptr<dataplane::Dataplane> dataplane_;
    std::unique_ptr<control::Server> control_;
    std::unique_ptr<metrics::HttpServer> metrics_;
    Telemetry telemetry_;
    std::map<std::string, KeepalivedStats> stats_baseline_;  // STATS_CLEAR (dump.cpp)
    std::map<int, bool> link_running_;  // ifindex -> running, for keepalived's Netlink line
    std::unique_ptr<Tracking> tracking_;
    std::unique_ptr<BfdWorker> bfd_;
    std::map<std::string, bool> bfd_up_;  // each session's Up as track_bfd sees it
    std::vector<int> tracking_fds_;
    // Undone first in the destructor: its entries use netlink_ and dataplane_.
    Ledger ledger_;
    std::unique_ptr<NetlinkEffects> effects_;
    std::unique_ptr<DataplaneOwnership> ownership_;
    std::unique_ptr<StaticConfig> static_;
    AdvertBatch adverts_;  // before the table: instances' transports queue into it
    std::unique_ptr<Binder> binder_;
    InstanceTable table_;
    std::vector<InstanceRuntime*> due_;  // onTimer's list of instances with work, reused
    std::unique_ptr<SyncGroups> groups_;
    std::deque<std::function<void()>> queue_;
    std::optional<vrrp::TimePoint> housekeeping_due_;  // fence checks, ring overflow
    uint64_t ring_full_seen_ = 0;
    uint64_t rx_unknown_vrid_ = 0;
    uint64_t rx_undecodable_ = 0;

    // Hitless restart.
    struct RestartCheck {  // the candidate binary's -t run (a child of ours)
        pid_t pid = -1;
        int pidfd = -1;
        int out = -1;  // its stdout and stderr
        std::string output;
        std::chrono::steady_clock::time_point deadline;
        ~RestartCheck();
    };
    std::unique_ptr<RestartCheck> check_;
    std::string exe_path_;                 // what the daemon was started as
    int exe_fd_ = -1;                      // the running binary's file: the way back
    std::optional<HandoverRecord> inherited_;  // during a start that takes over
    std::vector<int> handover_fds_;        // the record's and the old binary's, closed after
    InheritedChildren inherited_children_{loop_};  // scripts the previous image started
    size_t adopted_ = 0;
    uint64_t restart_attempt_ = 0;
    uint64_t restarts_ = 0;
    nlohmann::json last_restart_;          // status: daemon.restart
};

// The binary to exec for a restart: ARGV[0] made absolute (an upgrade replaces that file),
// or the file the kernel ran when it came from $PATH.
std::string startedBinary(const std::vector<std::string>& argv);
// Execs the binary that handed over (RECORD.fallback_exe_fd) with its command line and
// RECORD, once; LOCK_FD (the pin-root lock, -1 if still the inherited fd) crosses the exec.
// Returns false when there is no way back or the exec failed.
bool execFallback(HandoverRecord record, const std::string& reason, int lock_fd);

}  // namespace xvrrp::daemon
