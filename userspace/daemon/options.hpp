#pragma once
// xvrrpd command line: every option of keepalived 2.2.7 (so DAEMON_ARGS files and unit
// files carry over), each with its meaning where it has one for the VRRP daemon and a
// one-line notice where it cannot apply, plus our own long options.

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "config/parser.hpp"

namespace xvrrp::daemon {

struct Options {
    std::string config_file = "/etc/keepalived/keepalived.conf";
    bool foreground = false;      // -n, --dont-fork
    bool log_console = false;     // -l, --log-console
    bool log_detail = false;      // -D, --log-detail
    bool config_test = false;     // -t, --config-test[=LOG_FILE]
    std::string config_test_log;  // where -t writes its report (stderr when empty)
    bool no_syslog = false;       // -G, --no-syslog
    int syslog_facility = 3 << 3;  // -S: LOG_DAEMON by default, as keepalived
    std::string syslog_ident = "Keepalived_vrrp";  // keepalived's VRRP child; --syslog-ident
    std::string log_file;         // -g, --log-file[=FILE]: also log to FILE
    bool flush_log_file = false;  // --flush-log-file
    std::optional<mode_t> umask;  // -u, --umask
    bool dont_release_vrrp = false;  // -V: VIPs and virtual routes stay at stop
    bool no_bfd = false;  // -B: no BFD session runs, every track_bfd stays down (keepalived)
    bool address_monitoring = false;  // -a: log every address change netlink reports
    std::string net_namespace;    // -s, --namespace: run in /run/netns/NAME
    bool core_dump = false;       // -m: unlimited core size
    std::string core_pattern;     // -M[PATTERN]: also set kernel.core_pattern
    bool all_config = false;      // -e: every include check (a missing include file is an error)
    std::string config_id;        // -i: which @id lines are read (default: short node name)
    bool dump_conf = false;       // -d: with -t, print the configuration after expansion
    std::string pid_file = "/run/xvrrpd.pid";  // -p, --pid (keepalived's main pid file)
    std::string vrrp_pid_file;    // -r, --vrrp_pid (accepted; written too when given)
    std::string pin_root = "/sys/fs/bpf/xvrrp";
    std::string control = "/run/xvrrp/xvrrpd.sock";
    bool force_xdp = false;       // replace a foreign XDP program
    bool cleanup = false;         // --cleanup: remove what a stopped xvrrpd left, exit
    // --shared-interface IFNAME: another VRRP speaker uses it; VRIDs we do not run there go
    // to the stack instead of being dropped (drop_vrid) by XDP.
    std::vector<std::string> shared_interfaces;
    // Warnings logged once logging is set up: keepalived flags accepted but meaningless
    // here, malloc settings that did not take.
    std::vector<std::string> notices;
    // --handover FILE: the record of the process that exec'd this one (xvrrpctl restart).
    std::string handover;
    std::vector<std::string> argv;  // as started, for the exec of a restart
    std::string metrics_listen;   // --metrics [ADDR:]PORT: Prometheus /metrics; empty: off
};

struct ParsedOptions {
    std::optional<Options> options;  // empty when the process should exit
    int exit_code = 0;               // for help/version (0) or errors (2)
    std::string message;             // what to print (usage, version or the error)
};

ParsedOptions parseOptions(int argc, char** argv);

// What the options say about reading keepalived.conf (-i, -e), for start, -t and reload.
config::LoadOptions configLoadOptions(const Options& o);

// -S/--log-facility as keepalived reads it: 0..7 (LOG_LOCALn), local0..local7, user, daemon.
std::optional<int> parseFacility(const std::string& text);

}  // namespace xvrrp::daemon
