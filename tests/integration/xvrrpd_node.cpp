#include "xvrrpd_node.hpp"

#include <signal.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lab/net_query.hpp"

namespace xvrrp::itest {

namespace fs = std::filesystem;

namespace {
// XVRRP_ITEST_BIN_DIR runs the suite against other binaries (an installed or
// older build); by default the ones CMake built with this test.
std::string binary(const char* built, const char* name) {
    const char* dir = std::getenv("XVRRP_ITEST_BIN_DIR");
    if (!dir || !*dir) return built;
    return std::string(dir) + "/" + name;
}
}  // namespace

std::string xvrrpdBin() { return binary(XVRRPD_BIN, "xvrrpd"); }
std::string xvrrpctlBin() { return binary(XVRRPCTL_BIN, "xvrrpctl"); }
std::string probeBin() { return binary(XVRRP_PROBE_BIN, "xvrrp-probe"); }

std::string renderConfig(const std::string& routerId, const InstanceSpec& s) {
    std::ostringstream o;
    o << "global_defs {\n  router_id " << routerId << "\n  vrrp_version " << s.version
      << "\n}\n";
    o << "vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n"
      << "  virtual_router_id " << s.vrid << "\n  priority " << s.priority << "\n"
      << "  advert_int " << s.advertInt << "\n";
    if (!s.preempt) o << "  nopreempt\n";
    if (s.preemptDelay > 0) o << "  preempt_delay " << s.preemptDelay << "\n";
    if (!s.authPass.empty())
        o << "  authentication {\n    auth_type PASS\n    auth_pass " << s.authPass << "\n  }\n";
    if (s.unicastSrc) o << "  unicast_src_ip " << s.unicastSrc->str() << "\n";
    if (!s.unicastPeers.empty()) {
        o << "  unicast_peer {\n";
        for (const auto& p : s.unicastPeers) o << "    " << p.str() << "\n";
        o << "  }\n";
    }
    o << "  virtual_ipaddress {\n    " << s.vip << " dev eth0\n  }\n}\n";
    return o.str();
}

// RFC 5798 section 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256,
// Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
double skewTime(int priority, double advertInt) { return (256 - priority) * advertInt / 256.0; }

double masterDownInterval(int priority, double advertInt) {
    return 3 * advertInt + skewTime(priority, advertInt);
}

XvrrpdNode::XvrrpdNode(lab::Lab& lab, std::string node) : lab_(lab), node_(std::move(node)) {
    const std::string base = lab_.logDir() + "/" + node_;
    confPath_ = base + ".conf";
    sockPath_ = base + ".sock";
    pidPath_ = base + ".pid";
    // The node's netns name is unique on this machine (tag, pid, counter).
    pinRoot_ = "/sys/fs/bpf/" + ns().name();
}

XvrrpdNode::~XvrrpdNode() {
    try {
        if (proc_ && proc_->running()) proc_->stop(std::chrono::seconds(3));
        std::error_code ec;
        fs::remove_all(pinRoot_, ec);
    } catch (...) {
    }
}

void XvrrpdNode::start(const std::string& configText, const std::vector<std::string>& extraArgs) {
    {
        std::ofstream out(confPath_, std::ios::trunc);
        out << configText;
        if (!out) throw std::runtime_error("cannot write " + confPath_);
    }
    std::error_code ec;
    fs::remove(sockPath_, ec);
    // -G: keep test noise out of the machine's syslog; the console log is in the lab dir.
    std::vector<std::string> argv = {binary_.empty() ? xvrrpdBin() : binary_,
                                     "-n",       "-l",      "-G",      "-f",
                                     confPath_,   "--pin-root", pinRoot_, "--control", sockPath_,
                                     "-p",        pidPath_};
    argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
    argv.insert(argv.begin(), launcher_.begin(), launcher_.end());
    proc_ = &ns().spawn(argv, lab_.logDir() + "/" + node_ + ".log");
}

bool XvrrpdNode::running() { return proc_ && proc_->running(); }

lab::RunResult XvrrpdNode::ctl(const std::vector<std::string>& args, Clock::duration timeout) const {
    std::vector<std::string> argv = {xvrrpctlBin(), "--control", sockPath_};
    argv.insert(argv.end(), args.begin(), args.end());
    return lab::runIn("", argv, timeout);
}

pid_t XvrrpdNode::pid() const { return proc_ ? proc_->pid() : -1; }

int XvrrpdNode::daemonPid() const {
    auto s = status();
    return s ? s->value("daemon", nlohmann::json::object()).value("pid", 0) : 0;
}

void XvrrpdNode::signal(int sig) {
    if (!proc_) throw std::logic_error("XvrrpdNode::signal: " + node_ + " was never started");
    proc_->sendSignal(sig);
}

std::optional<int> XvrrpdNode::waitExit(Clock::duration timeout) {
    if (!proc_) return std::nullopt;
    return proc_->waitExit(timeout);
}

std::optional<nlohmann::json> XvrrpdNode::status() const {
    if (!fs::exists(sockPath_)) return std::nullopt;
    auto r = lab::runIn("", {xvrrpctlBin(), "--control", sockPath_, "status", "--json"},
                        std::chrono::seconds(3));
    if (!r.ok()) return std::nullopt;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

std::optional<nlohmann::json> XvrrpdNode::instance() const {
    auto s = status();
    if (!s || !s->contains("instances") || (*s)["instances"].empty()) return std::nullopt;
    return (*s)["instances"][0];
}

std::string XvrrpdNode::state() const {
    auto i = instance();
    if (!i || !(*i)["state"].is_string()) return "";
    return (*i)["state"].get<std::string>();
}

bool XvrrpdNode::holds(const IpAddr& vip) const {
    return lab::hasAddress(lab_.node(node_), "eth0", vip);
}

bool XvrrpdNode::xdpAttached() const {
    auto out = lab_.node(node_).runOk({"ip", "-j", "-d", "link", "show", "dev", "eth0"});
    auto j = nlohmann::json::parse(out);
    return !j.empty() && j[0].contains("xdp");
}

std::vector<std::string> XvrrpdNode::pinnedEntries() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(pinRoot_, ec), end; !ec && it != end; it.increment(ec))
        out.push_back(it->path().filename().string());
    return out;
}

