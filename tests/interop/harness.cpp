#include "interop/harness.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <regex>
#include <sstream>

#include "lab/net_query.hpp"
#include "lab/netns.hpp"

namespace xvrrp::interop {

namespace fs = std::filesystem;

const char* kindName(Kind k) { return k == Kind::Xvrrpd ? "xvrrpd" : "keepalived"; }

std::string renderConfig(const Scenario& s, int priority, const IpAddr& self, const IpAddr& peer,
                         const IpAddr& vip) {
    std::ostringstream c;
    c << "global_defs {\n"
      << "  vrrp_version " << s.version << "\n"
      << "}\n"
      << "vrrp_instance VI_1 {\n"
      << "  state BACKUP\n"
      << "  interface eth0\n"
      << "  virtual_router_id " << s.vrid << "\n"
      << "  priority " << priority << "\n"
      << "  advert_int " << s.advertInt << "\n";
    if (s.auth)
        c << "  authentication {\n"
          << "    auth_type PASS\n"
          << "    auth_pass " << s.authPass << "\n"
          << "  }\n";
    if (s.unicast)
        c << "  unicast_src_ip " << self.str() << "\n"
          << "  unicast_peer {\n"
          << "    " << peer.str() << "\n"
          << "  }\n";
    if (!s.extra.empty()) c << "  " << s.extra << "\n";
    c << "  virtual_ipaddress {\n"
      << "    " << vip.str() << (vip.isV4() ? "/24" : "/64") << " dev eth0\n";
    for (int k = 1; k <= s.moreVips; ++k) {
        if (vip.isV4())
            c << "    10.79." << k / 250 << "." << k % 250 + 1 << "/32\n";
        else
            c << "    fd00:79::" << std::hex << k << std::dec << "/128\n";
    }
    c << "  }\n"
      << "}\n";
    return c.str();
}

Ms skewTime(const Scenario& s, int priority) {
    // Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256
    return Ms((256 - priority) * s.advert.count() / 256);
}

Ms masterDownInterval(const Scenario& s, int priority) {
    // Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time
    return 3 * s.advert + skewTime(s, priority);
}

std::vector<std::string> keepalivedComplaints(const std::string& log) {
    // Texts from keepalived 2.2.7 vrrp.c vrrp_check_packet() / vrrp_scheduler.c:
    // "Invalid VRRPv2 checksum", "Invalid VRRPv3 checksum", "Setting unicast
    // VRRPv3 checksum to old version", "received an invalid passwd!", "received a
    // %d auth, expecting %d!", "Invalid auth type", "advertisement interval
    // mismatch", "advertisement interval updated from .. by master", "received an
    // unexpected ip number count", "ip address associated with VRID .. not
    // present in MASTER advert", "vrrp packet too long/short", "invalid TTL/HL",
    // "wrong version", "ip_tot_len mismatch", "Expected unicast packet but
    // received multicast packet", "not a unicast peer", "Unknown VRID",
    // "discarding multicast packet on unicast instance". Not "discarding" alone:
    // "received lower priority (N) advert from X - discarding" is normal preemption.
    static const std::regex kBad(
        "checksum|invalid|auth|interval|mismatch|bad|unexpected|not present|wrong version|"
        "packet too (long|short)|icast packet|not a unicast peer|Unknown VRID",
        std::regex::icase);
    std::vector<std::string> out;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);)
        if (std::regex_search(line, kBad)) out.push_back(line);
    return out;
}

std::vector<WireAdvert> captureAdverts(lab::Lab& lab, int vrid, Clock::duration d,
                                       const std::string& savePath) {
    const auto ms = std::chrono::duration_cast<Ms>(d).count();
    const std::string secs = std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100);
    // SIGINT so tcpdump flushes; -c bounds it even if timeout(1) misbehaves.
    auto r = lab.hub().run({"timeout", "-s", "INT", secs, "tcpdump", "-i", "br0", "-nn", "-l", "-tt",
                            "-c", "20000", "ip proto 112 or ip6 proto 112"},
                           d + std::chrono::seconds(5));
    std::ofstream(savePath) << r.out;
    static const std::regex kAdvert(R"(Advertisement, vrid (\d+), prio (\d+)[^\n]*length (\d+))");
    std::vector<WireAdvert> out;
    for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), kAdvert);
         it != std::sregex_iterator(); ++it)
        if (std::stoi((*it)[1].str()) == vrid)
            out.push_back({std::stoi((*it)[2].str()), std::stoi((*it)[3].str())});
    return out;
}

std::vector<int> captureAdvertPriorities(lab::Lab& lab, int vrid, Clock::duration d,
                                         const std::string& savePath) {
    std::vector<int> prios;
    for (const auto& a : captureAdverts(lab, vrid, d, savePath)) prios.push_back(a.priority);
    return prios;
}

