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

// What the witness (etcd, issue 15) says about the instance's ownership key this round.
// Owned/PeerOwns/Free need a reply that proved a majority this round; Minority means some
// member answered (or took the connection) but none could serve a linearizable request;
// Unreachable means no member could be reached at all.
enum class WitnessState { Off, Owned, PeerOwns, Free, Minority, Unreachable };

const char* witnessStateName(WitnessState s);

struct WitnessEvidence {
    WitnessState state = WitnessState::Off;
    std::string owner;   // the owning node's name (Owned: ours; otherwise the last seen)
    int64_t token = 0;   // the key's create revision: the fencing token (0: none)
    // PeerOwns: the owner rewrote its key within the last rounds, so it talks to a majority
    // now (a lease kept alive by a leader change alone does not count).
    bool owner_renewing = false;
    // Our own clock says our claim may have run out on etcd: no majority-proven contact (our
    // lease's keep-alive, or a read) since long enough that another node may own the key.
    bool past_claim = false;
    int64_t since_majority_ms = -1;  // since the last majority-proven request was sent; -1 never
    int64_t lease_left_ms = 0;       // our lease, as we count it (0 without one)
    int reachable = 0;               // members that answered or took the connection
    int majority_ok = 0;             // members that served a linearizable request
    int members = 0;                 // endpoints configured
    bool fence_on_loss = false;      // on_witness_loss fence: Unreachable counts as Minority
};

struct InstanceEvidence {
    std::string instance;
    QuorumEvidence quorum;
    LocalEvidence local;
    std::vector<PeerEvidence> peers;
    WitnessEvidence witness;
};

}  // namespace xvrrp::arbiter
