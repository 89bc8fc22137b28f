#pragma once
// The issue 4 acceptance topology: xvrrpd nodes n1..nN (two by default) with VRRP on a
// dedicated link (vrrp0, a bridge of its own) and the VIP on the LAN (eth0, `VIP/24 dev
// eth0`), where the client and the gateway (the arbiters' quorum target) live. Real sshd and
// an arbiter per node, each arbiter with every other node as a peer, keys generated per lab.
// Shared by integration.arbiter_split* and tools/bench/splitbrain; failures throw
// std::runtime_error so both can use it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lab/lab.hpp"
#include "xvrrpd_node.hpp"

namespace xvrrp::itest {

struct SplitOptions {
    std::string tag = "split";
    std::vector<int> priorities = {150, 100};  // of n1, n2, ...: n1 wins elections
    double advertInt = 0.1;        // seconds
    double probeInterval = 0.5;    // arbiter rounds
    int sshConnectTimeout = 1;     // seconds
    int sshTimeout = 2;            // seconds
    int fenceAfter = 2, unfenceAfter = 3;
    std::string arbiterBin;        // xvrrp-arbiter
    bool keepLogs = false;
    // Nice value of the test thread while the lab lives, so of everything it starts (xvrrpd,
    // sshd, ssh, the arbiters); 0 leaves it alone.
    int nice = 0;
    // More LAN namespaces without xvrrpd (the etcd members of the witness tests).
    std::vector<std::string> extraNodes;
    // Appended to every arbiter.conf (a `witness etcd { ... }` block).
    std::string arbiterExtra;
    // When set, each arbiter serves /metrics on 127.0.0.1:PORT of its namespace.
    int metricsPort = 0;
};

// One client probe: an ARP request and an ICMP echo for the VIP, and who answered.
struct ProbeSample {
    double t = 0;                  // seconds since the prober started
    std::set<std::string> arpMacs; // source MACs of ARP replies for the VIP
    std::string icmpMac;           // source MAC of the echo reply, "" when none came
};

// A client that sends an ARP request and an echo to `vip` every `interval` from eth0 of
// `ns` (a thread joined to the namespace) until stop() or `maxDuration`.
class ClientProber {
  public:
    ClientProber(const lab::Netns& ns, const IpAddr& self, const IpAddr& vip,
                 std::chrono::milliseconds interval, std::chrono::seconds maxDuration);
    ~ClientProber();
    ClientProber(const ClientProber&) = delete;
    ClientProber& operator=(const ClientProber&) = delete;
    double now() const;  // the prober's clock, seconds
    std::vector<ProbeSample> stop();

  private:
    void run();
    std::string nsPath_;
    IpAddr self_, vip_;
    std::chrono::milliseconds interval_;
    std::chrono::seconds max_;
    lab::Clock::time_point t0_;
    std::atomic<bool> stop_{false};
    std::vector<ProbeSample> samples_;
    std::string error_;
    std::thread thread_;
};

class SplitLab {
  public:
    explicit SplitLab(SplitOptions opts);
    ~SplitLab();
    SplitLab(const SplitLab&) = delete;
    SplitLab& operator=(const SplitLab&) = delete;

    // xvrrpd (n1 MASTER, the others BACKUP), sshd and the arbiters; waits until every
    // arbiter has finished a full round (rule R5 on all).
    void start();

    lab::Lab& lab() { return *lab_; }
    XvrrpdNode& node(const std::string& n) { return *nodes_.at(idx(n)); }
    const std::vector<std::string>& names() const { return names_; }
    const std::string& dir() const { return lab_->logDir(); }
    IpAddr vip() const { return lab_->vip4(100); }
    IpAddr clientAddr() const { return lab_->v4("client"); }
    std::string lanMac(const std::string& n);  // MAC of the node's eth0
    const SplitOptions& options() const { return opts_; }
    // Before start(): text for every arbiter.conf that needs the lab's addresses.
    void setArbiterExtra(std::string text) { opts_.arbiterExtra = std::move(text); }
    // The promise of docs/arbiter.md for a responsive peer: fence_after rounds + the SSH
    // timeout. With N nodes the losers take over and fence one after another (each after
    // the previous one's priority-0 advert), so a cut can take N-1 of these.
    double boundSeconds() const {
        return static_cast<double>(names_.size() - 1) *
               (opts_.fenceAfter * opts_.probeInterval + opts_.sshTimeout);
    }
    // The promise of docs/arbiter.md "Timing" whatever the load, as long as each peer answers
    // within the SSH timeout: the first loser takes over after Master_Down_Interval (at most
    // 4 advert intervals), each later one after Skew_Time (at most one), and each fences
    // after at most fence_after + 1 rounds of at most max(probe_interval, ssh_timeout).
    double worstCaseSeconds(int losers) const {
        const double round = std::max(opts_.probeInterval, static_cast<double>(opts_.sshTimeout));
        return 3 * opts_.advertInt + losers * ((opts_.fenceAfter + 1) * round + opts_.advertInt);
    }

