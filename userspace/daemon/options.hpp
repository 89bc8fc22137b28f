#pragma once
// xvrrpd command line: keepalived's flags where they mean something for VRRP, plus ours.

#include <optional>
#include <string>
#include <vector>

namespace xvrrp::daemon {

struct Options {
    std::string config_file = "/etc/keepalived/keepalived.conf";
    bool foreground = false;      // -n, --dont-fork
    bool log_console = false;     // -l, --log-console
    bool log_detail = false;      // -D, --log-detail
    bool config_test = false;     // -t, --config-test
    bool no_syslog = false;       // -G, --no-syslog
    int log_facility = 0;         // -S, --log-facility 0..7 (LOG_LOCALn)
    std::string pid_file = "/run/xvrrpd.pid";  // -p, --pid (keepalived's main pid file)
    std::string vrrp_pid_file;    // -r, --vrrp_pid (accepted; written too when given)
    std::string pin_root = "/sys/fs/bpf/xvrrp";
    std::string control = "/run/xvrrp/xvrrpd.sock";
    bool force_xdp = false;       // replace a foreign XDP program
    // --shared-interface IFNAME: another VRRP speaker uses it; VRIDs we do not run there go
    // to the stack instead of being dropped (drop_vrid) by XDP.
    std::vector<std::string> shared_interfaces;
    std::vector<std::string> notices;  // keepalived flags accepted but meaningless here
    std::string metrics_listen;   // --metrics [ADDR:]PORT: Prometheus /metrics; empty: off
};

struct ParsedOptions {
    std::optional<Options> options;  // empty when the process should exit
    int exit_code = 0;               // for help/version (0) or errors (2)
    std::string message;             // what to print (usage, version or the error)
};

ParsedOptions parseOptions(int argc, char** argv);

}  // namespace xvrrp::daemon
