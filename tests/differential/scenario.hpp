#pragma once
// A differential scenario: one keepalived.conf for every node (conditional lines `@n1 ...`
// pick each node's, as keepalived -i does) and the events to play on it. The format is in
// tests/differential/README.md.
#include <map>
#include <string>
#include <vector>

namespace xvrrp::diff {

struct Event {
    int line = 0;                   // in the scenario file, for messages
    std::string verb;               // start stop kill cut restore ifdown ifup flag file reload delvip wait settle
    std::vector<std::string> args;
    bool settle = true;             // false: a trailing '&', the next event follows at once
    std::string text() const;       // "stop n1"
};

struct Scenario {
    std::string name;               // the file name without .scn
    std::string path;
    std::string about;
    std::vector<std::string> nodes;  // n1 n2 [n3]
    bool mixed = true;              // also run keepalived and xvrrpd side by side
    bool mgmt = false;              // every node also gets eth1 on a second bridge
    std::vector<std::string> vips;  // addresses whose holder is compared
    std::vector<std::string> compare;  // optional aspects switched on ("garp")
    int quiet_ms = 0;               // settled after this long without a change
    std::string config;             // keepalived.conf with %PLACEHOLDERS%
    std::vector<Event> events;
};

// Reads a .scn file; throws std::runtime_error naming FILE:LINE and what is wrong.
Scenario loadScenario(const std::string& path);

// Every *.scn in `dir`, sorted by name.
std::vector<std::string> scenarioFiles(const std::string& dir);

// The configuration node `node` reads: placeholders %NODE% %DIR% %NOTIFY% %CHECK% %SELF%
// %N1% %N2% %N3% (node addresses) %SELF6% %PEER% (the other node of a pair) replaced.
struct Placeholders {
    std::string dir;                             // the run's directory (scripts, flags, logs)
    std::map<std::string, std::string> v4, v6;   // node -> address on eth0
};
std::string renderConfig(const std::string& text, const std::string& node, const std::vector<std::string>& nodes,
                         const Placeholders& p);

}  // namespace xvrrp::diff
