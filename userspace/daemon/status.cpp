// The control socket's answers; the status document is described in docs/status-json.md.
#include <net/if.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "control/protocol.hpp"
#include "daemon/bfd_worker.hpp"
#include "daemon/binder.hpp"
#include "daemon/daemon.hpp"
#include "daemon/process_tuning.hpp"
#include "dataplane/dataplane.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::daemon {
namespace {

using nlohmann::json;

double ms(vrrp::Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Where each VIP lives (`VIP dev X`, else the VMAC or the VRRP interface), so a reader such
// as xvrrp-arbiter checks that device instead of every interface of the node.
json vipDevices(const InstanceRuntime& rt) {
    const auto& c = rt.cfg();
    json out = json::array();
    for (const auto& v : c.vips) {
        int idx = 0;
        std::string dev = v.dev;
        if (dev.empty() || dev == c.interface) {
            idx = rt.vmacIfindex() ? rt.vmacIfindex() : rt.ifindex();
            char name[IF_NAMESIZE] = {};
            dev = rt.vmacIfindex() && ::if_indextoname(static_cast<unsigned>(idx), name)
                      ? std::string(name)
                      : c.interface;
        } else {
            idx = static_cast<int>(::if_nametoindex(dev.c_str()));
        }
        out.push_back({{"address", v.prefix.str()}, {"dev", dev}, {"ifindex", idx}});
    }
    return out;
}

// Per source, the last advert this instance accepted (also in FAULT).
json advertsFrom(const InstanceRuntime& rt, vrrp::TimePoint now) {
    json out = json::array();
    for (const auto& h : rt.heard())
        out.push_back({{"address", h.source.str()},
                       {"priority", h.priority},
                       {"age_ms", ms(now - h.at)}});
    return out;
}

bool anyByte(const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (p[i]) return true;
    return false;
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
    j["vip_devices"] = vipDevices(rt);
    j["vips_installed"] = rt.addressesInstalled();
    j["fenced"] = rt.bound() && dp.isFenced(rt.id());
    j["accept"] = rt.acceptMode();
    // The kernel absorbs a followed master's repeats: they count as heard, and the last one
    // is the last advert (the machine itself only hears what changed).
    uint64_t absorbed = 0;
    std::optional<vrrp::TimePoint> last = m.last_advert;
    if (rt.bound()) {
        if (auto v = dp.vridState(rt.id())) {
            j["kernel"] = {{"last_seen_ns", v->last_seen_ns},
                           {"absorbed", v->quiet},
                           {"woken", v->woken}};
            // Whose adverts XDP absorbs (and so whose last_seen_ns it is), or null.
            auto e = dp.expectation(rt.id());
            const size_t alen = rt.family() == Family::V4 ? 4 : 16;
            j["kernel"]["master"] = e && anyByte(e->master, alen)
                                        ? json(IpAddr::fromBytes(rt.family(), e->master).str())
                                        : json(nullptr);
            absorbed = v->quiet;
            vrrp::TimePoint seen{std::chrono::nanoseconds(v->last_seen_ns)};
            if (v->last_seen_ns && (!last || seen > *last)) last = seen;
        }
    }
    if (last)
        j["last_advert"] = {{"ts_ns", last->since_boot.count()}, {"age_ms", ms(now - *last)}};
    else
        j["last_advert"] = nullptr;
    j["adverts_from"] = advertsFrom(rt, now);
    j["fault_reason"] = m.state == vrrp::State::Fault ? m.fault_reason
                        : rt.bound()                  ? std::string()
                                                      : std::string("interface not ready");
    const auto& k = m.counters;
    const auto& rc = rt.counters();
    j["counters"] = {{"adverts_rx", k.adverts_rx + absorbed},
                     {"adverts_tx", k.adverts_tx},
                     {"adverts_rejected", rc.rx_rejected},
                     {"became_master", k.became_master},
                     {"released_master", k.released_master},
                     {"priority_zero_rx", k.priority_zero_rx},
                     {"priority_zero_tx", k.priority_zero_tx},
                     {"tx_errors", rt.txErrors()},
                     {"address_errors", rc.address_errors}};
    // xvrrp_bfd_failover: the session named, and how often its expiry was taken as the
    // master lost (vrrp::PeerLost accepted).
    if (!rt.cfg().bfd_failover.empty())
        j["bfd_failover"] = {{"bfd", rt.cfg().bfd_failover}, {"peer_lost", k.peer_lost_accepted}};
    else
        j["bfd_failover"] = nullptr;
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
    s["daemon"]["loop_errors"] = loop_.errors();
    s["daemon"]["version"] = XVRRP_VERSION;
    s["daemon"]["restart"] = last_restart_.is_null() ? json(nullptr) : last_restart_;
    json inst = json::array();
    for (const auto& rt : table_) {
        inst.push_back(instanceStatus(*rt, t, *dataplane_));
        tuning_->checkpoint();  // 255 instances take milliseconds (RLIMIT_RTTIME)
    }
    s["instances"] = std::move(inst);
    s["bfd"] = bfd_ ? bfd_->status() : json::array();
    auto st = dataplane_->stats();
    s["xdp"] = {{"rx_adverts", st.rx_adverts}, {"rx_passed", st.rx_passed},
                {"ring_full", st.ring_full},   {"too_long", st.too_long},
                {"truncated", st.truncated},   {"bad_ip", st.bad_ip},
                {"unknown_vrid", rx_unknown_vrid_}, {"undecodable", rx_undecodable_}};
    json ifs = json::array();
    for (const auto& [idx, name] : binder_->attached())
        ifs.push_back({{"ifindex", idx}, {"name", name}, {"mode", dataplane_->attachModeOf(idx)}});
    s["xdp"]["interfaces"] = ifs;
    return s;
}

}  // namespace xvrrp::daemon
