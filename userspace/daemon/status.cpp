// The control socket's answers; the status document is described in docs/status-json.md.
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/utf8.hpp"
#include "control/protocol.hpp"
#include "daemon/daemon.hpp"
#include "dataplane/dataplane.hpp"
#include "dataplane/fence.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::daemon {
namespace {

using nlohmann::json;

double ms(vrrp::Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Every string and key of `j` with bytes that are not UTF-8 written as \xHH.
void escapeStrings(json& j) {
    if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        if (!isValidUtf8(s)) j = escapeInvalidUtf8(s);
    } else if (j.is_array()) {
        for (auto& e : j) escapeStrings(e);
    } else if (j.is_object()) {
        bool keys = true;
        for (auto& [k, v] : j.items()) {
            escapeStrings(v);
            keys = keys && isValidUtf8(k);
        }
        if (keys) return;
        json fixed = json::object();
        for (auto& [k, v] : j.items()) fixed[escapeInvalidUtf8(k)] = std::move(v);
        j = std::move(fixed);
    }
}

json instanceStatus(const InstanceRuntime& rt, vrrp::TimePoint now, const dataplane::Dataplane& dp) {
    const auto& c = rt.cfg();
    const auto& m = rt.machine();
    json j;
    j["name"] = c.name;
    j["interface"] = c.interface;
    j["ifindex"] = rt.ifindex();
    j["vrid"] = c.vrid;
    j["family"] = rt.family() == Family::V4 ? "ipv4" : "ipv6";
    j["version"] = rt.version();
    j["state"] = vrrp::stateName(m.state);
    j["priority"] = {{"configured", c.priority}, {"effective", m.effective_priority}};
    j["advert_int_ms"] = c.advert_int_cs * 10.0;
    j["master_advert_int_ms"] = m.master_advert_int_cs * 10.0;
    j["preempt"] = c.preempt;
    j["preempt_delay_ms"] = c.preempt_delay_us / 1000.0;
    j["source"] = rt.bound() ? json(rt.primary().str()) : json(nullptr);
    j["mode"] = c.unicast_peers.empty() ? "multicast" : "unicast";
    json dst = json::array();
    for (const auto& d : rt.destinations()) dst.push_back(d.str());
    j["destinations"] = dst;
    if (m.master_addr)
        j["master"] = {{"address", m.master_addr->str()},
                       {"priority", m.state == vrrp::State::Master ? m.effective_priority
                                                                  : m.master_priority}};
    else
        j["master"] = nullptr;
    json vips = json::array();
    for (const auto& v : c.vips) vips.push_back(v.prefix.str());
    j["vips"] = vips;
    j["vips_installed"] = rt.addressesInstalled();
    j["fenced"] = rt.bound() && dp.isFenced(rt.id());
    j["accept"] = rt.acceptMode();
    if (rt.bound()) {
        if (auto v = dp.vridState(rt.id()))
            j["kernel"] = {{"last_seen_ns", v->last_seen_ns},
                           {"absorbed", v->quiet},
                           {"woken", v->woken}};
    }
    if (m.last_advert)
        j["last_advert"] = {{"ts_ns", m.last_advert->since_boot.count()},
                            {"age_ms", ms(now - *m.last_advert)}};
    else
        j["last_advert"] = nullptr;
    j["fault_reason"] = m.state == vrrp::State::Fault ? m.fault_reason
                        : rt.bound()                  ? std::string()
                                                      : std::string("interface not ready");
    const auto& k = m.counters;
    const auto& rc = rt.counters();
    j["counters"] = {{"adverts_rx", k.adverts_rx},
                     {"adverts_tx", k.adverts_tx},
                     {"adverts_rejected", rc.rx_rejected},
                     {"became_master", k.became_master},
                     {"released_master", k.released_master},
                     {"priority_zero_rx", k.priority_zero_rx},
                     {"priority_zero_tx", k.priority_zero_tx},
                     {"tx_errors", rt.txErrors()},
                     {"address_errors", rc.address_errors}};
    if (!rc.last_reject.empty()) j["last_reject"] = rc.last_reject;
    j["tracking"] = rt.trackReport().is_null() ? json::object() : rt.trackReport();
    return j;
}

}  // namespace

