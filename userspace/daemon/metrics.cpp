// xvrrpd --metrics: the Prometheus endpoint (served from the event loop, rendered on its
// thread), and what feeds Telemetry.
#include <time.h>

#include <spdlog/spdlog.h>

#include "daemon/daemon.hpp"
#include "daemon/metrics_render.hpp"
#include "dataplane/dataplane.hpp"
#include "metrics/http_server.hpp"

namespace xvrrp::daemon {

void Daemon::startMetrics() {
    if (options_.metrics_listen.empty()) return;
    metrics_ = std::make_unique<metrics::HttpServer>(
        metrics::parseListen(options_.metrics_listen),
        [this](const metrics::HttpServer::Stats& st) { return captureMetrics(st); });
    for (int fd : metrics_->fds())
        loop_.add(fd, "metrics", [this](uint32_t) { metrics_->onReady(); });
    spdlog::info("Serving Prometheus metrics on {} (/metrics)", options_.metrics_listen);
}

std::function<std::string()> Daemon::captureMetrics(const metrics::HttpServer::Stats& st) const {
    // On the loop: the snapshot (map reads, a copy per instance) and the server's counts.
    // The text is written by the job, on the render thread; what it reads it owns.
    auto snap = std::make_shared<const DaemonSnapshot>(snapshot());
    return [snap, st]() {
        metrics::Exposition out(snap->instances.size() * 3 * 1024 + 64 * 1024);
        renderMetrics(*snap, out);
        metrics::writeServerStats(out, st, "xvrrp");
        return out.take();
    };
}

void Daemon::noteTransition(const InstanceRuntime& rt, const vrrp::StateChanged& sc) {
    std::optional<vrrp::TimePoint> heard = rt.machine().last_advert;
    if (rt.bound()) {
        try {
            if (uint64_t ns = dataplane_->lastSeen(rt.id())) {
                vrrp::TimePoint k{std::chrono::nanoseconds(ns)};
                if (!heard || k > *heard) heard = k;
            }
        } catch (const std::exception& e) {
            spdlog::debug("({}) last-seen for metrics: {}", rt.cfg().name, e.what());
        }
    }
    timespec wall{};
    ::clock_gettime(CLOCK_REALTIME, &wall);
    telemetry_.transition(rt.cfg().name, sc.from, sc.to, now(),
                          static_cast<double>(wall.tv_sec) + wall.tv_nsec / 1e9, heard);
}

}  // namespace xvrrp::daemon