namespace {

std::string findInPath(const std::string& prog) {
    std::string path = ::getenv("PATH") ? ::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin";
    std::istringstream dirs(path);
    for (std::string d; std::getline(dirs, d, ':');) {
        if (d.empty()) continue;
        fs::path p = fs::path(d) / prog;
        if (::access(p.c_str(), X_OK) == 0) return p.string();
    }
    return {};
}

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int gNodeCounter = 0;

}  // namespace

Binaries binaries() { return {XVRRP_XVRRPD_BIN, XVRRP_XVRRPCTL_BIN, findInPath("keepalived")}; }

Node::Node(Kind kind, lab::Lab& lab, std::string name, std::string confPath)
    : kind_(kind), lab_(lab), name_(std::move(name)), confPath_(std::move(confPath)) {
    pinRoot_ = "/sys/fs/bpf/xvt-interop-" + std::to_string(::getpid()) + "-" +
               std::to_string(gNodeCounter++);
}

Node::~Node() {
    if (proc_ && proc_->running()) proc_->stop();
    std::error_code ec;
    fs::remove_all(pinRoot_, ec);
}

void Node::start() {
    const std::string base = lab_.logDir() + "/" + name_;
    const std::string log = base + "." + kindName(kind_) + "." +
                            std::to_string(logPaths_.size() + 1) + ".log";
    logPaths_.push_back(log);
    const Binaries bin = binaries();
    std::vector<std::string> argv;
    if (kind_ == Kind::Xvrrpd) {
        argv = {bin.xvrrpd, "-n", "-l", "-D", "-f", confPath_, "--pin-root", pinRoot_,
                "--control", base + ".sock", "-p", base + ".xvrrpd.pid"};
    } else {
        // -G: the console log is what we read; nothing goes to the host's syslog.
        argv = {bin.keepalived, "-n", "-l", "-D", "-G", "--vrrp", "-f", confPath_,
                "-p", base + ".ka.pid", "-r", base + ".vrrp.pid", "-b", base + ".bfd.pid",
                "-c", base + ".chk.pid"};
    }
    proc_ = &ns().spawn(argv, log);
}

void Node::sigterm() {
    if (proc_ && proc_->running()) ::kill(proc_->pid(), SIGTERM);
}

bool Node::waitStopped(Clock::duration timeout) {
    if (!proc_) return true;
    auto st = proc_->waitExit(timeout);
    if (!st) {
        proc_->stop(Ms(100));
        exitStatus_ = -1;
        return false;
    }
    exitStatus_ = *st;
    return true;
}

bool Node::running() { return proc_ && proc_->running(); }

bool Node::holdsVip(const IpAddr& vip) { return lab::hasAddress(ns(), "eth0", vip); }

std::optional<nlohmann::json> Node::status() const {
    if (kind_ != Kind::Xvrrpd) return std::nullopt;
    const std::string sock = lab_.logDir() + "/" + name_ + ".sock";
    auto r = lab::runIn("", {binaries().xvrrpctl, "--control", sock, "status", "--json"},
                        std::chrono::seconds(3));
    if (!r.ok()) return std::nullopt;
    try {
        return nlohmann::json::parse(r.out);
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

nlohmann::json Node::kernelDrops() const {
    nlohmann::json drops = nlohmann::json::object();
    if (kind_ != Kind::Xvrrpd) return drops;
    auto r = lab::runIn("", {binaries().xvrrpctl, "-b", pinRoot_, "bpf", "--json"},
                        std::chrono::seconds(3));
    if (!r.ok()) return drops;
    std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& j) {
        if (j.is_object()) {
            if (j.contains("drop_auth")) {
                for (auto& [k, v] : j.items())
                    if (k.rfind("drop_", 0) == 0) drops[k] = v;
                return;
            }
            for (auto& [k, v] : j.items()) walk(v);
        } else if (j.is_array()) {
            for (const auto& v : j) walk(v);
        }
    };
    try {
        walk(nlohmann::json::parse(r.out));
    } catch (const nlohmann::json::exception&) {
    }
    return drops;
}

std::string Node::loggedState() const {
    static const std::regex kEnter(R"(\(VI_1\) Entering (\w+) STATE)");
    std::string last;
    if (logPaths_.empty()) return last;
    const std::string log = readFile(logPaths_.back());
    for (auto it = std::sregex_iterator(log.begin(), log.end(), kEnter);
         it != std::sregex_iterator(); ++it)
        last = (*it)[1].str();
    return last;
}

std::string Node::logs() const {
    std::string all;
    for (const auto& p : logPaths_) all += "==> " + p + "\n" + readFile(p);
    return all;
}

}  // namespace xvrrp::interop
