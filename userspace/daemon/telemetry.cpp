#include "daemon/telemetry.hpp"

#include <nlohmann/json.hpp>

namespace xvrrp::daemon {
namespace {

// From a 10 ms advert interval's Master_Down_Interval (~36 ms) to a 255 s one (~800 s).
const std::vector<double> kLatencyBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                            0.5,   1,     2.5,  5,     10,   30,   120};

bool protocolEdge(vrrp::State from, vrrp::State to) {
    using vrrp::State;
    return (from == State::Backup && to == State::Master) ||
           (from == State::Master && to == State::Backup);
}

}  // namespace

Telemetry::Telemetry() {
    using vrrp::State;
    for (auto e : {Edge{State::Backup, State::Master}, Edge{State::Master, State::Backup}})
        t_.latencies.emplace(e, metrics::Histogram(kLatencyBounds));
}

void Telemetry::transition(const std::string& name, vrrp::State from, vrrp::State to,
                           vrrp::TimePoint now, double wall_s,
                           std::optional<vrrp::TimePoint> last_heard) {
    const Since* before = since(name);
    ++t_.transitions[{from, to}];
    if (protocolEdge(from, to) && last_heard && (!before || *last_heard >= before->mono) &&
        *last_heard <= now)
        t_.latencies.at({from, to}).observe(std::chrono::duration<double>(now - *last_heard).count());
    since_[name] = Since{wall_s, now};
}

const Telemetry::Since* Telemetry::since(const std::string& name) const {
    auto it = since_.find(name);
    return it == since_.end() ? nullptr : &it->second;
}

void Telemetry::reloaded(const nlohmann::json& report) {
    const bool ok = !(report.contains("ok") && report["ok"] == false);
    ++t_.reloads[ok ? "ok" : "error"];
    if (!ok) return;
    for (const char* k : {"kept", "updated", "restarted", "added", "removed"})
        if (report.contains(k)) t_.reload_instances[k] += report[k].size();
}

void Telemetry::carryNotify(const notify::NotifyCounts& c) {
    notify_carried_.runs += c.runs;
    notify_carried_.failed += c.failed;
    notify_carried_.fifo_dropped += c.fifo_dropped;
}

notify::NotifyCounts Telemetry::notifyTotal(const notify::NotifyCounts& current) const {
    notify::NotifyCounts t = notify_carried_;
    t.runs += current.runs;
    t.failed += current.failed;
    t.fifo_dropped += current.fifo_dropped;
    return t;
}

}  // namespace xvrrp::daemon
