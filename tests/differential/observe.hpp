#pragma once
// Reads what a run left behind: daemon logs, notify logs, the capture on the bridge and the
// addresses in each node, and turns them into checkpoints.
#include <map>
#include <string>
#include <vector>

#include "differential/trace.hpp"

namespace xvrrp::lab {
class Lab;
}

namespace xvrrp::diff {

double realNow();  // CLOCK_REALTIME seconds, the clock the notify script stamps with

// One advert or gratuitous ARP/NA seen on the bridge.
struct WirePacket {
    double t = 0;
    std::string text;   // "n1>224.0.0.18 VRRPv3, Advertisement, vrid 51, prio 150, ..."
    int priority = -1;  // adverts only
    std::string garp;   // the address a gratuitous ARP/NA announces
};

// tcpdump -tt -v text: adverts with their source and destination named by node.
std::vector<WirePacket> parseWire(const std::string& text, const std::map<std::string, std::string>& addrToNode);

class Observer {
public:
    // `logs(node)` returns everything the node's daemons logged so far.
    Observer(lab::Lab& lab, std::string dir, std::vector<std::string> nodes, std::vector<std::string> vips);

    // Counts of what has happened so far: changes while something is still going on.
    std::string signature(const std::map<std::string, std::string>& logs) const;

    // The checkpoint for the interval [since, now], the system having been quiet for
    // `quiet_s` seconds; `running` says which nodes have a daemon.
    Checkpoint take(const std::string& event, double event_t, const std::string& started_node,
                    const std::map<std::string, std::string>& logs, const std::map<std::string, bool>& running,
                    double quiet_s, bool garps);

    void nameAddress(const std::string& addr, const std::string& node) { addr_to_node_[addr] = node; }

    // When node's check NAME first ran after `since` and saw the flag `on` (or off): a
    // script's effect is timed from there, not from its random phase. `since` if none did.
    double checkSaw(const std::string& node, const std::string& name, bool on, double since) const;

private:
    std::vector<NotifyCall> notifies(const std::string& node) const;
    std::string holder(const std::string& vip) const;
    // The line with every node address replaced by the node's name.
    std::string named(const std::string& line) const;

    lab::Lab& lab_;
    std::string dir_;
    std::vector<std::string> nodes_, vips_;
    std::map<std::string, std::string> addr_to_node_;
    std::map<std::string, size_t> lines_seen_, notifies_seen_;
    std::map<std::string, std::string> state_;  // "n1 VI_1" -> last state entered
    double last_t_ = 0;
};

}  // namespace xvrrp::diff
