// vrrp_instance blocks (keepalived.conf(5) "VRRP instance(s)").
#include <charconv>

#include "config/parse_util.hpp"

namespace xvrrp::config {
namespace {

// The instance being parsed is always the last one; its side info likewise.
InstanceInfo& info(Context& c) { return c.info.back(); }

void flag(const Node& n, bool& out, bool value, Context& c) {
    if (expectArgs(n, 0, 0, c)) out = value;
}

void boolean(const Node& n, bool& out, Context& c) {
    if (auto b = parseBoolArg(n, c)) out = *b;
}

void u32(const Node& n, std::optional<uint32_t>& out, int64_t lo, int64_t hi, Context& c) {
    if (!expectArgs(n, 1, 1, c)) return;
    if (auto v = parseInt(n.args[0], lo, hi, c, n.key.text)) out = static_cast<uint32_t>(*v);
}

// notify* SCRIPT [USER [GROUP]], read as a command line (parse_util.hpp commandNode): the first
// word is the command line.
void notify(const Node& line, std::string& out, Instance& i, Context& c, bool optional = false) {
    const auto cmd = commandNode(line, c);
    if (!cmd) return;
    const Node& n = *cmd;
    if (!expectArgs(n, optional ? 0 : 1, 3, c, "SCRIPT [USER [GROUP]]")) return;
    if (n.args.empty()) return;
    out = n.args[0].text;
    i.notify_run_as.erase(n.key.text);  // a repeated keyword replaces the earlier one
    if (auto r = runAsArgs(n)) i.notify_run_as[n.key.text] = *r;
    c.notify_scripts.push_back({n.args[0].where, out, n.key.text + " of vrrp_instance " + i.name,
                               n.args.size() > 1 ? n.args[1].text : "", n.args.size() > 2 ? n.args[2].text : ""});
}

void srcIp(const Node& n, Instance& i, Context& c) {
    if (!expectArgs(n, 1, 1, c)) return;
    if (auto a = parseAddr(n.args[0], c, n.key.text)) i.src_ip = a;
}

void unicastPeers(const Node& n, Instance& i, Context& c) {
    if (!expectValueBlock(n, c)) return;
    for (const auto& line : n.children) {
        if (!expectNoBlock(line, c)) continue;
        auto a = parseAddr(line.key, c, "unicast_peer");
        if (!a) continue;
        UnicastPeer p{line.key.where, *a, {}, {}};
        // keepalived 2.2.7 (alloc_vrrp_unicast_peer): OPTION VALUE pairs; a word without a value
        // or an unknown option is reported and ends the line, and the peer is kept (-t exit 5).
        for (size_t k = 0; k < line.args.size(); k += 2) {
            const auto& w = line.args[k].text;
            if (k + 1 >= line.args.size()) {
                c.diags.warning(line.args[k].where, "(" + i.name + ") " + w + " is missing a value");
                break;
            }
            const auto& value = line.args[k + 1].text;
            int v = -1;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
            if (ec != std::errc() || end != value.data() + value.size() || v < 0 || v > 255) {
                c.diags.warning(line.args[k + 1].where, "(" + i.name + ") invalid number '" + value + "' after " + w +
                                                            " (0..255) - ignoring");
                continue;
            }
            if (w != "min_ttl" && w != "max_ttl") {
                c.diags.warning(line.args[k].where, "(" + i.name + ") unknown unicast_peer option " + w +
                                                        " (expected min_ttl or max_ttl)");
                break;
            }
            (w == "min_ttl" ? p.min_ttl : p.max_ttl) = v;
        }
        i.unicast_peers.push_back(p);
    }
}

// xvrrpd's own keyword (the xvrrp_ prefix: keepalived 2.2.7 reports it as unknown). The
// name is resolved once the whole file is read (validate.cpp), so the bfd_instance may
// come before or after.
void bfdFailover(const Node& n, Instance& i, Context& c) {
    if (!expectNoBlock(n, c) || !expectArgs(n, 1, 1, c, "BFD_NAME")) return;
    if (!i.bfd_failover.empty()) {
        c.diags.error(n.key.where, "xvrrp_bfd_failover is already given in vrrp_instance '" +
                                       i.name + "' at " + locationStr(i.bfd_failover_where));
        return;
    }
    i.bfd_failover = n.args[0].text;
    i.bfd_failover_where = n.args[0].where;
}

const KeywordTable<Instance>& authTable() {
    static const KeywordTable<Instance> t{
        "authentication",
        {
            {"auth_type",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 const auto& w = n.args[0].text;
                 if (w == "PASS") i.auth_type = AuthType::Pass;
                 else if (w == "AH") i.auth_type = AuthType::Ah;
                 else c.diags.error(n.args[0].where, "auth_type must be PASS or AH, got '" + w + "'");
             }},
            {"auth_pass",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 i.auth_pass = n.args[0].text;
                 // RFC 2338 section 5.3.6: the authentication data field is 8 octets.
                 if (i.auth_pass.size() > 8) {
                     c.diags.warning(n.args[0].where, "auth_pass is longer than 8 characters; truncated to '" +
                                                          i.auth_pass.substr(0, 8) + "'");
                     i.auth_pass.resize(8);
                 }
             }},
        },
        {}};
    return t;
}

