#include "daemon/instance_runtime.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "vrrp/packet.hpp"
#include "vrrp/state_machine.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::daemon {
namespace {

using vrrp::Duration;
using vrrp::TimePoint;

// keepalived's defaults for gratuitous ARP after becoming master (keepalived.conf(5)).
constexpr uint32_t kGarpMasterDelayS = 5;
constexpr uint32_t kGarpMasterRepeat = 5;

uint32_t garpValue(const std::optional<uint32_t>& inst, const std::optional<uint32_t>& global,
                   uint32_t dflt) {
    return inst ? *inst : global ? *global : dflt;
}

}  // namespace

InstanceRuntime::InstanceRuntime(const config::Config& config, const config::Instance& inst)
    : config_(&config),
      cfg_(&inst),
      family_(config::instanceFamily(inst)),
      version_(config::effectiveVersion(config, inst)) {
    old_unicast_checksum_ = inst.old_unicast_checksum.value_or(false);
    for (const auto& v : config::advertisedVips(inst)) advert_addrs_.push_back(v.prefix.addr);
    if (!inst.unicast_peers.empty()) {
        for (const auto& p : inst.unicast_peers) destinations_.push_back(p.addr);
    } else {
        destinations_.push_back(family_ == Family::V4 ? config.global.mcast_group4
                                                      : config.global.mcast_group6);
    }
}

void InstanceRuntime::bind(int ifindex, const IpAddr& primary,
                           std::unique_ptr<AdvertTransport> transport) {
    ifindex_ = ifindex;
    primary_ = primary;
    transport_ = std::move(transport);
    sm_ = vrrp::makeInstance(params());
    if (timers_) timers_->update(*this);
}

vrrp::Params InstanceRuntime::params() const {
    vrrp::Params p;
    p.name = cfg_->name;
    p.vrid = cfg_->vrid;
    p.version = version_;
    p.family = family_;
    p.priority = cfg_->priority;
    p.advert_int_cs = static_cast<uint16_t>(cfg_->advert_int_cs);
    p.preempt = cfg_->preempt;
    p.preempt_delay = std::chrono::microseconds(cfg_->preempt_delay_us);
    p.primary = primary_;
    p.lower_prio_no_advert =
        cfg_->lower_prio_no_advert || config_->global.vrrp_lower_prio_no_advert;
    p.higher_prio_send_advert =
        cfg_->higher_prio_send_advert || config_->global.vrrp_higher_prio_send_advert;
    p.coalesce_window = vrrp::coalesceWindow(p.advert_int_cs);
    p.kernel_absorb = kernel_ != nullptr;
    p.sync_group = config_->findSyncGroup(cfg_->name) != nullptr;
    return p;
}

void InstanceRuntime::reconfigure(const config::Config& config, const config::Instance& inst,
                                  TimePoint now) {
    adopt(config, inst);
    handle(vrrp::Reconfigured{params()}, now);
    // Accept mode (vrrp_strict, accept) may have changed: a master's verdicts follow it.
    if (sm_.state == vrrp::State::Master && installed_)
        setVerdicts(acceptMode() ? VipVerdict::Pass : VipVerdict::DropIp);
}

// Drops the VIPs, virtual routes and rules NEXT does not have (a reload that changed the
// list); the others stay where they are for the instance that takes over.
void InstanceRuntime::releaseExcept(const config::Instance& next) {
    if (!installed_ || !addresses_) return;
    auto has = [](const auto& list, const auto& x) {
        return std::find(list.begin(), list.end(), x) != list.end();
    };
    for (const auto& r : cfg_->rules)
        if (!has(next.rules, r)) addresses_->removeRule(r);
    for (const auto& r : cfg_->routes)
        if (!has(next.routes, r)) addresses_->removeRoute(r, ifindex_);
    for (const auto* list : {&cfg_->vips, &cfg_->vips_excluded})
        for (const auto& v : *list) {
            if (has(next.vips, v) || has(next.vips_excluded, v)) continue;
            if (ownership_) ownership_->setVerdict(verdictIfindex(v), v.prefix.addr,
                                                   VipVerdict::DropAll, id(), 0);
            addresses_->removeAddress(vipIfindex(v), v);
            if (ownership_) ownership_->forget(verdictIfindex(v), v.prefix.addr);
        }
    installed_ = false;  // what remains belongs to the instance that takes over
}

