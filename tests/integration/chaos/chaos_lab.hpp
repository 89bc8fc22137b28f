#pragma once
// The chaos topology: n1, n2, n3 (the VRRP nodes), a client and a gateway on one switched
// LAN (tests/integration/lab). VRRP and the VIPs live on eth0. With xvrrpd every node also
// runs sshd and xvrrp-arbiter (the peers are the other two nodes, reached over SSH with a
// key whose forced command is `xvrrpctl status --json`; the quorum is the gateway), as
// docs/arbiter.md describes. keepalived runs alone: it has no arbiter.
// Every fault the schedule knows is a method here. Failures throw std::runtime_error.
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "lab/lab.hpp"
#include "logs.hpp"

namespace xvrrp::chaos {

enum class Daemon { Xvrrpd, Keepalived };
const char* daemonName(Daemon d);

struct ArbiterTiming {
    double probeInterval = 0.5;  // seconds
    int sshConnectTimeout = 2, sshTimeout = 3;
    int fenceAfter = 2, unfenceAfter = 3;
    // docs/arbiter.md "Timing": with N nodes the client sees exactly one node answer after at
    // most (N - 1) x (fence_after x probe_interval + ssh_timeout).
    double boundS() const { return (kNodes - 1) * (fenceAfter * probeInterval + sshTimeout); }
    // How long after a fault (restore included) the arbiters may still act on it: a fence
    // (the bound above) and then the hold-down before unfencing, each round as long as the
    // slowest SSH query (docs/arbiter.md "History and hysteresis").
    double settleS() const {
        const double round = std::max(probeInterval, static_cast<double>(sshTimeout));
        return boundS() + unfenceAfter * round + 2 * probeInterval;
    }
};

// What an arbiter said last: its round number and each instance's rule ("" unknown).
struct ArbiterView {
    long round = -1;
    std::vector<std::string> rules;
};

struct LabConfig {
    Daemon daemon = Daemon::Xvrrpd;
    std::string tag = "chaos";
    bool keepLogs = false;
    ArbiterTiming arbiter;
    std::string arbiterBin;  // xvrrp-arbiter
};

class ChaosLab {
  public:
    ChaosLab(LabConfig cfg, LogFollower& logs);
    ~ChaosLab();
    ChaosLab(const ChaosLab&) = delete;
    ChaosLab& operator=(const ChaosLab&) = delete;

    // Daemons with `conf`, then (xvrrpd) sshd and the arbiters once every arbiter has decided.
    void start(const Conf& conf);
    bool arbiters() const { return cfg_.daemon == Daemon::Xvrrpd; }
    Daemon daemon() const { return cfg_.daemon; }

    void startDaemon(int node, const Conf& conf);
    void kill9(int node);
    void sigstop(int node);
    void sigcont(int node);
    void cutLink(int node);
    void restoreLink(int node);
    // VRRP (IP protocol 112) dropped in the switch from and to `isolated`; carrier stays up.
    void partition(const std::vector<int>& isolated);
    void heal();
    // Writes `conf` for `node` and reloads it: xvrrpctl reload (waits for its answer) or
    // keepalived's SIGHUP (waits for the reload's log line). Returns what the daemon said.
    std::string reload(int node, const Conf& conf);
    // Whether this build can restart hitlessly (xvrrpctl lists a restart command).
    bool canRestart() const;
    std::string restartUnavailableReason() const;
    void restart(int node, const Conf& conf);
    // stress-ng --cpu `workers` for `seconds`; the namespace owns it, stopHog() ends it early.
    void hog(int workers, double seconds);
    void stopHog();
    // Foreign adverts (VRIDs not ours; ours at priority 1 from a stranger) from the gateway
    // into the segment at `pps` for `seconds`, at most 100000 frames. Blocks; returns sent.
    long flood(int pps, double seconds);

    bool daemonRunning(int node);
    ArbiterView arbiterView(int node);
    std::string mac(int node);
    lab::Lab& lab() { return *lab_; }
    const std::string& dir() const { return lab_->logDir(); }
    std::string diagnostics();  // log tails for an error message

  private:
    std::string nodeDir(int node) const;
    std::vector<std::string> daemonArgv(int node) const;
    void writeConf(int node, const Conf& conf);
    void startSsh();
    void startArbiter(int node);
    std::string arbiterRule(int node, int instance);
    std::string daemonLog(int node) const;

    LabConfig cfg_;
    LogFollower& logs_;
    std::unique_ptr<lab::Lab> lab_;
    std::vector<lab::Process*> daemon_;
    std::vector<int> starts_;  // per node: how many times its daemon was started
    int port_ = 0;
    lab::Process* hog_ = nullptr;
    bool partitioned_ = false;
};

std::string arbiterBinary();  // built with the tests, or $XVRRP_ITEST_BIN_DIR/xvrrp-arbiter

}  // namespace xvrrp::chaos
