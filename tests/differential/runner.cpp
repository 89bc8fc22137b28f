#include "differential/runner.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "differential/observe.hpp"
#include "lab/lab.hpp"
#include "lab/netns.hpp"
#include "lab/process.hpp"
#include "lab/wait.hpp"

namespace xvrrp::diff {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<int> gRun{0};

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFile(const std::string& path, const std::string& text, mode_t mode = 0644) {
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp) << text;
    ::chmod(tmp.c_str(), mode);
    fs::rename(tmp, path);
}

// Both daemons call it the same way; it stamps each call with the realtime clock.
constexpr const char* kNotify = "#!/bin/sh\nlog=$1\nshift\nprintf '%s %s\\n' \"$(date +%s.%N)\" \"$*\" >> \"$log\"\n";
// Fails while the flag file $1.$2 exists; logs each run with its time and result, so a
// takeover after a flag change is timed from the run that saw it.
constexpr const char* kCheck =
    "#!/bin/sh\nrc=0\n[ -e \"$1.$2\" ] && rc=1\nprintf '%s %s %s\\n' \"$(date +%s.%N)\" \"$2\" \"$rc\" >> \"$1.checks\"\n"
    "exit $rc\n";

// One daemon of either kind in one node; every start logs to a new file.
class DaemonNode {
public:
    DaemonNode(lab::Lab& lab, std::string name, Daemon kind, std::string conf, const RunOptions& o, int run)
        : lab_(lab), name_(std::move(name)), kind_(kind), conf_(std::move(conf)), opts_(o) {
        pin_ = "/sys/fs/bpf/xvt-diff-" + std::to_string(::getpid()) + "-" + std::to_string(run) + "-" + name_;
    }
    ~DaemonNode() {
        if (proc_ && proc_->running()) proc_->stop(std::chrono::seconds(3));
        std::error_code ec;
        fs::remove_all(pin_, ec);
    }
    void start() {
        const std::string base = lab_.logDir() + "/" + name_;
        logs_.push_back(base + (kind_ == Daemon::Xvrrpd ? ".xvrrpd." : ".keepalived.") +
                        std::to_string(logs_.size() + 1) + ".log");
        std::vector<std::string> argv;
        if (kind_ == Daemon::Xvrrpd)
            argv = {opts_.xvrrpd, "-n", "-l", "-D", "-i", name_, "-f", conf_, "--pin-root", pin_,
                    "--control", base + ".sock", "-p", base + ".xvrrpd.pid"};
        else  // -G: nothing to the host's syslog; the console log is what is compared
            argv = {opts_.keepalived, "-n", "-l", "-D", "-G", "--vrrp", "-i", name_, "-f", conf_,
                    "-p", base + ".ka.pid", "-r", base + ".vrrp.pid", "-b", base + ".bfd.pid",
                    "-c", base + ".chk.pid"};
        proc_ = &lab_.node(name_).spawn(argv, logs_.back());
    }
    void signal(int sig) {
        if (proc_ && proc_->running()) ::kill(proc_->pid(), sig);
    }
    void stop() {
        signal(SIGTERM);
        if (proc_ && !proc_->waitExit(std::chrono::seconds(10))) proc_->stop(std::chrono::milliseconds(100));
    }
    void kill() {
        if (proc_ && proc_->running()) proc_->sendSignal(SIGKILL);
        if (proc_) proc_->waitExit(std::chrono::seconds(5));
        // keepalived's VRRP child is reaped by init, not by us: a new keepalived refuses to
        // start ("daemon is already running") while its pid in the pid file still exists.
        const std::string base = lab_.logDir() + "/" + name_;
        const auto deadline = Clock::now() + std::chrono::seconds(5);
        for (const char* f : {".ka.pid", ".vrrp.pid", ".xvrrpd.pid"}) {
            const std::string text = readFile(base + f);
            const int pid = text.empty() ? 0 : std::atoi(text.c_str());
            if (pid > 0)
                lab::waitUntil([&] { return ::kill(pid, 0) != 0; }, deadline - Clock::now());
        }
    }
    bool running() { return proc_ && proc_->running(); }
    // Both daemons log "Startup complete" once set up; xvrrpd takes longer to get there
    // (its XDP program is loaded and verified first), which is not what is compared.
    bool startedUp() const {
        return !logs_.empty() && readFile(logs_.back()).find("Startup complete") != std::string::npos;
    }
    std::string logs() const {
        std::string all;
        for (const auto& p : logs_) all += readFile(p);
        return all;
    }
    const std::string& conf() const { return conf_; }

private:
    lab::Lab& lab_;
    std::string name_;
    Daemon kind_;
    std::string conf_;
    const RunOptions& opts_;
    std::string pin_;
    lab::Process* proc_ = nullptr;  // owned by the namespace
    std::vector<std::string> logs_;
};

