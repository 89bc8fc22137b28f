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

using StateEdge = std::pair<vrrp::State, vrrp::State>;

// Telemetry's counts as one value: what a /metrics capture copies (a few small maps, not a
// row per instance) for the render thread.
struct TelemetryTotals {
    std::map<StateEdge, uint64_t> transitions;
    std::map<StateEdge, metrics::Histogram> latencies;
    uint64_t ring_wakeups = 0;
    uint64_t ring_records = 0;
    std::map<std::string, uint64_t> reloads;           // "ok" / "error"
    std::map<std::string, uint64_t> reload_instances;  // kept/restarted/added/removed
    metrics::Histogram dumps{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1}};
    double dump_max_s = 0;
};

class Telemetry {
public:
    struct Since {
        double wall_s = 0;     // CLOCK_REALTIME seconds (keepalived's "Last transition")
        vrrp::TimePoint mono;  // CLOCK_MONOTONIC
    };
    using Edge = StateEdge;

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
        ++t_.ring_wakeups;
        t_.ring_records += static_cast<uint64_t>(records > 0 ? records : 0);
    }
    uint64_t ringWakeups() const { return t_.ring_wakeups; }
    uint64_t ringRecords() const { return t_.ring_records; }

    // A reload's outcome: REPORT as returned to xvrrpctl ({"ok":false} or the lists).
    void reloaded(const nlohmann::json& report);
    const std::map<std::string, uint64_t>& reloads() const { return t_.reloads; }
    const std::map<std::string, uint64_t>& reloadInstances() const { return t_.reload_instances; }

    // Notify counters of a Notifier about to be replaced (reload).
    void carryNotify(const notify::NotifyCounts& c);
    notify::NotifyCounts notifyTotal(const notify::NotifyCounts& current) const;

    // A dump file written (keepalived's signals), taking SECONDS of the loop.
    void dumped(double seconds) {
        t_.dumps.observe(seconds);
        t_.dump_max_s = std::max(t_.dump_max_s, seconds);
    }
    const metrics::Histogram& dumps() const { return t_.dumps; }
    double dumpMax() const { return t_.dump_max_s; }

    const std::map<Edge, uint64_t>& transitions() const { return t_.transitions; }
    const std::map<Edge, metrics::Histogram>& latencies() const { return t_.latencies; }
    const TelemetryTotals& totals() const { return t_; }

private:
    std::map<std::string, Since> since_;
    TelemetryTotals t_;
    notify::NotifyCounts notify_carried_;
};

}  // namespace xvrrp::daemon
