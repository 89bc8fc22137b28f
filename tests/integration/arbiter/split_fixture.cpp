#include "split_fixture.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
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
constexpr const char* kVrrpNet = "10.78.0";  // vrrp0: n1 .1, n2 .2, ...
}  // namespace

std::string slurpFile(const std::string& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

SplitLab::SplitLab(SplitOptions opts) : opts_(std::move(opts)) {
    if (opts_.arbiterBin.empty()) throw std::invalid_argument("SplitLab: arbiterBin not set");
    if (opts_.priorities.size() < 2) throw std::invalid_argument("SplitLab: two nodes at least");
    for (size_t i = 0; i < opts_.priorities.size(); ++i)
        names_.push_back("n" + std::to_string(i + 1));
    if (opts_.nice != 0) {
        oldNice_ = ::getpriority(PRIO_PROCESS, 0);  // this thread: children inherit it
        if (::setpriority(PRIO_PROCESS, 0, opts_.nice) != 0)
            throw std::runtime_error(std::string("setpriority: ") + std::strerror(errno));
    }
    auto all = names_;
    all.insert(all.end(), {"client", "gw"});
    all.insert(all.end(), opts_.extraNodes.begin(), opts_.extraNodes.end());
    lab_ = std::make_unique<lab::Lab>(all, lab::LabOptions{.tag = opts_.tag, .keepLogs = opts_.keepLogs});
    // The dedicated VRRP link: a bridge of its own, vrrp0 in each node.
    vhub_ = std::make_unique<lab::Netns>(opts_.tag + "-vhub");
    vhub_->runOk({"ip", "link", "add", kVrrpBridge, "type", "bridge", "stp_state", "0",
                  "forward_delay", "0", "mcast_snooping", "0"});
    vhub_->runOk({"ip", "link", "set", kVrrpBridge, "up"});
    for (size_t i = 0; i < names_.size(); ++i) {
        const std::string port = "vr" + std::to_string(i + 1);
        auto& ns = lab_->node(names_[i]);
        vhub_->runOk({"ip", "link", "add", port, "type", "veth", "peer", "name", "vrrp0", "netns",
                      ns.name()});
        vhub_->runOk({"ip", "link", "set", port, "master", kVrrpBridge, "up"});
        ns.runOk({"ip", "addr", "add", std::string(kVrrpNet) + "." + std::to_string(i + 1) + "/24",
                  "dev", "vrrp0"});
        ns.runOk({"ip", "link", "set", "vrrp0", "up"});
    }
    for (const auto& n : names_) nodes_.push_back(std::make_unique<XvrrpdNode>(*lab_, n));
    sshd_.assign(names_.size(), nullptr);
    arbiters_.assign(names_.size(), nullptr);
}

SplitLab::~SplitLab() {
    // Arbiters first (they would fence a node whose xvrrpd is stopping), then xvrrpd.
    while (!nodes_.empty()) nodes_.pop_back();
    if (opts_.nice != 0) ::setpriority(PRIO_PROCESS, 0, oldNice_);
}

size_t SplitLab::idx(const std::string& n) const {
    for (size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == n) return i;
    throw std::invalid_argument("SplitLab: no node " + n);
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
           "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        // Tells the shared xvrrpctl wrapper (below) which node's socket to ask. HOME keeps
        // root's shell rc files (run for every command sshd starts) out of the way.
        << "SetEnv XVT_NODE=" << me << " HOME=" << dir() << "/home\n";
    auto& p = lab_->node(me).spawn(
        {"/usr/sbin/sshd", "-D", "-e", "-f", dir() + "/" + me + "-sshd_config"},
        dir() + "/" + me + "-sshd.log");
    sshd_[idx(me)] = &p;
    if (!lab::waitUntil(
            [&] { return p.readLog().find("Server listening") != std::string::npos; },
            std::chrono::seconds(10)))
        throw std::runtime_error("sshd in " + me + " did not start: " + p.readLog());
}

void SplitLab::writeArbiterConf(const std::string& me) {
    const std::string conf = dir() + "/" + me + "-arbiter.conf";
    std::ofstream out(conf + ".tmp");
    // Peers are pinged and reached over SSH on the LAN: the VRRP link is what breaks. The
    // wrapper that runs xvrrpctl over SSH takes the node's name from the connection.
    out << "arbiter {\n  node_name " << me << "\n  xvrrpd_socket " << dir() << "/" << me
        << ".sock\n  pin_root " << node(me).pinRoot() << "\n  control_socket " << dir() << "/"
        << me << "-arbiter.sock\n"
        << "  audit_log " << dir() << "/" << me << "-audit.log\n"
        << "  remote_xvrrpctl " << dir() << "/xvrrpctl-here\n"
        << "  probe_interval " << opts_.probeInterval << "\n"
        << "  ping_timeout " << opts_.probeInterval * 0.6 << "\n"
        << "  control_timeout " << opts_.probeInterval * 0.6 << "\n"
        << "  ssh_connect_timeout " << opts_.sshConnectTimeout << "\n"
        << "  ssh_timeout " << opts_.sshTimeout << "\n"
        << "  fence_after " << opts_.fenceAfter << "\n  unfence_after " << opts_.unfenceAfter
        << "\n";
    if (opts_.metricsPort) out << "  metrics 127.0.0.1:" << opts_.metricsPort << "\n";
    out << "}\n";
    for (const auto& peer : names_) {
        if (peer == me) continue;
        out << "peer " << peer << " {\n  address " << lab_->v4(peer).str() << "\n"
            << "  ssh {\n    user root\n    port " << port_ << "\n    identity_file " << dir()
            << "/client_key\n    known_hosts " << dir() << "/known_hosts\n  }\n}\n";
    }
    out << "gateways {\n  quorum 1\n  " << lab_->v4("gw").str() << "\n}\n";
    out << opts_.arbiterExtra;
    out.close();
    fs::rename(conf + ".tmp", conf);  // a reload reads a whole file
}

void SplitLab::startArbiter(const std::string& me) {
    writeArbiterConf(me);
    const std::string conf = dir() + "/" + me + "-arbiter.conf";
    arbiters_[idx(me)] = &lab_->node(me).spawn({opts_.arbiterBin, "-D", "-f", conf},
                                               dir() + "/" + me + "-arbiter.log");
}

void SplitLab::reloadArbiters(const std::string& extra) {
    opts_.arbiterExtra = extra;
    for (size_t i = 0; i < names_.size(); ++i) {
        writeArbiterConf(names_[i]);
        // The arbiter alone: its process group holds the ssh children of a round.
        if (arbiters_[i] && arbiters_[i]->running()) ::kill(arbiters_[i]->pid(), SIGHUP);
    }
}

std::string SplitLab::arbiterMetrics(const std::string& n) {
    if (!opts_.metricsPort) throw std::logic_error("SplitLab: metricsPort not set");
    auto r = lab_->node(n).run({"curl", "-s", "--max-time", "3", "http://127.0.0.1:" +
                                                                  std::to_string(opts_.metricsPort) +
                                                                  "/metrics"},
                               std::chrono::seconds(5));
    return r.ok() ? r.out : std::string();
}

void SplitLab::start() {
    if (::access("/usr/sbin/sshd", X_OK) != 0)
        throw std::runtime_error("openssh-server is required (/usr/sbin/sshd)");
    fs::create_directories("/run/sshd");  // Debian's sshd privilege separation directory
    std::mt19937 rng(static_cast<unsigned>(::getpid()) * 13u + 7u);
    port_ = 20000 + static_cast<int>(rng() % 20000);
    keygen("client_key");
    fs::create_directories(dir() + "/home");
    std::ofstream known(dir() + "/known_hosts");
    for (const auto& n : names_) {
        keygen(n + "-host_key");
        known << "[" << lab_->v4(n).str() << "]:" << port_ << " "
              << slurpFile(dir() + "/" + n + "-host_key.pub");
    }
    known.close();
    // What a peer's arbiter runs over SSH: xvrrpctl against the socket of the node whose
    // sshd answered (XVT_NODE, set by that sshd).
    const std::string wrapper = dir() + "/xvrrpctl-here";
    std::ofstream(wrapper) << "#!/bin/sh\nexec " << xvrrpctlBin() << " --control " << dir()
                           << "/\"$XVT_NODE\".sock \"$@\"\n";
    ::chmod(wrapper.c_str(), 0755);
    setKeyOptions("");

    for (size_t i = 0; i < names_.size(); ++i)
        nodes_[i]->start(config(names_[i], opts_.priorities[i]));
    const auto limit = std::chrono::seconds(15);
    bool elected = waitState(*nodes_[0], "MASTER", limit);
    for (size_t i = 1; i < names_.size(); ++i)
        elected = waitState(*nodes_[i], "BACKUP", limit) && elected;
    if (!elected) {
        std::string states;
        for (size_t i = 0; i < names_.size(); ++i)
            states += " " + names_[i] + " " + nodes_[i]->state();
        throw std::runtime_error("election:" + states);
    }
    for (const auto& n : names_) startSshd(n);
    for (const auto& n : names_) startArbiter(n);
    auto allR5 = [&] {  // W0: the master owns the instance on the witness
        for (const auto& n : names_)
            if (rule(n) != "R5" && rule(n) != "W0") return false;
        return true;
    };
    if (!lab::waitUntil(allR5, std::chrono::seconds(20), Ms(50))) {
        std::string rules;
        for (const auto& n : names_) rules += " " + n + " '" + rule(n) + "'";
        throw std::runtime_error("arbiters never reached R5:" + rules);
    }
}

void SplitLab::setKeyOptions(const std::string& options) {
    // By default the key may run the one command the arbiter needs (docs/arbiter.md).
    const std::string opts =
        options.empty() ? "command=\"" + dir() + "/xvrrpctl-here status --json\",restrict" : options;
    const std::string tmp = dir() + "/authorized_keys.tmp";
    std::ofstream(tmp) << opts << " " << slurpFile(dir() + "/client_key.pub");
    fs::rename(tmp, dir() + "/authorized_keys");
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

void SplitLab::cutVrrpOf(const std::string& n) {
    const std::string port = "vr" + std::to_string(idx(n) + 1);
    vhub_->runOk({"nft", "add", "table", "bridge", "xvsplit"});
    vhub_->runOk({"nft", "add", "chain", "bridge", "xvsplit", "cut",
                  "{ type filter hook forward priority 0 ; }"});
    // Flooded frames pass the forward hook once per output port, so both rules see them.
    vhub_->runOk({"nft", "add", "rule", "bridge", "xvsplit", "cut", "iifname", port, "drop"});
    vhub_->runOk({"nft", "add", "rule", "bridge", "xvsplit", "cut", "oifname", port, "drop"});
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

void SplitLab::restoreGateway(const std::string& n) {
    lab_->node(n).runOk({"nft", "delete", "table", "inet", "xvgw"});
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

nlohmann::json SplitLab::arbiterStatus(const std::string& n) {
    auto r = lab::runIn("", {opts_.arbiterBin, "-s", dir() + "/" + n + "-arbiter.sock", "status",
                             "--json"},
                        std::chrono::seconds(3));
    auto s = r.ok() ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json();
    return s.is_object() ? s : nlohmann::json::object();
}

std::string SplitLab::rule(const std::string& n) {
    auto s = arbiterStatus(n);
    if (!s.contains("instances") || !s["instances"].is_array() || s["instances"].empty()) return "";
    const auto& d = s["instances"][0]["decision"];
    return d.is_object() ? d.value("rule", "") : "";
}

int SplitLab::round(const std::string& n) {
    auto s = arbiterStatus(n);
    auto r = s.find("round");
    return r != s.end() && r->is_object() ? r->value("number", 0) : 0;
}

std::string SplitLab::audit(const std::string& n) const {
    return slurpFile(dir() + "/" + n + "-audit.log");
}

std::string SplitLab::arbiterLog(const std::string& n) const {
    return slurpFile(dir() + "/" + n + "-arbiter.log");
}

int SplitLab::transitions(const std::string& n) const {
    std::istringstream in(nodes_.at(idx(n))->log());
    int count = 0;
    for (std::string line; std::getline(in, line);)
        count += line.find("Entering ") != std::string::npos;
    return count;
}

std::string SplitLab::diagnostics() const {
    std::string out;
    for (const auto& n : names_) {
        out += "---- " + n + " xvrrpd ----\n" + tail(nodes_[idx(n)]->log(), 30);
        out += "---- " + n + " arbiter ----\n" + tail(arbiterLog(n), 30);
        out += "---- " + n + " audit ----\n" + tail(audit(n), 10);
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
