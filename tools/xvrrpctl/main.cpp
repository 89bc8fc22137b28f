// xvrrpctl: talks to xvrrpd over its control socket.
#include <getopt.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "control/protocol.hpp"
#include "control/server.hpp"
#include "dataplane/inspect.hpp"

namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: xvrrpctl [--control PATH] COMMAND [ARGS]\n"
    "commands:\n"
    "  status [--json]     instances, states, priorities, masters, VIPs, counters\n"
    "  reload              re-read the configuration (as SIGHUP), show what changed\n"
    "  restart [--timeout S]  replace xvrrpd by its binary on disk without a failover\n"
    "  fence INSTANCE|--all  drop the VIPs' traffic in the kernel and go to FAULT\n"
    "  unfence [INSTANCE]  lift the operator's and the arbiter's fence (none: all)\n"
    "  check-fences        make xvrrpd re-read xv_fence now (after a bpftool write)\n"
    "  bpf [--json]        the pinned BPF maps, decoded (like bpftool map dump)\n"
    "options:\n"
    "  -c, --control PATH  control socket (default /run/xvrrp/xvrrpd.sock)\n"
    "  -b, --pin-root DIR  xvrrpd's pinned maps, for bpf (default /sys/fs/bpf/xvrrp)\n"
    "  -h, --help          this text;  -v, --version  the version\n"
    "See xvrrpctl(8).\n";

std::string ageText(const json& inst) {
    const auto& la = inst.value("last_advert", json());
    if (la.is_null()) return "never";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f ms ago", la.value("age_ms", 0.0));
    return buf;
}

void printStatus(const json& s) {
    const auto& d = s.value("daemon", json::object());
    std::printf("xvrrpd pid %d, up %.1f s, config %s\n", d.value("pid", 0), d.value("uptime_s", 0.0),
                d.value("config", std::string("?")).c_str());
    for (const auto& i : s.value("instances", json::array())) {
        const auto& prio = i.value("priority", json::object());
        std::printf("\n%s  %s  vrid %d  %s  v%d  %s\n", i.value("name", "").c_str(),
                    i.value("interface", "").c_str(), i.value("vrid", 0),
                    i.value("family", "").c_str(), i.value("version", 0),
                    i.value("state", "").c_str());
        std::printf("  priority        %d configured, %d effective\n", prio.value("configured", 0),
                    prio.value("effective", 0));
        std::printf("  advert_int      %.2f s (master's %.2f s)\n", i.value("advert_int_ms", 0.0) / 1000,
                    i.value("master_advert_int_ms", 0.0) / 1000);
        const auto& m = i.value("master", json());
        if (m.is_object())
            std::printf("  master          %s priority %d\n", m.value("address", "").c_str(),
                        m.value("priority", 0));
        else
            std::printf("  master          unknown\n");
        std::string vips;
        for (const auto& v : i.value("vips", json::array()))
            vips += (vips.empty() ? "" : " ") + v.get<std::string>();
        std::printf("  vips            %s\n", vips.empty() ? "-" : vips.c_str());
        std::printf("  last advert     %s\n", ageText(i).c_str());
        if (!i.value("fault_reason", std::string()).empty())
            std::printf("  fault           %s\n", i["fault_reason"].get<std::string>().c_str());
        std::string counters;
        const json c = i.value("counters", json::object());  // items() needs a live object
        for (const auto& [k, v] : c.items())
            counters += (counters.empty() ? "" : ", ") + k + " " + v.dump();
        std::printf("  counters        %s\n", counters.c_str());
    }
    for (const auto& b : s.value("bfd", json::array())) {
        std::printf("\nBFD %s  to %s  %s (remote %s)\n", b.value("name", "").c_str(),
                    b.value("neighbor", "").c_str(), b.value("state", "").c_str(),
                    b.value("remote_state", "").c_str());
        std::printf("  diag            %s (remote: %s)\n", b.value("diag", "").c_str(),
                    b.value("remote_diag", "").c_str());
        std::printf("  intervals       tx %.1f ms, detection %.1f ms\n", b.value("tx_interval_ms", 0.0),
                    b.value("detect_time_ms", 0.0));
        std::string counters;
        const json c = b.value("counters", json::object());
        for (const auto& [k, v] : c.items())
            counters += (counters.empty() ? "" : ", ") + k + " " + v.dump();
        std::printf("  counters        %s\n", counters.c_str());
    }
}

double seconds(const char* text) {
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    return end && *end == '\0' && v > 0 && v <= 3600 ? v : -1;
}