    // The dedicated VRRP link stops forwarding; carrier stays up on every node (a switch
    // that fails silently), so all become MASTER.
    void cutVrrp();
    // Only node `n`'s port of the VRRP link stops forwarding (both directions).
    void cutVrrpOf(const std::string& n);
    void healVrrp();
    // `n` no longer reaches the gateway (echo requests to it dropped on egress).
    void dropGateway(const std::string& n);
    void restoreGateway(const std::string& n);
    void stopSshd(const std::string& n);
    void startSshd(const std::string& n);
    // Rewrites every arbiter.conf with `extra` in place of arbiterExtra and sends SIGHUP (the
    // arbiters apply it from their next round).
    void reloadArbiters(const std::string& extra);
    // `n`'s arbiter's /metrics body ("" when it does not answer).
    std::string arbiterMetrics(const std::string& n);

    // ARP request from the client; the MACs that answered within `window`.
    std::set<std::string> arpOwners(std::chrono::milliseconds window);
    // The rule of the last decision of `n`'s arbiter ("" if it does not answer).
    std::string rule(const std::string& n);
    // The number of the last round `n`'s arbiter finished (0 if it does not answer).
    int round(const std::string& n);
    std::string audit(const std::string& n) const;
    std::string arbiterLog(const std::string& n) const;
    // "Entering ... STATE" lines in `n`'s xvrrpd log.
    int transitions(const std::string& n) const;
    std::string diagnostics() const;  // logs for a failure message

    // Replaces the client key's line in authorized_keys: `options` (e.g. a forced command)
    // before the key; "" restores the default, a forced `xvrrpctl status --json`. sshd reads
    // the file for every connection.
    void setKeyOptions(const std::string& options);

    // `n`'s arbiter's status --json ({} if it does not answer).
    nlohmann::json arbiterStatus(const std::string& n);

  private:
    size_t idx(const std::string& n) const;
    void keygen(const std::string& name);
    void writeArbiterConf(const std::string& n);
    void startArbiter(const std::string& n);
    std::string config(const std::string& n, int priority) const;

    SplitOptions opts_;
    int oldNice_ = 0;
    int port_ = 0;
    std::vector<std::string> names_;  // n1, n2, ...
    std::unique_ptr<lab::Lab> lab_;
    std::unique_ptr<lab::Netns> vhub_;  // the VRRP link's bridge
    std::vector<std::unique_ptr<XvrrpdNode>> nodes_;
    std::vector<lab::Process*> sshd_;
    std::vector<lab::Process*> arbiters_;
    bool vrrpCut_ = false;
};

std::string slurpFile(const std::string& path);

// What the client saw across a cut at `tCut` (prober clock).
struct SplitMeasure {
    std::string owner;          // the only MAC of the last answered probe ("" if ambiguous)
    double singleOwnerS = -1;   // cut -> first probe after which only `owner` answers ARP
    int bothAnswered = 0;       // probes after the cut answered (ARP) by two MACs
    int bothAfterBound = 0;     // ... of them sent later than `bound` after the cut
    int arpUnanswered = 0;      // probes after the cut without an ARP reply
    int icmpAnswered = 0, icmpSent = 0;
    std::set<std::string> icmpMacsAfterSingle;  // who answered echoes once single
};
SplitMeasure analyse(const std::vector<ProbeSample>& samples, double tCut, double bound);

}  // namespace xvrrp::itest