const KeywordTable<Instance>& table() {
    static const KeywordTable<Instance> t{
        "vrrp_instance",
        {
            {"state",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 1, 1, c, "MASTER|BACKUP")) return;
                 const auto& w = n.args[0].text;
                 if (w == "MASTER") i.state = InitialState::Master;
                 else if (w == "BACKUP") i.state = InitialState::Backup;
                 else return c.diags.error(n.args[0].where, "state must be MASTER or BACKUP, got '" + w + "'");
                 i.state_given = true;
                 info(c).state_where = n.args[0].where;
             }},
            {"interface",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 if (n.args[0].text.size() > 15)  // IFNAMSIZ - 1
                     return c.diags.error(n.args[0].where, "interface name '" + n.args[0].text + "' is longer than 15 characters");
                 i.interface = n.args[0].text;
                 i.interface_where = n.args[0].where;
             }},
            {"virtual_router_id",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 // RFC 5798 section 5.2.3: VRID is 1..255.
                 if (auto v = parseInt(n.args[0], 1, 255, c, "virtual_router_id")) {
                     i.vrid = static_cast<uint8_t>(*v);
                     i.vrid_given = true;
                     info(c).vrid_where = n.args[0].where;
                 }
             }},
            {"priority",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 // RFC 5798 section 5.2.4: 255 is the owner, 0 means "leaving"; not configurable.
                 if (auto v = parseInt(n.args[0], 1, 255, c, "priority")) {
                     i.priority = static_cast<uint8_t>(*v);
                     info(c).priority_where = n.args[0].where;
                 }
             }},
            {"advert_int",
             [](const Node& n, Instance&, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 // Rounded per version in validate(): v2 whole seconds, v3 centiseconds.
                 if (auto v = parseSeconds(n.args[0], 1, 255000000, c, "advert_int")) {
                     info(c).advert_us = *v;
                     info(c).advert_given = true;
                     info(c).advert_where = n.args[0].where;
                 }
             }},
            {"version",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 if (auto v = parseInt(n.args[0], 2, 3, c, "version")) {
                     i.version = static_cast<int>(*v);
                     info(c).version_where = n.args[0].where;
                 }
             }},
            {"native_ipv6", [](const Node& n, Instance& i, Context& c) { flag(n, i.native_ipv6, true, c); }},
            {"nopreempt",
             [](const Node& n, Instance& i, Context& c) {
                 flag(n, i.preempt, false, c);
                 info(c).preempt_where = n.key.where;
             }},
            {"preempt", [](const Node& n, Instance& i, Context& c) { flag(n, i.preempt, true, c); }},
            {"preempt_delay",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 if (auto v = parseSeconds(n.args[0], 0, 1000000000, c, "preempt_delay")) i.preempt_delay_us = *v;
             }},
            {"accept", [](const Node& n, Instance& i, Context& c) { if (expectArgs(n, 0, 0, c)) i.accept = true; }},
            {"no_accept", [](const Node& n, Instance& i, Context& c) { if (expectArgs(n, 0, 0, c)) i.accept = false; }},
            {"strict_mode",
             [](const Node& n, Instance& i, Context& c) {
                 boolean(n, i.strict_mode, c);
                 info(c).strict_where = n.key.where;
             }},
            {"skip_check_adv_addr", [](const Node& n, Instance& i, Context& c) { boolean(n, i.skip_check_adv_addr, c); }},
            {"dont_track_primary", [](const Node& n, Instance& i, Context& c) { flag(n, i.dont_track_primary, true, c); }},
            {"use_vmac",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 0, 2, c, "[NAME] [MAC]")) return;
                 i.use_vmac = true;
                 if (!n.args.empty()) i.vmac_name = n.args[0].text;
             }},
            {"vmac_xmit_base", [](const Node& n, Instance& i, Context& c) { flag(n, i.vmac_xmit_base, true, c); }},
            {"promote_secondaries", [](const Node& n, Instance& i, Context& c) { flag(n, i.promote_secondaries, true, c); }},
            {"smtp_alert", [](const Node& n, Instance& i, Context& c) { boolean(n, i.smtp_alert, c); }},
            {"debug",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 0, 1, c, "LEVEL")) return;
                 i.debug = true;
                 if (n.args.empty())
                     c.diags.warning(n.key.where, "'debug' expects a LEVEL (keepalived reports this line as missing a parameter)");
                 else
                     parseInt(n.args[0], 0, 4, c, "debug level");
             }},
            {"lower_prio_no_advert", [](const Node& n, Instance& i, Context& c) { boolean(n, i.lower_prio_no_advert, c); }},
            {"higher_prio_send_advert", [](const Node& n, Instance& i, Context& c) { boolean(n, i.higher_prio_send_advert, c); }},
            {"check_unicast_src", [](const Node& n, Instance& i, Context& c) { flag(n, i.check_unicast_src, true, c); }},
            {"unicast_fault_no_peer", [](const Node& n, Instance& i, Context& c) { flag(n, i.unicast_fault_no_peer, true, c); }},
            {"old_unicast_checksum",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectArgs(n, 0, 1, c, "[never]")) return;
                 if (n.args.empty()) i.old_unicast_checksum = true;
                 else if (n.args[0].text == "never") i.old_unicast_checksum = false;
                 else c.diags.error(n.args[0].where, "old_unicast_checksum takes only 'never', got '" + n.args[0].text + "'");
             }},
            {"mcast_src_ip", srcIp},
            {"unicast_src_ip", srcIp},
            {"unicast_peer", unicastPeers},
            {"authentication",
             [](const Node& n, Instance& i, Context& c) {
                 if (!expectBlock(n, c)) return;
                 info(c).auth_where = n.key.where;
                 dispatch(n.children, i, nullptr, authTable(), c);
             }},
            {"virtual_ipaddress", [](const Node& n, Instance& i, Context& c) { parseAddressBlock(n, i.vips, c); }},
            {"virtual_ipaddress_excluded",
             [](const Node& n, Instance& i, Context& c) { parseAddressBlock(n, i.vips_excluded, c); }},
            {"virtual_routes", [](const Node& n, Instance& i, Context& c) { parseRouteBlock(n, i.routes, c); }},
            {"virtual_rules", [](const Node& n, Instance& i, Context& c) { parseRuleBlock(n, i.rules, c); }},
            {"track_interface",
             [](const Node& n, Instance& i, Context& c) { parseTrackList(n, i.track_interfaces, -254, 254, c); }},
            {"track_script",
             [](const Node& n, Instance& i, Context& c) { parseTrackList(n, i.track_scripts, -253, 253, c); }},
            {"track_file",
             [](const Node& n, Instance& i, Context& c) { parseTrackList(n, i.track_files, -254, 254, c); }},
            {"track_process",
             [](const Node& n, Instance& i, Context& c) { parseTrackList(n, i.track_processes, -254, 254, c); }},
            {"track_bfd", [](const Node& n, Instance& i, Context& c) { parseTrackBfd(n, i.name, i.track_bfds, c); }},
            {"xvrrp_bfd_failover", bfdFailover},
            {"garp_master_delay", [](const Node& n, Instance& i, Context& c) { u32(n, i.garp.master_delay_s, 0, 255, c); }},
            {"garp_master_repeat", [](const Node& n, Instance& i, Context& c) { u32(n, i.garp.master_repeat, 1, 255, c); }},
            {"garp_master_refresh",
             [](const Node& n, Instance& i, Context& c) { u32(n, i.garp.master_refresh_s, 0, UINT32_MAX, c); }},
            {"garp_master_refresh_repeat",
             [](const Node& n, Instance& i, Context& c) { u32(n, i.garp.master_refresh_repeat, 1, 255, c); }},
            {"garp_lower_prio_delay",
             [](const Node& n, Instance& i, Context& c) { u32(n, i.garp.lower_prio_delay_s, 0, 255, c); }},
            {"garp_lower_prio_repeat",
             [](const Node& n, Instance& i, Context& c) { u32(n, i.garp.lower_prio_repeat, 0, 255, c); }},
            {"notify", [](const Node& n, Instance& i, Context& c) { notify(n, i.notify, i, c); }},
            {"notify_master", [](const Node& n, Instance& i, Context& c) { notify(n, i.notify_master, i, c); }},
            {"notify_backup", [](const Node& n, Instance& i, Context& c) { notify(n, i.notify_backup, i, c); }},
            {"notify_fault", [](const Node& n, Instance& i, Context& c) { notify(n, i.notify_fault, i, c); }},
            {"notify_stop", [](const Node& n, Instance& i, Context& c) { notify(n, i.notify_stop, i, c); }},
            {"notify_master_rx_lower_pri",
             [](const Node& n, Instance& i, Context& c) { notify(n, i.notify_master_rx_lower_pri, i, c); }},
            {"notify_deleted", [](const Node& n, Instance& i, Context& c) { notify(n, i.notify_deleted, i, c, true); }},
        },
        {"vrf", "use_vmac_addr", "use_ipvlan", "mcast_dst_ip", "track_src_ip", "unicast_ttl",
         "garp_extra_if", "down_timer_adverts", "notify_priority_changes", "kernel_rx_buf_size",
         "linkbeat_use_polling", "lvs_sync_daemon_interface"},
    };
    return t;
}

}  // namespace

