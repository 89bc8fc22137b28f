#pragma once
// What the daemon remembers only for operators (metrics, keepalived's dumps): when each
// instance last changed state, how long its transitions took, ring wake-ups, reload
// results, notify-script outcomes carried over reloads. No decision reads it.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "metrics/exposition.hpp"
#include "notify/notifier.hpp"
#include "vrrp/types.hpp"

namespace xvrrp::daemon {

class Telemetry {
public:
    struct Since {
        double wall_s = 0;     // CLOCK_REALTIME seconds (keepalived's "Last transition")
        vrrp::TimePoint mono;  // CLOCK_MONOTONIC
    };
    using Edge = std::pair<vrrp::State, vrrp::State>;

    Telemetry();

    // NAME went FROM -> TO at NOW (monotonic; WALL_S the same moment on the real-time
    // clock). LAST_HEARD: the last advert heard from a master, by the kernel or by us.
    // Between BACKUP and MASTER the time from that advert to the change is observed in the
    // edge's histogram when the advert came in the state left (the takeover latency: last
    // advert -> MASTER; the yield latency: better advert -> BACKUP). Other edges are counted.
    void transition(const std::string& name, vrrp::State from, vrrp::State to,
                    vrrp::TimePoint now, double wall_s,
                    std::optional<vrrp::TimePoint> last_heard);
    const Since* since(const std::string& name) const;

    void ringPass(int records) {
        ++ring_wakeups_;
        ring_records_ += static_cast<uint64_t>(records > 0 ? records : 0);
    }
    uint64_t ringWakeups() const { return ring_wakeups_; }
    uint64_t ringRecords() const { return ring_records_; }

    // A reload's outcome: REPORT as returned to xvrrpctl ({"ok":false} or the lists).
    void reloaded(const nlohmann::json& report);
    const std::map<std::string, uint64_t>& reloads() const { return reloads_; }
    const std::map<std::string, uint64_t>& reloadInstances() const { return reload_instances_; }

    // Notify counters of a Notifier about to be replaced (reload).
    void carryNotify(const notify::NotifyCounts& c);
    notify::NotifyCounts notifyTotal(const notify::NotifyCounts& current) const;

    // A dump file written (keepalived's signals), taking SECONDS of the loop.
    void dumped(double seconds) {
        dumps_.observe(seconds);
        dump_max_s_ = std::max(dump_max_s_, seconds);
    }
    const metrics::Histogram& dumps() const { return dumps_; }
    double dumpMax() const { return dump_max_s_; }

    const std::map<Edge, uint64_t>& transitions() const { return transitions_; }
    const std::map<Edge, metrics::Histogram>& latencies() const { return latency_; }

private:
    std::map<std::string, Since> since_;
    std::map<Edge, uint64_t> transitions_;
    std::map<Edge, metrics::Histogram> latency_;
    uint64_t ring_wakeups_ = 0;
    uint64_t ring_records_ = 0;
    std::map<std::string, uint64_t> reloads_;           // "ok" / "error"
    std::map<std::string, uint64_t> reload_instances_;  // kept/restarted/added/removed
    notify::NotifyCounts notify_carried_;
    metrics::Histogram dumps_{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1}};
    double dump_max_s_ = 0;
};

}  // namespace xvrrp::daemon