bool InstanceRuntime::acceptMode() const {
    if (cfg_->priority == vrrp::kPriorityOwner) return true;
    bool strict = cfg_->strict_mode || config_->global.vrrp_strict;
    return cfg_->accept.value_or(!strict);
}

void InstanceRuntime::guardVips(int ifindex) {
    if (sm_.state != vrrp::State::Init || ifindex_ != 0) return;
    ifindex_ = ifindex;  // bind() sets it again
    setVerdicts(VipVerdict::DropAll);
}

void InstanceRuntime::setVerdicts(VipVerdict v) {
    if (!ownership_ || ifindex_ == 0) return;
    auto mdi = vrrp::masterDownInterval(sm_.effective_priority,
                                        static_cast<uint16_t>(cfg_->advert_int_cs), version_);
    auto max_age = static_cast<uint64_t>(std::chrono::nanoseconds(mdi).count());
    for (const auto* list : {&cfg_->vips, &cfg_->vips_excluded})
        for (const auto& vip : *list) {
            try {
                ownership_->setVerdict(verdictIfindex(vip), vip.prefix.addr, v, id(), max_age);
            } catch (const std::exception& e) {
                ++counters_.address_errors;
                spdlog::error("({}) ownership map for {}: {}", cfg_->name, vip.prefix.addr.str(),
                              e.what());
            }
        }
}

void InstanceRuntime::forgetOwnership() {
    if (!ownership_ || ifindex_ == 0) return;
    for (const auto* list : {&cfg_->vips, &cfg_->vips_excluded})
        for (const auto& vip : *list) {
            try {
                ownership_->forget(verdictIfindex(vip), vip.prefix.addr);
            } catch (const std::exception& e) {
                spdlog::warn("({}) ownership map for {}: {}", cfg_->name, vip.prefix.addr.str(),
                             e.what());
            }
        }
}

void InstanceRuntime::handle(const vrrp::Event& ev, TimePoint now) {
    if (const auto* a = std::get_if<vrrp::AdvertReceived>(&ev)) noteHeard(*a);
    // Starting afresh, nothing may answer for our VIPs yet, even an address someone added by
    // hand. A fault found at bind (a fence the arbiter wrote while we were down) leaves Init
    // before Startup does. (Adopt keeps what the instance it takes over from had.)
    std::optional<vrrp::Event> held;  // Startup{true}: VIPs a killed daemon left, kept
    bool clear_after = false;  // a fault before Startup: leftovers go after the state line
    const bool leavesInit = std::holds_alternative<vrrp::Startup>(ev) ||
                            std::holds_alternative<vrrp::FaultRaised>(ev);
    if (sm_.state == vrrp::State::Init && leavesInit) {
        // Starting afresh, this instance follows no master: an expectation the kernel still
        // holds (a predecessor's, for an instance it does not take over) would swallow the
        // master's adverts while the machine counts down to a takeover.
        if (kernel_) kernelCall("expectation", [&] { kernel_->stop(id()); });
        const bool startup = std::holds_alternative<vrrp::Startup>(ev);
        if (startup && holdsVips()) {
            // Left by a daemon that was killed: kept (the kernel drops their traffic) while
            // this instance may still become master, removed once it follows another.
            setVerdicts(VipVerdict::DropAll);
            spdlog::info("({}) its VIPs are on the node already: kept unless another router "
                         "is master", cfg_->name);
            installed_ = true;
            held = vrrp::Startup{true};
        } else if (startup && !cfg_->use_vmac && addresses_ && !cleared_) {
            clearLeftovers();
        } else {
            // keepalived 2.2.7 starting with a tracker already failed (a weight-0 track_bfd,
            // whose session starts down; a tracked interface down): "(VI_1) entering FAULT
            // state", then "(VI_1) removing VIPs." (measured). clearLeftovers drops every
            // VIP first, as at Startup.
            clear_after = !startup && !released_ && !cfg_->use_vmac && addresses_ && !cleared_;
            if (!clear_after) setVerdicts(VipVerdict::DropAll);
        }
    }
    // A backup taken over holds nothing either (a master's verdicts follow its AddVips).
    if (const auto* a = std::get_if<vrrp::Adopt>(&ev);
        a && a->state != vrrp::State::Master && sm_.state == vrrp::State::Init)
        setVerdicts(VipVerdict::DropAll);
    // The actions buffer is this instance's, reused step after step (no allocation once it
    // has grown); taken out while the actions run, in case one of them steps us again.
    std::vector<vrrp::Action> actions = std::move(actions_);
    vrrp::step(sm_, held ? *held : ev, now, actions);
    std::optional<vrrp::Event> next;
    for (;;) {
        logDecision(actions, now);
        for (const auto& a : actions) execute(a, now, next);
        if (!next) break;
        const vrrp::Event follow_up = std::move(*next);
        next.reset();
        vrrp::step(sm_, follow_up, now, actions);
    }
    actions.clear();
    actions_ = std::move(actions);
    if (clear_after && sm_.state == vrrp::State::Fault) clearLeftovers();
    if (timers_) timers_->update(*this);
}

