#include "daemon/tracking.hpp"

#include <spdlog/spdlog.h>

#include <set>

namespace xvrrp::daemon {
namespace {


// Scripts and files some instance (or its sync group) tracks; keepalived runs no others.
template <class Pick>
std::vector<std::string> trackedNames(const config::Config& cfg, Pick pick) {
    std::set<std::string> names;
    for (const auto& i : cfg.instances) {
        for (const auto& r : pick(i)) names.insert(r.name);
        if (const auto* g = cfg.findSyncGroup(i.name))
            for (const auto& r : pick(*g)) names.insert(r.name);
    }
    return {names.begin(), names.end()};
}

// A tracker input named by a track_* reference: the reference's weight (and reverse) when it
// has one, else the tracked object's, else `fallback` for a name nothing defines (keepalived).
template <typename Defs>
track::TrackerInput weighted(track::TrackerKind kind, const config::TrackRef& r, const Defs& defs,
                             int fallback) {
    track::TrackerInput t;
    t.kind = kind;
    t.name = r.name;
    auto it = defs.find(r.name);
    t.weight = r.weight.value_or(it != defs.end() ? it->second.weight : fallback);
    t.reverse = r.weight ? r.reverse : (it != defs.end() && it->second.weight_reverse);
    return t;
}

}  // namespace

Tracking::Tracking(const config::Config& cfg, std::function<void()> on_change,
                   const track::ScriptTrackers::Checks& carried)
    : cfg_(cfg), on_change_(std::move(on_change)) {
    runner_ = std::make_unique<track::ScriptRunner>();
    auto scripts = trackedNames(cfg, [](const auto& x) -> const std::vector<config::TrackRef>& {
        return x.track_scripts;
    });
    auto files = trackedNames(cfg, [](const auto& x) -> const std::vector<config::TrackRef>& {
        return x.track_files;
    });
    if (!scripts.empty())
        scripts_ = std::make_unique<track::ScriptTrackers>(
            *runner_, cfg,
            [this](const std::string& name, track::TrackState s) {
                // keepalived's wording (vrrp_script_child_thread): what log watchers match.
                if (s == track::TrackState::Up) {
                    spdlog::info("VRRP_Script({}) succeeded", name);
                } else {
                    const auto* e = scripts_->schedule().find(name);
                    spdlog::info("VRRP_Script({}) failed ({})", name,
                                 e && e->last_outcome ? *e->last_outcome : "failed");
                }
                on_change_();
            },
            scripts, carried);
    if (scripts_)
        scripts_->onResult([this](const std::string& name, const track::ScriptExit& x) {
            const std::string now = x.exited() && !x.timed_out ? std::to_string(x.exitCode())
                                                               : x.describe();
            auto [it, fresh] = script_results_.try_emplace(name, now);
            if (!fresh && it->second == now) return;
            it->second = now;
            if (!fresh || now != "0") spdlog::info("Script `{}` now returning {}", name, now);
        });
    if (!files.empty())
        files_ = std::make_unique<track::FileTrackers>(
            cfg,
            [this](const std::string& name, int64_t v) {
                spdlog::info("Track file {} now {}", name, v);
                on_change_();
            },
            files);
    auto procs = trackedNames(cfg, [](const auto& x) -> const std::vector<config::TrackRef>& {
        return x.track_processes;
    });
    if (!procs.empty())
        processes_ = std::make_unique<track::ProcessTrackers>(
            cfg,
            [this](const std::string& name, bool up) {
                spdlog::info("Quorum {} for tracked process {}", up ? "gained" : "lost", name);
                on_change_();
            },
            procs);
    notifier_ = std::make_unique<notify::Notifier>(*runner_, cfg);
    notifier_->openFifos();
    flushMessages();
}

Tracking::~Tracking() {
    if (notifier_) notifier_->closeFifos();
}

std::vector<int> Tracking::fds() const {
    std::vector<int> out{runner_->fd()};
    if (scripts_) out.push_back(scripts_->fd());
    if (files_) out.push_back(files_->fd());
    if (processes_) out.push_back(processes_->fd());
    return out;
}

void Tracking::onReadable(int fd) {
    if (fd == runner_->fd()) runner_->onReadable();
    if (scripts_ && fd == scripts_->fd()) scripts_->onReadable();
    if (files_ && fd == files_->fd()) files_->onReadable();
    if (processes_ && fd == processes_->fd()) processes_->onReadable();
    flushMessages();
}

void Tracking::flushMessages() {
    // Taken, not copied: the components keep nothing once it is logged.
    auto drain = [](std::vector<std::string> m) {
        for (const auto& s : m) spdlog::warn("{}", s);
    };
    if (scripts_) drain(scripts_->takeMessages());
    if (files_) drain(files_->takeMessages());
    if (processes_) drain(processes_->takeMessages());
    auto& n = notifier_->messages();
    for (const auto& s : n) spdlog::warn("{}", s);
    n.clear();
}

track::EffectivePriority Tracking::evaluate(
    const config::Instance& inst, const std::function<bool(const std::string&)>& link_up,
    const std::function<bool(const std::string&)>& bfd_up) const {
    std::vector<track::TrackerInput> in;
    auto add = [&](const config::Instance* i, const config::SyncGroup* g) {
        const auto& scripts = i ? i->track_scripts : g->track_scripts;
        const auto& ifaces = i ? i->track_interfaces : g->track_interfaces;
        const auto& tfiles = i ? i->track_files : g->track_files;
        const auto& tprocs = i ? i->track_processes : g->track_processes;
        const auto& tbfds = i ? i->track_bfds : g->track_bfds;
        for (const auto& r : scripts) {
            auto st = scripts_ ? scripts_->state(r.name) : std::nullopt;
            // keepalived drops scripts it cannot run (missing, insecure) from tracking.
            if (!st) continue;
            auto t = weighted(track::TrackerKind::Script, r, cfg_.scripts, 0);
            t.state = *st;
            // init_fail: failed for a FAULT, no weight until it has proven either way.
            if (t.weight != 0 && scripts_->unproven(r.name)) t.state = track::TrackState::Init;
            in.push_back(t);
        }
        for (const auto& r : ifaces) {
            track::TrackerInput t;
            t.kind = track::TrackerKind::Interface;
            t.name = r.name;
            t.weight = r.weight.value_or(0);
            t.reverse = r.reverse;
            t.state = link_up(r.name) ? track::TrackState::Up : track::TrackState::Down;
            in.push_back(t);
        }
        for (const auto& r : tfiles) {
            auto t = weighted(track::TrackerKind::File, r, cfg_.track_files, 1);
            auto v = files_ ? files_->value(r.name) : std::nullopt;
            t.state = track::TrackState::Up;
            t.file_value = v.value_or(0);
            in.push_back(t);
        }
        for (const auto& r : tprocs) {
            auto st = processes_ ? processes_->state(r.name) : std::nullopt;
            if (!st) continue;
            auto t = weighted(track::TrackerKind::Process, r, cfg_.track_processes, 0);
            t.state = *st;
            in.push_back(t);
        }
        // Starts down (keepalived initialise_track_bfd_state): a weight-0 track_bfd is a
        // FAULT until the session is Up, a negative weight counts from the start.
        for (const auto& r : tbfds) {
            auto t = weighted(track::TrackerKind::Bfd, r, cfg_.bfd_instances, 0);
            t.state = bfd_up && bfd_up(r.name) ? track::TrackState::Up : track::TrackState::Down;
            in.push_back(t);
        }
    };
    add(&inst, nullptr);
    const auto* group = cfg_.findSyncGroup(inst.name);
    if (group) {
        add(nullptr, group);
        // keepalived: members of a sync group move together, so a weight on one member
        // would split them; such files are ignored (weight 0 ones still fault; the
        // configuration reports them and drops such scripts already) unless the group says
        // sync_group_tracking_weight. A tracked process keeps its weight (keepalived 2.2.7,
        // measured: 100 -> 105 in a group), and so does a tracked interface, though
        // keepalived warns it is ignored (measured: eth1 weight -60 down, 150 -> 90;
        // differential sync_group_interface_weight).
        if (!group->tracking_weight)
            std::erase_if(in, [](const track::TrackerInput& t) {
                return t.weight != 0 && t.kind != track::TrackerKind::Process &&
                       t.kind != track::TrackerKind::Interface;
            });
    }
    return track::effectivePriority(inst.priority, in);
}

}  // namespace xvrrp::daemon