std::string XvrrpdNode::log() const {
    std::ifstream in(lab_.logDir() + "/" + node_ + ".log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool waitState(const XvrrpdNode& node, const std::string& state, Clock::duration timeout) {
    return lab::waitUntil([&] { return node.state() == state; }, timeout, Ms(5));
}

Prober::Prober(lab::Lab& lab, lab::Netns& ns, const IpAddr& target, int intervalUs,
               int durationS) {
    static int counter = 0;
    const std::string base = lab.logDir() + "/probe" + std::to_string(++counter);
    outPath_ = base + ".json";
    proc_ = &ns.spawn({probeBin(), "--target", target.str(), "--interval-us",
                       std::to_string(intervalUs), "--duration-s", std::to_string(durationS),
                       "--out", outPath_},
                      base + ".log");
}

bool Prober::logHas(const std::string& prefix) const {
    std::ifstream in(proc_->logPath());
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) return true;
    return false;
}

bool Prober::waitReady(Clock::duration timeout) {
    return lab::waitUntil([&] { return logHas("ready"); }, timeout);
}

void Prober::mark() { proc_->sendSignal(SIGUSR1); }

bool Prober::waitResumed(Clock::duration timeout) {
    return lab::waitUntil([&] { return logHas("resumed"); }, timeout);
}

std::optional<nlohmann::json> Prober::finish() {
    proc_->sendSignal(SIGTERM);
    proc_->waitExit(std::chrono::seconds(5));
    std::ifstream in(outPath_);
    if (!in) return std::nullopt;
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

std::string tail(const std::string& text, size_t lines) {
    size_t pos = text.size(), n = 0;
    while (pos > 0) {
        if (text[pos - 1] == '\n' && ++n > lines) break;
        --pos;
    }
    return text.substr(pos);
}

}  // namespace xvrrp::itest
