#pragma once
// xvrrpd's single epoll loop: the XDP ring, the netlink link monitor, one timerfd, a signalfd
// and the control socket. No polling, no sleeps.

#include <chrono>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "daemon/advert_batch.hpp"
#include "daemon/instance_runtime.hpp"
#include "daemon/options.hpp"
#include "net/netlink.hpp"
#include "track/script_check.hpp"
#include "xvrrp/abi.h"

namespace xvrrp::dataplane {
class Dataplane;
}
namespace xvrrp::net {
class LinkMonitor;
}
namespace xvrrp::control {
class Server;
}

namespace xvrrp::daemon {

class NetlinkEffects;
class DataplaneOwnership;
class Tracking;
class StaticConfig;

class Daemon {
public:
    Daemon(config::Config config, Options options);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Sets everything up; throws std::runtime_error naming what failed (nothing is left
    // changed on the system when it does).
    void start();
    // Runs until SIGTERM/SIGINT; returns the process exit code.
    int run();

private:
    void setupInstances();
    void bindInstance(InstanceRuntime& rt);
    void onRing();
    void onAdvert(const xv_advert& ev);
    void onSignal();
    void onLinkEvents();
    void applyLinkState(InstanceRuntime& rt, bool running, const std::string& ifname,
                        vrrp::TimePoint t);
    void onTimer();
    void armTimer();
    void shutdown();
    // SIGHUP / xvrrpctl reload: unchanged instances keep state and VIPs; a config with errors
    // changes nothing. Returns the report sent to xvrrpctl.
    nlohmann::json reload();
    void startInstance(InstanceRuntime& rt, vrrp::TimePoint t);
    void detachUnused();
    // carried: vrrp_script counters kept across a reload (Tracking::scriptChecks()).
    void startTracking(const track::ScriptTrackers::Checks& carried = {});
    void recomputePriorities();
    void wireInstance(InstanceRuntime& rt);
    void propagateGroup(const InstanceRuntime& from, const vrrp::StateChanged& sc);
    InstanceRuntime* findRuntime(const std::string& name);
    bool groupMayGoMaster(InstanceRuntime& rt, vrrp::TimePoint t);
    void settleGroupFaults(vrrp::TimePoint t);
    void configureKernel(InstanceRuntime& rt);
    void attachXdp(const net::LinkInfo& link);
    void refreshSharedFlags();
    void releaseVmac(const std::string& instance);
    void checkFences(vrrp::TimePoint t);
    void refreshFromKernel(InstanceRuntime& rt, vrrp::TimePoint t);
    nlohmann::json fenceCommand(const nlohmann::json& req, bool fence);
    nlohmann::json checkFencesCommand();
    nlohmann::json status() const;
    nlohmann::json handleControl(const nlohmann::json& req);
    vrrp::TimePoint now() const;

    std::unique_ptr<config::Config> config_;  // runtimes point into it; replaced on reload
    Options options_;
    std::chrono::steady_clock::time_point started_;
    int epoll_fd_ = -1;
    int signal_fd_ = -1;
    int timer_fd_ = -1;
    bool running_ = true;
    std::unique_ptr<net::Netlink> netlink_;
    std::unique_ptr<net::LinkMonitor> links_;
    std::unique_ptr<NetlinkEffects> effects_;
    std::unique_ptr<StaticConfig> static_;
    std::map<std::string, bool> promote_saved_;
    std::map<std::string, net::Vmac> vmacs_;
    std::map<std::string, int> arp_announce_saved_;  // base ifname -> value before a VMAC  // instance name -> its VMAC (use_vmac)  // ifname -> promote_secondaries before us
    std::unique_ptr<dataplane::Dataplane> dataplane_;
    std::unique_ptr<DataplaneOwnership> ownership_;
    std::unique_ptr<control::Server> control_;
    std::unique_ptr<Tracking> tracking_;
    std::vector<int> tracking_fds_;
    AdvertBatch adverts_;  // before instances_: their transports queue into it
    std::vector<std::unique_ptr<InstanceRuntime>> instances_;
    std::map<int, std::string> attached_;  // ifindex -> ifname with our XDP program
    bool propagating_ = false;                      // inside a sync group move
    std::map<std::string, vrrp::State> group_state_;  // last state notified per sync group
    std::optional<vrrp::TimePoint> housekeeping_due_;  // fence checks, ring overflow
    uint64_t ring_full_seen_ = 0;
    uint64_t rx_unknown_vrid_ = 0;
    uint64_t rx_undecodable_ = 0;
};

}  // namespace xvrrp::daemon
