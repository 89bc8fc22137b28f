// What xvrrpd does instead of each keepalived keyword it reads and does not act on.
#include "config/ignored.hpp"

#include <array>
#include <string>

namespace xvrrp::config {
namespace {

// Vrrp: xvrrpd's advice; Other: another keepalived process's (a notice); Deprecated: keepalived
// -t itself reports it (a warning that fails the file for both).
enum class Side { Vrrp, Other, Deprecated };

struct Ignored {
    std::string_view block;
    std::string_view keyword;
    Side side;
    std::string_view effect;
};

constexpr std::string_view kNoMail = "xvrrpd sends no e-mail; use notify scripts";
constexpr std::string_view kNoSnmp = "xvrrpd has no SNMP agent; xvrrpd --metrics serves Prometheus";
constexpr std::string_view kLvs = "it configures keepalived's checker (LVS) process, not part of xvrrp";
constexpr std::string_view kBfdProc = "it tunes keepalived's BFD process, not part of xvrrp";
constexpr std::string_view kFirewall = "no firewall rules are made; strict mode drops VIP traffic in XDP";
constexpr std::string_view kOwnSockets = "xvrrpd sizes its own netlink and receive sockets";

constexpr std::array kTable{
    // The top level.
    Ignored{"", "garp_group", Side::Vrrp, "gratuitous ARP/NA intervals stay per instance"},
    Ignored{"", "track_group", Side::Vrrp, "no tracking group: trackers count for every instance naming them"},
    Ignored{"", "interface_up_down_delays", Side::Vrrp, "link changes act at once"},
    Ignored{"", "net_namespace", Side::Vrrp, "xvrrpd runs in the namespace it starts in (xvrrpd -s NAME)"},
    Ignored{"", "net_namespace_ipvs", Side::Other, kLvs},
    Ignored{"", "namespace_with_ipsets", Side::Vrrp, kFirewall},
    Ignored{"", "instance", Side::Vrrp, "pid files keep their names (xvrrpd -p/-r)"},
    Ignored{"", "use_pid_dir", Side::Vrrp, "pid files keep their names (xvrrpd -p/-r)"},
    Ignored{"", "child_wait_time", Side::Other, "xvrrpd is one process with no children to wait for"},
    // global_defs.
    Ignored{"global_defs", "net_namespace", Side::Vrrp, "xvrrpd runs in the namespace it starts in (xvrrpd -s NAME)"},
    Ignored{"global_defs", "net_namespace_ipvs", Side::Other, kLvs},
    Ignored{"global_defs", "namespace_with_ipsets", Side::Vrrp, kFirewall},
    Ignored{"global_defs", "instance", Side::Vrrp, "pid files keep their names (xvrrpd -p/-r)"},
    Ignored{"global_defs", "use_pid_dir", Side::Vrrp, "pid files keep their names (xvrrpd -p/-r)"},
    Ignored{"global_defs", "linkbeat_use_polling", Side::Vrrp, "links are followed by netlink"},
    Ignored{"global_defs", "child_wait_time", Side::Other, "xvrrpd is one process with no children to wait for"},
    Ignored{"global_defs", "tmp_config_directory", Side::Other, "xvrrpd is one process; it passes no config copy"},
    Ignored{"global_defs", "config_save_dir", Side::Other, "xvrrpd saves no config copies"},
    Ignored{"global_defs", "process_names", Side::Vrrp, "the process is named xvrrpd"},
    Ignored{"global_defs", "process_name", Side::Vrrp, "the process is named xvrrpd"},
    Ignored{"global_defs", "vrrp_process_name", Side::Vrrp, "the process is named xvrrpd"},
    Ignored{"global_defs", "checker_process_name", Side::Other, kLvs},
    Ignored{"global_defs", "bfd_process_name", Side::Other, kBfdProc},
    Ignored{"global_defs", "startup_script", Side::Vrrp, "the script is not run"},
    Ignored{"global_defs", "startup_script_timeout", Side::Vrrp, "startup_script is not run"},
    Ignored{"global_defs", "shutdown_script", Side::Vrrp, "the script is not run"},
    Ignored{"global_defs", "shutdown_script_timeout", Side::Vrrp, "shutdown_script is not run"},
    Ignored{"global_defs", "notification_email", Side::Vrrp, kNoMail},
    Ignored{"global_defs", "notification_email_from", Side::Vrrp, kNoMail},
    Ignored{"global_defs", "smtp_server", Side::Vrrp, kNoMail},
    Ignored{"global_defs", "smtp_helo_name", Side::Vrrp, kNoMail},
    Ignored{"global_defs", "smtp_connect_timeout", Side::Vrrp, kNoMail},
    Ignored{"global_defs", "smtp_alert", Side::Vrrp, kNoMail},
    Ignored{"global_defs", "smtp_alert_vrrp", Side::Vrrp, kNoMail},
    Ignored{"global_defs", "smtp_alert_checker", Side::Other, kLvs},
    Ignored{"global_defs", "checker_log_all_failures", Side::Other, kLvs},
    Ignored{"global_defs", "no_email_faults", Side::Vrrp, kNoMail},
    Ignored{"global_defs", "default_interface", Side::Vrrp, "static addresses and routes without 'dev' get no default"},
    Ignored{"global_defs", "lvs_sync_daemon", Side::Other, kLvs},
    Ignored{"global_defs", "lvs_timeouts", Side::Other, kLvs},
    Ignored{"global_defs", "lvs_flush", Side::Other, kLvs},
    Ignored{"global_defs", "lvs_flush_on_stop", Side::Other, kLvs},
    Ignored{"global_defs", "lvs_id", Side::Other, kLvs},
    Ignored{"global_defs", "vrrp_down_timer_adverts", Side::Vrrp, "Master_Down_Interval stays 3 advert intervals"},
    Ignored{"global_defs", "vrrp_garp_extra_if", Side::Vrrp, "no periodic gratuitous ARP/NA on other interfaces"},
    Ignored{"global_defs", "vrrp_garp_master_refresh_repeat", Side::Vrrp, "each instance's garp_master_refresh_repeat applies"},
    Ignored{"global_defs", "nftables", Side::Vrrp, kFirewall},
    Ignored{"global_defs", "nftables_priority", Side::Vrrp, kFirewall},
    Ignored{"global_defs", "nftables_counters", Side::Vrrp, kFirewall},
    Ignored{"global_defs", "nftables_ifindex", Side::Vrrp, kFirewall},
    Ignored{"global_defs", "nftables_ipvs", Side::Other, kLvs},
    Ignored{"global_defs", "nftables_ipvs_priority", Side::Other, kLvs},
    Ignored{"global_defs", "nftables_ipvs_start_fwmark", Side::Other, kLvs},
    Ignored{"global_defs", "vrrp_iptables", Side::Vrrp, kFirewall},
    Ignored{"global_defs", "vrrp_ipsets", Side::Vrrp, kFirewall},
    Ignored{"global_defs", "disable_local_igmp", Side::Vrrp, "IGMP reports are sent as the kernel decides"},
    Ignored{"global_defs", "vrrp_notify_priority_changes", Side::Vrrp, "notify scripts are not run on priority changes"},
    Ignored{"global_defs", "max_auto_priority", Side::Vrrp, "xvrrpd raises its scheduling priority only as vrrp_rt_priority says"},
    Ignored{"global_defs", "min_auto_priority_delay", Side::Vrrp, "xvrrpd raises its scheduling priority only as vrrp_rt_priority says"},
    Ignored{"global_defs", "checker_priority", Side::Other, kLvs},
    Ignored{"global_defs", "checker_no_swap", Side::Other, kLvs},
    Ignored{"global_defs", "checker_cpu_affinity", Side::Other, kLvs},
    Ignored{"global_defs", "checker_rt_priority", Side::Other, kLvs},
    Ignored{"global_defs", "checker_rlimit_rttime", Side::Other, kLvs},
    Ignored{"global_defs", "bfd_priority", Side::Other, kBfdProc},
    Ignored{"global_defs", "bfd_no_swap", Side::Other, kBfdProc},
    Ignored{"global_defs", "bfd_cpu_affinity", Side::Other, kBfdProc},
    Ignored{"global_defs", "bfd_rt_priority", Side::Other, kBfdProc},
    Ignored{"global_defs", "bfd_rlimit_rttime", Side::Other, kBfdProc},
    Ignored{"global_defs", "snmp_socket", Side::Vrrp, kNoSnmp},
    Ignored{"global_defs", "enable_snmp_vrrp", Side::Vrrp, kNoSnmp},
    Ignored{"global_defs", "enable_snmp_keepalived", Side::Vrrp, kNoSnmp},
    Ignored{"global_defs", "enable_snmp_checker", Side::Other, kLvs},
    Ignored{"global_defs", "enable_snmp_rfc", Side::Vrrp, kNoSnmp},
    Ignored{"global_defs", "enable_snmp_rfcv2", Side::Vrrp, kNoSnmp},
    Ignored{"global_defs", "enable_snmp_rfcv3", Side::Vrrp, kNoSnmp},
    Ignored{"global_defs", "enable_traps", Side::Vrrp, kNoSnmp},
    Ignored{"global_defs", "enable_dbus", Side::Vrrp, "xvrrpd has no D-Bus interface; xvrrpctl and --metrics show the states"},
    Ignored{"global_defs", "dbus_service_name", Side::Vrrp, "xvrrpd has no D-Bus interface"},
    Ignored{"global_defs", "lvs_notify_fifo", Side::Other, kLvs},
    Ignored{"global_defs", "lvs_notify_fifo_script", Side::Other, kLvs},
    Ignored{"global_defs", "fifo_write_vrrp_states_on_reload", Side::Vrrp, "a reload writes no states to the notify FIFO"},
    Ignored{"global_defs", "vrrp_netlink_cmd_rcv_bufs", Side::Other, kOwnSockets},
    Ignored{"global_defs", "vrrp_netlink_cmd_rcv_bufs_force", Side::Other, kOwnSockets},
    Ignored{"global_defs", "vrrp_netlink_monitor_rcv_bufs", Side::Other, kOwnSockets},
    Ignored{"global_defs", "vrrp_netlink_monitor_rcv_bufs_force", Side::Other, kOwnSockets},
    Ignored{"global_defs", "lvs_netlink_cmd_rcv_bufs", Side::Other, kLvs},
    Ignored{"global_defs", "lvs_netlink_cmd_rcv_bufs_force", Side::Other, kLvs},
    Ignored{"global_defs", "lvs_netlink_monitor_rcv_bufs", Side::Other, kLvs},
    Ignored{"global_defs", "lvs_netlink_monitor_rcv_bufs_force", Side::Other, kLvs},
    Ignored{"global_defs", "process_monitor_rcv_bufs", Side::Other, kOwnSockets},
    Ignored{"global_defs", "process_monitor_rcv_bufs_force", Side::Other, kOwnSockets},
    Ignored{"global_defs", "vrrp_rx_bufs_policy", Side::Other, "adverts are received through XDP and a ring buffer"},
    Ignored{"global_defs", "vrrp_rx_bufs_multiplier", Side::Other, "adverts are received through XDP and a ring buffer"},
    Ignored{"global_defs", "rs_init_notifies", Side::Other, kLvs},
    Ignored{"global_defs", "no_checker_emails", Side::Other, kLvs},
    Ignored{"global_defs", "umask", Side::Vrrp, "files are created with the umask xvrrpd starts with (xvrrpd -u MASK)"},
    Ignored{"global_defs", "log_unknown_vrids", Side::Vrrp, "adverts for unknown VRIDs are dropped in XDP and counted, not logged"},
    Ignored{"global_defs", "vmac_prefix", Side::Vrrp, "VMAC interfaces are named vrrp.VRID (vrrp6.VRID)"},
    Ignored{"global_defs", "vmac_addr_prefix", Side::Vrrp, "VMAC interfaces are named vrrp.VRID (vrrp6.VRID)"},
    Ignored{"global_defs", "random_seed", Side::Vrrp, "${_RANDOM} is seeded from the clock"},
    Ignored{"global_defs", "reload_check_config", Side::Vrrp, "a reload parses the new file and keeps running on errors"},
    Ignored{"global_defs", "reload_time_file", Side::Vrrp, "reload at a set time is not supported; send SIGHUP"},
    Ignored{"global_defs", "reload_repeat", Side::Vrrp, "reload at a set time is not supported; send SIGHUP"},
    Ignored{"global_defs", "reload_file", Side::Vrrp, "reload at a set time is not supported; send SIGHUP"},
    Ignored{"global_defs", "data_use_instance", Side::Vrrp, "the data file keeps its name"},
    // vrrp_instance.
    Ignored{"vrrp_instance", "vrf", Side::Vrrp, "adverts and VIPs stay in the interface's own VRF"},
    Ignored{"vrrp_instance", "use_vmac_addr", Side::Vrrp, "adverts leave from the VMAC interface's own address"},
    Ignored{"vrrp_instance", "use_ipvlan", Side::Vrrp, "no ipvlan interface is made: VIPs go on the instance's interface"},
    Ignored{"vrrp_instance", "mcast_dst_ip", Side::Vrrp, "adverts go to 224.0.0.18 (ff02::12) and only those are heard"},
    Ignored{"vrrp_instance", "track_src_ip", Side::Vrrp, "a change of the source address does not fault the instance"},
    Ignored{"vrrp_instance", "unicast_ttl", Side::Vrrp, "unicast adverts leave with TTL 255"},
    Ignored{"vrrp_instance", "garp_extra_if", Side::Vrrp, "no periodic gratuitous ARP/NA on other interfaces"},
    Ignored{"vrrp_instance", "down_timer_adverts", Side::Vrrp, "Master_Down_Interval stays 3 advert intervals"},
    Ignored{"vrrp_instance", "notify_priority_changes", Side::Vrrp, "notify scripts are not run on priority changes"},
    Ignored{"vrrp_instance", "kernel_rx_buf_size", Side::Other, "adverts are received through XDP and a ring buffer"},
    Ignored{"vrrp_instance", "linkbeat_use_polling", Side::Vrrp, "links are followed by netlink"},
    Ignored{"vrrp_instance", "lvs_sync_daemon_interface", Side::Deprecated,
            "keepalived says: Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global "
            "lvs_sync_daemon"},
    Ignored{"vrrp_instance", "smtp_alert", Side::Vrrp, kNoMail},
    // vrrp_sync_group.
    Ignored{"vrrp_sync_group", "notify_priority_changes", Side::Vrrp, "notify scripts are not run on priority changes"},
    Ignored{"vrrp_sync_group", "smtp_alert", Side::Vrrp, kNoMail},
};

}  // namespace

bool reportIgnored(std::string_view block, const Node& n, Diagnostics& diags) {
    for (const auto& e : kTable) {
        if (e.keyword != n.key.text || e.block != block) continue;
        std::string msg = "'" + n.key.text + "' is not acted on by xvrrpd: " + std::string(e.effect);
        if (e.side == Side::Vrrp) diags.advice(n.key.where, std::move(msg));
        else if (e.side == Side::Deprecated) diags.warning(n.key.where, std::move(msg));
        else diags.notice(n.key.where, std::move(msg));
        return true;
    }
    return false;
}

}  // namespace xvrrp::config