class Run {
public:
    Run(const Scenario& s, const Variant& v, const RunOptions& o)
        : s_(s), v_(v), o_(o),
          lab_(s.nodes, lab::LabOptions{.tag = "diff", .keepLogs = o.keep_logs,
                                        .mgmtV4Prefix = s.mgmt ? "10.78.0" : ""}),
          obs_(lab_, lab_.logDir(), s.nodes, s.vips) {
        const std::string dir = lab_.logDir();
        writeFile(dir + "/notify.sh", kNotify, 0755);
        writeFile(dir + "/check.sh", kCheck, 0755);
        ::chmod(dir.c_str(), 0755);  // scripts run as root; the directory must not be writable by others
        Placeholders p{dir, {}, {}};
        for (const auto& n : s.nodes) {
            p.v4[n] = lab_.v4(n).str();
            p.v6[n] = lab_.v6(n).str();
            obs_.nameAddress(p.v4[n], n);
            obs_.nameAddress(linkLocal(n), n);
        }
        const int run = gRun++;
        for (size_t i = 0; i < s.nodes.size(); ++i) {
            const std::string conf = dir + "/" + s.nodes[i] + ".conf";
            texts_[s.nodes[i]] = renderConfig(s.config, s.nodes[i], s.nodes, p);
            writeFile(conf, texts_[s.nodes[i]]);
            nodes_[s.nodes[i]] = std::make_unique<DaemonNode>(lab_, s.nodes[i], v.daemons[i], conf, o, run);
        }
        startCapture();
    }
    ~Run() { nodes_.clear(); }

    Trace play() {
        Trace t;
        t.variant = v_.name;
        std::string label, started;
        double event_t = 0;
        for (const auto& e : s_.events) {
            if (label.empty()) event_t = realNow();
            label += (label.empty() ? "" : "; ") + e.text();
            if (e.verb == "start") started = e.args[0];
            apply(e);
            // A start's takeover counts from the daemons being set up ("Startup complete",
            // waited for in apply): xvrrpd's program load is not part of the protocol.
            if (e.verb == "start" && label == e.text()) event_t = realNow();
            if (!e.settle) continue;
            if (e.verb != "wait" && !settle()) {
                t.failure = "did not settle after '" + label + "' (line " + std::to_string(e.line) + ") in 30 s";
                break;
            }
            if (e.verb == "flag") event_t = obs_.checkSaw(e.args[0], e.args[1], e.args[2] == "on", event_t);
            t.points.push_back(obs_.take(label, event_t, started, logs(), running(), s_.quiet_ms / 1000.0,
                                         wants("garp")));
            label.clear();
            started.clear();
        }
        if (o_.keep_logs) t.kept = lab_.logDir();
        return t;
    }

private:
    bool wants(const std::string& aspect) const {
        return std::find(s_.compare.begin(), s_.compare.end(), aspect) != s_.compare.end();
    }
    std::string linkLocal(const std::string& node) {
        auto r = lab_.node(node).run({"ip", "-o", "-6", "addr", "show", "dev", "eth0", "scope", "link"});
        auto at = r.out.find("inet6 ");
        if (at == std::string::npos) return "";
        at += 6;
        return r.out.substr(at, r.out.find('/', at) - at);
    }
    void startCapture() {
        const std::string path = lab_.logDir() + "/wire.txt";
        lab_.hub().spawn({"timeout", "-s", "INT", "600", "tcpdump", "-i", "br0", "-nn", "-l", "-tt", "-v", "-c",
                          "200000", "ip proto 112 or ip6 proto 112 or arp or icmp6"},
                         path);
        lab::waitUntil([&] { return readFile(path).find("listening on") != std::string::npos; },
                       std::chrono::seconds(10), std::chrono::milliseconds(20));
    }
    std::map<std::string, std::string> logs() const {
        std::map<std::string, std::string> out;
        for (const auto& [n, d] : nodes_) out[n] = d->logs();
        return out;
    }
    std::map<std::string, bool> running() {
        std::map<std::string, bool> out;
        for (auto& [n, d] : nodes_) out[n] = d->running();
        return out;
    }
    // Quiet: nothing new in the watched log lines and notify calls for quiet_ms.
    bool settle() {
        const auto quiet = std::chrono::milliseconds(s_.quiet_ms);
        std::string last = obs_.signature(logs());
        auto since = Clock::now();
        return lab::waitUntil(
            [&] {
                std::string now = obs_.signature(logs());
                if (now == last) return Clock::now() - since >= quiet;
                last = std::move(now);
                since = Clock::now();
                return false;
            },
            std::chrono::seconds(30), std::chrono::milliseconds(50));
    }
    void apply(const Event& e);

