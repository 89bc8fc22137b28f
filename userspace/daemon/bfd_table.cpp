#include "daemon/bfd_table.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "bfd/timers.hpp"

namespace xvrrp::daemon {
namespace {

using nlohmann::json;

// What needs another socket or another peer: a change here is a new session.
bool sameEndpoint(const config::BfdInstance& a, const config::BfdInstance& b) {
    return a.neighbor == b.neighbor && a.source == b.source && a.ttl == b.ttl;
}

bool runs(const config::BfdInstance& b) { return b.disabled.empty() && b.neighbor.has_value(); }

double ms(vrrp::Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

bfd::Params bfdParams(const config::BfdInstance& b) {
    bfd::Params p;
    p.desired_min_tx_us = b.min_tx_us;
    p.required_min_rx_us = b.min_rx_us;
    p.idle_tx_us = b.idle_tx_us;
    p.detect_mult = b.multiplier;
    p.passive = b.passive;
    return p;
}

uint8_t bfdMinTtl(const config::BfdInstance& b) {
    if (b.max_hops >= 255) return 0;
    const int ttl = b.ttl ? b.ttl : bfd::kRequiredTtl;
    return static_cast<uint8_t>(std::clamp(ttl - std::max(b.max_hops, 0), 0, 255));
}

BfdTable::BfdTable(BfdTransport& transport, OnState on_state, uint32_t seed)
    : transport_(transport), on_state_(std::move(on_state)), next_disc_(seed) {}

uint32_t BfdTable::nextDiscriminator() {
    for (;;) {
        const uint32_t d = next_disc_++;
        if (d != 0 && !by_disc_.contains(d)) return d;
    }
}

BfdSession* BfdTable::create(const config::BfdInstance& b, vrrp::TimePoint now) {
    auto s = std::make_unique<BfdSession>();
    s->cfg = b;
    // Left by the process before (xvrrpctl restart) for the same peer: go on with it.
    std::optional<bfd::Carried> carried;
    uint16_t port = 0;
    if (auto it = carried_.find(b.name); it != carried_.end()) {
        const auto& j = it->second;
        const std::string src = b.source ? b.source->str() : std::string();
        const uint32_t d = j.value("local_disc", 0u);
        if (j.value("neighbor", "") == b.neighbor->str() && j.value("source", "") == src && d != 0 &&
            !by_disc_.contains(d)) {
            bfd::Carried c;
            c.state = static_cast<bfd::State>(j.value("state", 1) & 3);
            c.remote_state = static_cast<bfd::State>(j.value("remote_state", 1) & 3);
            c.local_disc = d;
            c.remote_disc = j.value("remote_disc", 0u);
            c.desired_min_tx_us = j.value("desired_min_tx_us", bfd::kSlowTxMinUs);
            c.required_min_rx_us = j.value("required_min_rx_us", b.min_rx_us);
            c.remote_min_rx_us = j.value("remote_min_rx_us", 1u);
            c.remote_desired_min_tx_us = j.value("remote_desired_min_tx_us", 0u);
            c.remote_detect_mult = static_cast<uint8_t>(j.value("remote_detect_mult", 0));
            carried = c;
            port = j.value("source_port", uint16_t{0});
        }
        carried_.erase(it);
    }
    const uint32_t disc = carried ? carried->local_disc : nextDiscriminator();
    s->session = carried ? bfd::resumeSession(bfdParams(b), *carried, now) : bfd::makeSession(bfdParams(b), disc);
    const auto span = uint32_t{bfd::kSourcePortMax} - bfd::kSourcePortMin + 1;
    if (!bfd::validSourcePort(port)) port = static_cast<uint16_t>(bfd::kSourcePortMin + disc % span);
    s->source_port = transport_.open(b, port);
    BfdSession* raw = s.get();
    by_disc_[disc] = raw;
    sessions_[b.name] = std::move(s);
    spdlog::info("({}) BFD session to {} from port {}, discriminator {:#010x}{}", b.name,
                 b.neighbor->str(), raw->source_port, disc,
                 carried ? std::string(", ") + bfd::name(carried->state) + " as the process before left it" : "");
    if (carried)
        step(*raw, bfd::TimerFired{}, now);  // its first packet is due now
    else
        step(*raw, bfd::Start{}, now);
    return raw;
}

nlohmann::json BfdTable::handoff() const {
    json out = json::array();
    for (const auto& [name, s] : sessions_) {
        const bfd::Carried c = bfd::carry(s->session);
        out.push_back({{"name", name},
                       {"neighbor", s->cfg.neighbor->str()},
                       {"source", s->cfg.source ? s->cfg.source->str() : std::string()},
                       {"source_port", s->source_port},
                       {"state", static_cast<int>(c.state)},
                       {"remote_state", static_cast<int>(c.remote_state)},
                       {"local_disc", c.local_disc},
                       {"remote_disc", c.remote_disc},
                       {"desired_min_tx_us", c.desired_min_tx_us},
                       {"required_min_rx_us", c.required_min_rx_us},
                       {"remote_min_rx_us", c.remote_min_rx_us},
                       {"remote_desired_min_tx_us", c.remote_desired_min_tx_us},
                       {"remote_detect_mult", c.remote_detect_mult}});
    }
    return out;
}

void BfdTable::carry(const nlohmann::json& handoff) {
    carried_.clear();
    if (!handoff.is_array()) return;
    for (const auto& j : handoff)
        if (j.is_object() && j.contains("name") && j["name"].is_string()) carried_[j["name"].get<std::string>()] = j;
}

void BfdTable::remove(const std::string& name) {
    auto it = sessions_.find(name);
    if (it == sessions_.end()) return;
    BfdSession& s = *it->second;
    stopExpecting(s);
    if (s.slot < slot_taken_.size()) slot_taken_[s.slot] = false;
    if (s.queued) timers_.erase({*s.queued, s.session.local_disc});
    by_disc_.erase(s.session.local_disc);
    transport_.close(name);
    sessions_.erase(it);
}

void BfdTable::reconcile(const config::Config& cfg, vrrp::TimePoint now) {
    std::vector<std::string> gone;
    for (const auto& [name, s] : sessions_) {
        auto it = cfg.bfd_instances.find(name);
        if (it == cfg.bfd_instances.end() || !runs(it->second) || !sameEndpoint(s->cfg, it->second))
            gone.push_back(name);
    }
    for (const auto& name : gone) {
        spdlog::info("({}) BFD session removed by reload", name);
        remove(name);
    }
    for (const auto& [name, b] : cfg.bfd_instances) {
        if (!runs(b)) continue;
        // (a carried session for it is taken by create())
        auto it = sessions_.find(name);
        if (it == sessions_.end()) {
            try {
                create(b, now);
            } catch (const std::exception& e) {
                spdlog::error("({}) BFD session not started: {}", name, e.what());
            }
            continue;
        }
        carried_.erase(name);
        BfdSession& s = *it->second;
        const bool params_changed = bfdParams(s.cfg) != bfdParams(b);
        s.cfg = b;  // weight, max_hops, ... apply at once
        if (params_changed) step(s, bfd::ParamsChanged{bfdParams(b)}, now);
    }
    carried_.clear();  // what no session took is stale
}

void BfdTable::clear() {
    std::vector<std::string> names;
    for (const auto& [name, s] : sessions_) names.push_back(name);
    for (const auto& n : names) remove(n);
}

std::optional<vrrp::TimePoint> BfdTable::next() const {
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first;
}

void BfdTable::fireDue(vrrp::TimePoint now) {
    if (timers_.empty() || timers_.begin()->first > now) return;
    transport_.drain([&](std::span<const uint8_t> p, const IpAddr& src, const std::optional<IpAddr>& dst,
                         uint8_t ttl, uint16_t port) { receive(p, src, dst, ttl, now, port); });
    // Collected first: a step re-queues its session, possibly still at or before NOW.
    std::vector<uint32_t> due;
    for (auto it = timers_.begin(); it != timers_.end() && it->first <= now; ++it)
        due.push_back(it->second);
    for (uint32_t d : due) {
        auto it = by_disc_.find(d);
        if (it == by_disc_.end()) continue;
        // The repeats XDP absorbed count as received (6.8.4) before anything is judged;
        // at a transmit deadline too, so the detection deadline seldom wakes anyone.
        takeKernelSeen(*it->second, now);
        step(*it->second, bfd::TimerFired{}, now);
    }
}

BfdSession* BfdTable::demux(const bfd::Control& c, const IpAddr& src, const std::optional<IpAddr>& dst) {
    if (c.your_disc != 0) {
        auto it = by_disc_.find(c.your_disc);
        return it == by_disc_.end() ? nullptr : it->second;
    }
    // 6.8.6: Your Discriminator zero: the session by source address (and our address when
    // two sessions share a neighbour from different sources).
    BfdSession* found = nullptr;
    for (const auto& [name, s] : sessions_) {
        if (s->cfg.neighbor != src) continue;
        if (!s->cfg.source || (dst && *s->cfg.source == *dst)) return s.get();
        if (!found) found = s.get();
    }
    return found;
}

void BfdTable::receive(std::span<const uint8_t> payload, const IpAddr& src,
                       const std::optional<IpAddr>& dst, uint8_t ttl, vrrp::TimePoint now, uint16_t src_port) {
    auto decoded = bfd::decode(payload);
    if (!decoded) {
        ++unmatched_[bfd::name(decoded.error())];
        return;
    }
    BfdSession* s = demux(*decoded, src, dst);
    if (!s || s->cfg.neighbor != src) {
        ++unmatched_["no_session"];
        return;
    }
    const auto r = bfd::checkRx(*decoded, ttl, {bfdMinTtl(s->cfg), s->session.local_disc});
    if (r != bfd::RxReject::Ok) {
        ++s->rejected_by[bfd::name(r)];
        return;
    }
    s->remote_diag = decoded->diag;
    s->last_rx = now;
    arrival_ = Arrival{src, dst, ttl, src_port};
    step(*s, bfd::PacketReceived{*decoded, now}, now);
    arrival_.reset();
}

void BfdTable::setKernel(BfdKernel* kernel) {
    for (auto& [name, s] : sessions_) {
        s->in_kernel.reset();
        s->slot = XV_BFD_SEEN_NONE;
    }
    std::fill(slot_taken_.begin(), slot_taken_.end(), false);
    if (kernel_) kernel_->clear();
    kernel_ = kernel;
    if (kernel_) kernel_->clear();  // a process before may have left expectations
}

uint64_t BfdTable::absorbed(const BfdSession& s) const {
    if (!kernel_ || s.slot == XV_BFD_SEEN_NONE) return 0;
    return kernel_->seen(s.slot).absorbed - s.absorbed_base;
}

// ExpectRepeats: the packet just accepted, as it arrived, unless the kernel holds it already.
void BfdTable::expectRepeats(BfdSession& s, const bfd::Control& c) {
    if (!kernel_ || !arrival_ || !arrival_->dst || arrival_->src_port == 0 ||
        arrival_->dst->family() != arrival_->src.family())
        return;
    if (s.slot == XV_BFD_SEEN_NONE) {
        auto free = std::find(slot_taken_.begin(), slot_taken_.end(), false);
        if (free == slot_taken_.end()) return;  // more sessions than slots: no absorbing
        *free = true;
        s.slot = static_cast<uint32_t>(free - slot_taken_.begin());
        s.absorbed_base = kernel_->seen(s.slot).absorbed;
    }
    dataplane::BfdExpectation e;
    e.src = arrival_->src;
    e.dst = *arrival_->dst;
    e.src_port = arrival_->src_port;
    e.ttl = arrival_->ttl;
    e.control = bfd::encode(c);
    e.slot = s.slot;
    if (s.in_kernel == e) return;
    try {
        kernel_->expect(s.session.local_disc, e);
        s.in_kernel = e;
    } catch (const std::exception& ex) {
        spdlog::error("({}) BFD: {}; its packets all reach the daemon", s.cfg.name, ex.what());
        s.in_kernel.reset();
    }
}

void BfdTable::stopExpecting(BfdSession& s) {
    if (!kernel_ || !s.in_kernel) return;
    s.in_kernel.reset();
    try {
        kernel_->forget(s.session.local_disc);
    } catch (const std::exception& ex) {
        spdlog::error("({}) BFD: {}", s.cfg.name, ex.what());
    }
}

// The kernel's stamp of a session whose repeats it absorbs: newer than the last packet
// heard, it is one more packet received (bfd::KernelSeen).
void BfdTable::takeKernelSeen(BfdSession& s, vrrp::TimePoint now) {
    if (!kernel_ || !s.in_kernel) return;
    const uint64_t ns = kernel_->seen(s.slot).last_seen_ns;
    if (ns == 0) return;
    const vrrp::TimePoint at = std::min(now, vrrp::TimePoint{std::chrono::nanoseconds(ns)});
    if (s.last_rx && at <= *s.last_rx) return;  // heard already, or the slot's previous session
    s.last_rx = at;
    step(s, bfd::KernelSeen{at}, now);
}

void BfdTable::step(BfdSession& s, const bfd::Event& ev, vrrp::TimePoint now) {
    bfd::step(s.session, ev, now, actions_);
    // Copied: on_state_ may reach code that steps another session.
    std::vector<bfd::StateChanged> changes;
    for (const auto& a : actions_) {
        if (const auto* p = std::get_if<bfd::SendPacket>(&a)) {
            const auto bytes = bfd::encode(p->packet);
            if (!transport_.send(s.cfg.name, bytes)) ++s.tx_errors;
        } else if (const auto* c = std::get_if<bfd::StateChanged>(&a)) {
            changes.push_back(*c);
        } else if (const auto* x = std::get_if<bfd::ExpectRepeats>(&a)) {
            expectRepeats(s, x->packet);
        } else if (std::holds_alternative<bfd::StopExpecting>(a)) {
            stopExpecting(s);
        }
    }
    requeue(s);
    const std::string name = s.cfg.name;
    for (const auto& c : changes) {
        auto it = sessions_.find(name);
        if (it == sessions_.end()) return;
        on_state_(*it->second, c);
    }
}

void BfdTable::requeue(BfdSession& s) {
    const auto next = s.session.nextDeadline();
    if (next == s.queued) return;
    if (s.queued) timers_.erase({*s.queued, s.session.local_disc});
    s.queued = next;
    if (next) timers_.insert({*next, s.session.local_disc});
}

const BfdSession* BfdTable::find(const std::string& name) const {
    auto it = sessions_.find(name);
    return it == sessions_.end() ? nullptr : it->second.get();
}

bool BfdTable::up(const std::string& name) const {
    const auto* s = find(name);
    return s && s->up();
}

bool BfdTable::hasFamily(Family f) const {
    return std::any_of(sessions_.begin(), sessions_.end(),
                       [f](const auto& e) { return e.second->cfg.neighbor->family() == f; });
}

json BfdTable::status(vrrp::TimePoint now) const {
    json out = json::array();
    for (const auto& [name, sp] : sessions_) {
        const BfdSession& s = *sp;
        const bfd::Session& x = s.session;
        json j;
        j["name"] = name;
        j["neighbor"] = s.cfg.neighbor->str();
        j["source"] = s.cfg.source ? json(s.cfg.source->str()) : json(nullptr);
        j["source_port"] = s.source_port;
        j["state"] = bfd::name(x.state);
        j["diag"] = bfd::name(x.local_diag);
        j["remote_state"] = bfd::name(x.remote_state);
        j["remote_diag"] = bfd::name(s.remote_diag);
        j["local_discriminator"] = x.local_disc;
        j["remote_discriminator"] = x.remote_disc;
        j["passive"] = x.params.passive;
        // Negotiated (RFC 5880 6.8.2, 6.8.4): what this end sends at and waits for.
        j["tx_interval_ms"] = bfd::transmitIntervalUs(x.tx_used_us, x.remote_min_rx_us) / 1000.0;
        j["detect_time_ms"] = x.remote_detect_mult
                                  ? bfd::detectionTimeUs(x.remote_detect_mult, x.rx_used_us,
                                                         x.remote_desired_min_tx_us) / 1000.0
                                  : 0.0;
        j["local"] = {{"desired_min_tx_ms", x.desired_min_tx_us / 1000.0},
                      {"required_min_rx_ms", x.required_min_rx_us / 1000.0},
                      {"detect_mult", x.params.detect_mult}};
        j["remote"] = {{"desired_min_tx_ms", x.remote_desired_min_tx_us / 1000.0},
                       {"required_min_rx_ms", x.remote_min_rx_us / 1000.0},
                       {"detect_mult", x.remote_detect_mult}};
        j["last_rx_age_ms"] = s.last_rx ? json(ms(now - *s.last_rx)) : json(nullptr);
        const auto& k = x.counters;
        j["counters"] = {{"packets_rx", k.packets_rx},
                         {"packets_tx", k.packets_tx},
                         {"tx_errors", s.tx_errors},
                         {"up", k.up_transitions},
                         {"down", k.down_transitions},
                         {"polls_started", k.polls_started},
                         {"polls_completed", k.polls_completed},
                         {"absorbed_xdp", absorbed(s)}};
        j["rejected"] = s.rejected_by;
        out.push_back(std::move(j));
    }
    return out;
}

}  // namespace xvrrp::daemon