// The new process answers with the attempt it was exec'd for, or says the restart failed.
std::optional<json> restartOutcome(const std::string& control, uint64_t attempt,
                                   double since_s) {
    json resp;
    try {
        resp = xvrrp::control::request(control, {{"cmd", "status"}}, 1000);
    } catch (const std::exception&) {
        return std::nullopt;  // between the exec and the new socket
    }
    const json d = resp.value("daemon", json::object());
    const json r = d.value("restart", json());
    if (!r.is_object()) return std::nullopt;
    const std::string state = r.value("result", "");
    const bool ours = r.value("attempt", json()) == json(attempt);
    // A process started after the request is the new one, even if it lost the attempt (an
    // unusable record).
    const bool fresh = d.value("uptime_s", 1e9) < since_s;
    if ((ours || fresh) && (state == "done" || state == "failed")) return d;
    return std::nullopt;
}

int restart(const std::string& control, int argc, char** argv) {
    double timeout = 30;
    for (; optind < argc; ++optind) {
        std::string a = argv[optind];
        if ((a == "--timeout" || a == "-t") && optind + 1 < argc && seconds(argv[optind + 1]) > 0) {
            timeout = seconds(argv[++optind]);
        } else {
            std::fprintf(stderr, "xvrrpctl restart: unexpected argument '%s' (--timeout S, "
                                 "0 < S <= 3600)\n", a.c_str());
            return 2;
        }
    }
    const auto t0 = std::chrono::steady_clock::now();
    json resp = xvrrp::control::request(control, {{"cmd", "restart"}});
    if (!resp.value("ok", false)) {
        std::fprintf(stderr, "xvrrpctl: %s\n", resp.value("error", "error").c_str());
        return 1;
    }
    const auto attempt = resp.value("attempt", uint64_t{0});
    std::printf("restarting xvrrpd pid %d with %s\n", resp.value("pid", 0),
                resp.value("binary", std::string("?")).c_str());
    std::fflush(stdout);
    const auto deadline = t0 + std::chrono::duration<double>(timeout);
    while (std::chrono::steady_clock::now() < deadline) {
        const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (auto d = restartOutcome(control, attempt, since)) {
            const json r = (*d)["restart"];
            if (r.value("result", "") == "failed") {
                std::fprintf(stderr, "xvrrpctl: restart failed: %s\n",
                             r.value("error", std::string("?")).c_str());
                return 1;
            }
            std::printf("restarted: xvrrpd %s (was %s), %d instance(s) taken over\n",
                        d->value("version", std::string("?")).c_str(),
                        r.value("previous_version", std::string("?")).c_str(),
                        r.value("adopted", 0));
            return 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::fprintf(stderr, "xvrrpctl: no answer from xvrrpd within %.0f s of the restart; see its "
                         "log\n", timeout);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string control(xvrrp::control::kDefaultSocket);
    std::string pin_root = "/sys/fs/bpf/xvrrp";
    static option longopts[] = {{"control", required_argument, nullptr, 'c'},
                                {"pin-root", required_argument, nullptr, 'b'},
                                {"help", no_argument, nullptr, 'h'},
                                {"version", no_argument, nullptr, 'v'},
                                {nullptr, 0, nullptr, 0}};
    int opt;
    // '+' stops at the first non-option so each command parses its own flags.
    while ((opt = getopt_long(argc, argv, "+c:b:hv", longopts, nullptr)) != -1) {
        switch (opt) {
            case 'c': control = optarg; break;
            case 'b': pin_root = optarg; break;
            case 'h': std::fputs(kUsage, stdout); return 0;
            case 'v': std::puts("xvrrpctl " XVRRP_VERSION); return 0;
            default: std::fputs(kUsage, stderr); return 2;
        }
    }
    if (optind >= argc) {
        std::fprintf(stderr, "xvrrpctl: missing command\n%s", kUsage);
        return 2;
    }
    std::string cmd = argv[optind++];
    try {
        if (cmd == "status") {
            bool as_json = false;
            for (; optind < argc; ++optind) {
                std::string a = argv[optind];
                if (a == "--json" || a == "-j") {
                    as_json = true;
                } else {
                    std::fprintf(stderr, "xvrrpctl status: unknown argument '%s'\n", a.c_str());
                    return 2;
                }
            }
            json resp = xvrrp::control::request(control, {{"cmd", "status"}});
            if (!resp.value("ok", false)) {
                std::fprintf(stderr, "xvrrpctl: %s\n", resp.value("error", "error").c_str());
                return 1;
            }
            resp.erase("ok");
            if (as_json)
                std::cout << resp.dump(2) << "\n";
            else
                printStatus(resp);
            return 0;
        }
        if (cmd == "fence" || cmd == "unfence") {
            json req = {{"cmd", cmd}};
            if (optind < argc && std::string(argv[optind]) == "--all") {
                req["all"] = true;
                ++optind;
            } else if (optind < argc) {
                req["instance"] = argv[optind++];
            } else if (cmd == "fence") {
                // Fencing every instance takes every VIP of the node offline: say so.
                std::fprintf(stderr, "xvrrpctl fence: name the instance to fence, or --all "
                                     "for every instance\n");
                return 2;
            } else {
                req["all"] = true;  // unfence alone lifts every fence, as before
            }
            if (optind < argc) {
                std::fprintf(stderr, "xvrrpctl %s: unexpected argument '%s'\n", cmd.c_str(),
                             argv[optind]);
                return 2;
            }
            json resp = xvrrp::control::request(control, req);
            if (!resp.value("ok", false)) {
                std::fprintf(stderr, "xvrrpctl: %s\n", resp.value("error", "error").c_str());
                return 1;
            }
            for (const auto& n : resp.value(cmd == "fence" ? "fenced" : "unfenced", json::array()))
                std::printf("%s %s\n", n.get<std::string>().c_str(),
                            cmd == "fence" ? "fenced" : "unfenced");
            return 0;
        }
        if (cmd == "check-fences") {
            if (optind < argc) {
                std::fprintf(stderr, "xvrrpctl check-fences: unexpected argument '%s'\n",
                             argv[optind]);
                return 2;
            }
            json resp = xvrrp::control::request(control, {{"cmd", "check_fences"}});
            if (!resp.value("ok", false)) {
                std::fprintf(stderr, "xvrrpctl: %s\n", resp.value("error", "error").c_str());
                return 1;
            }
            for (const auto& n : resp.value("fenced", json::array()))
                std::printf("%s fenced\n", n.get<std::string>().c_str());
            return 0;
        }
        if (cmd == "bpf") {
            bool as_json = optind < argc && std::string(argv[optind]) == "--json";
            if (as_json) ++optind;
            if (optind < argc) {
                std::fprintf(stderr, "xvrrpctl bpf: unexpected argument '%s'\n", argv[optind]);
                return 2;
            }
            json dump = xvrrp::dataplane::inspectMaps(pin_root);
            if (dump.value("maps", json::object()).empty()) {
                // Nothing of ours there: a wrong --pin-root, or xvrrpd is not running.
                std::fprintf(stderr,
                             "xvrrpctl bpf: no xvrrp map is pinned under %s (wrong --pin-root, "
                             "or xvrrpd is not running)\n",
                             pin_root.c_str());
                return 1;
            }
            if (as_json) {
                std::cout << dump.dump(2) << "\n";
                return 0;
            }
            std::printf("pin root %s\n", dump.value("pin_root", pin_root).c_str());
            const json maps = dump.value("maps", json::object());  // items() needs a live object
            for (const auto& [name, entries] : maps.items()) {
                std::printf("\n%s\n", name.c_str());
                if (entries.is_array()) {
                    if (entries.empty()) std::printf("  (empty)\n");
                    for (const auto& e : entries) std::printf("  %s\n", e.dump().c_str());
                } else {
                    std::printf("  %s\n", entries.dump().c_str());
                }
            }
            for (const auto& m : dump.value("missing", json::array()))
                std::printf("\n%s: not pinned\n", m.get<std::string>().c_str());
            return 0;
        }
        if (cmd == "restart") return restart(control, argc, argv);
        if (cmd == "reload") {
            if (optind < argc) {
                std::fprintf(stderr, "xvrrpctl reload: unexpected argument '%s'\n", argv[optind]);
                return 2;
            }
            json resp = xvrrp::control::request(control, {{"cmd", "reload"}}, 30000);
            for (const auto& d : resp.value("diagnostics", json::array()))
                std::fprintf(stderr, "%s\n", d.get<std::string>().c_str());
            if (!resp.value("ok", false)) {
                std::fprintf(stderr, "xvrrpctl: %s\n", resp.value("error", "error").c_str());
                return 1;
            }
            for (const char* k : {"kept", "restarted", "added", "removed"}) {
                std::string names;
                for (const auto& n : resp.value(k, json::array()))
                    names += " " + n.get<std::string>();
                std::printf("%-10s%s\n", k, names.empty() ? " -" : names.c_str());
            }
            return 0;
        }
        std::fprintf(stderr, "xvrrpctl: unknown command '%s'\n%s", cmd.c_str(), kUsage);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xvrrpctl: %s\n", e.what());
        return 1;
    }
}
