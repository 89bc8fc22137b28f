// Configuration reload (SIGHUP, xvrrpctl reload). A reload changes only what changed, down
// to what each instance depends on:
// - nothing of the instance's: it runs on untouched;
// - what does not go on the wire (priority, preempt, notify scripts, trackers and their
//   weights, sync group membership, garp and strict settings, unrelated global_defs): the
//   running instance takes the new configuration in place, with no transition, no GARP;
// - what its adverts carry (interval, version, authentication, unicast peers or source,
//   VIPs, routes, rules): a new runtime takes over from the old one, a master keeping the
//   VIPs it still has (vrrp::Adopt);
// - its identity (VRID, interface, family, VMAC): it stops as on shutdown (priority 0,
//   VIPs removed) and starts afresh.
// A file with errors changes nothing.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "config/parser.hpp"
#include "daemon/daemon.hpp"
#include "daemon/binder.hpp"
#include "daemon/fresh_thread.hpp"
#include "daemon/net_effects.hpp"
#include "daemon/static_config.hpp"
#include "daemon/sync_groups.hpp"
#include "daemon/tracking.hpp"
#include "dataplane/dataplane.hpp"

namespace xvrrp::daemon {
namespace {

enum class Change { None, InPlace, Advert, Identity };
// Who the instance is on the wire: another value is another VRRP router.
auto identity(const config::Instance& i) {
    return std::tie(i.vrid, i.interface, i.use_vmac, i.vmac_name);
}

// What its adverts carry, and the addresses it holds as master.
bool sameAdvert(const config::Config& a, const config::Instance& ia, const config::Config& b,
                const config::Instance& ib) {
    const bool multicast = ia.unicast_peers.empty();
    auto adv = [](const config::Instance& i) {
        auto v = config::advertisedVips(i);
        return std::vector<config::VirtualAddress>(v.begin(), v.end());
    };
    return config::instanceFamily(ia) == config::instanceFamily(ib) &&
           config::effectiveVersion(a, ia) == config::effectiveVersion(b, ib) &&
           ia.advert_int_cs == ib.advert_int_cs && ia.auth_type == ib.auth_type &&
           ia.auth_pass == ib.auth_pass && ia.src_ip == ib.src_ip &&
           ia.unicast_peers == ib.unicast_peers && ia.old_unicast_checksum == ib.old_unicast_checksum &&
           ia.vmac_xmit_base == ib.vmac_xmit_base && adv(ia) == adv(ib) &&
           ia.vips == ib.vips && ia.vips_excluded == ib.vips_excluded && ia.routes == ib.routes &&
           ia.rules == ib.rules && (ia.priority == 255) == (ib.priority == 255) &&
           (!multicast || (a.global.mcast_group4 == b.global.mcast_group4 &&
                           a.global.mcast_group6 == b.global.mcast_group6));
}

Change classify(const config::Config& a, const config::Instance& ia, const config::Config& b,
                const config::Instance& ib) {
    if (identity(ia) != identity(ib)) return Change::Identity;
    if (!sameAdvert(a, ia, b, ib)) return Change::Advert;
    // Everything else is applied in place; telling "nothing" apart only keeps the log honest.
    const auto* ga = a.findSyncGroup(ia.name);
    const auto* gb = b.findSyncGroup(ib.name);
    const bool same = ia == ib && a.global == b.global && (ga == nullptr) == (gb == nullptr) &&
                      (!ga || *ga == *gb) && a.scripts == b.scripts &&
                      a.track_files == b.track_files;
    return same ? Change::None : Change::InPlace;
}

}  // namespace

nlohmann::json Daemon::reload() {
    systemd_.reloading();
    struct Ready {  // READY=1 again however the reload ends
        SystemdNotify& n;
        ~Ready() { n.ready(); }
    } ready{systemd_};
    using nlohmann::json;
    spdlog::info("Reloading configuration from {}", options_.config_file);
    auto loaded = onFreshThread(
        [&] { return config::loadConfigFile(options_.config_file, configLoadOptions(options_)); });
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
        onFreshThread([&] { loaded = {}; });
        json failed = {{"ok", false},
                       {"error", options_.config_file + " has errors; running configuration kept"},
                       {"diagnostics", diags}};
        telemetry_.reloaded(failed);
        return failed;
    }
    drain();  // nothing queued may outlive the runtimes it names
    auto next = std::make_shared<const config::Config>(std::move(loaded.config));
    static_->reconcile(*config_, *next);
    auto t = now();
    json kept = json::array(), updated = json::array(), restarted = json::array(),
         added = json::array(), removed = json::array();