void parseInstance(const Node& n, Context& ctx) {
    if (!expectBlock(n, ctx)) return;
    if (n.args.size() != 1) {
        ctx.diags.error(n.key.where, "vrrp_instance expects exactly one NAME before '{'");
        return;
    }
    const std::string& name = n.args[0].text;
    if (const Instance* prev = ctx.cfg.findInstance(name)) {
        ctx.diags.error(n.args[0].where, "vrrp_instance '" + name + "' is already defined at " + locationStr(prev->where));
        return;
    }
    Instance inst;
    inst.where = n.args[0].where;
    inst.name = name;
    ctx.cfg.instances.push_back(std::move(inst));
    ctx.info.emplace_back();
    Instance& i = ctx.cfg.instances.back();
    dispatch(n.children, i, &i.other, table(), ctx);
    resolveTrackRefs(i.name, i.track_scripts, i.track_files, i.track_processes, ctx);
    // The instance faults on its own interface anyway; keepalived drops it from the list,
    // weight and all.
    std::erase_if(i.track_interfaces, [&](const TrackRef& r) {
        if (r.name != i.interface) return false;
        ctx.diags.warning(r.where, "(" + i.name + ") Ignoring track_interface " + r.name + " since own interface");
        return true;
    });
}

}  // namespace xvrrp::config