nlohmann::json Daemon::status() const {
    auto t = now();
    json s;
    s["schema"] = control::kStatusSchema;
    s["daemon"] = {{"pid", ::getpid()},
                   {"config", options_.config_file},
                   {"uptime_s", std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                              started_).count()},
                   {"pin_root", options_.pin_root}};
    json inst = json::array();
    for (const auto& rt : instances_) inst.push_back(instanceStatus(*rt, t, *dataplane_));
    s["instances"] = inst;
    auto st = dataplane_->stats();
    s["xdp"] = {{"rx_adverts", st.rx_adverts}, {"rx_passed", st.rx_passed},
                {"ring_full", st.ring_full},   {"too_long", st.too_long},
                {"truncated", st.truncated},   {"bad_ip", st.bad_ip},
                {"unknown_vrid", rx_unknown_vrid_}, {"undecodable", rx_undecodable_}};
    json ifs = json::array();
    for (const auto& [idx, name] : attached_)
        ifs.push_back({{"ifindex", idx}, {"name", name}, {"mode", dataplane_->attachModeOf(idx)}});
    s["xdp"]["interfaces"] = ifs;
    return s;
}

nlohmann::json Daemon::handleControl(const nlohmann::json& req) {
    const auto cmd = req["cmd"].get<std::string>();
    json out;
    if (cmd == "status")
        out = status();
    else if (cmd == "reload")
        out = reload();
    else if (cmd == "fence")
        out = fenceCommand(req, true);
    else if (cmd == "unfence")
        out = fenceCommand(req, false);
    else
        throw std::invalid_argument("unknown command '" + cmd + "'");
    // Names from keepalived.conf may be any bytes (keepalived takes them); JSON needs UTF-8.
    escapeStrings(out);
    return out;
}

// {"cmd":"fence","instance":NAME?,"by":"operator"|"arbiter"}: the kernel drops the VIPs
// (xv_fence) and the instance goes to FAULT until unfenced. No instance: all of them.
nlohmann::json Daemon::fenceCommand(const nlohmann::json& req, bool fence) {
    std::string name;
    if (req.contains("instance")) {
        if (!req["instance"].is_string()) throw std::invalid_argument("'instance' must be a string");
        name = req["instance"].get<std::string>();
    }
    auto by = XV_FENCE_OPERATOR;
    if (req.contains("by")) {
        if (req["by"] == "arbiter")
            by = XV_FENCE_ARBITER;
        else if (req["by"] != "operator")
            throw std::invalid_argument("'by' must be \"operator\" or \"arbiter\"");
    }
    std::vector<InstanceRuntime*> targets;
    for (auto& rt : instances_)
        if (name.empty() || rt->cfg().name == name || escapeInvalidUtf8(rt->cfg().name) == name)
            targets.push_back(rt.get());  // a name that is not UTF-8 as status shows it
    if (targets.empty()) throw std::invalid_argument("no instance named '" + name + "'");
    dataplane::FenceMap map(options_.pin_root);
    auto t = now();
    json done = json::array();
    for (auto* rt : targets) {
        if (!rt->bound()) continue;  // its interface is missing: nothing to fence yet
        if (fence)
            map.fence(rt->id(), by);
        else
            map.unfence(rt->id());
        spdlog::warn("({}) {} by {}", rt->cfg().name, fence ? "fenced" : "unfenced",
                     by == XV_FENCE_ARBITER ? "arbiter" : "operator");
        rt->setFault("fence", fence, "fenced (xv_fence entry)", t);
        done.push_back(rt->cfg().name);
    }
    return {{fence ? "fenced" : "unfenced", done}};
}

}  // namespace xvrrp::daemon
