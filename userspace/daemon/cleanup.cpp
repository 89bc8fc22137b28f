#include "daemon/cleanup.hpp"

#include <bpf/libbpf.h>
#include <dirent.h>
#include <net/if.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <set>

#include "config/parser.hpp"
#include "control/server.hpp"
#include "dataplane/dataplane.hpp"
#include "dataplane/leftovers.hpp"
#include "net/netlink.hpp"

namespace xvrrp::daemon {
namespace {

namespace fs = std::filesystem;

// What was done, what failed; a failure does not stop the rest.
struct Report {
    std::ostream& out;
    std::ostream& err;
    size_t removed = 0;
    int failures = 0;

    void line(const std::string& text) {
        out << text << "\n";
        if (text.rfind("kept", 0) != 0) ++removed;
    }
    template <typename Fn>
    void attempt(Fn&& fn) {
        try {
            fn();
        } catch (const std::exception& e) {
            err << "xvrrpd --cleanup: " << e.what() << "\n";
            ++failures;
        }
    }
};

std::string commOf(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

bool liveXvrrpd(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0 && commOf(pid) == "xvrrpd"; }

std::optional<pid_t> pidFromFile(const std::string& path) {
    std::ifstream in(path);
    pid_t pid = 0;
    if (path.empty() || !(in >> pid) || pid <= 0) return std::nullopt;
    return pid;
}

// Why cleanup must not run (a live daemon owns what it would remove), or "".
std::string liveDaemon(const Options& o, const dataplane::Leftovers& left) {
    if (left.heartbeat && liveXvrrpd(static_cast<pid_t>(left.heartbeat->pid)))
        return "xvrrpd pid " + std::to_string(left.heartbeat->pid) +
               " still writes the heartbeat under " + o.pin_root;
    if (fs::exists(o.control) && control::someoneListens(o.control))
        return "a running daemon answers on the control socket " + o.control;
    for (const auto* path : {&o.pid_file, &o.vrrp_pid_file})
        if (auto pid = pidFromFile(*path); pid && liveXvrrpd(*pid))
            return "pid file " + *path + " names running xvrrpd pid " + std::to_string(*pid);
    return "";
}

std::string netnsOf(const std::string& pid) {
    std::error_code ec;
    return fs::read_symlink("/proc/" + pid + "/ns/net", ec).string();
}

// A keepalived in this network namespace: it owns the VIPs and VMACs from now on.
std::optional<std::string> keepalivedHere() {
    const std::string mine = netnsOf("self");
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string pid = e.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        if (commOf(std::stoi(pid)) == "keepalived" && netnsOf(pid) == mine) return pid;
    }
    return std::nullopt;
}

std::string ifname(int ifindex) {
    char buf[IF_NAMESIZE] = {};
    return ::if_indextoname(static_cast<unsigned>(ifindex), buf)
               ? buf
               : "ifindex " + std::to_string(ifindex);
}

// The configuration the daemon ran with, for its virtual routes and rules; optional.
std::optional<config::Config> readConfig(const std::string& path, Report& r) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    auto loaded = config::loadConfigFile(path);
    if (loaded.ok()) return std::move(loaded.config);
    r.line("kept any virtual routes and rules: " + path + " has errors (xvrrpd -t " + path + ")");
    return std::nullopt;
}

void removeVmacs(net::Netlink& nl, const std::set<int>& served, Report& r) {
    for (const net::Vmac& v : nl.virtualMacLinks()) {
        if (!served.count(v.base_ifindex)) continue;
        r.attempt([&] {
            nl.deleteLink(v.ifindex);
            r.line("removed VMAC " + v.name + " on " + ifname(v.base_ifindex));
        });
    }
}

void removeVips(net::Netlink& nl, const dataplane::Leftovers& left, Report& r) {
    for (const xv_addr_key& k : left.vips) {
        const Family f = k.family == XV_FAMILY_V6 ? Family::V6 : Family::V4;
        const IpAddr vip = IpAddr::fromBytes(f, k.addr);
        const int ifindex = static_cast<int>(k.ifindex);
        r.attempt([&] {
            for (const IpPrefix& p : nl.addresses(ifindex, f)) {
                if (p.addr != vip) continue;
                config::VirtualAddress va;
                va.prefix = p;
                nl.removeAddress(ifindex, va);
                r.line("removed VIP " + p.str() + " from " + ifname(ifindex));
            }
        });
    }
}

void removeVirtualRoutes(net::Netlink& nl, const config::Config& cfg, Report& r) {
    for (const auto& inst : cfg.instances) {
        auto link = nl.linkByName(inst.interface);
        for (const auto& route : inst.routes)
            r.attempt([&] {
                if (nl.removeRoute(route, link ? link->ifindex : 0))
                    r.line("removed virtual route " + route.to.str() + " of " + inst.name);
            });
        for (const auto& rule : inst.rules)
            r.attempt([&] {
                if (nl.removeRule(rule)) r.line("removed virtual rule of " + inst.name);
            });
    }
}

// Addresses and links first: once XDP is gone, a VIP left here would answer again.
void removeNetwork(const Options& o, const dataplane::Leftovers& left, Report& r) {
    if (auto ka = keepalivedHere()) {
        r.line("kept VIPs, VMACs and virtual routes: keepalived (pid " + *ka +
               ") runs here and owns them");
        return;
    }
    std::set<int> served = dataplane::interfacesServed(left);
    for (const auto& [ifindex, flags] : left.if_flags) served.insert(ifindex);
    for (const auto& k : left.vips) served.insert(static_cast<int>(k.ifindex));
    auto nl = net::Netlink::open();
    r.attempt([&] { removeVmacs(*nl, served, r); });
    removeVips(*nl, left, r);
    if (auto cfg = readConfig(o.config_file, r)) removeVirtualRoutes(*nl, *cfg, r);
}

void removeAttachments(const dataplane::Leftovers& left, Report& r) {
    std::unique_ptr<struct if_nameindex, void (*)(struct if_nameindex*)> ifs(::if_nameindex(),
                                                                             ::if_freenameindex);
    for (auto* i = ifs.get(); i && i->if_index; ++i)
        r.attempt([&] {
            for (const auto& l :
                 dataplane::removeAttachments(left, static_cast<int>(i->if_index), i->if_name))
                r.line(l);
        });
}

void removeFiles(const Options& o, Report& r) {
    for (const auto* path : {&o.pid_file, &o.vrrp_pid_file}) {
        if (path->empty() || !fs::exists(*path)) continue;
        r.attempt([&] {
            fs::remove(*path);
            r.line("removed pid file " + *path);
        });
    }
    struct stat st {};
    if (::lstat(o.control.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
        r.attempt([&] {
            fs::remove(o.control);
            r.line("removed control socket " + o.control);
        });
}

int quietLibxdp(enum libxdp_print_level, const char*, va_list) { return 0; }

}  // namespace

int runCleanup(const Options& o, std::ostream& out, std::ostream& err) {
    if (::geteuid() != 0) {
        err << "xvrrpd --cleanup: must run as root (XDP, TC, bpffs, addresses)\n";
        return 1;
    }
    // Errors are reported with their call and errno below; libbpf's and libxdp's own lines
    // (a missing TC filter chain on every interface) would only be noise.
    libbpf_set_print(nullptr);
    libxdp_set_print(quietLibxdp);
    Report r{out, err};
    int lock = -1;
    dataplane::Leftovers left;
    std::string live;
    try {
        if (fs::is_directory(o.pin_root)) lock = dataplane::lockPinRoot(o.pin_root);
        left = dataplane::readLeftovers(o.pin_root);
        live = liveDaemon(o, left);
    } catch (const dataplane::PinRootBusy& e) {
        live = e.holder() + " holds the pin root " + o.pin_root;
    } catch (const std::exception& e) {
        err << "xvrrpd --cleanup: " << e.what() << "; nothing removed\n";
        if (lock >= 0) ::close(lock);
        return 1;
    }
    if (!live.empty()) {
        err << "xvrrpd --cleanup: " << live << ": it is running (or hung); stop it first "
            << "(systemctl stop xvrrpd, or kill -9 a hung one). Nothing removed.\n";
        if (lock >= 0) ::close(lock);
        return 1;
    }
    if (left.heartbeat && left.heartbeat->pid)
        out << "what xvrrpd pid " << left.heartbeat->pid << " left under " << o.pin_root << ":\n";
    if (!left.empty()) removeNetwork(o, left, r);
    removeAttachments(left, r);
    r.attempt([&] {
        if (fs::is_directory(o.pin_root))
            for (const auto& l : dataplane::removePins(left)) r.line(l);
    });
    if (lock >= 0) ::close(lock);
    removeFiles(o, r);
    if (r.removed == 0 && r.failures == 0)
        out << "nothing of xvrrpd to remove (pin root " << o.pin_root << ", control socket "
            << o.control << ", pid file " << o.pid_file << ")\n";
    return r.failures ? 1 : 0;
}

}  // namespace xvrrp::daemon
