#pragma once
// The witness's bookkeeping without I/O (issue 15): our lease on our monotonic clock, what we
// saw of each ownership key, what to ask etcd next and what it all means for one instance.
// Times are milliseconds of a monotonic clock the caller passes in (tests pass a fake one).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "evidence.hpp"

namespace xvrrp::arbiter::witness {

struct KeyInfo {
    std::string value;  // the owner's node name
    int64_t create_rev = 0, mod_rev = 0, lease = 0;
};

// Our lease. etcd drops it no earlier than (arrival of the last keep-alive) + TTL, which is
// later than (our send of it) + TTL; a leader change only extends it. So we may claim
// ownership until sent + TTL - lead, where lead covers the rounds it takes us to yield and
// the clock margin (witnessYieldLeadMs).
class LeaseClock {
  public:
    LeaseClock(int64_t ttl_ms, int64_t lead_ms, int64_t start_ms)
        : ttl_ms_(ttl_ms), lead_ms_(lead_ms), majority_sent_(start_ms) {}
    // A request sent at sent_ms was served by a majority (a linearizable read).
    void majorityAt(int64_t sent_ms);
    // etcd granted or kept alive lease id, by a request sent at sent_ms, with ttl_s left.
    void acked(int64_t id, int64_t sent_ms, int64_t ttl_s);
    void lost() { id_ = 0; }  // etcd no longer knows the lease
    int64_t id() const { return id_; }
    bool keepaliveDue(int64_t now) const { return id_ && now >= acked_sent_ + ttl_ms_ / 3; }
    // Until when we may act as owner, or as a node that nobody else may have replaced.
    int64_t claimUntil() const;
    bool pastClaim(int64_t now) const { return now >= claimUntil(); }
    int64_t leftMs(int64_t now) const;  // of our lease as we count it; 0 without one
    int64_t sinceMajority(int64_t now) const { return ever_ ? now - majority_sent_ : -1; }

  private:
    int64_t ttl_ms_, lead_ms_;
    int64_t majority_sent_;  // the start counts as contact: a fresh arbiter waits a lease
    bool ever_ = false;
    int64_t id_ = 0, acked_sent_ = 0, acked_ttl_ms_ = 0;
};

enum class OpKind { None, Campaign, Refresh, Release };
const char* opName(OpKind k);

struct Op {
    std::string instance;
    OpKind kind = OpKind::None;
    int64_t token = 0;  // Refresh/Release: the create revision we hold
};

// What one witness round did, for the arbiter's metrics: a plain copy, no I/O.
struct WitnessRound {
    enum class Member { NotAsked, Ok, NoMajority, Unreachable };
    struct MemberRead {
        std::string endpoint;
        Member state = Member::NotAsked;
        double read_ms = -1;  // the read's answer time; -1 when it failed
    };
    struct Request {
        std::string instance;  // "" for the lease's own requests
        std::string what;      // lease_grant, lease_keepalive, campaign, refresh, release
        std::string result;    // ok, refused (the txn's compare failed), failed
    };
    double duration_ms = 0;  // first send to last answer (or timeout)
    std::vector<MemberRead> members;
    std::vector<Request> requests;
    int64_t lease_id = 0, lease_left_ms = 0, claim_left_ms = 0, since_majority_ms = -1;
};
const char* memberStateName(WitnessRound::Member m);

// Per instance, what we last saw of its key.
struct Seen {
    std::optional<KeyInfo> key;
    int64_t changed_at = -1;  // when we first saw its current mod revision (-1 never)
};

class Model {
  public:
    Model(std::string node, int64_t ttl_ms, int64_t lead_ms, int64_t renew_window_ms,
          int64_t start_ms)
        : node_(std::move(node)), lease_(ttl_ms, lead_ms, start_ms), window_(renew_window_ms) {}
    LeaseClock& lease() { return lease_; }
    const LeaseClock& lease() const { return lease_; }
    // A majority served the read of every key under the prefix (keys by instance name).
    void sawKeys(const std::map<std::string, KeyInfo>& keys, int64_t sent_ms, int64_t now);
    // One instance's key after an op of ours (nullopt: gone).
    void sawKey(const std::string& instance, std::optional<KeyInfo> key, int64_t now);
    // wants: instance -> this node should own it (VRRP made it master and it holds the VIP).
    std::vector<Op> plan(const std::map<std::string, bool>& wants) const;
    bool owns(const std::string& instance) const;
    // reached/majority: members this round; now: our clock.
    WitnessEvidence evidence(const std::string& instance, int reached, int majority, int members,
                             bool fence_on_loss, int64_t now) const;

  private:
    std::string node_;
    LeaseClock lease_;
    int64_t window_;
    std::map<std::string, Seen> seen_;
};

}  // namespace xvrrp::arbiter::witness