void InstanceRuntime::setTimerIndex(TimerIndex* index, size_t order) {
    if (timers_ && timers_ != index) timers_->remove(*this);
    timers_ = index;
    table_order_ = order;
    if (timers_) timers_->update(*this);
}

// keepalived logs why, then the new state, then what it does (setting VIPs, GARPs, sent 0
// priority); the notify scripts run after all of it. Its wording, for the log watchers.
void InstanceRuntime::logDecision(const std::vector<vrrp::Action>& actions, TimePoint now) {
    const std::string& n = cfg_->name;
    for (const auto& a : actions) {
        if (const auto* note = std::get_if<vrrp::Note>(&a)) {
            using W = vrrp::Note::What;
            switch (note->what) {
                case W::AdvertTimeout:
                    spdlog::info("({}) Receive advertisement timeout", n);
                    break;
                case W::HigherPriority:
                    spdlog::info("({}) Master received advert from {} with higher priority {}, "
                                 "ours {}", n, note->from.str(), note->priority, note->ours);
                    break;
                case W::EqualPriorityHigherAddress:
                    spdlog::info("({}) Master received advert from {} with same priority {} but "
                                 "higher IP address than ours", n, note->from.str(), note->priority);
                    break;
                case W::PriorityZero:
                    spdlog::info("({}) Backup received priority 0 advertisement", n);
                    break;
                case W::LowerPriorityDiscarded:
                    spdlog::info("({}) received lower priority ({}) advert from {} - discarding", n,
                                 note->priority, note->from.str());
                    break;
                case W::PeerLost:  // xvrrpd's own line (keepalived has no such event)
                    spdlog::info("({}) BFD {} to {} down: master lost, {}", n,
                                 peer_lost_bfd_, note->from.str(),
                                 sm_.params.sync_group ? "asking the sync group to take over"
                                                       : "taking over");
                    break;
            }
        } else if (const auto* ig = std::get_if<vrrp::PeerLostIgnored>(&a)) {
            using Why = vrrp::PeerLostIgnored::Why;
            const std::string& bfd = peer_lost_bfd_;
            const std::string master = ig->master ? ig->master->str() : "none";
            if (ig->why == Why::NotBackup)
                spdlog::debug("({}) BFD {} to {} down: ignored in {} state", n, bfd, ig->peer.str(),
                              vrrp::stateName(sm_.state));
            else if (ig->why == Why::NoMaster)
                spdlog::debug("({}) BFD {} to {} down: ignored, no master heard since entering "
                              "BACKUP", n, bfd, ig->peer.str());
            else if (ig->why == Why::OtherMaster)
                spdlog::debug("({}) BFD {} to {} down: ignored, the master is {}", n, bfd,
                              ig->peer.str(), master);
            else  // HeardSince
                spdlog::info("({}) BFD {} to {} down, but its adverts came after BFD's last "
                             "packet: taking over in {} ms unless it advertises again", n, bfd,
                             ig->peer.str(),
                             ig->until && *ig->until > now
                                 ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                       *ig->until - now).count()
                                 : 0);
        } else if (const auto* sc = std::get_if<vrrp::StateChanged>(&a)) {
            if (sc->to == vrrp::State::Init) continue;  // keepalived says "Stopping" only
            if (sc->from == vrrp::State::Init && sc->to == vrrp::State::Backup && !released_)
                spdlog::info("({}) Entering BACKUP STATE (init)", n);
            else if (sc->from == vrrp::State::Init && sc->to == vrrp::State::Fault && released_)
                ;  // a held instance faulted by its check's first result: keepalived says
                   // nothing of it (notify FAULT still runs; differential track_weight0_*)
            else if (sc->from == vrrp::State::Init && sc->to == vrrp::State::Fault)
                spdlog::info("({}) entering FAULT state", n);  // keepalived's startup wording
            else
                spdlog::info("({}) Entering {} STATE", n, vrrp::stateName(sc->to));
            spdlog::debug("({}) {} -> {}: {}", n, vrrp::stateName(sc->from),
                          vrrp::stateName(sc->to), sc->reason);
        }
    }
}

