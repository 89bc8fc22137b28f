#pragma once
// Follows the daemons' logs and the arbiters' audit logs while the chaos run goes on: VRRP
// transitions ("(VI_1) Entering MASTER STATE", the wording both daemons share) and arbiter
// actions (audit lines with "action" fence_self / unfence_self), each on the run clock. A
// line's own millisecond timestamp is used when it has one (xvrrpd's console format, the
// audit "ts"), so a follower that reads late does not move the event; otherwise the time the
// line was read.
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "lab/wait.hpp"

namespace xvrrp::chaos {

using lab::Clock;

class LogFollower {
  public:
    explicit LogFollower(Clock::time_point epoch);
    ~LogFollower();
    LogFollower(const LogFollower&) = delete;
    LogFollower& operator=(const LogFollower&) = delete;

    // From now on node n's daemon writes `path` (a started daemon gets a file of its own).
    void followDaemon(int node, const std::string& path);
    void followAudit(int node, const std::string& path);
    // The daemon of node n is gone (killed, or stopped before a start): its instances are DOWN.
    void markDown(int node);

    std::string state(int node, int instance) const;  // "" before the first line
    // Run-clock time of the first state line of node n at or after `since`, or -1.
    double firstStateSince(int node, double since) const;
    // A line of node n's current daemon log read after `since` contains `text`.
    bool saw(int node, const std::string& text, double since) const;
    std::vector<Transition> transitions() const;
    std::vector<ArbiterAction> actions() const;
    double now() const;

  private:
    struct File {
        int node;
        bool audit;
        std::string path;
        size_t offset = 0;
        std::string partial;
    };
    struct Line {
        int node;
        double t;
        std::string text;
    };
    void run();
    void poll(File& f);
    void onDaemonLine(int node, const std::string& line, double readT);
    void onAuditLine(int node, const std::string& line, double readT);
    double fromRealtime(double epochSeconds) const;

    Clock::time_point epoch_;
    mutable std::mutex mu_;
    std::vector<File> files_;
    std::vector<std::vector<std::string>> states_;  // [node][instance]
    std::vector<Transition> transitions_;
    std::vector<ArbiterAction> actions_;
    std::vector<std::vector<double>> stateLines_;   // [node]: times of state lines
    std::deque<Line> recent_;                       // the last daemon lines, bounded
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace xvrrp::chaos
