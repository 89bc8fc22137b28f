// xvrrpd --metrics: the Prometheus endpoint in the event loop, and what feeds Telemetry.
#include <time.h>

#include <spdlog/spdlog.h>

#include "daemon/daemon.hpp"
#include "daemon/metrics_render.hpp"
#include "dataplane/dataplane.hpp"
#include "metrics/http_server.hpp"

namespace xvrrp::daemon {

void Daemon::startMetrics() {
    if (options_.metrics_listen.empty()) return;
    metrics_ = std::make_unique<metrics::HttpServer>(metrics::parseListen(options_.metrics_listen),
                                                     [this] { return metricsText(); });
    for (int fd : {metrics_->epollFd(), metrics_->timerFd()})
        loop_.add(fd, "metrics", [this](uint32_t) { metrics_->onReady(); });
    spdlog::info("Serving Prometheus metrics on {} (/metrics)", options_.metrics_listen);
}

std::string Daemon::metricsText() const {
    metrics::Exposition out(256 * 1024);
    renderMetrics(snapshot(), out);
    if (metrics_) metrics::writeServerStats(out, metrics_->stats(), "xvrrp");
    return out.take();
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
