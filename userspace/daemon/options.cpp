#include "daemon/options.hpp"

#include <getopt.h>
#include <signal.h>
#include <syslog.h>

#include <charconv>
#include <optional>
#include <string_view>

#include "daemon/signum.hpp"
#include "net/rule.hpp"
#include "track/command.hpp"
#include "metrics/http_server.hpp"

namespace xvrrp::daemon {
namespace {

constexpr const char* kUsage =
    "usage: xvrrpd [OPTION]...   VRRP daemon for keepalived.conf, XDP receive path\n"
    "  -f, --use-file=FILE     configuration file (/etc/keepalived/keepalived.conf)\n"
    "  -t, --config-test[=LOG] check the configuration, report to LOG or stderr, exit\n"
    "  -n, --dont-fork         stay in the foreground\n"
    "  -l, --log-console       log to the console too\n"
    "  -D, --log-detail        detailed log messages\n"
    "  -S, --log-facility=F    syslog facility: daemon (default), user, local0-7, 0-7\n"
    "  -G, --no-syslog         do not log via syslog\n"
    "  -g, --log-file[=FILE]   also log to FILE (default /tmp/keepalived.log)\n"
    "      --syslog-ident=NAME syslog ident (default Keepalived_vrrp, keepalived's)\n"
    "  -p, --pid=FILE          pid file (default /run/xvrrpd.pid)\n"
    "  -r, --vrrp_pid=FILE     VRRP pid file (written with the same pid)\n"
    "  -u, --umask=MASK        umask for the files it creates\n"
    "  -V, --dont-release-vrrp keep VIPs and virtual routes at stop\n"
    "  -a, --address-monitoring  log every address change netlink reports\n"
    "  -s, --namespace=NAME    run in network namespace NAME (/run/netns/NAME)\n"
    "  -m, --core-dump         allow core dumps\n"
    "  -M, --core-dump-pattern[=P]  also set kernel.core_pattern\n"
    "  -e, --all-config        every include problem is an error\n"
    "  -i, --config-id=ID      read the @ID lines (default: node name up to '.')\n"
    "  -d, --dump-conf         with -t: print the configuration after expansion\n"
    "      --pin-root=DIR      bpffs directory of the maps (/sys/fs/bpf/xvrrp)\n"
    "      --control=PATH      control socket (default /run/xvrrp/xvrrpd.sock)\n"
    "      --force-xdp         replace a foreign XDP program on a VRRP interface\n"
    "      --cleanup           remove what a stopped or crashed xvrrpd left (XDP, TC,\n"
    "                          pins, VIPs, pid file, socket) and exit: see README\n"
    "      --shared-interface=IFNAME  another VRRP speaker runs there (repeatable)\n"
    "      --handover=FILE     take over from the process that exec'd this one\n"
    "                          (set by xvrrpctl restart; not for use by hand)\n"
    "      --signum=FUNC       signal of STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON\n"
    "      --metrics=[ADDR:]PORT  Prometheus /metrics there (off by default)\n"
    "  -v, --version           print the version;  -h, --help  this text\n"
    "Every other option of keepalived 2.2.7 is known (-P -B -C -R -I -X -x -A -c -b\n"
    "--all --flush-log-file): what it does here is in the manual, xvrrpd(8).\n";

enum LongOnly {
    kPinRoot = 1000,
    kControl,
    kForceXdp,
    kSharedInterface,
    kAll,
    kFlushLogFile,
    kSyslogIdent,
    kSignum,
    kHandover,
    kMetrics,
    kCleanup,
};

// Accepted for keepalived's sake, with what it means (or not) here.
const char* notice(int opt) {
    switch (opt) {
        case 'P': return nullptr;  // VRRP only: always the case, nothing to say
        case 'B': return "-B/--no_bfd: no BFD session runs; every track_bfd stays down";
        case kAll: return nullptr;  // keepalived's child processes: xvrrpd is one process
        case 'R': return nullptr;   // no child processes to respawn
        case 'I': return "-I/--dont-release-ipvs: xvrrpd has no IPVS; ignored";
        case 'X': return "-X/--release-vips: ignored (keepalived releases VIPs on its "
                         "signal transitions; xvrrpd has none of those)";
        case 'x': return "-x/--snmp: SNMP is not supported; ignored";
        case 'A': return "-A/--snmp-agent-socket: SNMP is not supported; ignored";
        case 'c': return "-c/--checkers_pid: xvrrpd runs no checker process; ignored";
        case 'b': return "-b/--bfd_pid: xvrrpd runs no BFD process; ignored";
        case kFlushLogFile: return nullptr;  // every line is flushed anyway
    }
    return nullptr;
}

ParsedOptions fail(std::string message) {
    ParsedOptions r;
    r.exit_code = 2;
    r.message = "xvrrpd: " + std::move(message) + "\n";
    return r;
}

}  // namespace

config::LoadOptions configLoadOptions(const Options& o) {
    config::LoadOptions l;
    l.config_id = o.config_id;
    l.all_include_checks = o.all_config;
    // Checked as keepalived checks them before it starts.
    l.find_interface = config::systemInterface;
    l.check_script = track::judgeScript;
    l.check_rule = [](const std::vector<std::string>& words) {
        config::RuleVerdict v;
        try {
            const net::RuleSpec s = net::parseRule(words);
            v.v6 = s.family == Family::V6;
            v.has_preference = s.priority.has_value();
        } catch (const net::RuleError& e) {
            v.error = e.what();
            v.word = e.word();
        }
        return v;
    };
    return l;
}

std::optional<int> parseFacility(const std::string& text) {
    std::string_view s(text);
    if (s == "daemon") return LOG_DAEMON;
    if (s == "user") return LOG_USER;
    if (s.size() == 6 && s.substr(0, 5) == "local") s.remove_prefix(5);
    if (s.size() == 1 && s[0] >= '0' && s[0] <= '7') return LOG_LOCAL0 + ((s[0] - '0') << 3);
    return std::nullopt;
}

ParsedOptions parseOptions(int argc, char** argv) {
    static option longopts[] = {
        {"use-file", required_argument, nullptr, 'f'},
        {"vrrp", no_argument, nullptr, 'P'},
        {"check", no_argument, nullptr, 'C'},
        {"no_bfd", no_argument, nullptr, 'B'},
        {"all", no_argument, nullptr, kAll},
        {"log-console", no_argument, nullptr, 'l'},
        {"log-detail", no_argument, nullptr, 'D'},
        {"log-facility", required_argument, nullptr, 'S'},
        {"log-file", optional_argument, nullptr, 'g'},
        {"flush-log-file", no_argument, nullptr, kFlushLogFile},
        {"no-syslog", no_argument, nullptr, 'G'},
        {"syslog-ident", required_argument, nullptr, kSyslogIdent},
        {"umask", required_argument, nullptr, 'u'},
        {"release-vips", no_argument, nullptr, 'X'},
        {"dont-release-vrrp", no_argument, nullptr, 'V'},
        {"dont-release-ipvs", no_argument, nullptr, 'I'},
        {"dont-respawn", no_argument, nullptr, 'R'},
        {"dont-fork", no_argument, nullptr, 'n'},
        {"dump-conf", no_argument, nullptr, 'd'},
        {"pid", required_argument, nullptr, 'p'},
        {"vrrp_pid", required_argument, nullptr, 'r'},
        {"genhash", no_argument, nullptr, 'T'},
        {"checkers_pid", required_argument, nullptr, 'c'},
        {"address-monitoring", no_argument, nullptr, 'a'},
        {"bfd_pid", required_argument, nullptr, 'b'},
        {"snmp", no_argument, nullptr, 'x'},
        {"snmp-agent-socket", required_argument, nullptr, 'A'},
        {"namespace", required_argument, nullptr, 's'},
        {"core-dump", no_argument, nullptr, 'm'},
        {"core-dump-pattern", optional_argument, nullptr, 'M'},
        {"all-config", no_argument, nullptr, 'e'},
        {"config-id", required_argument, nullptr, 'i'},
        {"config-test", optional_argument, nullptr, 't'},
        {"signum", required_argument, nullptr, kSignum},
        {"pin-root", required_argument, nullptr, kPinRoot},
        {"control", required_argument, nullptr, kControl},
        {"force-xdp", no_argument, nullptr, kForceXdp},
        {"cleanup", no_argument, nullptr, kCleanup},
        {"shared-interface", required_argument, nullptr, kSharedInterface},
        {"handover", required_argument, nullptr, kHandover},
        {"metrics", required_argument, nullptr, kMetrics},
        {"version", no_argument, nullptr, 'v'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0}};
    Options o;
    o.argv.assign(argv, argv + argc);
    ParsedOptions r;
    optind = 0;  // 0, not 1: glibc then also forgets a half-read option cluster
    opterr = 0;
    int opt;
    const char* shortopts = ":f:PCBlDS:g::GXVIRndu:p:r:Tc:ab:xA:s:mM::ei:t::vh";
    while ((opt = getopt_long(argc, argv, shortopts, longopts, nullptr)) != -1) {
        switch (opt) {
            case 'f': o.config_file = optarg; break;
            case 'C':
                return fail("-C/--check runs keepalived's LVS checker only, which xvrrp does "
                            "not have; run keepalived for it");
            case 'T':
                return fail("-T/--genhash is keepalived's genhash utility, not part of xvrrp");
            case 'n': o.foreground = true; break;
            case 'l': o.log_console = true; break;
            case 'D': o.log_detail = true; break;
            case 'G': o.no_syslog = true; break;
            case 'S': {
                auto f = parseFacility(optarg);
                if (!f)
                    return fail(std::string("-S/--log-facility expects 0-7, local0-local7, user "
                                            "or daemon, got '") + optarg + "'");
                o.syslog_facility = *f;
                break;
            }
            case 'g': o.log_file = optarg ? optarg : "/tmp/keepalived.log"; break;
            case kSyslogIdent:
                if (!*optarg) return fail("--syslog-ident needs a name");
                o.syslog_ident = optarg;
                break;
            case 'u': {
                std::string_view s(optarg);
                unsigned v = 0;
                // Numeric as keepalived takes it: octal with a leading 0, else decimal.
                const int base = s.size() > 1 && s[0] == '0' ? 8 : 10;
                auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
                if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > 0777)
                    return fail(std::string("-u/--umask expects a number 0..0777, got '") +
                                optarg + "'");
                o.umask = static_cast<mode_t>(v);
                break;
            }
            case 'V': o.dont_release_vrrp = true; break;
            case 'a': o.address_monitoring = true; break;
            case 's': {
                std::string_view name(optarg);
                if (name.empty() || name.size() > 255 || name.find('/') != std::string_view::npos ||
                    name == "." || name == "..")
                    return fail(std::string("-s/--namespace '") + optarg +
                                "' is not a network namespace name");
                o.net_namespace = optarg;
                break;
            }
            case 'm': o.core_dump = true; break;
            case 'M':
                o.core_dump = true;
                o.core_pattern = optarg ? optarg : "core";
                break;
            case 'e': o.all_config = true; break;
            case 'i':
                if (!*optarg) return fail("-i/--config-id needs an id");
                o.config_id = optarg;
                break;
            case 'd': o.dump_conf = true; break;
            case 't':
                o.config_test = true;
                if (optarg) o.config_test_log = optarg;
                break;
            case 'p': o.pid_file = optarg; break;
            case 'r': o.vrrp_pid_file = optarg; break;
            case 'B':
                o.no_bfd = true;
                if (const char* n = notice(opt)) o.notices.emplace_back(n);
                break;
            case 'P':
            case kAll:
            case 'R':
            case 'I':
            case 'X':
            case 'x':
            case 'A':
            case 'c':
            case 'b':
            case kFlushLogFile:
                if (opt == kFlushLogFile) o.flush_log_file = true;
                if (const char* n = notice(opt)) o.notices.emplace_back(n);
                break;
            case kPinRoot: o.pin_root = optarg; break;
            case kControl: o.control = optarg; break;
            case kForceXdp: o.force_xdp = true; break;
            case kHandover:
                if (!*optarg) return fail("--handover needs the record's path");
                o.handover = optarg;
                break;
            case kCleanup: o.cleanup = true; break;
            case kSharedInterface: {
                std::string_view name(optarg);
                // IFNAMSIZ is 16 with the NUL; '/' and whitespace never occur in names.
                if (name.empty() || name.size() > 15 ||
                    name.find_first_of("/ \t\n") != std::string_view::npos)
                    return fail(std::string("--shared-interface '") + optarg +
                                "' is not an interface name (1-15 characters, no '/' or spaces)");
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
                r.message = "xvrrpd " XVRRP_VERSION
                            " (keepalived.conf compatible VRRP, XDP receive path)\n";
                return r;
            case 'h':
                r.message = kUsage;
                return r;
            case ':':
                return fail(std::string("option ") + argv[optind - 1] + " needs an argument (" +
                            "xvrrpd --help)");
            default:
                return fail(std::string("unknown option ") + argv[optind - 1] +
                            " (xvrrpd --help)");
        }
    }
    if (optind < argc)
        return fail(std::string("unexpected argument '") + argv[optind] + "' (xvrrpd --help)");
    if (o.dump_conf && !o.config_test)
        o.notices.emplace_back("-d/--dump-conf: only with -t (prints the configuration after expansion)");
    for (auto* path : {&o.pin_root, &o.control})
        if (path->empty() || (*path)[0] != '/')
            return fail("--pin-root and --control take absolute paths");
    if (o.cleanup && o.config_test) return fail("--cleanup and -t/--config-test exclude each other");
    if (o.cleanup && !o.handover.empty()) return fail("--cleanup and --handover exclude each other");
    r.options = std::move(o);
    return r;
}

}  // namespace xvrrp::daemon