template <class F>
void InstanceRuntime::kernelCall(const char* what, F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        spdlog::warn("({}) kernel {} map: {}", cfg_->name, what, e.what());
    }
}

void InstanceRuntime::handleAdvert(const vrrp::AdvertReceived& rx, const Arrival& arrival,
                                   TimePoint now) {
    arrival_ = &arrival;
    handle(rx, now);
    arrival_ = nullptr;
}

void InstanceRuntime::handlePeerLost(const std::string& bfd, const IpAddr& peer,
                                     std::optional<TimePoint> last_heard, TimePoint now) {
    peer_lost_bfd_ = bfd;
    handle(vrrp::PeerLost{peer, last_heard}, now);
}

void InstanceRuntime::noteHeard(const vrrp::AdvertReceived& a) {
    auto it = std::find_if(heard_.begin(), heard_.end(),
                           [&](const HeardSource& h) { return h.source == a.source; });
    if (it != heard_.end()) {
        if (a.received >= it->at) *it = {a.source, a.received, a.priority};
    } else if (heard_.size() < kMaxHeardSources) {
        heard_.push_back({a.source, a.received, a.priority});
    } else {  // full: the source heard longest ago makes room
        *std::min_element(heard_.begin(), heard_.end(), [](const auto& x, const auto& y) {
            return x.at < y.at;
        }) = {a.source, a.received, a.priority};
    }
}

void InstanceRuntime::setFault(const std::string& source, bool active, const std::string& reason,
                               TimePoint now) {
    bool was = !faults_.empty();
    if (active)
        faults_[source] = reason;
    else
        faults_.erase(source);
    if (!faults_.empty()) {
        std::string all;
        for (const auto& [src, why] : faults_) all += (all.empty() ? "" : "; ") + why;
        if (!was || sm_.fault_reason != all) handle(vrrp::FaultRaised{all}, now);
    } else if (was) {
        handle(vrrp::FaultCleared{}, now);
    }
}

void InstanceRuntime::tick(TimePoint now) {
    fireTimers(now);
    announceDue(now);
}

void InstanceRuntime::fireTimers(TimePoint now) {
    if (sm_.timerDue(now)) handle(vrrp::TimerFired{}, now);
}

std::optional<TimePoint> InstanceRuntime::wakeAt() const { return sm_.wakeAt(); }

// One round of GARP/NA per due entry: garp_master_repeat rounds may share a moment.
void InstanceRuntime::announceDue(TimePoint now) {
    while (!announce_at_.empty() && announce_at_.front().at <= now) {
        const bool first = announce_at_.front().first;
        announce_at_.erase(announce_at_.begin());
        if (sm_.state == vrrp::State::Master) announceAll(first);
    }
    if (timers_) timers_->update(*this);
}

std::optional<TimePoint> InstanceRuntime::nextDeadline() const {
    auto due = sm_.nextDeadline();
    if (!announce_at_.empty() && (!due || announce_at_.front().at < *due))
        due = announce_at_.front().at;
    return due;
}

