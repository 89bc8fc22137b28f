#pragma once
// What one round of probes found out. Plain values: the decision function reads only these,
// so tests can build any combination by hand.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xvrrp::arbiter {

// A fact we may not know. Unknown is never read as No.
enum class Tri { No, Yes, Unknown };

const char* triName(Tri t);

// Whose entries the instance has in the pinned fence map (each owner has its own), as far
// as we can tell.
enum class FenceOwner { None, Arbiter, Operator, Both, Unknown };

const char* fenceOwnerName(FenceOwner f);

// One side's VRRP view of an instance (from xvrrpd's status, local or over SSH).
struct NodeView {
    std::string state;              // INIT, BACKUP, MASTER, FAULT
    int priority = 0;               // effective priority
    std::string address;            // primary (source) address; compared as text only for display
    std::vector<uint8_t> addr_key;  // network-order bytes for the RFC 5798 6.4.3 tie-break
    bool vips_installed = false;
    bool fenced = false;
};

// The local node's evidence for one guarded instance.
struct LocalEvidence {
    bool daemon_answered = false;         // xvrrpd replied on its control socket this round
    std::optional<NodeView> view;         // present when xvrrpd answered and knows the instance
    Tri kernel_holds_vip = Tri::Unknown;  // netlink: any of the VIPs on the interface
    FenceOwner fence = FenceOwner::Unknown;
};

// One peer's evidence for the same instance.
struct PeerEvidence {
    std::string name;
    Tri pings = Tri::Unknown;  // ICMP echo answered this round
    // SSH query answered and parsed; when false every field below is unknown.
    bool known = false;
    bool has_instance = false;  // the peer's xvrrpd has an instance of that name
    std::optional<NodeView> view;
    Tri quorum = Tri::Unknown;   // the peer's own gateway quorum, when its status tells it
    // This peer's adverts (from its primary address) reached our xvrrpd or XDP within the
    // master-down interval: the VRRP link between the two works. Evidence per peer, since
    // hearing a third node says nothing about this one (issue 9 item 7).
    Tri adverts_reach_us = Tri::Unknown;
    std::string unknown_reason;  // why known is false (ssh exit, timeout, bad JSON)
};

struct QuorumEvidence {
    int reachable = 0;  // gateways that answered ICMP echo this round
    int total = 0;
    int needed = 0;  // k of n
    bool ok() const { return total == 0 || reachable >= needed; }
};

struct InstanceEvidence {
    std::string instance;
    QuorumEvidence quorum;
    LocalEvidence local;
    std::vector<PeerEvidence> peers;
};

}  // namespace xvrrp::arbiter
