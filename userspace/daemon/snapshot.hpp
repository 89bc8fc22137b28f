#pragma once
// One consistent picture of the running daemon, taken inside the event loop and handed to
// the pure renderers of /metrics (metrics_render.cpp, on the render thread) and of
// keepalived's dump files (dump_render.cpp, on the loop). Self-contained: plain values, and
// pointers into the configuration and tracker reports it shares, so it stays valid when a
// reload replaces them while the render thread reads it. Taking it costs the loop a copy
// of each instance's state (no text).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "daemon/instance_runtime.hpp"
#include "daemon/telemetry.hpp"
#include "notify/notifier.hpp"
#include "track/tracker.hpp"
#include "vrrp/types.hpp"
#include "xvrrp/abi.h"

namespace xvrrp::daemon {

struct InstanceSnapshot {
    const config::Instance* cfg = nullptr;  // into DaemonSnapshot::config
    bool bound = false;
    int ifindex = 0;
    Family family = Family::V4;
    int version = 3;
    std::optional<IpAddr> primary;      // our source address once bound
    vrrp::Instance machine;             // the state machine's value
    InstanceCounters counters;          // rejects by reason, send and address errors
    uint64_t tx_errors = 0;
    std::optional<xv_vrid_rx> kernel;   // what XDP counted (absorbed adverts included)
    std::optional<uint32_t> fenced_by;  // xv_fence_by when a fence holds it
    bool vips_installed = false;
    bool accept = false;
    int fd_in = -1, fd_out = -1;        // the XDP ring and the send socket
    std::map<std::string, std::string> faults;  // fault source -> reason
    std::shared_ptr<const nlohmann::json> track_report;  // recomputePriorities()' breakdown
    std::optional<double> last_transition_wall;  // CLOCK_REALTIME seconds

    // Adverts heard: those the machine handled plus those the kernel absorbed.
    uint64_t advertsReceived() const {
        return machine.counters.adverts_rx + (kernel ? kernel->quiet : 0);
    }
    // The last advert heard, by the machine or absorbed by the kernel.
    std::optional<vrrp::TimePoint> lastHeard() const;
    uint64_t rejected(const char* reason) const;
};

// vrrp_script state for keepalived_script_* and the dumps.
struct ScriptSnapshot {
    const config::Script* cfg = nullptr;  // into DaemonSnapshot::config
    track::TrackState state = track::TrackState::Init;
    bool running = false;
    int result = 0;  // keepalived's rise/fall counter
    uint64_t skipped = 0;
};

// One BFD session (bfd_table.hpp) for xvrrp_bfd_*.
struct BfdSnapshot {
    std::string name;
    std::string neighbor;
    uint8_t state = 1;         // RFC 5880 4.1: 0 AdminDown, 1 Down, 2 Init, 3 Up
    uint8_t remote_state = 1;
    double detect_time_s = 0;  // negotiated, 0 before the remote is heard
    uint64_t packets_rx = 0, packets_tx = 0, tx_errors = 0, up = 0, down = 0;
    uint64_t absorbed_xdp = 0;  // repeats xv_rx absorbed (not in packets_rx)
    std::map<std::string, uint64_t> rejected_by;
};

struct DaemonSnapshot {
    std::shared_ptr<const config::Config> config;  // kept alive by the snapshot
    int pid = 0;
    double uptime_s = 0;
    double wall_now_s = 0;        // CLOCK_REALTIME
    vrrp::TimePoint mono_now;     // CLOCK_MONOTONIC
    std::vector<InstanceSnapshot> instances;
    std::map<std::string, ScriptSnapshot> scripts;
    std::map<std::string, int64_t> track_files;   // name -> value read
    std::map<std::string, bool> track_processes;  // name -> quorum held
    xv_stats kernel{};
    std::optional<uint64_t> heartbeat_age_ns;
    uint64_t ring_bad_records = 0;
    uint64_t rx_unknown_vrid = 0;
    uint64_t rx_undecodable = 0;
    std::map<std::string, uint64_t> loop_errors;
    std::map<int, std::string> interfaces;  // ifindex -> name, with XDP attached
    std::map<int, std::string> xdp_modes;   // ifindex -> native|generic
    notify::NotifyCounts notify;
    std::vector<std::pair<xv_addr_key, xv_vip>> vips;  // the kernel's VIP verdicts
    TelemetryTotals telemetry;
    std::vector<BfdSnapshot> bfd;
};

// Wall-clock seconds for a CLOCK_MONOTONIC moment, given both clocks read at once.
inline double wallOf(const DaemonSnapshot& s, vrrp::TimePoint t) {
    return s.wall_now_s + std::chrono::duration<double>(t - s.mono_now).count();
}

}  // namespace xvrrp::daemon