void InstanceRuntime::execute(const vrrp::Action& a, TimePoint now,
                              std::optional<vrrp::Event>& follow_up) {
    std::visit(
        [&](const auto& act) {
            using T = std::decay_t<decltype(act)>;
            if constexpr (std::is_same_v<T, vrrp::SendAdvert>) {
                sendAdvert(act.priority);
            } else if constexpr (std::is_same_v<T, vrrp::AddVips>) {
                flushAdverts();  // the advert that claims mastership goes first
                addVips();
            } else if constexpr (std::is_same_v<T, vrrp::RemoveVips>) {
                flushAdverts();  // priority 0 before the addresses go
                removeVips();
                announce_at_.clear();
            } else if constexpr (std::is_same_v<T, vrrp::SendGratuitous>) {
                flushAdverts();
                scheduleAnnouncements(now, act.lower_priority);
            } else if constexpr (std::is_same_v<T, vrrp::StateChanged>) {
                if (host_) host_->stateChanged(*this, act);  // logged by logDecision
            } else if constexpr (std::is_same_v<T, vrrp::AbsorbAdverts>) {
                // A failed map write only costs wake-ups: every advert keeps reaching us.
                if (kernel_ && arrival_ && !arrival_->message.empty())
                    kernelCall("expectation", [&] {
                        kernel_->expect(id(), {act.master, arrival_->dst, arrival_->ttl,
                                               act.priority, act.interval_cs, arrival_->message});
                    });
            } else if constexpr (std::is_same_v<T, vrrp::StopAbsorbing>) {
                if (kernel_) kernelCall("expectation", [&] { kernel_->stop(id()); });
            } else if constexpr (std::is_same_v<T, vrrp::ReadKernelLastSeen>) {
                // Unreadable counts as nothing seen: the Master_Down_Timer decides.
                std::optional<TimePoint> seen;
                if (kernel_)
                    kernelCall("last-seen", [&] {
                        if (auto ns = kernel_->lastSeen(id()))
                            seen = TimePoint{std::chrono::nanoseconds(*ns)};
                    });
                follow_up = vrrp::KernelLastSeen{seen};
            } else if constexpr (std::is_same_v<T, vrrp::AskGroup>) {
                follow_up = vrrp::GroupAnswer{host_ ? host_->groupAllows(*this) : true};
            }
        },
        a);
}

void InstanceRuntime::sendAdvert(uint8_t priority) {
    if (!transport_) return;
    if (priority == vrrp::kPriorityStop) spdlog::info("({}) sent 0 priority", cfg_->name);
    // A master repeats the same advert every interval: encode it again only when something
    // it carries changed (priority, addresses, destinations, checksum flavour).
    auto& c = advert_cache_;
    if (!c.valid || c.priority != priority || c.primary != primary_ || c.addrs != advert_addrs_ ||
        c.dsts != destinations_ || c.old_unicast_checksum != old_unicast_checksum_) {
        vrrp::Advert adv;
        adv.version = version_;
        adv.family = family_;
        adv.vrid = cfg_->vrid;
        adv.priority = priority;
        adv.max_advert_int_cs = static_cast<uint16_t>(cfg_->advert_int_cs);
        if (version_ == 2 && cfg_->auth_type == config::AuthType::Pass) {
            adv.auth_type = 1;  // RFC 2338 section 5.3.6.1 simple text password
            std::copy_n(cfg_->auth_pass.begin(), std::min<size_t>(8, cfg_->auth_pass.size()),
                        adv.auth_data.begin());
        }
        adv.addresses = advert_addrs_;
        adv.old_unicast_checksum = old_unicast_checksum_;
        c = AdvertCache{true, priority, primary_, advert_addrs_, destinations_,
                        old_unicast_checksum_, {}};
        for (const auto& dst : destinations_) c.bytes.push_back(vrrp::encode(adv, primary_, dst));
    }
    for (size_t i = 0; i < destinations_.size(); ++i) {
        try {
            transport_->send(c.bytes[i], destinations_[i]);
        } catch (const std::exception& e) {
            if (counters_.tx_errors++ == 0 || counters_.tx_errors % 1000 == 0)
                spdlog::warn("({}) sending advert to {}: {} ({} errors)", cfg_->name,
                             destinations_[i].str(), e.what(), counters_.tx_errors);
        }
    }
}

