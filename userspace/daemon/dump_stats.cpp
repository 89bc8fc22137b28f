// /tmp/keepalived.stats and /tmp/keepalived.json in keepalived 2.2.7's layout.
#include <sstream>

#include <nlohmann/json.hpp>

#include "daemon/dump_render.hpp"

namespace xvrrp::daemon {
namespace {

KeepalivedStats since(const InstanceSnapshot& i,
                      const std::map<std::string, KeepalivedStats>& baseline) {
    KeepalivedStats k = keepalivedStats(i);
    auto it = baseline.find(i.cfg->name);
    if (it == baseline.end()) return k;
    const auto& b = it->second;
    auto sub = [](uint64_t& v, uint64_t base) { v = v >= base ? v - base : 0; };
    sub(k.advert_rcvd, b.advert_rcvd);
    sub(k.advert_sent, b.advert_sent);
    sub(k.become_master, b.become_master);
    sub(k.release_master, b.release_master);
    sub(k.packet_len_err, b.packet_len_err);
    sub(k.advert_interval_err, b.advert_interval_err);
    sub(k.ip_ttl_err, b.ip_ttl_err);
    sub(k.invalid_type_rcvd, b.invalid_type_rcvd);
    sub(k.addr_list_err, b.addr_list_err);
    sub(k.invalid_authtype, b.invalid_authtype);
    sub(k.authtype_mismatch, b.authtype_mismatch);
    sub(k.auth_failure, b.auth_failure);
    sub(k.pri_zero_rcvd, b.pri_zero_rcvd);
    sub(k.pri_zero_sent, b.pri_zero_sent);
    return k;
}

// Seconds as keepalived's JSON writes intervals: 1 for whole seconds, 0.5 otherwise.
nlohmann::ordered_json seconds(uint32_t cs) {
    if (cs % 100 == 0) return cs / 100;
    return cs / 100.0;
}

nlohmann::ordered_json instanceData(const DaemonSnapshot& s, const InstanceSnapshot& i) {
    const auto& c = *i.cfg;
    const auto& m = i.machine;
    const auto& g = s.config->global;
    const std::string vmac = c.use_vmac ? vmacName(c) : "";
    auto garp = [](const std::optional<uint32_t>& a, const std::optional<uint32_t>& b, uint32_t d) {
        return a ? *a : b ? *b : d;
    };
    const uint32_t delay = garp(c.garp.master_delay_s, g.garp.master_delay_s, 5);
    const uint32_t rep = garp(c.garp.master_repeat, g.garp.master_repeat, 5);
    nlohmann::ordered_json d;
    d["iname"] = c.name;
    d["dont_track_primary"] = int(c.dont_track_primary);
    d["skip_check_adv_addr"] = int(c.skip_check_adv_addr || g.vrrp_skip_check_adv_addr);
    d["strict_mode"] = int(c.strict_mode || g.vrrp_strict);
    d["vmac_ifname"] = vmac;
    d["ifp_ifname"] = c.use_vmac ? vmac : c.interface;
    d["master_priority"] = int(m.master_priority);
    d["last_transition"] = i.last_transition_wall.value_or(s.wall_now_s - s.uptime_s);
    d["garp_delay"] = delay;
    d["garp_refresh"] = garp(c.garp.master_refresh_s, g.garp.master_refresh_s, 0);
    d["garp_rep"] = rep;
    d["garp_refresh_rep"] = garp(c.garp.master_refresh_repeat, g.garp.master_refresh_repeat, 1);
    d["garp_lower_prio_delay"] = garp(c.garp.lower_prio_delay_s, g.garp.lower_prio_delay_s, delay);
    d["garp_lower_prio_rep"] = garp(c.garp.lower_prio_repeat, g.garp.lower_prio_repeat, rep);
    d["lower_prio_no_advert"] = int(c.lower_prio_no_advert || g.vrrp_lower_prio_no_advert);
    d["higher_prio_send_advert"] = int(c.higher_prio_send_advert || g.vrrp_higher_prio_send_advert);
    d["vrid"] = int(c.vrid);
    d["base_priority"] = int(c.priority);
    d["effective_priority"] = int(m.effective_priority);
    d["vipset"] = i.vips_installed;
    d["promote_secondaries"] = c.promote_secondaries;
    d["adver_int"] = seconds(c.advert_int_cs);
    d["master_adver_int"] = seconds(m.master_advert_int_cs);
    d["accept"] = int(i.accept);
    d["nopreempt"] = !c.preempt;
    d["preempt_delay"] = c.preempt_delay_us / 1000000;
    d["state"] = keepalivedState(m.state);
    d["wantstate"] = keepalivedState(wantState(i));
    d["version"] = i.version;
    d["smtp_alert"] = c.smtp_alert;
    d["notify_deleted"] = !c.notify_deleted.empty();
    for (const auto& [key, script] : {std::pair{"script_backup", &c.notify_backup},
                                      {"script_master", &c.notify_master},
                                      {"script_fault", &c.notify_fault},
                                      {"script_stop", &c.notify_stop},
                                      {"script", &c.notify}})
        if (!script->empty()) d[key] = quotedWords(*script);
    auto list = [&](const char* key, const std::vector<config::VirtualAddress>& vs) {
        if (vs.empty()) return;
        auto& a = d[key] = nlohmann::ordered_json::array();
        for (const auto& v : vs) a.push_back(vipText(c, v, i.vips_installed));
    };
    list("vips", c.vips);
    list("evips", c.vips_excluded);
    if (!c.routes.empty()) {
        auto& a = d["vroutes"] = nlohmann::ordered_json::array();
        for (const auto& r : c.routes)
            a.push_back(r.to.str() + (r.via ? " via " + r.via->str() : std::string()));
    }
    if (!c.track_interfaces.empty()) {
        auto& a = d["track_ifp"] = nlohmann::ordered_json::array();
        for (const auto& r : c.track_interfaces) a.push_back(r.name);
    }
    if (!c.track_scripts.empty()) {
        auto& a = d["track_script"] = nlohmann::ordered_json::array();
        for (const auto& r : c.track_scripts) {
            auto it = s.config->scripts.find(r.name);
            a.push_back(it == s.config->scripts.end() ? r.name : quotedWords(it->second.script));
        }
    }
    d["auth_type"] = i.version == 2 ? static_cast<int>(c.auth_type) : 0;
    if (i.version == 2 && c.auth_type == config::AuthType::Pass) d["auth_data"] = c.auth_pass;
    return d;
}

}  // namespace

std::string renderStats(const DaemonSnapshot& s,
                        const std::map<std::string, KeepalivedStats>& baseline) {
    std::ostringstream o;
    for (const auto& i : s.instances) {
        const KeepalivedStats k = since(i, baseline);
        o << "VRRP Instance: " << i.cfg->name << "\n"
          << "  Advertisements:\n"
          << "    Received: " << k.advert_rcvd << "\n"
          << "    Sent: " << k.advert_sent << "\n"
          << "  Became master: " << k.become_master << "\n"
          << "  Released master: " << k.release_master << "\n"
          << "  Packet Errors:\n"
          << "    Length: " << k.packet_len_err << "\n"
          << "    TTL: " << k.ip_ttl_err << "\n"
          << "    Invalid Type: " << k.invalid_type_rcvd << "\n"
          << "    Advertisement Interval: " << k.advert_interval_err << "\n"
          << "    Address List: " << k.addr_list_err << "\n"
          << "  Authentication Errors:\n"
          << "    Invalid Type: " << k.invalid_authtype << "\n"
          << "    Type Mismatch: " << k.authtype_mismatch << "\n"
          << "    Failure: " << k.auth_failure << "\n"
          << "  Priority Zero:\n"
          << "    Received: " << k.pri_zero_rcvd << "\n"
          << "    Sent: " << k.pri_zero_sent << "\n";
    }
    return o.str();
}

std::string renderJson(const DaemonSnapshot& s,
                       const std::map<std::string, KeepalivedStats>& baseline) {
    auto all = nlohmann::ordered_json::array();
    for (const auto& i : s.instances) {
        const KeepalivedStats k = since(i, baseline);
        nlohmann::ordered_json st;
        st["advert_rcvd"] = k.advert_rcvd;
        st["advert_sent"] = k.advert_sent;
        st["become_master"] = k.become_master;
        st["release_master"] = k.release_master;
        st["packet_len_err"] = k.packet_len_err;
        st["advert_interval_err"] = k.advert_interval_err;
        st["ip_ttl_err"] = k.ip_ttl_err;
        st["invalid_type_rcvd"] = k.invalid_type_rcvd;
        st["addr_list_err"] = k.addr_list_err;
        st["invalid_authtype"] = k.invalid_authtype;
        st["authtype_mismatch"] = k.authtype_mismatch;
        st["auth_failure"] = k.auth_failure;
        st["pri_zero_rcvd"] = k.pri_zero_rcvd;
        st["pri_zero_sent"] = k.pri_zero_sent;
        all.push_back({{"data", instanceData(s, i)}, {"stats", st}});
    }
    return all.dump() + "\n";
}

}  // namespace xvrrp::daemon
