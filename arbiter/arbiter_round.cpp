// The end of a round: evidence per instance, decide(), carry out the action, audit, status.
#include <spdlog/spdlog.h>
#include <time.h>

#include <memory>

#include "arbiter.hpp"
#include "common/printable.hpp"
#include "control/server.hpp"
#include "net/netlink.hpp"

namespace xvrrp::arbiter {

using nlohmann::json;

namespace {

// Which peers answered over SSH: a peer turning UNKNOWN (or back) is worth an audit line even
// when the rule stays the same, with the reason it gave.
std::vector<bool> knownPeers(const InstanceEvidence& ev) {
    std::vector<bool> out;
    for (const auto& p : ev.peers) out.push_back(p.known);
    return out;
}

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

// The witness's state, owner or token changed: the audit log keeps the fencing token's story.
bool witnessChanged(const WitnessEvidence& a, const WitnessEvidence& b) {
    return a.state != b.state || a.owner != b.owner || a.token != b.token ||
           a.past_claim != b.past_claim;
}

// This node should own the instance on the witness: VRRP made it master, it holds the VIP
// and nobody fences it (nor is about to). R3 asking for a fence does not stop a campaign: it
// compares VRRP priorities, which the witness overrides (W0); otherwise both sides of a cut
// whose majority side lost the R3 comparison fence each other and flap.
bool wantsOwnership(const InstanceEvidence& ev, const Decision& d) {
    const auto& l = ev.local;
    bool holds = l.kernel_holds_vip == Tri::Yes ||
                 (l.kernel_holds_vip == Tri::Unknown && l.view && l.view->vips_installed);
    // The kernel holding the VIP is enough: xvrrpd may still report BACKUP in the round it
    // becomes master, and a round lost here is a round R3 counts towards a fence.
    bool master = l.view && (l.view->state == "MASTER" || l.kernel_holds_vip == Tri::Yes);
    return l.daemon_answered && master && !l.view->fenced &&
           l.fence == FenceOwner::None && holds && !d.next.fenced_by_us &&
           (d.verdict != Verdict::WantFence || d.rule == "R3");
}

}  // namespace

void Arbiter::learn(const DaemonStatus& s) {
    for (const auto& [name, inst] : s.instances) {
        auto& st = instances_[name];
        if (inst.ifindex > 0) st.ref = InstanceRef{name, inst.ifindex, inst.family, inst.vrid};
        st.vips = inst.vips;
        st.vip_devices = inst.vip_devices;
    }
}

// Netlink on the device each VIP lives on (status `vip_devices`: keepalived's `VIP dev lan0`
// puts it off the VRRP link). Without that list only the VRRP interface is known, and a VIP
// not found there is Unknown: xvrrpd's own word decides then.
Tri Arbiter::kernelHolds(const InstanceState& st) {
    if (!st.ref || st.vips.empty()) return Tri::Unknown;
    try {
        if (!st.vip_devices.empty()) {
            for (const auto& v : st.vip_devices)  // ifindex 0: no such device, nothing on it
                if (v.ifindex > 0 && netlink_->hasAddress(v.ifindex, v.prefix.addr))
                    return Tri::Yes;
            return Tri::No;
        }
        for (const auto& v : st.vips)
            if (netlink_->hasAddress(st.ref->ifindex, v.addr)) return Tri::Yes;
        return Tri::Unknown;
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
            r.local_error = printable(e.what());
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
        try {
            judgeInstance(name, r, policy);
        } catch (const std::exception& e) {
            // One instance's failure leaves the others judged and the round recorded.
            failed("round " + std::to_string(r.number) + ", instance " + name, e.what());
        }
    }
    metrics_.round(r, wallSeconds());
    if (witness_) metrics_.witness(witness_->lastRound());
    last_round_ = std::move(r);
}

void Arbiter::judgeInstance(const std::string& name, const RoundResult& r, const Policy& policy) {
    auto& st = instances_[name];
    InstanceEvidence ev = assemble(name, r, kernelHolds(st), fenceOwner(st), monotonicNs());
    if (witness_) ev.witness = witness_->evidence(name);
    Decision d = decide(ev, st.history, policy);
    st.wants_ownership = wantsOwnership(ev, d);
    metrics_.decided(name, &ev, d);
    bool changed = !st.last || st.last->rule != d.rule || d.action != Action::NoChange ||
                   !st.evidence || knownPeers(*st.evidence) != knownPeers(ev) ||
                   witnessChanged(st.evidence->witness, ev.witness);
    st.history = d.next;
    json line = {
        {"ts", isoNow()}, {"node", cfg_.node_name}, {"round", r.number}, {"instance", name}};
    line.update(toJson(d));
    line["evidence"] = toJson(ev);
    // The audit log keeps every action, every change of rule and every peer turning UNKNOWN
    // or known again; steady rounds go to debug.
    if (changed) audit_.write(line);
    if (d.action != Action::NoChange)
        spdlog::warn("{}: {} ({}: {})", name, actionName(d.action), d.rule, d.reason);
    else if (changed)
        spdlog::info("{}: {}: {}", name, d.rule, d.reason);
    spdlog::debug("{}", dumpLine(line));
    act(name, st, d);
    st.last = d;
    st.evidence = ev;
}

// The fence is the map entry (that works while xvrrpd is hung); the request after it only
// asks xvrrpd to look now, so the instance goes to FAULT (stops advertising, drops the
// VIPs) without waiting for its next housekeeping turn.
void Arbiter::act(const std::string& name, InstanceState& st, const Decision& d) {
    if (d.action == Action::NoChange) return;
    bool fence = d.action == Action::FenceSelf;
    const char* what = fence ? "fence" : "unfence";
    if (!st.ref) {
        spdlog::error("{} {}: interface and VRID unknown (xvrrpd never reported them); nothing "
                      "to write",
                      what, name);
        return;
    }
    try {
        if (fence)
            fencer_->fence(*st.ref);
        else
            fencer_->unfence(*st.ref);
    } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", what, name, e.what());
        return;
    }
    sendControl({{"cmd", "check_fences"}}, std::string("check_fences after the ") + what +
                                               " of " + name);
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
    pending_.push_back({std::move(q), what});  // `what` is still needed below
    watch(fd, what, [this, fd, raw](uint32_t) {
        raw->onReadable();
        if (!raw->done()) return;
        unwatch(fd);
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
            if (it->query.get() != raw) continue;
            const auto& a = raw->answer();
            if (a && a->is_object() && a->value("ok", json(false)) == true)
                spdlog::info("{}: done", it->what);
            else if (a)
                spdlog::warn("{}: xvrrpd said: {}", it->what, dumpLine(*a));
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
    std::vector<std::string> names;
    for (const auto& [name, st] : instances_) {
        names.push_back(name);
        json j = {{"name", name}, {"fenced_by_us", st.history.fenced_by_us}};
        if (st.last) j["decision"] = toJson(*st.last);
        if (st.evidence) j["evidence"] = toJson(*st.evidence);
        inst.push_back(std::move(j));
    }
    json out = {{"schema", 1},
                {"node", cfg_.node_name},
                {"config", config_path_},
                {"round", last_round_ ? toJson(*last_round_) : json(nullptr)},
                {"instances", std::move(inst)},
                {"witness", witness_ ? witness_->status(names) : json(nullptr)},
                // Exceptions the loop caught and survived (docs/arbiter.md).
                {"errors", {{"count", handler_errors_}, {"last", last_error_}}}};
    return out;
}

}  // namespace xvrrp::arbiter