uint64_t InstanceRuntime::txErrors() const {
    return counters_.tx_errors + (transport_ ? transport_->errors() : 0);
}

// Where a VIP is configured: its dev, else the instance's VMAC (use_vmac), else the
// instance interface.
int InstanceRuntime::vipIfindex(const config::VirtualAddress& v) {
    if (v.dev.empty() || v.dev == cfg_->interface || !addresses_)
        return vmac_ifindex_ ? vmac_ifindex_ : ifindex_;
    int idx = addresses_->ifindexOf(v.dev);
    return idx ? idx : ifindex_;
}

// Where XDP sees traffic for a VIP: a VMAC's frames arrive on its base interface first.
int InstanceRuntime::verdictIfindex(const config::VirtualAddress& v) {
    int idx = vipIfindex(v);
    return idx == vmac_ifindex_ ? ifindex_ : idx;
}

void InstanceRuntime::addVips() {
    if (!addresses_) return;
    spdlog::info("({}) setting VIPs.", cfg_->name);
    auto each = [&](const std::vector<config::VirtualAddress>& list) {
        for (const auto& v : list) {
            try {
                addresses_->addAddress(vipIfindex(v), v);
            } catch (const std::exception& e) {
                ++counters_.address_errors;
                spdlog::error("({}) adding {}: {}", cfg_->name, v.prefix.str(), e.what());
            }
        }
    };
    each(cfg_->vips);
    each(cfg_->vips_excluded);
    // Addresses first, verdict second: until both are in place nothing answers, and there
    // is no moment where a non-owner does.
    setVerdicts(acceptMode() ? VipVerdict::Pass : VipVerdict::DropIp);
    for (const auto& r : cfg_->routes) {
        try {
            addresses_->addRoute(r, ifindex_);
        } catch (const std::exception& e) {
            ++counters_.address_errors;
            spdlog::error("({}) adding route {}: {}", cfg_->name, r.to.str(), e.what());
        }
    }
    for (const auto& r : cfg_->rules) {
        try {
            addresses_->addRule(r);
        } catch (const std::exception& e) {
            ++counters_.address_errors;
            spdlog::error("({}) adding rule: {}", cfg_->name, e.what());
        }
    }
    installed_ = true;
}

void InstanceRuntime::removeVips() {
    // The kernel stops answering first, then the addresses go.
    setVerdicts(VipVerdict::DropAll);
    if (!addresses_ || !installed_) return;
    spdlog::info("({}) removing VIPs.", cfg_->name);
    for (const auto& r : cfg_->rules) {
        try {
            addresses_->removeRule(r);
        } catch (const std::exception& e) {
            spdlog::warn("({}) removing rule: {}", cfg_->name, e.what());
        }
    }
    for (const auto& r : cfg_->routes) {
        try {
            addresses_->removeRoute(r, ifindex_);
        } catch (const std::exception& e) {
            spdlog::warn("({}) removing route {}: {}", cfg_->name, r.to.str(), e.what());
        }
    }
    auto each = [&](const std::vector<config::VirtualAddress>& list) {
        for (const auto& v : list) {
            try {
                addresses_->removeAddress(vipIfindex(v), v);
            } catch (const std::exception& e) {
                ++counters_.address_errors;
                spdlog::warn("({}) removing {}: {}", cfg_->name, v.prefix.str(), e.what());
            }
        }
    };
    each(cfg_->vips);
    each(cfg_->vips_excluded);
    installed_ = false;
}

void InstanceRuntime::releaseAddresses() { removeVips(); }

void InstanceRuntime::clearLeftovers() {
    // keepalived 2.2.7 removes the instance's VIPs, routes and rules as it starts ("removing
    // VIPs." before "Entering BACKUP STATE (init)"), whoever left them (virtual routes and
    // rules of a killed predecessor), also while a pending check holds it in INIT. A VMAC
    // interface is new: nothing to remove there, and keepalived says nothing.
    if (cleared_ || cfg_->use_vmac || !addresses_) return;
    cleared_ = true;
    installed_ = true;
    removeVips();  // drops every verdict first
}

