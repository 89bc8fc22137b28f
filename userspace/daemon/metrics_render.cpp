#include "daemon/metrics_render.hpp"

#include <cstring>
#include <unordered_map>

#include "common/ip.hpp"
#include "daemon/keepalived_stats.hpp"
#include "daemon/telemetry.hpp"

namespace xvrrp::daemon {

using metrics::Exposition;
using metrics::Labels;
using metrics::Type;

#define XV_STAT(f) offsetof(xv_stats, f)
const XdpCounter kXdpCounters[] = {
    {"xvrrp_xdp_ring_records_total", "", "", XV_STAT(rx_adverts)},
    {"xvrrp_xdp_passed_total", "what", "not_vrrp", XV_STAT(rx_passed)},
    {"xvrrp_xdp_passed_total", "what", "shared_interface", XV_STAT(vrid_shared)},
    {"xvrrp_xdp_passed_total", "what", "vlan", XV_STAT(vlan_passed)},
    {"xvrrp_xdp_drops_total", "reason", "ring_full", XV_STAT(ring_full)},
    {"xvrrp_xdp_drops_total", "reason", "too_long", XV_STAT(too_long)},
    {"xvrrp_xdp_drops_total", "reason", "truncated", XV_STAT(truncated)},
    {"xvrrp_xdp_drops_total", "reason", "bad_ip", XV_STAT(bad_ip)},
    {"xvrrp_xdp_drops_total", "reason", "vrid", XV_STAT(drop_vrid)},
    {"xvrrp_xdp_drops_total", "reason", "ttl", XV_STAT(drop_ttl)},
    {"xvrrp_xdp_drops_total", "reason", "version", XV_STAT(drop_version)},
    {"xvrrp_xdp_drops_total", "reason", "length", XV_STAT(drop_length)},
    {"xvrrp_xdp_drops_total", "reason", "checksum", XV_STAT(drop_csum)},
    {"xvrrp_xdp_drops_total", "reason", "auth", XV_STAT(drop_auth)},
    {"xvrrp_xdp_drops_total", "reason", "peer", XV_STAT(drop_peer)},
    {"xvrrp_xdp_drops_total", "reason", "rate", XV_STAT(drop_rate)},
    {"xvrrp_xdp_drops_total", "reason", "vlan", XV_STAT(drop_vlan)},
    {"xvrrp_xdp_drops_total", "reason", "cast", XV_STAT(drop_cast)},
    {"xvrrp_xdp_drops_total", "reason", "interval", XV_STAT(drop_interval)},
    {"xvrrp_xdp_drops_total", "reason", "ext_too_deep", XV_STAT(ext_too_deep)},
    {"xvrrp_xdp_adverts_absorbed_total", "", "", XV_STAT(adv_quiet)},
    {"xvrrp_xdp_ring_wakeups_total", "", "", XV_STAT(adv_woken)},
    {"xvrrp_vip_drops_total", "verdict", "drop_ip", XV_STAT(vip_drop_ip)},
    {"xvrrp_vip_drops_total", "verdict", "drop_all", XV_STAT(vip_drop_all)},
    {"xvrrp_vip_drops_total", "verdict", "fenced", XV_STAT(vip_fenced)},
    {"xvrrp_vip_drops_total", "verdict", "stale_heartbeat", XV_STAT(vip_stale)},
    {"xvrrp_vip_drops_total", "verdict", "egress_not_ours", XV_STAT(tx_vip_drop)},
    {"xvrrp_tc_passed_total", "", "", XV_STAT(tx_passed)},
};
#undef XV_STAT
const size_t kXdpCounterCount = sizeof(kXdpCounters) / sizeof(kXdpCounters[0]);

namespace {

const char* kXdpHelp(std::string_view family) {
    if (family == "xvrrp_xdp_ring_records_total")
        return "VRRP messages XDP handed to the daemon through the ring buffer.";
    if (family == "xvrrp_xdp_passed_total")
        return "Frames XDP passed to the stack: not VRRP, VRRP on a shared interface, tagged "
               "VRRP for a VLAN sub-interface.";
    if (family == "xvrrp_xdp_drops_total")
        return "VRRP messages XDP dropped, by reason (RFC 5798 section 7.1 checks, ring full, "
               "malformed).";
    if (family == "xvrrp_xdp_adverts_absorbed_total")
        return "Adverts XDP absorbed as repeats of the master a backup follows.";
    if (family == "xvrrp_xdp_ring_wakeups_total")
        return "Ring records submitted with a wakeup of the daemon.";
    if (family == "xvrrp_vip_drops_total")
        return "Packets to (ingress XDP) or from (egress TC) a VIP dropped, by verdict.";
    return "Egress packets TC passed.";
}

const char* trackStateValue(const std::string& s) { return s == "UP" ? "1" : s == "DOWN" ? "2" : "0"; }

struct Instances {
    const DaemonSnapshot& s;
    std::vector<std::string> labels;  // {iname,intf,vrid} per instance
    std::vector<KeepalivedStats> ka;

