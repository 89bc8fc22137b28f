// Daemon::snapshot(): the running daemon as plain values for /metrics and the dump files.
// Kernel maps are read whole, once per snapshot (dataplane/readout.cpp).
#include "daemon/snapshot.hpp"

#include <time.h>
#include <unistd.h>

#include <cstring>
#include <unordered_map>

#include "daemon/binder.hpp"
#include "daemon/bfd_worker.hpp"
#include "daemon/daemon.hpp"
#include "daemon/telemetry.hpp"
#include "daemon/tracking.hpp"
#include "dataplane/dataplane.hpp"

namespace xvrrp::daemon {
namespace {

uint64_t keyOf(const xv_inst_key& k) {
    uint64_t v = 0;
    std::memcpy(&v, &k, sizeof k);
    return v;
}

double realtimeNow() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

}  // namespace

std::optional<vrrp::TimePoint> InstanceSnapshot::lastHeard() const {
    std::optional<vrrp::TimePoint> last = machine.last_advert;
    if (kernel && kernel->last_seen_ns) {
        vrrp::TimePoint seen{std::chrono::nanoseconds(kernel->last_seen_ns)};
        if (!last || seen > *last) last = seen;
    }
    return last;
}

uint64_t InstanceSnapshot::rejected(const char* reason) const {
    auto it = counters.rejected_by.find(reason);
    return it == counters.rejected_by.end() ? 0 : it->second;
}

DaemonSnapshot Daemon::snapshot() const {
    DaemonSnapshot s;
    s.config = config_;
    s.pid = static_cast<int>(::getpid());
    s.uptime_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    s.mono_now = now();
    s.wall_now_s = realtimeNow();
    s.telemetry = telemetry_.totals();
    s.loop_errors = loop_.errors();
    s.rx_unknown_vrid = rx_unknown_vrid_;
    s.rx_undecodable = rx_undecodable_;
    s.ring_bad_records = dataplane_->badRecords();
    s.kernel = dataplane_->stats();
    if (uint64_t hb = dataplane_->lastHeartbeat()) {
        const auto nowns = static_cast<uint64_t>(s.mono_now.since_boot.count());
        s.heartbeat_age_ns = nowns > hb ? nowns - hb : 0;
    }
    for (const auto& [idx, name] : binder_->attached()) {
        s.interfaces[idx] = name;
        s.xdp_modes[idx] = dataplane_->attachModeOf(idx);
    }
    std::unordered_map<uint64_t, xv_vrid_rx> rx;
    for (const auto& [k, v] : dataplane_->vridStates()) rx.emplace(keyOf(k), v);
    // Both owners may hold a fence on one instance: their xv_fence_by values (1, 2) OR'd.
    std::unordered_map<uint64_t, uint32_t> fenced;
    for (const auto& [k, v] : dataplane_->fences().list())
        fenced[keyOf(xv_inst_key{.ifindex = k.ifindex, .family = k.family, .vrid = k.vrid})] |=
            v.by;
    s.vips = dataplane_->vips();

    if (bfd_) s.bfd = bfd_->snapshot();
    s.instances.reserve(table_.size());
    for (const auto& rt : table_) {
        InstanceSnapshot i;
        i.cfg = &rt->cfg();
        i.bound = rt->bound();
        i.ifindex = rt->ifindex();
        i.family = rt->family();
        i.version = rt->version();
        if (i.bound) i.primary = rt->primary();
        i.machine = rt->machine();
        i.counters = rt->counters();
        i.tx_errors = rt->txErrors();
        i.vips_installed = rt->addressesInstalled();
        i.accept = rt->acceptMode();
        i.faults = rt->faults();
        i.fd_in = i.bound ? dataplane_->epollFd() : -1;
        i.fd_out = rt->txFd();
        i.track_report = rt->sharedTrackReport();
        if (i.bound) {
            const uint64_t key = keyOf(dataplane::toKey(rt->id()));
            if (auto it = rx.find(key); it != rx.end()) i.kernel = it->second;
            if (auto it = fenced.find(key); it != fenced.end()) i.fenced_by = it->second;
        }
        if (const auto* since = telemetry_.since(i.cfg->name)) i.last_transition_wall = since->wall_s;
        s.instances.push_back(std::move(i));
    }
    if (tracking_) {
        s.notify = telemetry_.notifyTotal(tracking_->notifier().counts());
        if (const auto* sc = tracking_->scripts())
            for (const auto& [name, e] : sc->schedule().entries()) {
                ScriptSnapshot ss;
                auto it = config_->scripts.find(name);
                ss.cfg = it == config_->scripts.end() ? nullptr : &it->second;
                ss.state = e.check.state();
                ss.running = e.running;
                ss.result = e.check.result();
                ss.skipped = e.skipped;
                s.scripts.emplace(name, ss);
            }
        if (const auto* f = tracking_->files())
            for (const auto& [name, tf] : config_->track_files)
                if (auto v = f->value(name)) s.track_files[name] = *v;
    } else {
        s.notify = telemetry_.notifyTotal({});
    }
    return s;
}

}  // namespace xvrrp::daemon