bool InstanceRuntime::tracksVip(int ifindex, const IpPrefix& address) {
    if (!installed_) return false;
    for (const auto* list : {&cfg_->vips, &cfg_->vips_excluded})
        for (const auto& v : *list)
            if (!v.no_track && v.prefix == address && vipIfindex(v) == ifindex) return true;
    return false;
}

void InstanceRuntime::release(vrrp::TimePoint now, const std::optional<std::string>& fault) {
    if (!held_) return;
    held_ = false;
    released_ = true;
    if (fault) setFault("track", true, *fault, now);
    else handle(vrrp::Startup{}, now);
}

bool InstanceRuntime::holdsVips() {
    if (!addresses_ || ifindex_ == 0) return false;
    for (const auto* list : {&cfg_->vips, &cfg_->vips_excluded})
        for (const auto& v : *list)
            if (addresses_->holds(vipIfindex(v), v.prefix.addr)) return true;
    return false;
}

void InstanceRuntime::scheduleAnnouncements(TimePoint now, bool lowerPriority) {
    const auto& g = config_->global.garp;
    const auto& i = cfg_->garp;
    uint32_t repeat = garpValue(i.master_repeat, g.master_repeat, kGarpMasterRepeat);
    uint32_t delay = garpValue(i.master_delay_s, g.master_delay_s, kGarpMasterDelayS);
    if (lowerPriority) {  // keepalived: garp_lower_prio_* default to the garp_master_* values
        repeat = garpValue(i.lower_prio_repeat, g.lower_prio_repeat, repeat);
        delay = garpValue(i.lower_prio_delay_s, g.lower_prio_delay_s, delay);
        if (repeat == 0) return;  // off, and what the transition scheduled stays
    }
    Duration spacing = std::chrono::microseconds(
        family_ == Family::V4 ? config_->global.vrrp_garp_interval_us
                              : config_->global.vrrp_gna_interval_us);
    announce_at_.clear();
    // One round now and repeat-1 more (spaced by vrrp_garp_interval), then the same again
    // after garp_master_delay, as keepalived does.
    for (uint32_t burst = 0; burst < (delay ? 2u : 1u); ++burst) {
        TimePoint start = now + std::chrono::seconds(burst * delay);
        for (uint32_t k = 0; k < std::max<uint32_t>(repeat, 1); ++k)
            announce_at_.push_back({start + spacing * k, k == 0});
    }
    std::stable_sort(announce_at_.begin(), announce_at_.end(),
                     [](const Round& a, const Round& b) { return a.at < b.at; });
    // Sent by the next announceDue(): the daemon runs every instance's protocol timers
    // first, so a burst of announcements never delays another instance's advert.
}

// keepalived logs each round's start per VIP, then each packet (its wording). Excluded VIPs
// are announced too, as keepalived does (they are held, only not advertised).
void InstanceRuntime::announceAll(bool first_of_burst) {
    if (!announcer_) return;
    for (const auto* list : {&cfg_->vips, &cfg_->vips_excluded})
        for (const auto& v : *list) {
            // An excluded VIP of the other family gets its own kind of announcement.
            const bool arp = v.prefix.addr.isV4();
            const std::string ifname = vipIfname(v);
            if (first_of_burst)
                spdlog::info("({}) Sending/queueing {} on {} for {}", cfg_->name,
                             arp ? "gratuitous ARPs" : "Unsolicited Neighbour Adverts", ifname,
                             v.prefix.addr.str());
            try {
                if (announcer_->announce(vipIfindex(v), v.prefix.addr))
                    spdlog::info("Sending {} on {} for {}",
                                 arp ? "gratuitous ARP" : "unsolicited Neighbour Advert", ifname,
                                 v.prefix.addr.str());
            } catch (const std::exception& e) {
                spdlog::warn("({}) announcing {}: {}", cfg_->name, v.prefix.addr.str(), e.what());
            }
        }
}

std::string InstanceRuntime::vipIfname(const config::VirtualAddress& v) const {
    if (!v.dev.empty()) return v.dev;
    return vmac_name_.empty() ? cfg_->interface : vmac_name_;
}

}  // namespace xvrrp::daemon