    explicit Instances(const DaemonSnapshot& snap) : s(snap) {
        labels.reserve(s.instances.size());
        ka.reserve(s.instances.size());
        for (const auto& i : s.instances) {
            labels.push_back(Labels()
                                 .add("iname", i.cfg->name)
                                 .add("intf", i.cfg->interface)
                                 .add("vrid", i.cfg->vrid)
                                 .str());
            ka.push_back(keepalivedStats(i));
        }
    }
    // One sample per instance of a family.
    template <typename F>
    void each(Exposition& out, std::string_view name, Type t, std::string_view help, F value) {
        out.family(name, t, help);
        for (size_t n = 0; n < s.instances.size(); ++n) out.sample(labels[n], value(n));
    }
    Labels with(size_t n, std::string_view k, std::string_view v) const {
        const auto& i = s.instances[n];
        return Labels().add("iname", i.cfg->name).add("intf", i.cfg->interface).add("vrid", i.cfg->vrid).add(k, v);
    }
};

void keepalivedFamilies(Instances& in, Exposition& out) {
    const auto& s = in.s;
    out.family("keepalived_up", Type::Gauge, "1: the VRRP daemon answers.");
    out.sample("", uint64_t{1});
    in.each(out, "keepalived_vrrp_state", Type::Gauge,
            "VRRP state: 0 init, 1 backup, 2 master, 3 fault.",
            [&](size_t n) { return uint64_t(keepalivedState(s.instances[n].machine.state)); });
    struct Col {
        const char* name;
        const char* help;
        uint64_t KeepalivedStats::*field;
    };
    static const Col kCols[] = {
        {"keepalived_advertisements_received_total",
         "Adverts received (those XDP absorbed as repeats included).", &KeepalivedStats::advert_rcvd},
        {"keepalived_advertisements_sent_total", "Adverts sent.", &KeepalivedStats::advert_sent},
        {"keepalived_become_master_total", "Transitions to MASTER.", &KeepalivedStats::become_master},
        {"keepalived_release_master_total", "MASTER given up to a better advert.",
         &KeepalivedStats::release_master},
        {"keepalived_priority_zero_received_total", "Priority-0 adverts received.",
         &KeepalivedStats::pri_zero_rcvd},
        {"keepalived_priority_zero_sent_total", "Priority-0 adverts sent.",
         &KeepalivedStats::pri_zero_sent},
        {"keepalived_ip_ttl_errors_total", "Adverts refused for their TTL/hop limit.",
         &KeepalivedStats::ip_ttl_err},
        {"keepalived_packet_length_errors_total", "Adverts refused for their length.",
         &KeepalivedStats::packet_len_err},
        {"keepalived_advertisements_interval_errors_total",
         "Adverts refused for their advert interval (VRRPv2).", &KeepalivedStats::advert_interval_err},
        {"keepalived_address_list_errors_total", "Adverts whose address list differs from ours.",
         &KeepalivedStats::addr_list_err},
        {"keepalived_authentication_invalid_total", "Adverts with an unknown auth type.",
         &KeepalivedStats::invalid_authtype},
        {"keepalived_authentication_mismatch_total", "Adverts with another auth type than ours.",
         &KeepalivedStats::authtype_mismatch},
        {"keepalived_authentication_failure_total", "Adverts with a wrong password.",
         &KeepalivedStats::auth_failure},
        {"keepalived_invalid_type_received_total", "VRRP messages that are not adverts.",
         &KeepalivedStats::invalid_type_rcvd},
    };
    for (const auto& c : kCols)
        in.each(out, c.name, Type::Counter, c.help, [&](size_t n) { return in.ka[n].*c.field; });
    out.family("keepalived_script_status", Type::Gauge,
               "vrrp_script result: 0 BAD, 1 GOOD (absent before its first result).");
    for (const auto& [name, sc] : s.scripts)
        if (sc.state != track::TrackState::Init)
            out.sample(Labels().add("name", name).str(), uint64_t(sc.state == track::TrackState::Up));
    out.family("keepalived_script_state", Type::Gauge, "vrrp_script run state: 0 idle, 1 running.");
    for (const auto& [name, sc] : s.scripts)
        out.sample(Labels().add("name", name).str(), uint64_t(sc.running));
}

void instanceFamilies(Instances& in, Exposition& out) {
    const auto& s = in.s;
    const auto& I = s.instances;
    out.family("xvrrp_instance_info", Type::Gauge,
               "1 per configured instance, with its family, VRRP version and mode.");
    for (size_t n = 0; n < I.size(); ++n) {
        Labels l = in.with(n, "family", I[n].family == Family::V4 ? "ipv4" : "ipv6");
        l.add("version", static_cast<uint64_t>(I[n].version));
        l.add("mode", I[n].cfg->unicast_peers.empty() ? "multicast" : "unicast");
        l.add("bound", I[n].bound ? "true" : "false");
        out.sample(l.str(), uint64_t{1});
    }
    in.each(out, "xvrrp_effective_priority", Type::Gauge,
            "Priority in use: the configured one adjusted by trackers.",
            [&](size_t n) { return uint64_t(I[n].machine.effective_priority); });
    in.each(out, "xvrrp_base_priority", Type::Gauge, "Configured priority.",
            [&](size_t n) { return uint64_t(I[n].cfg->priority); });
    in.each(out, "xvrrp_master_priority", Type::Gauge,
            "Priority of the master as last heard (our own when MASTER).", [&](size_t n) {
                const auto& m = I[n].machine;
                return uint64_t(m.state == vrrp::State::Master ? m.effective_priority : m.master_priority);
            });
    in.each(out, "xvrrp_wants_master", Type::Gauge,
            "1 while a sync-group member waits for its group to go MASTER.",
            [&](size_t n) { return uint64_t(I[n].machine.wants_master); });
    in.each(out, "xvrrp_kernel_adverts_total", Type::Counter,
            "Valid adverts XDP counted for the instance (absorbed or handed over).",
            [&](size_t n) { return I[n].kernel ? I[n].kernel->adverts : uint64_t{0}; });
    in.each(out, "xvrrp_adverts_absorbed_total", Type::Counter,
            "Adverts XDP absorbed as repeats of the followed master (no daemon wake-up).",
            [&](size_t n) { return I[n].kernel ? I[n].kernel->quiet : uint64_t{0}; });
    in.each(out, "xvrrp_adverts_woken_total", Type::Counter,
            "Adverts XDP handed over with a wake-up of the daemon.",
            [&](size_t n) { return I[n].kernel ? I[n].kernel->woken : uint64_t{0}; });
    in.each(out, "xvrrp_adverts_missed_total", Type::Counter,
            "Adverts for the instance lost because the ring buffer was full.",
            [&](size_t n) { return I[n].kernel ? I[n].kernel->missed : uint64_t{0}; });
    out.family("xvrrp_last_advert_age_seconds", Type::Gauge,
               "Time since the last advert heard from a master (absent before the first).");
    for (size_t n = 0; n < I.size(); ++n)
        if (auto last = I[n].lastHeard())
            out.sample(in.labels[n], std::chrono::duration<double>(s.mono_now - *last).count());
    out.family("xvrrp_adverts_rejected_total", Type::Counter,
               "Adverts the daemon refused for the instance, by reason (decode and RFC 5798 "
               "section 7.1 checks).");
    for (size_t n = 0; n < I.size(); ++n)
        for (const auto& [reason, count] : I[n].counters.rejected_by)
            out.sample(in.with(n, "reason", reason).str(), count);
    in.each(out, "xvrrp_advert_send_errors_total", Type::Counter, "Adverts the kernel refused to send.",
            [&](size_t n) { return I[n].tx_errors; });
    in.each(out, "xvrrp_address_errors_total", Type::Counter,
            "Failed VIP, route, rule or ownership-map changes.",
            [&](size_t n) { return I[n].counters.address_errors; });
    in.each(out, "xvrrp_vips_installed", Type::Gauge, "1 while the instance's VIPs are on the system.",
            [&](size_t n) { return uint64_t(I[n].vips_installed); });
    in.each(out, "xvrrp_instance_fenced", Type::Gauge,
            "Fences on the instance (xv_fence): 0 none, 1 an operator's, 2 xvrrp-arbiter's, 3 both.",
            [&](size_t n) { return uint64_t(I[n].fenced_by.value_or(0)); });
    out.family("xvrrp_fault_active", Type::Gauge,
               "1 per active fault source of the instance (link, fence, track, config).");
    for (size_t n = 0; n < I.size(); ++n)
        for (const auto& [source, why] : I[n].faults)
            out.sample(in.with(n, "source", source).str(), uint64_t{1});
    out.family("xvrrp_bfd_failover_peer_lost_total", Type::Counter,
               "xvrrp_bfd_failover: expiries of the named BFD session taken as the master lost.");
    for (size_t n = 0; n < I.size(); ++n)
        if (I[n].cfg && !I[n].cfg->bfd_failover.empty())
            out.sample(in.with(n, "bfd", I[n].cfg->bfd_failover).str(),
                       I[n].machine.counters.peer_lost_accepted);
    out.family("xvrrp_last_transition_timestamp_seconds", Type::Gauge,
               "Wall-clock time of the instance's last state change.");
    for (size_t n = 0; n < I.size(); ++n)
        if (I[n].last_transition_wall) out.sample(in.labels[n], *I[n].last_transition_wall);
}

void trackerFamilies(Instances& in, Exposition& out) {
    const auto& I = in.s.instances;
    out.family("xvrrp_tracker_state", Type::Gauge,
               "Each tracker of an instance: 0 init, 1 up, 2 down (file trackers: 1).");
    auto each = [&](auto f) {
        for (size_t n = 0; n < I.size(); ++n) {
            if (!I[n].track_report || !I[n].track_report->contains("trackers")) continue;
            for (const auto& t : (*I[n].track_report)["trackers"]) {
                Labels l = in.with(n, "kind", t["kind"].get<std::string>());
                l.add("name", t["name"].get<std::string>());
                f(l, t);
            }
        }
    };
    each([&](const Labels& l, const nlohmann::json& t) {
        out.sample(l.str(), uint64_t(*trackStateValue(t["state"].get<std::string>()) - '0'));
    });
    out.family("xvrrp_tracker_priority_delta", Type::Gauge,
               "What each tracker adds to the instance's priority now.");
    each([&](const Labels& l, const nlohmann::json& t) {
        out.sample(l.str(), static_cast<int64_t>(t["delta"].get<int>()));
    });
    out.family("xvrrp_track_file_value", Type::Gauge, "The value read from each track_file.");
    for (const auto& [name, v] : in.s.track_files) out.sample(Labels().add("name", name).str(), v);
}

void bfdFamilies(const DaemonSnapshot& s, Exposition& out) {
    auto labels = [](const BfdSnapshot& b) { return Labels().add("name", b.name).add("neighbor", b.neighbor); };
    out.family("xvrrp_bfd_session_state", Type::Gauge,
               "Each BFD session's state (RFC 5880 4.1): 0 AdminDown, 1 Down, 2 Init, 3 Up.");
    for (const auto& b : s.bfd) out.sample(labels(b).str(), uint64_t{b.state});
    out.family("xvrrp_bfd_remote_state", Type::Gauge, "The state the neighbour last sent.");
    for (const auto& b : s.bfd) out.sample(labels(b).str(), uint64_t{b.remote_state});
    out.family("xvrrp_bfd_detect_time_seconds", Type::Gauge,
               "Negotiated Detection Time (RFC 5880 6.8.4); 0 before the neighbour is heard.");
    for (const auto& b : s.bfd) out.sample(labels(b).str(), b.detect_time_s);
    out.family("xvrrp_bfd_packets_total", Type::Counter, "BFD Control packets, by direction.");
    for (const auto& b : s.bfd) {
        out.sample(labels(b).add("direction", "rx").str(), b.packets_rx);
        out.sample(labels(b).add("direction", "tx").str(), b.packets_tx);
    }
    out.family("xvrrp_bfd_absorbed_total", Type::Counter,
               "Repeats of the last accepted BFD Control packet absorbed in XDP (not in packets rx).");
    for (const auto& b : s.bfd) out.sample(labels(b).str(), b.absorbed_xdp);
    out.family("xvrrp_bfd_send_errors_total", Type::Counter, "BFD Control packets the kernel refused to send.");
    for (const auto& b : s.bfd) out.sample(labels(b).str(), b.tx_errors);
    out.family("xvrrp_bfd_transitions_total", Type::Counter, "Session state changes into Up and out of Up.");
    for (const auto& b : s.bfd) {
        out.sample(labels(b).add("to", "up").str(), b.up);
        out.sample(labels(b).add("to", "down").str(), b.down);
    }
    out.family("xvrrp_bfd_rx_rejected_total", Type::Counter,
               "Packets for a session refused by the receive checks (bad_ttl, ...), by reason.");
    for (const auto& b : s.bfd)
        for (const auto& [reason, n] : b.rejected_by) out.sample(labels(b).add("reason", reason).str(), n);
}

void kernelFamilies(const DaemonSnapshot& s, Exposition& out) {
    std::string current;
    for (size_t i = 0; i < kXdpCounterCount; ++i) {
        const auto& c = kXdpCounters[i];
        if (current != c.family) {
            out.family(c.family, Type::Counter, kXdpHelp(c.family));
            current = c.family;
        }
        uint64_t v;
        std::memcpy(&v, reinterpret_cast<const uint8_t*>(&s.kernel) + c.offset, sizeof v);
        out.sample(*c.label ? Labels().add(c.label, c.value).str() : std::string(), v);
    }
    // VIP verdicts the kernel holds, named by the instance that wrote them.
    auto instKey = [](int ifindex, bool v4, uint8_t vrid) {
        return uint64_t(uint32_t(ifindex)) | uint64_t(v4) << 32 | uint64_t(vrid) << 40;
    };
    std::unordered_map<uint64_t, const InstanceSnapshot*> by_key;
    for (const auto& i : s.instances)
        if (i.bound) by_key.emplace(instKey(i.ifindex, i.family == Family::V4, i.cfg->vrid), &i);
    out.family("xvrrp_vip_verdict", Type::Gauge,
               "Verdict XDP applies to each VIP: 1 pass, 2 drop_ip, 3 drop_all.");
    for (const auto& [k, v] : s.vips) {
        IpAddr a = IpAddr::fromBytes(k.family == XV_FAMILY_V4 ? Family::V4 : Family::V6, k.addr);
        auto it = by_key.find(instKey(static_cast<int>(v.inst.ifindex),
                                      v.inst.family == XV_FAMILY_V4, v.inst.vrid));
        const auto* inst = it == by_key.end() ? nullptr : it->second;
        auto ifn = s.interfaces.find(static_cast<int>(k.ifindex));
        Labels l;
        l.add("iname", inst ? inst->cfg->name : std::string());
        l.add("intf", ifn == s.interfaces.end() ? std::to_string(k.ifindex) : ifn->second);
        l.add("vrid", v.inst.vrid).add("vip", a.str());
        out.sample(l.str(), uint64_t(v.verdict));
    }
    out.family("xvrrp_heartbeat_age_seconds", Type::Gauge,
               "Age of the dead-man heartbeat in the kernel when the scrape was served (the "
               "daemon writes it every loop turn; VIPs stop answering when it exceeds "
               "Master_Down_Interval).");
    if (s.heartbeat_age_ns) out.sample("", *s.heartbeat_age_ns / 1e9);
    out.family("xvrrp_xdp_interface_info", Type::Gauge,
               "1 per interface with xvrrp's XDP program, with its attach mode.");
    for (const auto& [idx, name] : s.interfaces) {
        auto m = s.xdp_modes.find(idx);
        out.sample(Labels().add("intf", name).add("mode", m == s.xdp_modes.end() ? "" : m->second).str(),
                   uint64_t{1});
    }
}

void daemonFamilies(const DaemonSnapshot& s, Exposition& out) {
    const TelemetryTotals& t = s.telemetry;
    out.family("xvrrp_ring_wakeups_total", Type::Counter, "Times the daemon woke up to read the ring.");
    out.sample("", t.ring_wakeups);
    out.family("xvrrp_ring_records_total", Type::Counter, "Valid ring records the daemon consumed.");
    out.sample("", t.ring_records);
    out.family("xvrrp_ring_bad_records_total", Type::Counter,
               "Ring records skipped for a wrong size or ABI version.");
    out.sample("", s.ring_bad_records);
    out.family("xvrrp_rx_unknown_instance_total", Type::Counter,
               "Ring records for no instance of ours (interface, family, VRID).");
    out.sample("", s.rx_unknown_vrid);
    out.family("xvrrp_rx_undecodable_total", Type::Counter, "Ring records too short to read a VRID.");
    out.sample("", s.rx_undecodable);
    out.family("xvrrp_transitions_total", Type::Counter, "State changes of all instances, by edge.");
    for (const auto& [e, n] : t.transitions)
        out.sample(Labels().add("from", vrrp::stateName(e.first)).add("to", vrrp::stateName(e.second)).str(), n);
    out.family("xvrrp_transition_seconds", Type::Histogram,
               "From the last advert heard to the change: BACKUP->MASTER (takeover after "
               "Master_Down_Interval) and MASTER->BACKUP (yield to a better advert).");
    for (const auto& [e, h] : t.latencies)
        out.histogram(Labels().add("from", vrrp::stateName(e.first)).add("to", vrrp::stateName(e.second)), h);
    out.family("xvrrp_notify_runs_total", Type::Counter, "Notify scripts started.");
    out.sample("", s.notify.runs);
    out.family("xvrrp_notify_failures_total", Type::Counter,
               "Notify scripts that could not start or did not exit with status 0.");
    out.sample("", s.notify.failed);
    out.family("xvrrp_notify_fifo_dropped_total", Type::Counter, "notify_fifo lines not written.");
    out.sample("", s.notify.fifo_dropped);
    out.family("xvrrp_reloads_total", Type::Counter, "Configuration reloads, by result.");
    for (const char* r : {"ok", "error"}) {
        auto it = t.reloads.find(r);
        out.sample(Labels().add("result", r).str(), it == t.reloads.end() ? uint64_t{0} : it->second);
    }
    out.family("xvrrp_reload_instances_total", Type::Counter,
               "Instances handled by successful reloads: kept, updated, restarted, added, removed.");
    for (const char* a : {"kept", "updated", "restarted", "added", "removed"}) {
        auto it = t.reload_instances.find(a);
        out.sample(Labels().add("action", a).str(),
                   it == t.reload_instances.end() ? uint64_t{0} : it->second);
    }
    out.family("xvrrp_dump_seconds", Type::Histogram,
               "Time the event loop spent writing one of keepalived's dump files.");
    out.histogram(Labels(), t.dumps);
    out.family("xvrrp_dump_max_seconds", Type::Gauge, "The slowest dump file written since start.");
    out.sample("", t.dump_max_s);
    out.family("xvrrp_loop_errors_total", Type::Counter,
               "Exceptions caught in event-loop handlers, by handler (the daemon carried on).");
    for (const auto& [h, n] : s.loop_errors) out.sample(Labels().add("handler", h).str(), n);
    out.family("xvrrp_instances", Type::Gauge, "Configured instances.");
    out.sample("", uint64_t(s.instances.size()));
    out.family("xvrrp_uptime_seconds", Type::Gauge, "Time since the daemon started.");
    out.sample("", s.uptime_s);
}

}  // namespace

void renderMetrics(const DaemonSnapshot& s, Exposition& out) {
    Instances in(s);
    keepalivedFamilies(in, out);
    instanceFamilies(in, out);
    trackerFamilies(in, out);
    bfdFamilies(s, out);
    kernelFamilies(s, out);
    daemonFamilies(s, out);
}

}  // namespace xvrrp::daemon
