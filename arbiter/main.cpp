// xvrrp-arbiter: split-brain detection and self-fencing beside xvrrpd (docs/arbiter.md).
#include <getopt.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "arbiter.hpp"
#include "control/server.hpp"
#include "metrics/http_server.hpp"

using namespace xvrrp::arbiter;
using nlohmann::json;

namespace {

void usage(std::FILE* to) {
    std::fprintf(to,
                 "usage: xvrrp-arbiter [-f FILE] [-t] [-D] [--metrics [ADDR:]PORT]\n"
                 "       xvrrp-arbiter [-f FILE] [-s SOCKET] status [--json]\n"
                 "  -f FILE    configuration (default %s)\n"
                 "  -t         check the configuration and exit (0 usable, 1 not)\n"
                 "  -D         debug logging (every round)\n"
                 "  --metrics [ADDR:]PORT  Prometheus /metrics there (over FILE's metrics)\n"
                 "  -s SOCKET  the arbiter's control socket (default: from FILE,\n"
                 "             else %s)\n"
                 "  -h, --help  this text;  -v, --version  the version\n"
                 "See xvrrp-arbiter(8) and xvrrp-arbiter.conf(5).\n",
                 std::string(kDefaultConfig).c_str(), std::string(kDefaultControlSocket).c_str());
}

std::string tri(const json& j, const char* key) { return j.value(key, std::string("?")); }

// The witness (issue 15): each member, our lease, and per instance owner and token.
void printWitness(const json& w) {
    if (!w.is_object()) return;
    const json& l = w.value("lease", json::object());
    std::cout << "witness etcd: lease " << l.value("id", int64_t{0}) << ", "
              << l.value("left_ms", int64_t{0}) << " ms left, claim "
              << l.value("claim_left_ms", int64_t{0}) << " ms left; last majority "
              << w.value("since_majority_ms", int64_t{-1}) << " ms ago\n";
    for (const auto& m : w.value("members", json::array()))
        std::cout << "  member " << m.value("endpoint", "?") << ": " << m.value("state", "?")
                  << "\n";
    for (const auto& [name, i] : w.value("instances", json::object()).items())
        std::cout << "  " << name << ": " << i.value("state", "?") << ", owner '"
                  << i.value("owner", "") << "', token " << i.value("token", int64_t{0}) << "\n";
    if (!w.value("last_error", std::string()).empty())
        std::cout << "  last error: " << w.value("last_error", "") << "\n";
}

void printStatus(const json& s) {
    std::cout << "node " << s.value("node", "?") << " (" << s.value("config", "?") << ")\n";
    const json& r = s["round"];
    if (r.is_null()) {
        std::cout << "no round finished yet\n";
    } else {
        const json& q = r["quorum"];
        std::cout << "round " << r.value("number", 0) << " started " << r.value("started", "?")
                  << ", took " << static_cast<int>(r.value("duration_ms", 0.0)) << " ms\n"
                  << "  gateways: " << q.value("reachable", 0) << "/" << q.value("total", 0)
                  << " answered, " << q.value("needed", 0) << " needed -> quorum "
                  << (q.value("ok", false) ? "yes" : "NO") << "\n";
        const json& x = r["xvrrpd"];
        std::cout << "  xvrrpd: " << (x.is_string() ? x.get<std::string>() : x.dump()) << "\n";
        for (const auto& p : r["peers"])
            std::cout << "  peer " << p.value("name", "?") << " " << p.value("address", "?")
                      << ": ping " << tri(p, "pings") << ", ssh " << tri(p, "ssh")
                      << (p.contains("unknown_reason") ? " (" + p.value("unknown_reason", "") + ")"
                                                       : "")
                      << "\n";
    }
    printWitness(s.value("witness", json()));
    for (const auto& i : s["instances"]) {
        std::cout << "instance " << i.value("name", "?") << ": "
                  << (i.value("fenced_by_us", false) ? "FENCED by the arbiter"
                                                     : "not fenced by the arbiter");
        if (i.contains("decision")) {
            const json& d = i["decision"];
            std::cout << "; last " << d.value("action", "?") << " [" << d.value("rule", "?") << "] "
                      << d.value("reason", "");
        }
        std::cout << "\n";
    }
}

int statusCommand(const std::string& socket, bool as_json) {
    try {
        json s = xvrrp::control::request(socket, {{"cmd", "status"}});
        if (!s.value("ok", false)) {
            std::cerr << "xvrrp-arbiter status: " << s.value("error", s.dump()) << "\n";
            return 1;
        }
        s.erase("ok");
        if (as_json)
            std::cout << s.dump(2) << "\n";
        else
            printStatus(s);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "xvrrp-arbiter status: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string path(kDefaultConfig), socket, metrics_listen;
    bool check = false, debug = false;
    static const option longopts[] = {{"help", no_argument, nullptr, 'h'},
                                      {"version", no_argument, nullptr, 'v'},
                                      {"metrics", required_argument, nullptr, 'm'},
                                      {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = ::getopt_long(argc, argv, "+f:s:tDhv", longopts, nullptr)) != -1) {
        switch (c) {
            case 'f':
                path = optarg;
                break;
            case 's':
                socket = optarg;
                break;
            case 't':
                check = true;
                break;
            case 'D':
                debug = true;
                break;
            case 'm':
                try {
                    xvrrp::metrics::parseListen(optarg);
                } catch (const std::invalid_argument& e) {
                    std::fprintf(stderr, "xvrrp-arbiter: --metrics %s\n", e.what());
                    return 2;
                }
                metrics_listen = optarg;
                break;
            case 'h':
                usage(stdout);
                return 0;
            case 'v':
                std::puts("xvrrp-arbiter " XVRRP_VERSION);
                return 0;
            default:
                usage(stderr);
                return 2;
        }
    }
    if (check) return checkArbiterConfig(path, std::cout);
    if (optind < argc) {
        std::string cmd = argv[optind];
        bool as_json = optind + 1 < argc && std::string(argv[optind + 1]) == "--json";
        if (cmd != "status") {
            usage(stderr);
            return 2;
        }
        if (socket.empty()) {
            ArbiterLoad r = loadArbiterFile(path);
            socket = r.ok() ? r.config.control_socket : std::string(kDefaultControlSocket);
        }
        return statusCommand(socket, as_json);
    }
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %v");
    if (debug) spdlog::set_level(spdlog::level::debug);
    ArbiterLoad r = loadArbiterFile(path);
    for (const auto& d : r.diagnostics) std::cerr << d.str() << "\n";
    if (!r.ok()) {
        std::cerr << "xvrrp-arbiter: " << path << " is not usable; nothing was changed\n";
        return 1;
    }
    try {
        std::string pin_root = r.config.pin_root;
        Arbiter arbiter(std::move(r.config), path, makeMapFencer(pin_root));
        if (!metrics_listen.empty()) arbiter.overrideMetrics(metrics_listen);
        return arbiter.run();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
}
