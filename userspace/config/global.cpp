// global_defs (keepalived.conf(5) "Global definitions"). Only the VRRP-relevant keywords
// are typed; the rest are kept in Global::other.
#include "config/parse_util.hpp"
#include "config/process.hpp"

namespace xvrrp::config {
namespace {

constexpr uint64_t kMaxTimerUs = 4294967295ULL;  // keepalived's [0.000001, 4294.967295]

void str(const Node& n, std::string& out, Context& ctx) {
    if (expectArgs(n, 1, 1, ctx)) out = n.args[0].text;
}

// notify_fifo FIFO [USER [GROUP]]: the fifo is created owned by USER (keepalived's
// notify_fifo(): set_script_uid_gid, else the default script user).
void fifo(const Node& n, std::string& out, Global& g, Context& ctx) {
    if (!expectArgs(n, 1, 3, ctx, "FIFO [USER [GROUP]]")) return;
    out = n.args[0].text;
    g.fifo_run_as.erase(n.key.text);
    if (auto r = runAsArgs(n)) g.fifo_run_as[n.key.text] = *r;
}

void boolean(const Node& n, bool& out, Context& ctx) {
    if (auto b = parseBoolArg(n, ctx)) out = *b;
}

// keepalived rejects 0 for the GARP/NA intervals (and ignores the line); so do we, but
// as a warning, because 0 is also what leaving the line out means.
void interval(const Node& n, uint64_t& out, Context& ctx) {
    if (!expectArgs(n, 1, 1, ctx)) return;
    auto us = secondsToMicros(n.args[0].text);
    if (us && *us == 0) {
        ctx.diags.warning(n.args[0].where, n.key.text + " 0 is outside [0.000001, 4294.967295]; ignored as keepalived does");
        return;
    }
    if (auto v = parseSeconds(n.args[0], 1, kMaxTimerUs, ctx, n.key.text)) out = *v;
}

void u32(const Node& n, std::optional<uint32_t>& out, int64_t lo, int64_t hi, Context& ctx) {
    if (!expectArgs(n, 1, 1, ctx)) return;
    if (auto v = parseInt(n.args[0], lo, hi, ctx, n.key.text)) out = static_cast<uint32_t>(*v);
}

void mcastGroup(const Node& n, IpAddr& out, Family fam, Context& ctx) {
    if (!expectArgs(n, 1, 1, ctx)) return;
    auto a = parseAddr(n.args[0], ctx, n.key.text);
    if (!a) return;
    if (a->family() != fam || !a->isMulticast()) {
        ctx.diags.error(n.args[0].where, n.key.text + " must be an IPv" +
                                             std::to_string(static_cast<int>(fam)) +
                                             " multicast address, got '" + n.args[0].text + "'");
        return;
    }
    out = *a;
}

const KeywordTable<Global>& table() {
    static const KeywordTable<Global> t{
        "global_defs",
        {
            {"router_id", [](const Node& n, Global& g, Context& c) { str(n, g.router_id, c); }},
            {"script_user",
             [](const Node& n, Global& g, Context& c) {
                 if (!expectArgs(n, 1, 2, c, "USER [GROUP]")) return;
                 g.script_user = n.args[0].text;
                 if (n.args.size() > 1) g.script_group = n.args[1].text;
             }},
            {"enable_script_security",
             [](const Node& n, Global& g, Context& c) { boolean(n, g.enable_script_security, c); }},
            {"vrrp_strict", [](const Node& n, Global& g, Context& c) { boolean(n, g.vrrp_strict, c); }},
            {"vrrp_skip_check_adv_addr",
             [](const Node& n, Global& g, Context& c) { boolean(n, g.vrrp_skip_check_adv_addr, c); }},
            // dynamic_interfaces [allow_if_changes]: the option word changes nothing for xvrrpd,
            // which follows an interface by name and index through netlink either way.
            {"dynamic_interfaces",
             [](const Node& n, Global& g, Context& c) {
                 if (expectArgs(n, 0, 1, c, "[allow_if_changes]")) g.dynamic_interfaces = true;
             }},
            {"vrrp_check_unicast_src",
             [](const Node& n, Global& g, Context& c) { boolean(n, g.vrrp_check_unicast_src, c); }},
            {"vrrp_version",
             [](const Node& n, Global& g, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 if (auto v = parseInt(n.args[0], 2, 3, c, "vrrp_version")) {
                     g.vrrp_version = static_cast<int>(*v);
                     c.global_version_given = true;
                 }
             }},
            {"vrrp_mcast_group4",
             [](const Node& n, Global& g, Context& c) { mcastGroup(n, g.mcast_group4, Family::V4, c); }},
            {"vrrp_mcast_group6",
             [](const Node& n, Global& g, Context& c) { mcastGroup(n, g.mcast_group6, Family::V6, c); }},
            {"vrrp_garp_master_delay",
             [](const Node& n, Global& g, Context& c) { u32(n, g.garp.master_delay_s, 0, 255, c); }},
            {"vrrp_garp_master_repeat",
             [](const Node& n, Global& g, Context& c) { u32(n, g.garp.master_repeat, 1, 255, c); }},
            {"vrrp_garp_master_refresh",
             [](const Node& n, Global& g, Context& c) { u32(n, g.garp.master_refresh_s, 0, UINT32_MAX, c); }},
            {"vrrp_garp_master_refresh_repeat",
             [](const Node& n, Global& g, Context& c) { u32(n, g.garp.master_refresh_repeat, 1, 255, c); }},
            {"vrrp_garp_lower_prio_delay",
             [](const Node& n, Global& g, Context& c) { u32(n, g.garp.lower_prio_delay_s, 0, 255, c); }},
            {"vrrp_garp_lower_prio_repeat",
             [](const Node& n, Global& g, Context& c) { u32(n, g.garp.lower_prio_repeat, 0, 255, c); }},
            {"vrrp_garp_interval",
             [](const Node& n, Global& g, Context& c) { interval(n, g.vrrp_garp_interval_us, c); }},
            {"vrrp_gna_interval",
             [](const Node& n, Global& g, Context& c) { interval(n, g.vrrp_gna_interval_us, c); }},
            {"vrrp_min_garp", [](const Node& n, Global& g, Context& c) { boolean(n, g.vrrp_min_garp, c); }},
            {"vrrp_lower_prio_no_advert",
             [](const Node& n, Global& g, Context& c) { boolean(n, g.vrrp_lower_prio_no_advert, c); }},
            {"vrrp_higher_prio_send_advert",
             [](const Node& n, Global& g, Context& c) { boolean(n, g.vrrp_higher_prio_send_advert, c); }},
            {"vrrp_startup_delay",
             [](const Node& n, Global& g, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 if (auto v = parseSeconds(n.args[0], 0, 3600000000ULL, c, "vrrp_startup_delay"))
                     g.vrrp_startup_delay_us = *v;
             }},
            {"notify_fifo", [](const Node& n, Global& g, Context& c) { fifo(n, g.notify_fifo, g, c); }},
            {"notify_fifo_script",
             [](const Node& line, Global& g, Context& c) {
                 const auto cmd = commandNode(line, c);
                 if (!cmd) return;
                 const Node& n = *cmd;
                 if (!expectArgs(n, 1, 3, c, "SCRIPT [USER [GROUP]]")) return;
                 g.notify_fifo_script = n.args[0].text;
                 g.fifo_run_as.erase(n.key.text);
                 if (auto r = runAsArgs(n)) g.fifo_run_as[n.key.text] = *r;
                 c.notify_scripts.push_back({n.args[0].where, g.notify_fifo_script, "notify_fifo_script",
                                            n.args.size() > 1 ? n.args[1].text : "",
                                            n.args.size() > 2 ? n.args[2].text : ""});
             }},
            {"vrrp_notify_fifo", [](const Node& n, Global& g, Context& c) { fifo(n, g.vrrp_notify_fifo, g, c); }},
            {"vrrp_notify_fifo_script",
             [](const Node& line, Global& g, Context& c) {
                 const auto cmd = commandNode(line, c);
                 if (!cmd) return;
                 const Node& n = *cmd;
                 if (!expectArgs(n, 1, 3, c, "SCRIPT [USER [GROUP]]")) return;
                 g.vrrp_notify_fifo_script = n.args[0].text;
                 g.fifo_run_as.erase(n.key.text);
                 if (auto r = runAsArgs(n)) g.fifo_run_as[n.key.text] = *r;
                 c.notify_scripts.push_back({n.args[0].where, g.vrrp_notify_fifo_script, "vrrp_notify_fifo_script",
                                            n.args.size() > 1 ? n.args[1].text : "",
                                            n.args.size() > 2 ? n.args[2].text : ""});
             }},
            {"notification_email",
             [](const Node& n, Global& g, Context& c) {
                 if (!expectValueBlock(n, c)) return;
                 for (const auto& e : n.children) {
                     g.notification_email.push_back(e.key.text);
                     for (const auto& a : e.args) g.notification_email.push_back(a.text);
                 }
             }},
            {"notification_email_from",
             [](const Node& n, Global& g, Context& c) { str(n, g.notification_email_from, c); }},
            {"vrrp_rt_priority",
             [](const Node& n, Global& g, Context& c) { parseRtPriority(n, g.vrrp_process, c); }},
            {"vrrp_rlimit_rttime",
             [](const Node& n, Global& g, Context& c) { parseRlimitRttime(n, g.vrrp_process, c); }},
            {"vrrp_no_swap", [](const Node& n, Global& g, Context& c) { parseNoSwap(n, g.vrrp_process, c); }},
            {"vrrp_cpu_affinity",
             [](const Node& n, Global& g, Context& c) { parseCpuAffinity(n, g.vrrp_process, c); }},
            {"vrrp_priority", [](const Node& n, Global& g, Context& c) { parseNice(n, g.vrrp_process, c); }},
            {"smtp_server",
             [](const Node& n, Global& g, Context& c) {
                 if (expectArgs(n, 1, 2, c, "ADDRESS [PORT]")) g.smtp_server = n.args[0].text;
             }},
        },
        {
            // Parsed and kept; xvrrp does not act on these (yet). keepalived.conf(5) 2.2.7.
            "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets", "instance", "use_pid_dir",
            "linkbeat_use_polling", "child_wait_time", "tmp_config_directory", "config_save_dir",
            "process_names", "process_name", "vrrp_process_name", "checker_process_name",
            "bfd_process_name", "startup_script", "startup_script_timeout", "shutdown_script",
            "shutdown_script_timeout", "smtp_helo_name", "smtp_connect_timeout", "smtp_alert",
            "smtp_alert_vrrp", "smtp_alert_checker", "checker_log_all_failures", "no_email_faults",
            "default_interface", "lvs_sync_daemon", "lvs_timeouts", "lvs_flush", "lvs_flush_on_stop",
            "vrrp_down_timer_adverts", "vrrp_garp_extra_if", "nftables", "nftables_priority",
            "nftables_counters", "nftables_ifindex", "nftables_ipvs", "nftables_ipvs_priority",
            "nftables_ipvs_start_fwmark", "vrrp_iptables", "vrrp_ipsets", "disable_local_igmp",
            "vrrp_notify_priority_changes", "max_auto_priority", "min_auto_priority_delay",
            "checker_priority", "bfd_priority", "checker_no_swap", "bfd_no_swap",
            "checker_cpu_affinity", "bfd_cpu_affinity", "checker_rt_priority", "bfd_rt_priority",
            "checker_rlimit_rttime", "bfd_rlimit_rttime", "snmp_socket", "enable_snmp_vrrp",
            "enable_snmp_keepalived", "enable_snmp_checker", "enable_snmp_rfc", "enable_snmp_rfcv2",
            "enable_snmp_rfcv3", "enable_traps", "enable_dbus", "dbus_service_name",
            "lvs_notify_fifo", "lvs_notify_fifo_script", "fifo_write_vrrp_states_on_reload",
            "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force",
            "vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force",
            "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force", "lvs_netlink_monitor_rcv_bufs",
            "lvs_netlink_monitor_rcv_bufs_force", "process_monitor_rcv_bufs",
            "process_monitor_rcv_bufs_force", "vrrp_rx_bufs_policy", "vrrp_rx_bufs_multiplier",
            "rs_init_notifies", "no_checker_emails", "umask", "log_unknown_vrids", "vmac_prefix",
            "vmac_addr_prefix", "random_seed", "reload_check_config", "include_check",
            "reload_time_file", "reload_repeat", "reload_file", "data_use_instance", "lvs_id",
            "checker_log_all_failures", "vrrp_garp_master_refresh_repeat",
        },
    };
    return t;
}

}  // namespace

void parseGlobal(const Node& n, Context& ctx) {
    if (!expectBlock(n, ctx)) return;
    dispatch(n.children, ctx.cfg.global, &ctx.cfg.global.other, table(), ctx);
}

}  // namespace xvrrp::config
