#include "chaos_lab.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>

#include "lab/wait.hpp"
#include "xvrrpd_node.hpp"

namespace xvrrp::chaos {

namespace fs = std::filesystem;
using lab::Ms;

namespace {

std::string slurp(const std::string& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string tailOf(const std::string& text, size_t lines) { return itest::tail(text, lines); }

}  // namespace

const char* daemonName(Daemon d) { return d == Daemon::Xvrrpd ? "xvrrpd" : "keepalived"; }

std::string arbiterBinary() {
    const char* dir = std::getenv("XVRRP_ITEST_BIN_DIR");
    return dir && *dir ? std::string(dir) + "/xvrrp-arbiter" : std::string(XVRRP_ARBITER_BIN);
}

ChaosLab::ChaosLab(LabConfig cfg, LogFollower& logs)
    : cfg_(std::move(cfg)), logs_(logs), daemon_(kNodes, nullptr), starts_(kNodes, 0) {
    if (cfg_.arbiterBin.empty()) cfg_.arbiterBin = arbiterBinary();
    lab_ = std::make_unique<lab::Lab>(
        std::vector<std::string>{"n1", "n2", "n3", "client", "gw"},
        lab::LabOptions{.tag = cfg_.tag, .keepLogs = cfg_.keepLogs});
}

ChaosLab::~ChaosLab() {
    // A stopped daemon would sit out SIGTERM until the KILL; the switch rules go with the hub.
    for (auto* p : daemon_)
        if (p) p->sendSignal(SIGCONT);
    std::vector<std::string> pins;  // what xvrrpd pinned, kept by a killed one
    for (int n = 0; n < kNodes; ++n) pins.push_back("/sys/fs/bpf/" + lab_->node(nodeName(n)).name());
    lab_.reset();
    std::error_code ec;
    for (const auto& p : pins) fs::remove_all(p, ec);
}

std::string ChaosLab::nodeDir(int node) const { return lab_->logDir() + "/" + nodeName(node); }

std::vector<std::string> ChaosLab::daemonArgv(int node) const {
    const std::string base = nodeDir(node);
    if (cfg_.daemon == Daemon::Keepalived)
        return {"keepalived", "-n",    "-l", "-D",         "-G",           "--vrrp", "-f",
                base + ".conf", "-p", base + ".ka.pid", "-r", base + ".vrrp.pid",
                "-b", base + ".bfd.pid", "-c", base + ".chk.pid"};
    return {itest::xvrrpdBin(), "-n", "-l", "-G", "-f", base + ".conf", "--pin-root",
            "/sys/fs/bpf/" + lab_->node(nodeName(node)).name(), "--control", base + ".sock",
            "-p", base + ".pid"};
}

void ChaosLab::writeConf(int node, const Conf& conf) {
    // Renamed into place: a daemon reading it never sees half a file.
    const std::string path = nodeDir(node) + ".conf", tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << render(conf, node);
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    fs::rename(tmp, path);
}

void ChaosLab::startDaemon(int node, const Conf& conf) {
    writeConf(node, conf);
    if (cfg_.daemon == Daemon::Keepalived) {
        // A killed keepalived leaves its pid files, and its VRRP child may stay a zombie
        // here (PID 1 is no init that reaps promptly): keepalived would then refuse with
        // "daemon is already running". Under systemd neither lasts; remove the files.
        std::error_code ec;
        for (const char* f : {".ka.pid", ".vrrp.pid"}) fs::remove(nodeDir(node) + f, ec);
    }
    const int k = ++starts_[static_cast<size_t>(node)];
    const std::string log = nodeDir(node) + "." + daemonName(cfg_.daemon) + "." + std::to_string(k) + ".log";
    auto& p = lab_->node(nodeName(node)).spawn(daemonArgv(node), log);
    logs_.followDaemon(node, log);
    daemon_[static_cast<size_t>(node)] = &p;
}

std::string ChaosLab::daemonLog(int node) const {
    const auto* p = daemon_[static_cast<size_t>(node)];
    return p ? slurp(p->logPath()) : "";
}

void ChaosLab::start(const Conf& conf) {
    for (int n = 0; n < kNodes; ++n) startDaemon(n, conf);
    auto elected = [&] {
        for (int i = 0; i < kInstances; ++i)
            for (int n = 0; n < kNodes; ++n)
                if (logs_.state(n, i) != (n == expectedMaster(conf, i) ? "MASTER" : "BACKUP"))
                    return false;
        return true;
    };
    if (!lab::waitUntil(elected, std::chrono::seconds(30), Ms(20)))
        throw std::runtime_error("no election within 30 s\n" + diagnostics());
    if (!arbiters()) return;
    startSsh();
    for (int n = 0; n < kNodes; ++n) startArbiter(n);
    auto decided = [&] {
        for (int n = 0; n < kNodes; ++n)
            for (int i = 0; i < kInstances; ++i)
                if (arbiterRule(n, i) != "R5") return false;
        return true;
    };
    if (!lab::waitUntil(decided, std::chrono::seconds(30), Ms(100)))
        throw std::runtime_error("arbiters never all reached R5\n" + diagnostics());
}

void ChaosLab::startSsh() {
    if (::access("/usr/sbin/sshd", X_OK) != 0)
        throw std::runtime_error("openssh-server is required (/usr/sbin/sshd)");
    fs::create_directories("/run/sshd");  // Debian's privilege separation directory
    std::mt19937 rng(static_cast<unsigned>(::getpid()) * 31u + 11u);
    port_ = 20000 + static_cast<int>(rng() % 20000);
    auto keygen = [&](const std::string& name) {
        auto r = lab::runIn("", {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                                 dir() + "/" + name});
        if (!r.ok()) throw std::runtime_error("ssh-keygen " + name + ": " + r.err);
    };
    keygen("client_key");
    fs::create_directories(dir() + "/home");
    std::ofstream known(dir() + "/known_hosts");
    for (int n = 0; n < kNodes; ++n) {
        keygen(nodeName(n) + "-host_key");
        known << "[" << lab_->v4(nodeName(n)).str() << "]:" << port_ << " "
              << slurp(dir() + "/" + nodeName(n) + "-host_key.pub");
    }
    known.close();
    // The peer's arbiter may run exactly one command (docs/arbiter.md): xvrrpctl status
    // against the socket of the node whose sshd took the connection (XVT_NODE, set below).
    const std::string wrapper = dir() + "/xvrrpctl-here";
    std::ofstream(wrapper) << "#!/bin/sh\nexec " << itest::xvrrpctlBin() << " --control " << dir()
                           << "/\"$XVT_NODE\".sock \"$@\"\n";
    ::chmod(wrapper.c_str(), 0755);
    std::ofstream(dir() + "/authorized_keys")
        << "command=\"" << wrapper << " status --json\",restrict "
        << slurp(dir() + "/client_key.pub");
    for (int n = 0; n < kNodes; ++n) {
        const std::string me = nodeName(n), base = dir() + "/" + me;
        std::ofstream(base + "-sshd_config")
            << "Port " << port_ << "\nListenAddress " << lab_->v4(me).str() << "\n"
            << "HostKey " << base << "-host_key\nAuthorizedKeysFile " << dir()
            << "/authorized_keys\nPidFile " << base << "-sshd.pid\n"
            << "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
               "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            // HOME keeps root's shell rc files (sshd runs them for every command) out of the way.
            << "SetEnv XVT_NODE=" << me << " HOME=" << dir() << "/home\n";
        auto& p = lab_->node(me).spawn({"/usr/sbin/sshd", "-D", "-e", "-f", base + "-sshd_config"},
                                       base + "-sshd.log");
        if (!lab::waitUntil([&] { return p.readLog().find("Server listening") != std::string::npos; },
                            std::chrono::seconds(10)))
            throw std::runtime_error("sshd in " + me + " did not start: " + p.readLog());
    }
}

void ChaosLab::startArbiter(int node) {
    const auto& a = cfg_.arbiter;
    const std::string me = nodeName(node), base = dir() + "/" + me;
    std::ofstream out(base + "-arbiter.conf");
    out << "arbiter {\n  node_name " << me << "\n  xvrrpd_socket " << base << ".sock\n"
        << "  pin_root /sys/fs/bpf/" << lab_->node(me).name() << "\n  control_socket " << base
        << "-arbiter.sock\n  audit_log " << base << "-audit.log\n  remote_xvrrpctl " << dir()
        << "/xvrrpctl-here\n  probe_interval " << a.probeInterval << "\n  ping_timeout "
        << a.probeInterval * 0.6 << "\n  control_timeout " << a.probeInterval * 0.6
        << "\n  ssh_connect_timeout " << a.sshConnectTimeout << "\n  ssh_timeout " << a.sshTimeout
        << "\n  fence_after " << a.fenceAfter << "\n  unfence_after " << a.unfenceAfter << "\n}\n";
    for (int peer = 0; peer < kNodes; ++peer) {
        if (peer == node) continue;
        out << "peer " << nodeName(peer) << " {\n  address " << lab_->v4(nodeName(peer)).str()
            << "\n  ssh {\n    user root\n    port " << port_ << "\n    identity_file " << dir()
            << "/client_key\n    known_hosts " << dir() << "/known_hosts\n  }\n}\n";
    }
    out << "gateways {\n  quorum 1\n  " << lab_->v4("gw").str() << "\n}\n";
    out.close();
    logs_.followAudit(node, base + "-audit.log");
    lab_->node(me).spawn({cfg_.arbiterBin, "-D", "-f", base + "-arbiter.conf"}, base + "-arbiter.log");
}

ArbiterView ChaosLab::arbiterView(int node) {
    ArbiterView v;
    v.rules.assign(kInstances, "");
    auto r = lab::runIn("", {cfg_.arbiterBin, "-s", nodeDir(node) + "-arbiter.sock", "status", "--json"},
                        std::chrono::seconds(3));
    auto s = r.ok() ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json();
    if (!s.is_object() || !s.contains("instances") || !s["instances"].is_array()) return v;
    if (s.contains("round") && s["round"].is_object()) v.round = s["round"].value("number", -1L);
    for (const auto& i : s["instances"])
        for (int k = 0; k < kInstances; ++k)
            if (i.is_object() && i.value("name", "") == "VI_" + std::to_string(k + 1) &&
                i.contains("decision") && i["decision"].is_object())
                v.rules[static_cast<size_t>(k)] = i["decision"].value("rule", "");
    return v;
}

std::string ChaosLab::arbiterRule(int node, int instance) {
    return arbiterView(node).rules[static_cast<size_t>(instance)];
}

void ChaosLab::kill9(int node) {
    auto* p = daemon_[static_cast<size_t>(node)];
    p->sendSignal(SIGKILL);
    if (!p->waitExit(std::chrono::seconds(5)))
        throw std::runtime_error(nodeName(node) + ": the daemon outlived SIGKILL for 5 s");
    logs_.markDown(node);
}

void ChaosLab::sigstop(int node) { daemon_[static_cast<size_t>(node)]->sendSignal(SIGSTOP); }
void ChaosLab::sigcont(int node) { daemon_[static_cast<size_t>(node)]->sendSignal(SIGCONT); }
void ChaosLab::cutLink(int node) { lab_->cutLink(nodeName(node)); }
void ChaosLab::restoreLink(int node) { lab_->restoreLink(nodeName(node)); }

void ChaosLab::partition(const std::vector<int>& isolated) {
    auto& hub = lab_->hub();
    hub.runOk({"nft", "add", "table", "bridge", "xvchaos"});
    hub.runOk({"nft", "add", "chain", "bridge", "xvchaos", "cut",
               "{ type filter hook forward priority 0 ; }"});
    // Flooded frames pass the forward hook once per output port, so both rules see them.
    for (int n : isolated)
        for (const char* dir : {"iifname", "oifname"})
            hub.runOk({"nft", "add", "rule", "bridge", "xvchaos", "cut", dir,
                       lab_->bridgePort(nodeName(n)), "ip", "protocol", "112", "drop"});
    partitioned_ = true;
}

void ChaosLab::heal() {
    if (partitioned_) lab_->hub().runOk({"nft", "delete", "table", "bridge", "xvchaos"});
    partitioned_ = false;
}

bool ChaosLab::daemonRunning(int node) {
    auto* p = daemon_[static_cast<size_t>(node)];
    return p && p->running();
}

std::string ChaosLab::mac(int node) {
    auto j = nlohmann::json::parse(lab_->node(nodeName(node)).runOk({"ip", "-j", "link", "show", "eth0"}));
    return j.at(0).at("address").get<std::string>();
}

void ChaosLab::hog(int workers, double seconds) {
    const int s = static_cast<int>(std::ceil(seconds));
    hog_ = &lab_->node("gw").spawn({"stress-ng", "--cpu", std::to_string(workers), "--timeout",
                                    std::to_string(s) + "s", "--quiet"},
                                   dir() + "/stress-ng.log");
}

void ChaosLab::stopHog() {
    if (hog_) hog_->stop(std::chrono::seconds(2));
    hog_ = nullptr;
}

std::string ChaosLab::diagnostics() {
    std::string out;
    for (int n = 0; n < kNodes; ++n) {
        out += "---- " + nodeName(n) + " " + daemonName(cfg_.daemon) + " ----\n" + tailOf(daemonLog(n), 25);
        if (arbiters())
            out += "---- " + nodeName(n) + " arbiter ----\n" +
                   tailOf(slurp(nodeDir(n) + "-arbiter.log"), 15);
    }
    return out;
}

}  // namespace xvrrp::chaos
