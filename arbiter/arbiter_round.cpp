// The end of a round: evidence per instance, decide(), carry out the action, audit, status.
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <memory>

#include "arbiter.hpp"
#include "control/server.hpp"
#include "net/netlink.hpp"

namespace xvrrp::arbiter {

using nlohmann::json;

namespace {

uint64_t monotonicNs() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

double wallSeconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

void Arbiter::learn(const DaemonStatus& s) {
    for (const auto& [name, inst] : s.instances) {
        auto& st = instances_[name];
        if (inst.ifindex > 0) st.ref = InstanceRef{name, inst.ifindex, inst.family, inst.vrid};
        st.vips = inst.vips;
    }
}

Tri Arbiter::kernelHolds(const InstanceState& st) {
    if (!st.ref || st.vips.empty()) return Tri::Unknown;
    try {
        for (const auto& v : st.vips)
            if (netlink_->hasAddress(st.ref->ifindex, v.addr)) return Tri::Yes;
        // keepalived's `VIP dev lan0`: VRRP on a dedicated link, the VIP on the LAN. xvrrpd's
        // status does not name the VIP's device, so any interface of this node counts.
        std::unique_ptr<struct if_nameindex, decltype(&if_freenameindex)> ifs(if_nameindex(),
                                                                       &if_freenameindex);
        if (!ifs) return Tri::Unknown;
        for (auto* i = ifs.get(); i->if_index != 0; ++i) {
            if (static_cast<int>(i->if_index) == st.ref->ifindex) continue;
            for (const auto& v : st.vips)
                if (netlink_->hasAddress(static_cast<int>(i->if_index), v.addr)) return Tri::Yes;
        }
        return Tri::No;
    } catch (const std::exception& e) {
        spdlog::warn("netlink check of the VIPs of {}: {}", st.ref->name, e.what());
        return Tri::Unknown;
    }
}

FenceOwner Arbiter::fenceOwner(const InstanceState& st) {
    if (!st.ref) return FenceOwner::Unknown;
    return fencer_->owner(*st.ref);
}

void Arbiter::finishRound() {
    RoundResult r;
    r.number = round_no_;
    r.started = round_started_iso_;
    r.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - round_start_).count();
    size_t np = cfg_.peers.size();
    r.quorum.total = static_cast<int>(cfg_.gateways.size());
    r.quorum.needed = cfg_.quorum;
    for (size_t i = 0; i < cfg_.gateways.size(); ++i) {
        bool ok = icmp_.answered(np + i);
        r.quorum.reachable += ok ? 1 : 0;
        r.gateways.emplace_back(cfg_.gateways[i].str(), ok);
    }
    if (local_ && local_->answer()) {
        try {
            r.local = parseDaemonStatus(*local_->answer());
            learn(*r.local);
        } catch (const std::exception& e) {
            r.local_error = e.what();
        }
    } else {
        r.local_error = local_ ? local_->error() : "no query";
    }
    local_.reset();
    for (size_t i = 0; i < np; ++i) {
        PeerResult p;
        p.name = cfg_.peers[i].name;
        p.address = cfg_.peers[i].address.str();
        p.pings = icmp_.answered(i) ? Tri::Yes : Tri::No;
        if (ssh_[i]) {
            p.ssh = ssh_[i]->outcome();
            unwatchChild(*ssh_[i]);
        } else {
            p.ssh.unknown_reason = "no ssh configured";
        }
        r.peers.push_back(std::move(p));
    }
    ssh_.clear();
    // Said once when it starts and once when it ends, not every round.
    if (!r.local && r.local_error != local_error_)
        spdlog::warn("round {}: xvrrpd: {}", r.number, r.local_error);
    else if (r.local && !local_error_.empty())
        spdlog::info("round {}: xvrrpd answers again", r.number);
    local_error_ = r.local ? std::string() : r.local_error;
    for (const auto& p : r.peers)
        if (!p.ssh.status)
            spdlog::debug("round {}: peer {} UNKNOWN: {}", r.number, p.name, p.ssh.unknown_reason);

