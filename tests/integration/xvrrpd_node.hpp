#pragma once
// xvrrpd under test: one daemon in a lab node, its config, control socket,
// pin root and the questions integration tests ask about it.
#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "lab/lab.hpp"
#include "lab/wait.hpp"

namespace xvrrp::itest {

using lab::Clock;
using lab::Ms;
using lab::waitUntil;

// Paths of the binaries under test: fixed by CMake at build time, or taken
// from $XVRRP_ITEST_BIN_DIR when set.
std::string xvrrpdBin();
std::string xvrrpctlBin();
std::string probeBin();

// One vrrp_instance VI_1 on eth0, rendered as keepalived.conf.
struct InstanceSpec {
    int version = 3;
    Family family = Family::V4;
    int vrid = 51;
    int priority = 100;
    double advertInt = 0.1;   // seconds
    bool preempt = true;      // false writes nopreempt
    double preemptDelay = 0;  // seconds, 0 = none
    std::string authPass;     // VRRPv2 PASS authentication when not empty
    std::optional<IpAddr> unicastSrc;
    std::vector<IpAddr> unicastPeers;
    std::string vip;  // "10.77.0.100/24"
};

std::string renderConfig(const std::string& routerId, const InstanceSpec& spec);

// RFC 5798 section 6.1 in seconds (v2 uses the same formulas in whole seconds, RFC 3768 6.1).
double skewTime(int priority, double advertInt);
double masterDownInterval(int priority, double advertInt);

class XvrrpdNode {
  public:
    XvrrpdNode(lab::Lab& lab, std::string node);
    // Stops the daemon (if running) and removes its pin root. Never throws.
    ~XvrrpdNode();
    XvrrpdNode(const XvrrpdNode&) = delete;
    XvrrpdNode& operator=(const XvrrpdNode&) = delete;

    // Writes the config and spawns xvrrpd in the node, with `extraArgs` after the
    // harness's own (e.g. --force-xdp). Does not wait for anything.
    void start(const std::string& configText, const std::vector<std::string>& extraArgs = {});
    // A command (setpriv ... --) that start() runs xvrrpd under, e.g. with capabilities dropped.
    void setLauncher(std::vector<std::string> launcher) { launcher_ = std::move(launcher); }
    bool running();
    void signal(int sig);
    // Runs PATH as xvrrpd from the next start() on (a copy a test may replace).
    void useBinary(std::string path) { binary_ = std::move(path); }
    // `xvrrpctl --control SOCK ARGS...` from the root namespace.
    lab::RunResult ctl(const std::vector<std::string>& args,
                       Clock::duration timeout = std::chrono::seconds(30)) const;
    // daemon.pid of the status document (the process that answers), 0 while none does.
    int daemonPid() const;
    // Waits for exit; returns the raw wait status or nullopt at the deadline.
    std::optional<int> waitExit(Clock::duration timeout);

    // `xvrrpctl status --json`, or nullopt while the socket does not answer.
    std::optional<nlohmann::json> status() const;
    // instances[0] of the status document, or nullopt.
    std::optional<nlohmann::json> instance() const;
    // "MASTER", "BACKUP", ... or "" when the daemon does not answer.
    std::string state() const;
    bool holds(const IpAddr& vip) const;
    // `ip -j link show eth0` reports an XDP program on the node's eth0.
    bool xdpAttached() const;
    // Entries left under the pin root (empty when the directory is gone).
    std::vector<std::string> pinnedEntries() const;

    lab::Netns& ns() { return lab_.node(node_); }
    const std::string& name() const { return node_; }
    const std::string& pinRoot() const { return pinRoot_; }
    const std::string& configPath() const { return confPath_; }
    const std::string& controlPath() const { return sockPath_; }
    const std::string& pidPath() const { return pidPath_; }
    // The daemon's pid, or -1 if it was never started.
    pid_t pid() const;
    std::string log() const;

  private:
    lab::Lab& lab_;
    std::string node_;
    std::string confPath_;
    std::string sockPath_;
    std::string pidPath_;
    std::string pinRoot_;
    lab::Process* proc_ = nullptr;  // owned by the node's Netns
    std::string binary_;            // empty: xvrrpdBin()
    std::vector<std::string> launcher_;
};

// Waits until `node` reports `state`; on timeout returns false.
bool waitState(const XvrrpdNode& node, const std::string& state, Clock::duration timeout);

// True when pred() holds at every poll for the whole `window` (fails fast).
template <typename Pred>
bool holdsFor(Pred&& pred, Clock::duration window, Clock::duration step = Ms(20)) {
    const auto end = Clock::now() + window;
    while (Clock::now() < end) {
        if (!pred()) return false;
        std::this_thread::sleep_for(step);
    }
    return pred();
}

// xvrrp-probe pinging a target from a namespace; its JSON report goes to a file.
class Prober {
  public:
    Prober(lab::Lab& lab, lab::Netns& ns, const IpAddr& target, int intervalUs, int durationS);
    // Waits for the first reply.
    bool waitReady(Clock::duration timeout);
    // Marks the moment of the fault (SIGUSR1): the report measures the outage after it.
    void mark();
    // Waits for replies after the mark.
    bool waitResumed(Clock::duration timeout);
    // Stops the probe and returns its report, or nullopt if it wrote none.
    std::optional<nlohmann::json> finish();

  private:
    bool logHas(const std::string& prefix) const;
    std::string outPath_;
    lab::Process* proc_ = nullptr;
};

// A string for failure messages: the last `lines` lines of a log.
std::string tail(const std::string& text, size_t lines = 25);

}  // namespace xvrrp::itest
