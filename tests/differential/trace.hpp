#pragma once
// What a run of a scenario showed, checkpoint by checkpoint, and how two runs differ.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace xvrrp::diff {

struct NotifyCall {
    double t = 0;        // realtime seconds, stamped by the notify script
    std::string node;
    std::string args;    // "INSTANCE VI_1 MASTER 150"
};

// The picture after one event (or at the end of a group of events that do not settle).
struct Checkpoint {
    std::string event;                                         // "stop n1"
    std::map<std::string, std::string> state;                  // "n1 VI_1" -> MASTER|BACKUP|FAULT|stopped
    std::map<std::string, std::string> holders;                // VIP -> "n1", "n1+n2" or "none"
    std::map<std::string, std::vector<std::string>> transitions;  // "n1 VI_1" -> states entered
    std::map<std::string, std::vector<std::string>> logs;      // "n1 VI_1" (or "n1 -") -> lines operators watch
    std::vector<NotifyCall> notifies;                          // every node's, by time
    std::set<std::string> adverts;                             // adverts seen while settled
    std::map<std::string, int> garps;                          // VIP -> gratuitous ARP/NA count
    std::optional<double> takeover_ms;                         // event -> first MASTER notify
};

struct Trace {
    std::string variant;        // "ka-ka", "xv-xv", "ka-xv", ...
    std::vector<Checkpoint> points;
    std::string failure;        // the run could not be completed (why)
    std::string kept;           // with XVRRP_KEEP_LOGS: the run's directory
};

struct Difference {
    std::string aspect;         // state vip transitions notify order log adverts garp takeover run
    std::string where;          // "after 'stop n1'" (and the node)
    std::string text;           // reference vs this run
    std::string str() const { return aspect + " " + where + ": " + text; }
};

// How `got` differs from `ref` (the keepalived pair's run of the same scenario). Takeover
// times differ when they are further apart than max(250 ms, 25% of the reference).
std::vector<Difference> compare(const Trace& ref, const Trace& got);

// The lines of a daemon's log an operator greps, stripped of the time stamp, in order;
// repeated lines (one per advert) are left out.
std::vector<std::string> watchedLines(const std::string& log);

// Joined for messages.
std::string join(const std::vector<std::string>& v, const std::string& sep = ", ");

}  // namespace xvrrp::diff
