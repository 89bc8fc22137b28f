// Configuration reload (SIGHUP, xvrrpctl reload). keepalived semantics where they are sane:
// an instance whose configuration (and the global settings it depends on) did not change
// keeps its state, VIPs and timers without a transition; a changed one is stopped as on
// shutdown (priority-0 advert, VIPs removed) and started from the new configuration; a file
// with errors changes nothing.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/parser.hpp"
#include "daemon/daemon.hpp"
#include "daemon/binder.hpp"
#include "daemon/net_effects.hpp"
#include "daemon/static_config.hpp"
#include "daemon/sync_groups.hpp"
#include "daemon/tracking.hpp"
#include "dataplane/dataplane.hpp"

namespace xvrrp::daemon {
namespace {

// Everything outside the instance block that changes how it runs.
bool sameSurroundings(const config::Config& a, const config::Config& b, const std::string& name) {
    if (!(a.global == b.global)) return false;
    auto ga = a.findSyncGroup(name), gb = b.findSyncGroup(name);
    if ((ga == nullptr) != (gb == nullptr) || (ga && !(*ga == *gb))) return false;
    const auto* ia = a.findInstance(name);
    if (!ia) return false;
    for (const auto& t : ia->track_scripts) {
        auto sa = a.scripts.find(t.name), sb = b.scripts.find(t.name);
        if ((sa == a.scripts.end()) != (sb == b.scripts.end())) return false;
        if (sa != a.scripts.end() && !(sa->second == sb->second)) return false;
    }
    for (const auto& t : ia->track_files) {
        auto fa = a.track_files.find(t.name), fb = b.track_files.find(t.name);
        if ((fa == a.track_files.end()) != (fb == b.track_files.end())) return false;
        if (fa != a.track_files.end() && !(fa->second == fb->second)) return false;
    }
    return true;
}

}  // namespace

nlohmann::json Daemon::reload() {
    using nlohmann::json;
    spdlog::info("Reloading configuration from {}", options_.config_file);
    auto loaded = config::loadConfigFile(options_.config_file);
    json diags = json::array();
    for (const auto& d : loaded.diagnostics) {
        diags.push_back(d.str());
        if (d.severity == config::Severity::Error)
            spdlog::error("{}", d.str());
        else
            spdlog::warn("{}", d.str());
    }
    if (!loaded.ok()) {
        spdlog::error("Reload: {} has errors; the running configuration stays in place",
                      options_.config_file);
        json failed = {{"ok", false},
                       {"error", options_.config_file + " has errors; running configuration kept"},
                       {"diagnostics", diags}};
        telemetry_.reloaded(failed);
        return failed;
    }
    drain();  // nothing queued may outlive the runtimes it names
    auto next = std::make_unique<config::Config>(std::move(loaded.config));
    static_->reconcile(*config_, *next);
    auto t = now();
    json kept = json::array(), restarted = json::array(), added = json::array(),
         removed = json::array();

    std::vector<std::unique_ptr<InstanceRuntime>> runtimes;
    for (auto& rt : table_.takeAll()) {
        const std::string name = rt->cfg().name;
        const auto* fresh = next->findInstance(name);
        if (fresh && *fresh == rt->cfg() && sameSurroundings(*config_, *next, name)) {
            rt->adopt(*next, *fresh);
            kept.push_back(name);
            runtimes.push_back(std::move(rt));
            continue;
        }
        // Changed or gone: leave as on shutdown so peers take over quickly.
        if (rt->bound()) rt->handle(vrrp::Shutdown{}, t);
        if (rt->addressesInstalled()) rt->releaseAddresses();
        binder_->unbind(*rt);
        (fresh ? restarted : removed).push_back(name);
        spdlog::info("({}) {} by reload", name, fresh ? "restarting" : "removed");
    }
    // Configuration file order, for status output.
    for (const auto& inst : next->instances) {
        std::unique_ptr<InstanceRuntime> rt;
        for (auto& r : runtimes)
            if (r && r->cfg().name == inst.name) rt = std::move(r);
        if (!rt) {
            rt = makeRuntime(*next, inst);
            if (std::find(restarted.begin(), restarted.end(), inst.name) == restarted.end())
                added.push_back(inst.name);
        }
        table_.add(std::move(rt));
    }
    // Trackers restart from the new configuration (their objects point into it); scripts
    // whose definition is unchanged keep their state, so a kept instance's priority does
    // not fall back to its base while their first new results are due.
    auto scripts = tracking_ ? tracking_->scriptChecks() : track::ScriptTrackers::Checks{};
    config_ = std::move(next);
    groups_->reset(*config_);
    startTracking(scripts);
    for (const auto& rt : table_) {
        if (rt->bound()) continue;
        loop_.guarded("(" + rt->cfg().name + ") bind", [&] { bindInstance(*rt); });
        startInstance(*rt, now());
    }
    binder_->detachUnused(table_);
    binder_->refreshSharedFlags(table_);
    recomputePriorities();
    spdlog::info("Reload done: {} kept, {} restarted, {} added, {} removed", kept.size(),
                 restarted.size(), added.size(), removed.size());
    json report = {{"kept", kept},       {"restarted", restarted}, {"added", added},
                   {"removed", removed}, {"diagnostics", diags}};
    telemetry_.reloaded(report);
    return report;
}

}  // namespace xvrrp::daemon
