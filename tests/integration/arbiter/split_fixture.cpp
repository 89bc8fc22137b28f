#include "split_fixture.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "lab/netns.hpp"

namespace xvrrp::itest {

namespace fs = std::filesystem;

namespace {
constexpr const char* kVrrpBridge = "br1";
constexpr const char* kVrrpNet = "10.78.0";  // vrrp0: n1 .1, n2 .2
const char* const kNodes[2] = {"n1", "n2"};

int idx(const std::string& n) { return n == "n1" ? 0 : 1; }
}  // namespace

std::string slurpFile(const std::string& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

SplitLab::SplitLab(SplitOptions opts) : opts_(std::move(opts)) {
    if (opts_.arbiterBin.empty()) throw std::invalid_argument("SplitLab: arbiterBin not set");
    lab_ = std::make_unique<lab::Lab>(std::vector<std::string>{"n1", "n2", "client", "gw"},
                                      lab::LabOptions{.tag = opts_.tag, .keepLogs = opts_.keepLogs});
    // The dedicated VRRP link: a bridge of its own, vrrp0 in each node.
    vhub_ = std::make_unique<lab::Netns>(opts_.tag + "-vhub");
    vhub_->runOk({"ip", "link", "add", kVrrpBridge, "type", "bridge", "stp_state", "0",
                  "forward_delay", "0", "mcast_snooping", "0"});
    vhub_->runOk({"ip", "link", "set", kVrrpBridge, "up"});
    for (int i = 0; i < 2; ++i) {
        const std::string port = "vr" + std::to_string(i + 1);
        auto& ns = lab_->node(kNodes[i]);
        vhub_->runOk({"ip", "link", "add", port, "type", "veth", "peer", "name", "vrrp0", "netns",
                      ns.name()});
        vhub_->runOk({"ip", "link", "set", port, "master", kVrrpBridge, "up"});
        ns.runOk({"ip", "addr", "add", std::string(kVrrpNet) + "." + std::to_string(i + 1) + "/24",
                  "dev", "vrrp0"});
        ns.runOk({"ip", "link", "set", "vrrp0", "up"});
    }
    n1_ = std::make_unique<XvrrpdNode>(*lab_, "n1");
    n2_ = std::make_unique<XvrrpdNode>(*lab_, "n2");
}

SplitLab::~SplitLab() {
    // Arbiters first (they would fence a node whose xvrrpd is stopping), then xvrrpd.
    n2_.reset();
    n1_.reset();
}

std::string SplitLab::config(const std::string& n, int priority) const {
    std::ostringstream o;
    o << "global_defs {\n  router_id " << n << "\n  vrrp_version 3\n}\n"
      << "vrrp_instance VI_1 {\n  state BACKUP\n  interface vrrp0\n  virtual_router_id 51\n"
      << "  priority " << priority << "\n  advert_int " << opts_.advertInt << "\n"
      << "  virtual_ipaddress {\n    " << vip().str() << "/24 dev eth0\n  }\n}\n";
    return o.str();
}

void SplitLab::keygen(const std::string& name) {
    auto r = lab::runIn("", {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                             dir() + "/" + name});
    if (!r.ok()) throw std::runtime_error("ssh-keygen " + name + ": " + r.err);
}

void SplitLab::startSshd(const std::string& me) {
    std::ofstream(dir() + "/" + me + "-sshd_config")
        << "Port " << port_ << "\nListenAddress " << lab_->v4(me).str() << "\n"
        << "HostKey " << dir() << "/" << me << "-host_key\n"
        << "AuthorizedKeysFile " << dir() << "/authorized_keys\n"
        << "PidFile " << dir() << "/" << me << "-sshd.pid\n"
        << "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
           "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n";
    auto& p = lab_->node(me).spawn(
        {"/usr/sbin/sshd", "-D", "-e", "-f", dir() + "/" + me + "-sshd_config"},
        dir() + "/" + me + "-sshd.log");
    sshd_[idx(me)] = &p;
    if (!lab::waitUntil(
            [&] { return p.readLog().find("Server listening") != std::string::npos; },
            std::chrono::seconds(10)))
        throw std::runtime_error("sshd in " + me + " did not start: " + p.readLog());
    // What the peer's arbiter runs over SSH: xvrrpctl against this node's socket.
    const std::string wrapper = dir() + "/" + me + "-xvrrpctl";
    std::ofstream(wrapper) << "#!/bin/sh\nexec " << xvrrpctlBin() << " --control " << dir()
                           << "/" << me << ".sock \"$@\"\n";
    ::chmod(wrapper.c_str(), 0755);
}

void SplitLab::startArbiter(const std::string& me, const std::string& peer) {
    const std::string conf = dir() + "/" + me + "-arbiter.conf";
    // The peer is pinged and reached over SSH on the LAN: the VRRP link is what breaks.
    std::ofstream(conf) << "arbiter {\n  node_name " << me << "\n  xvrrpd_socket " << dir()
                        << "/" << me << ".sock\n  pin_root " << node(me).pinRoot()
                        << "\n  control_socket " << dir() << "/" << me << "-arbiter.sock\n"
                        << "  audit_log " << dir() << "/" << me << "-audit.log\n"
                        << "  remote_xvrrpctl " << dir() << "/" << peer << "-xvrrpctl\n"
                        << "  probe_interval " << opts_.probeInterval << "\n"
                        << "  ping_timeout " << opts_.probeInterval * 0.6 << "\n"
                        << "  control_timeout " << opts_.probeInterval * 0.6 << "\n"
                        << "  ssh_connect_timeout " << opts_.sshConnectTimeout << "\n"
                        << "  ssh_timeout " << opts_.sshTimeout << "\n"
                        << "  fence_after " << opts_.fenceAfter << "\n  unfence_after "
                        << opts_.unfenceAfter << "\n}\n"
                        << "peer " << peer << " {\n  address " << lab_->v4(peer).str() << "\n"
                        << "  ssh {\n    user root\n    port " << port_ << "\n    identity_file "
                        << dir() << "/client_key\n    known_hosts " << dir()
                        << "/known_hosts\n  }\n}\n"
                        << "gateways {\n  quorum 1\n  " << lab_->v4("gw").str() << "\n}\n";
    lab_->node(me).spawn({opts_.arbiterBin, "-D", "-f", conf}, dir() + "/" + me + "-arbiter.log");
}

void SplitLab::start() {
    if (::access("/usr/sbin/sshd", X_OK) != 0)
        throw std::runtime_error("openssh-server is required (/usr/sbin/sshd)");
    fs::create_directories("/run/sshd");  // Debian's sshd privilege separation directory
    std::mt19937 rng(static_cast<unsigned>(::getpid()) * 13u + 7u);
    port_ = 20000 + static_cast<int>(rng() % 20000);
    for (const char* k : {"n1-host_key", "n2-host_key", "client_key"}) keygen(k);
    fs::copy_file(dir() + "/client_key.pub", dir() + "/authorized_keys");
    std::ofstream(dir() + "/known_hosts")
        << "[" << lab_->v4("n1").str() << "]:" << port_ << " " << slurpFile(dir() + "/n1-host_key.pub")
        << "[" << lab_->v4("n2").str() << "]:" << port_ << " "
        << slurpFile(dir() + "/n2-host_key.pub");

    n1_->start(config("n1", opts_.p1));
    n2_->start(config("n2", opts_.p2));
    const auto limit = std::chrono::seconds(15);
    if (!waitState(*n1_, "MASTER", limit) || !waitState(*n2_, "BACKUP", limit))
        throw std::runtime_error("election: n1 is " + n1_->state() + ", n2 is " + n2_->state());
    startSshd("n1");
    startSshd("n2");
    startArbiter("n1", "n2");
    startArbiter("n2", "n1");
    if (!lab::waitUntil([&] { return rule("n1") == "R5" && rule("n2") == "R5"; },
                        std::chrono::seconds(20), Ms(50)))
        throw std::runtime_error("arbiters never reached R5: n1 '" + rule("n1") + "', n2 '" +
                                 rule("n2") + "'");
}

std::string SplitLab::lanMac(const std::string& n) {
    auto j = nlohmann::json::parse(lab_->node(n).runOk({"ip", "-j", "link", "show", "eth0"}));
    return j.at(0).at("address").get<std::string>();
}

void SplitLab::cutVrrp() {
    vhub_->runOk({"nft", "add", "table", "bridge", "xvsplit"});
    vhub_->runOk({"nft", "add", "chain", "bridge", "xvsplit", "cut",
                  "{ type filter hook forward priority 0 ; policy drop ; }"});
}

void SplitLab::healVrrp() { vhub_->runOk({"nft", "delete", "table", "bridge", "xvsplit"}); }

void SplitLab::dropGateway(const std::string& n) {
    auto& ns = lab_->node(n);
    ns.runOk({"nft", "add", "table", "inet", "xvgw"});
    ns.runOk({"nft", "add", "chain", "inet", "xvgw", "out",
              "{ type filter hook output priority 0 ; }"});
    ns.runOk({"nft", "add", "rule", "inet", "xvgw", "out", "ip", "daddr", lab_->v4("gw").str(),
              "drop"});
}

void SplitLab::stopSshd(const std::string& n) {
    if (auto* p = sshd_[idx(n)]) p->stop(std::chrono::seconds(3));
}

std::set<std::string> SplitLab::arpOwners(std::chrono::milliseconds window) {
    const auto interval = Ms(20);
    ClientProber p(lab_->node("client"), clientAddr(), vip(), interval,
                   std::chrono::seconds(5));
    std::this_thread::sleep_for(window);  // the measurement window itself, not a wait
    std::set<std::string> all;
    for (auto& s : p.stop()) all.insert(s.arpMacs.begin(), s.arpMacs.end());
    return all;
}

std::string SplitLab::rule(const std::string& n) {
    auto r = lab::runIn("", {opts_.arbiterBin, "-s", dir() + "/" + n + "-arbiter.sock", "status",
                             "--json"},
                        std::chrono::seconds(3));
    auto s = r.ok() ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json();
    if (!s.is_object() || !s.contains("instances") || s["instances"].empty()) return "";
    const auto& d = s["instances"][0]["decision"];
    return d.is_object() ? d.value("rule", "") : "";
}

std::string SplitLab::audit(const std::string& n) const {
    return slurpFile(dir() + "/" + n + "-audit.log");
}

std::string SplitLab::arbiterLog(const std::string& n) const {
    return slurpFile(dir() + "/" + n + "-arbiter.log");
}

int SplitLab::transitions(const std::string& n) const {
    std::istringstream in((n == "n1" ? *n1_ : *n2_).log());
    int count = 0;
    for (std::string line; std::getline(in, line);)
        count += line.find("Entering ") != std::string::npos;
    return count;
}

std::string SplitLab::diagnostics() const {
    std::string out;
    for (const char* n : kNodes) {
        out += std::string("---- ") + n + " xvrrpd ----\n" + tail((idx(n) == 0 ? *n1_ : *n2_).log(), 30);
        out += std::string("---- ") + n + " arbiter ----\n" + tail(arbiterLog(n), 30);
        out += std::string("---- ") + n + " audit ----\n" + tail(audit(n), 10);
    }
    return out;
}

SplitMeasure analyse(const std::vector<ProbeSample>& samples, double tCut, double bound) {
    SplitMeasure m;
    for (auto it = samples.rbegin(); it != samples.rend(); ++it)
        if (!it->arpMacs.empty()) {
            if (it->arpMacs.size() == 1) m.owner = *it->arpMacs.begin();
            break;
        }
    size_t firstGood = samples.size();
    for (size_t i = samples.size(); i-- > 0;) {
        const auto& s = samples[i];
        if (s.t < tCut) break;
        bool bad = s.arpMacs.size() > 1 || (s.arpMacs.size() == 1 && *s.arpMacs.begin() != m.owner);
        if (bad) break;
        firstGood = i;
    }
    if (!m.owner.empty() && firstGood < samples.size())
        m.singleOwnerS = std::max(0.0, samples[firstGood].t - tCut);
    for (size_t i = 0; i < samples.size(); ++i) {
        const auto& s = samples[i];
        if (s.t < tCut) continue;
        m.bothAnswered += s.arpMacs.size() > 1;
        m.bothAfterBound += s.arpMacs.size() > 1 && s.t > tCut + bound;
        m.arpUnanswered += s.arpMacs.empty();
        ++m.icmpSent;
        m.icmpAnswered += !s.icmpMac.empty();
        if (i >= firstGood && !s.icmpMac.empty()) m.icmpMacsAfterSingle.insert(s.icmpMac);
    }
    return m;
}

}  // namespace xvrrp::itest