    Policy policy{cfg_.fence_rounds, cfg_.unfence_rounds};
    std::vector<std::string> known;
    for (const auto& [name, _] : instances_) known.push_back(name);
    for (const auto& name : guardedInstances(cfg_.instances, r.local, known)) {
        auto& st = instances_[name];
        InstanceEvidence ev = assemble(name, r, kernelHolds(st), fenceOwner(st), monotonicNs());
        Decision d = decide(ev, st.history, policy);
        metrics_.decided(name, &ev, d);
        bool changed = !st.last || st.last->rule != d.rule || d.action != Action::NoChange;
        st.history = d.next;
        json line = {
            {"ts", isoNow()}, {"node", cfg_.node_name}, {"round", r.number}, {"instance", name}};
        line.update(toJson(d));
        line["evidence"] = toJson(ev);
        // The audit log keeps every action and every change of rule; steady rounds go to debug.
        if (changed) audit_.write(line);
        if (d.action != Action::NoChange)
            spdlog::warn("{}: {} ({}: {})", name, actionName(d.action), d.rule, d.reason);
        else if (changed)
            spdlog::info("{}: {}: {}", name, d.rule, d.reason);
        spdlog::debug("{}", line.dump());
        act(name, st, d);
        st.last = d;
        st.evidence = ev;
    }
    metrics_.round(r, wallSeconds());
    last_round_ = std::move(r);
}

void Arbiter::act(const std::string& name, InstanceState& st, const Decision& d) {
    if (d.action == Action::NoChange) return;
    bool fence = d.action == Action::FenceSelf;
    if (!fence && st.ref && fencer_->owner(*st.ref) == FenceOwner::Operator) {
        // The operator fenced on top of ours: xvrrpd's unfence would lift theirs too.
        spdlog::warn("unfence {}: the operator's fence is in place; left as it is", name);
        return;
    }
    // Both halves are tried: the map works even when xvrrpd is hung, the request moves the
    // instance to FAULT so xvrrpd stops sending adverts and drops the VIPs itself.
    if (st.ref) {
        try {
            if (fence)
                fencer_->fence(*st.ref);
            else
                fencer_->unfence(*st.ref);
        } catch (const std::exception& e) {
            spdlog::error("{} {}: {}", fence ? "fence" : "unfence", name, e.what());
        }
    } else {
        spdlog::error(
            "{} {}: interface and VRID unknown (xvrrpd never reported them); only the "
            "control request is sent",
            fence ? "fence" : "unfence", name);
    }
    json req = fence ? json{{"cmd", "fence"}, {"instance", name}, {"by", "arbiter"}}
                     : json{{"cmd", "unfence"}, {"instance", name}};
    sendControl(std::move(req), std::string(fence ? "fence" : "unfence") + " request for " + name);
}

void Arbiter::sendControl(json req, std::string what) {
    auto q = std::make_unique<ControlQuery>(
        cfg_.xvrrpd_socket, req, Clock::now() + std::chrono::milliseconds(cfg_.control_timeout_ms));
    if (q->done()) {
        spdlog::warn("{}: {}", what, q->error());
        return;
    }
    int fd = q->fd();
    ControlQuery* raw = q.get();
    pending_.push_back({std::move(q), what});
    watch(fd, [this, fd, raw](uint32_t) {
        raw->onReadable();
        if (!raw->done()) return;
        unwatch(fd);
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
            if (it->query.get() != raw) continue;
            const auto& a = raw->answer();
            if (a && a->value("ok", false))
                spdlog::info("{}: done", it->what);
            else if (a)
                spdlog::warn("{}: xvrrpd said: {}", it->what, a->value("error", a->dump()));
            else
                spdlog::warn("{}: {}", it->what, raw->error());
            pending_.erase(it);
            break;
        }
    });
    armDeadline();
}

void Arbiter::startFence() {
    // wait_for_all: fence before the first round, lifted when a full round allows it. The
    // instances come from xvrrpd's status; this one blocking request happens before the loop.
    std::optional<DaemonStatus> s;
    try {
        s = parseDaemonStatus(control::request(cfg_.xvrrpd_socket, {{"cmd", "status"}},
                                               static_cast<int>(cfg_.control_timeout_ms)));
        learn(*s);
    } catch (const std::exception& e) {
        spdlog::warn("start_fenced: cannot read xvrrpd's status ({}); fencing what the rounds find",
                     e.what());
    }
    for (const auto& name : guardedInstances(cfg_.instances, s)) {
        auto& st = instances_[name];
        Decision d;
        d.action = Action::FenceSelf;
        d.rule = "S";
        d.reason = "start_fenced: fenced until the first full round";
        d.next.fenced_by_us = true;
        d.next.start_fence = true;
        st.history = d.next;
        metrics_.decided(name, nullptr, d);
        audit_.write({{"ts", isoNow()},
                      {"node", cfg_.node_name},
                      {"round", 0},
                      {"instance", name},
                      {"action", actionName(d.action)},
                      {"rule", d.rule},
                      {"reason", d.reason}});
        spdlog::warn("{}: fence_self (S: {})", name, d.reason);
        act(name, st, d);
        st.last = d;
    }
}

json Arbiter::status() const {
    json inst = json::array();
    for (const auto& [name, st] : instances_) {
        json j = {{"name", name}, {"fenced_by_us", st.history.fenced_by_us}};
        if (st.last) j["decision"] = toJson(*st.last);
        if (st.evidence) j["evidence"] = toJson(*st.evidence);
        inst.push_back(std::move(j));
    }
    json out = {{"schema", 1},
                {"node", cfg_.node_name},
                {"config", config_path_},
                {"round", last_round_ ? toJson(*last_round_) : json(nullptr)},
                {"instances", std::move(inst)}};
    return out;
}

}  // namespace xvrrp::arbiter