    std::vector<std::unique_ptr<InstanceRuntime>> runtimes;  // kept or updated in place
    struct Takeover {
        std::unique_ptr<InstanceRuntime> from;  // the old runtime, released but not stopped
    };
    std::map<std::string, Takeover> takeovers;
    for (auto& rt : table_.takeAll()) {
        const std::string name = rt->cfg().name;
        const auto* fresh = next->findInstance(name);
        const Change c = fresh ? classify(*config_, rt->cfg(), *next, *fresh) : Change::Identity;
        if (c == Change::None || c == Change::InPlace) {
            if (c == Change::None) rt->adopt(*next, *fresh);
            else rt->reconfigure(*next, *fresh, t);
            (c == Change::None ? kept : updated).push_back(name);
            runtimes.push_back(std::move(rt));
            continue;
        }
        const auto st = rt->machine().state;
        if (c == Change::Advert && rt->bound() &&
            (st == vrrp::State::Master || st == vrrp::State::Backup)) {
            // The same router with a new advert: the new runtime takes over in its state.
            rt->releaseExcept(*fresh);
            takeovers[name] = Takeover{std::move(rt)};
            restarted.push_back(name);
            spdlog::info("({}) advert changed by reload; taking over as {}", name,
                         vrrp::stateName(st));
            continue;
        }
        // Another router, or gone: leave as on shutdown so peers take over quickly.
        if (rt->bound()) rt->handle(vrrp::Shutdown{}, t);
        if (rt->addressesInstalled()) rt->releaseAddresses();
        binder_->unbind(*rt);
        (fresh ? restarted : removed).push_back(name);
        spdlog::info("({}) {} by reload", name, fresh ? "restarting" : "removed");
    }
    // Configuration file order, for status output; by name, not a scan per instance.
    std::unordered_map<std::string, std::unique_ptr<InstanceRuntime>> by_name;
    for (auto& r : runtimes) {
        std::string name = r->cfg().name;
        by_name.emplace(std::move(name), std::move(r));
    }
    std::unordered_set<std::string> restarted_names;
    for (const auto& n : restarted) restarted_names.insert(n.get<std::string>());
    for (const auto& inst : next->instances) {
        std::unique_ptr<InstanceRuntime> rt;
        if (auto it = by_name.find(inst.name); it != by_name.end()) rt = std::move(it->second);
        if (!rt) {
            rt = makeRuntime(*next, inst);
            if (!restarted_names.count(inst.name)) added.push_back(inst.name);
        }
        table_.add(std::move(rt));
    }
    // Trackers restart from the new configuration (their objects point into it); scripts
    // whose definition is unchanged keep their state, so a kept instance's priority does
    // not fall back to its base while their first new results are due.
    auto scripts = tracking_ ? tracking_->scriptChecks() : track::ScriptTrackers::Checks{};
    auto old = std::move(config_);  // the taken-over runtimes point into it until the end
    config_ = std::move(next);
    groups_->reset(*config_);
    reconcileBfd();  // new intervals poll, a new neighbour is a new session
    startTracking(scripts);
    for (const auto& rt : table_) {
        if (rt->bound()) continue;
        loop_.guarded("(" + rt->cfg().name + ") bind", [&] { bindInstance(*rt); });
        auto it = takeovers.find(rt->cfg().name);
        if (it != takeovers.end() && rt->bound()) {
            const auto& from = it->second.from->machine();
            rt->handle(vrrp::Adopt{from.state, from.counters}, now());
        } else {
            startInstance(*rt, now());
        }
    }
    takeovers.clear();
    seedLinkStates();
    binder_->detachUnused(table_);
    binder_->refreshSharedFlags(table_);
    recomputePriorities();
    onFreshThread([&] {  // what the parse left, and the old configuration's last reference
        loaded = {};
        old.reset();
    });
    spdlog::info("Reload done: {} kept, {} updated in place, {} restarted, {} added, {} removed",
                 kept.size(), updated.size(), restarted.size(), added.size(), removed.size());
    json report = {{"kept", kept},   {"updated", updated}, {"restarted", restarted},
                   {"added", added}, {"removed", removed}, {"diagnostics", diags}};
    telemetry_.reloaded(report);
    return report;
}

}  // namespace xvrrp::daemon
