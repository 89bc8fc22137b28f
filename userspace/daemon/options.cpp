#include "daemon/options.hpp"

#include <getopt.h>

#include <charconv>
#include <string_view>

#include "daemon/signum.hpp"
#include "metrics/http_server.hpp"

namespace xvrrp::daemon {
namespace {

constexpr const char* kUsage =
    "usage: xvrrpd [-f FILE] [-n] [-l] [-D] [-t] [-p PIDFILE] [--pin-root DIR] [--control PATH]\n"
    "  -f, --use-file FILE     keepalived.conf to read (default /etc/keepalived/keepalived.conf)\n"
    "  -P, --vrrp              VRRP only (always the case; accepted for keepalived unit files)\n"
    "  -n, --dont-fork         stay in the foreground\n"
    "  -l, --log-console       log to the console as well\n"
    "  -D, --log-detail        detailed logging\n"
    "  -G, --no-syslog         do not log to syslog\n"
    "  -S, --log-facility N    syslog facility LOCAL0..LOCAL7\n"
    "  -t, --config-test       check the configuration and exit (0 when usable)\n"
    "  -p, --pid FILE          pid file (default /run/xvrrpd.pid)\n"
    "  -r, --vrrp_pid FILE     VRRP child pid file (written with the same pid)\n"
    "      --pin-root DIR      bpffs directory for pinned maps (default /sys/fs/bpf/xvrrp)\n"
    "      --control PATH      control socket (default /run/xvrrp/xvrrpd.sock)\n"
    "      --force-xdp         replace a foreign XDP program on a VRRP interface\n"
    "      --signum NAME       print the signal for STOP, RELOAD, DATA, STATS, STATS_CLEAR\n"
    "                          or JSON (keepalived's numbers) and exit\n"
    "      --metrics [ADDR:]PORT\n"
    "                          serve Prometheus metrics on http://ADDR:PORT/metrics (off by\n"
    "                          default; no ADDR: every address)\n"
    "      --shared-interface IFNAME\n"
    "                          another VRRP speaker uses IFNAME: pass VRIDs not configured\n"
    "                          here to the stack instead of dropping them (repeatable)\n"
    "  -v, --version           print the version\n"
    "  -h, --help              this text\n";

enum LongOnly { kPinRoot = 1000, kControl, kForceXdp, kSharedInterface, kMetrics, kSignum };

}  // namespace

ParsedOptions parseOptions(int argc, char** argv) {
    static option longopts[] = {
        {"use-file", required_argument, nullptr, 'f'},
        {"vrrp", no_argument, nullptr, 'P'},
        {"check", no_argument, nullptr, 'C'},
        {"dont-fork", no_argument, nullptr, 'n'},
        {"log-console", no_argument, nullptr, 'l'},
        {"log-detail", no_argument, nullptr, 'D'},
        {"no-syslog", no_argument, nullptr, 'G'},
        {"log-facility", required_argument, nullptr, 'S'},
        {"config-test", optional_argument, nullptr, 't'},
        {"pid", required_argument, nullptr, 'p'},
        {"vrrp_pid", required_argument, nullptr, 'r'},
        {"checkers_pid", required_argument, nullptr, 'c'},
        {"config-id", required_argument, nullptr, 'i'},
        {"dump-conf", no_argument, nullptr, 'd'},
        {"pin-root", required_argument, nullptr, kPinRoot},
        {"control", required_argument, nullptr, kControl},
        {"force-xdp", no_argument, nullptr, kForceXdp},
        {"shared-interface", required_argument, nullptr, kSharedInterface},
        {"metrics", required_argument, nullptr, kMetrics},
        {"signum", required_argument, nullptr, kSignum},
        {"version", no_argument, nullptr, 'v'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0}};
    Options o;
    ParsedOptions r;
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":f:PCnlDGS:t::p:r:c:i:dvh", longopts, nullptr)) != -1) {
        switch (opt) {
            case 'f': o.config_file = optarg; break;
            case 'P': break;
            case 'C':
                r.exit_code = 2;
                r.message = "xvrrpd: -C/--check runs keepalived's LVS checker, which xvrrp does not have\n";
                return r;
            case 'n': o.foreground = true; break;
            case 'l': o.log_console = true; break;
            case 'D': o.log_detail = true; break;
            case 'G': o.no_syslog = true; break;
            case 'S': {
                std::string_view s(optarg);
                int v = -1;
                auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
                if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > 7) {
                    r.exit_code = 2;
                    r.message = "xvrrpd: -S/--log-facility expects 0..7, got '" + std::string(s) + "'\n";
                    return r;
                }
                o.log_facility = v;
                break;
            }
            case 't':
                o.config_test = true;
                if (optarg) o.config_file = optarg;
                break;
            case 'p': o.pid_file = optarg; break;
            case 'r': o.vrrp_pid_file = optarg; break;
            case 'c':
            case 'i':
            case 'd':
                o.notices.push_back(std::string("option -") + static_cast<char>(opt) +
                                    " has no meaning for xvrrpd and is ignored");
                break;
            case kPinRoot: o.pin_root = optarg; break;
            case kControl: o.control = optarg; break;
            case kForceXdp: o.force_xdp = true; break;
            case kSharedInterface: {
                std::string_view name(optarg);
                // IFNAMSIZ is 16 with the NUL; '/' and whitespace never occur in names.
                if (name.empty() || name.size() > 15 ||
                    name.find_first_of("/ \t\n") != std::string_view::npos) {
                    r.exit_code = 2;
                    r.message = std::string("xvrrpd: --shared-interface '") + optarg +
                                "' is not an interface name (1-15 characters, no '/' or spaces)\n";
                    return r;
                }
                o.shared_interfaces.emplace_back(name);
                break;
            }
            case kSignum:
                // keepalived --signum=NAME: the number on stdout, exit 0; else its message, 1.
                if (auto n = keepalivedSignum(optarg)) {
                    r.message = std::to_string(*n) + "\n";
                } else {
                    r.exit_code = 1;
                    r.message = std::string("Unknown sigfunc ") + optarg + "\n";
                }
                return r;
            case kMetrics:
                try {
                    metrics::parseListen(optarg);
                } catch (const std::invalid_argument& e) {
                    r.exit_code = 2;
                    r.message = std::string("xvrrpd: --metrics ") + e.what() + "\n";
                    return r;
                }
                o.metrics_listen = optarg;
                break;
            case 'v':
                r.message = "xvrrpd 0.1.0 (keepalived.conf compatible VRRP, XDP receive path)\n";
                return r;
            case 'h':
                r.message = kUsage;
                return r;
            case ':':
                r.exit_code = 2;
                r.message = std::string("xvrrpd: option ") + argv[optind - 1] +
                            " needs an argument\n" + kUsage;
                return r;
            default:
                r.exit_code = 2;
                r.message = std::string("xvrrpd: unknown option ") + argv[optind - 1] + "\n" + kUsage;
                return r;
        }
    }
    if (optind < argc) {
        r.exit_code = 2;
        r.message = std::string("xvrrpd: unexpected argument '") + argv[optind] + "'\n" + kUsage;
        return r;
    }
    for (auto* path : {&o.pin_root, &o.control})
        if (path->empty() || (*path)[0] != '/') {
            r.exit_code = 2;
            r.message = "xvrrpd: --pin-root and --control take absolute paths\n";
            return r;
        }
    r.options = std::move(o);
    return r;
}

}  // namespace xvrrp::daemon