    const Scenario& s_;
    const Variant& v_;
    const RunOptions& o_;
    lab::Lab lab_;
    Observer obs_;
    std::map<std::string, std::string> texts_;
    std::map<std::string, std::unique_ptr<DaemonNode>> nodes_;
};

void Run::apply(const Event& e) {
    const std::string dir = lab_.logDir();
    const std::vector<std::string>& a = e.args;
    if (e.verb == "start") {
        for (const auto& n : a) nodes_.at(n)->start();
        // The quiet period counts from a set-up daemon, not from the exec.
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        for (const auto& n : a) {
            auto& node = *nodes_.at(n);
            lab::waitUntil([&] { return node.startedUp() || !node.running(); },
                           deadline - Clock::now());
        }
    } else if (e.verb == "stop") {
        for (const auto& n : a) nodes_.at(n)->stop();
    } else if (e.verb == "kill") {
        for (const auto& n : a) nodes_.at(n)->kill();
    } else if (e.verb == "cut") {
        lab_.cutLink(a[0]);
    } else if (e.verb == "restore") {
        lab_.restoreLink(a[0]);
    } else if (e.verb == "ifdown" || e.verb == "ifup") {
        lab_.node(a[0]).runOk({"ip", "link", "set", a[1], e.verb == "ifdown" ? "down" : "up"});
    } else if (e.verb == "flag") {
        const std::string f = dir + "/" + a[0] + "." + a[1];
        if (a[2] == "on") writeFile(f, "x\n");
        else fs::remove(f);
    } else if (e.verb == "file") {
        writeFile(dir + "/" + a[0] + "." + a[1], a[2] + "\n");
    } else if (e.verb == "delvip") {
        lab_.node(a[0]).runOk({"ip", "addr", "del", a[1], "dev", "eth0"});
    } else if (e.verb == "wait") {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(a[0])));
    } else if (e.verb == "reload") {
        // reload NODE FROM... => TO...: the node's configuration edited, then SIGHUP.
        std::string rest;
        for (size_t i = 1; i < a.size(); ++i) rest += (i > 1 ? " " : "") + a[i];
        const auto arrow = rest.find(" => ");
        std::string& text = texts_.at(a[0]);
        if (arrow != std::string::npos) {
            // "\n" in FROM or TO is a line break.
            auto lines = [](std::string x) {
                for (size_t at; (at = x.find("\\n")) != std::string::npos;) x.replace(at, 2, "\n");
                return x;
            };
            const std::string from = lines(rest.substr(0, arrow)), to = lines(rest.substr(arrow + 4));
            const auto at = text.find(from);
            if (at == std::string::npos) throw std::runtime_error("reload: '" + from + "' not in the configuration");
            text.replace(at, from.size(), to);
            writeFile(nodes_.at(a[0])->conf(), text);
        }
        nodes_.at(a[0])->signal(SIGHUP);
    }
}

}  // namespace

std::vector<Variant> variantsOf(const Scenario& s) {
    const size_t n = s.nodes.size();
    auto name = [](const std::vector<Daemon>& d) {
        std::string out;
        for (auto k : d) out += std::string(out.empty() ? "" : "-") + (k == Daemon::Xvrrpd ? "xv" : "ka");
        return out;
    };
    std::vector<Variant> out;
    for (Daemon all : {Daemon::Keepalived, Daemon::Xvrrpd}) {
        std::vector<Daemon> d(n, all);
        out.push_back({name(d), d});
    }
    if (!s.mixed) return out;
    // A trio runs xvrrpd first among keepalived nodes and keepalived first among xvrrpd ones.
    for (size_t i = 0; i < (n == 2 ? n : 1); ++i) {
        std::vector<Daemon> d(n, Daemon::Keepalived);
        d[i] = Daemon::Xvrrpd;
        out.push_back({name(d), d});
        if (n == 2) continue;  // with two nodes, one xvrrpd is also one keepalived
        std::vector<Daemon> e(n, Daemon::Xvrrpd);
        e[i] = Daemon::Keepalived;
        out.push_back({name(e), e});
    }
    return out;
}

Trace runVariant(const Scenario& s, const Variant& v, const RunOptions& o) {
    try {
        Run run(s, v, o);
        return run.play();
    } catch (const std::exception& e) {
        Trace t;
        t.variant = v.name;
        t.failure = std::string("the run failed: ") + e.what();
        return t;
    }
}

}  // namespace xvrrp::diff
