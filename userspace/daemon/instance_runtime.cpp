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
    for (const auto& v : inst.vips) advert_addrs_.push_back(v.prefix.addr);
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
    vrrp::Params p;
    p.name = cfg_->name;
    p.vrid = cfg_->vrid;
    p.version = version_;
    p.family = family_;
    p.priority = cfg_->priority;
    p.advert_int_cs = static_cast<uint16_t>(cfg_->advert_int_cs);
    p.preempt = cfg_->preempt;
    p.preempt_delay = std::chrono::microseconds(cfg_->preempt_delay_us);
    p.start_as_master = cfg_->state == config::InitialState::Master;
    p.primary = primary;
    p.lower_prio_no_advert =
        cfg_->lower_prio_no_advert || config_->global.vrrp_lower_prio_no_advert;
    p.higher_prio_send_advert =
        cfg_->higher_prio_send_advert || config_->global.vrrp_higher_prio_send_advert;
    sm_ = vrrp::makeInstance(p);
    // Not master yet: nothing may answer for our VIPs, even an address someone added by hand.
    setVerdicts(VipVerdict::DropAll);
}

bool InstanceRuntime::acceptMode() const {
    if (cfg_->priority == vrrp::kPriorityOwner) return true;
    bool strict = cfg_->strict_mode || config_->global.vrrp_strict;
    return cfg_->accept.value_or(!strict);
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
    auto result = vrrp::step(sm_, ev, now);
    sm_ = std::move(result.instance);
    for (const auto& a : result.actions) execute(a, now);
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
    tickTimers(now);
    announceDue(now);
}

void InstanceRuntime::tickTimers(TimePoint now) {
    // Coalescing: a master's advert due within a quarter interval (at most 5 ms) goes now,
    // and its schedule continues from now. Masters sharing an interval fall into step, so
    // hundreds of VRIDs cost one wakeup per interval instead of one each. Sending early is
    // harmless: backups time Master_Down_Interval from the last advert they heard.
    if (sm_.state == vrrp::State::Master && sm_.advert_due && *sm_.advert_due > now) {
        auto window = std::min<Duration>(vrrp::centiseconds(cfg_->advert_int_cs) / 4,
                                         std::chrono::milliseconds(5));
        if (*sm_.advert_due - now <= window) sm_.advert_due = now;
    }
    if (auto due = sm_.nextDeadline(); due && *due <= now) handle(vrrp::TimerFired{}, now);
}

// One round of GARP/NA per due entry: garp_master_repeat rounds may share a moment.
void InstanceRuntime::announceDue(TimePoint now) {
    while (!announce_at_.empty() && announce_at_.front() <= now) {
        announce_at_.erase(announce_at_.begin());
        if (sm_.state == vrrp::State::Master) announceAll();
    }
}

std::optional<TimePoint> InstanceRuntime::nextDeadline() const {
    auto due = sm_.nextDeadline();
    if (!announce_at_.empty() && (!due || announce_at_.front() < *due)) due = announce_at_.front();
    return due;
}

void InstanceRuntime::execute(const vrrp::Action& a, TimePoint now) {
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
                scheduleAnnouncements(now);
            } else if constexpr (std::is_same_v<T, vrrp::StateChanged>) {
                // keepalived's wording, so existing log watchers keep matching.
                if (act.from == vrrp::State::Init && act.to == vrrp::State::Backup)
                    spdlog::info("({}) Entering BACKUP STATE (init)", cfg_->name);
                else
                    spdlog::info("({}) Entering {} STATE", cfg_->name, vrrp::stateName(act.to));
                spdlog::debug("({}) {} -> {}: {}", cfg_->name, vrrp::stateName(act.from),
                              vrrp::stateName(act.to), act.reason);
                wants_master_ = false;  // a new state settles what the group waited for
                if (state_hook_) state_hook_(*this, act);
            }
        },
        a);
}

void InstanceRuntime::sendAdvert(uint8_t priority) {
    if (!transport_) return;
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

void InstanceRuntime::scheduleAnnouncements(TimePoint now) {
    const auto& g = config_->global.garp;
    const auto& i = cfg_->garp;
    uint32_t repeat = garpValue(i.master_repeat, g.master_repeat, kGarpMasterRepeat);
    uint32_t delay = garpValue(i.master_delay_s, g.master_delay_s, kGarpMasterDelayS);
    Duration spacing = std::chrono::microseconds(
        family_ == Family::V4 ? config_->global.vrrp_garp_interval_us
                              : config_->global.vrrp_gna_interval_us);
    announce_at_.clear();
    // One round now and repeat-1 more (spaced by vrrp_garp_interval), then the same again
    // after garp_master_delay, as keepalived does.
    for (uint32_t burst = 0; burst < (delay ? 2u : 1u); ++burst) {
        TimePoint start = now + std::chrono::seconds(burst * delay);
        for (uint32_t k = 0; k < std::max<uint32_t>(repeat, 1); ++k)
            announce_at_.push_back(start + spacing * k);
    }
    std::sort(announce_at_.begin(), announce_at_.end());
    // Sent by the next announceDue(): the daemon runs every instance's protocol timers
    // first, so a burst of announcements never delays another instance's advert.
}

void InstanceRuntime::announceAll() {
    if (!announcer_) return;
    for (const auto& v : cfg_->vips) {
        try {
            announcer_->announce(vipIfindex(v), v.prefix.addr);
        } catch (const std::exception& e) {
            spdlog::warn("({}) announcing {}: {}", cfg_->name, v.prefix.addr.str(), e.what());
        }
    }
}

}  // namespace xvrrp::daemon
