#include "witness/witness_model.hpp"

#include <algorithm>

namespace xvrrp::arbiter::witness {

void LeaseClock::majorityAt(int64_t sent_ms) {
    majority_sent_ = ever_ ? std::max(majority_sent_, sent_ms) : sent_ms;
    ever_ = true;
}

void LeaseClock::acked(int64_t id, int64_t sent_ms, int64_t ttl_s) {
    if (ttl_s <= 0) {  // etcd answers a keep-alive of an expired lease without a TTL
        if (id == id_) id_ = 0;
        return;
    }
    id_ = id;
    acked_sent_ = sent_ms;
    acked_ttl_ms_ = ttl_s * 1000;
}

int64_t LeaseClock::claimUntil() const {
    // With a lease: its own end as we count it. Without: a node that owns nothing still
    // holds back until another node could have taken a lease over (it may hold the VIP).
    if (id_) return acked_sent_ + std::min(acked_ttl_ms_, ttl_ms_) - lead_ms_;
    return majority_sent_ + ttl_ms_ - lead_ms_;
}

int64_t LeaseClock::leftMs(int64_t now) const {
    return id_ ? std::max<int64_t>(0, acked_sent_ + acked_ttl_ms_ - now) : 0;
}

const char* memberStateName(WitnessRound::Member m) {
    switch (m) {
        case WitnessRound::Member::NotAsked:
            return "not_asked";
        case WitnessRound::Member::Ok:
            return "ok";
        case WitnessRound::Member::NoMajority:
            return "no_majority";
        case WitnessRound::Member::Unreachable:
            return "unreachable";
    }
    return "?";
}

const char* opName(OpKind k) {
    switch (k) {
        case OpKind::None:
            return "none";
        case OpKind::Campaign:
            return "campaign";
        case OpKind::Refresh:
            return "refresh";
        case OpKind::Release:
            return "release";
    }
    return "?";
}

void Model::sawKeys(const std::map<std::string, KeyInfo>& keys, int64_t sent_ms, int64_t now) {
    lease_.majorityAt(sent_ms);
    for (auto& [name, s] : seen_)
        if (!keys.count(name)) sawKey(name, std::nullopt, now);
    for (const auto& [name, k] : keys) sawKey(name, k, now);
}

void Model::sawKey(const std::string& instance, std::optional<KeyInfo> key, int64_t now) {
    Seen& s = seen_[instance];
    bool changed = key && (!s.key || s.key->mod_rev != key->mod_rev);
    // A new owner (another create revision) is not a renewal yet: only its rewrites are.
    bool same_owner = key && s.key && s.key->create_rev == key->create_rev;
    if (!key)
        s.changed_at = -1;
    else if (changed)
        s.changed_at = same_owner ? now : -1;
    s.key = std::move(key);
}

bool Model::owns(const std::string& instance) const {
    auto it = seen_.find(instance);
    return it != seen_.end() && it->second.key && lease_.id() &&
           it->second.key->lease == lease_.id() && it->second.key->value == node_;
}

std::vector<Op> Model::plan(const std::map<std::string, bool>& wants) const {
    std::vector<Op> out;
    for (const auto& [name, want] : wants) {
        auto it = seen_.find(name);
        bool present = it != seen_.end() && it->second.key;
        int64_t token = present ? it->second.key->create_rev : 0;
        if (owns(name))
            out.push_back({name, want ? OpKind::Refresh : OpKind::Release, token});
        else if (want && !present)
            out.push_back({name, OpKind::Campaign, 0});
    }
    return out;
}

WitnessEvidence Model::evidence(const std::string& instance, int reached, int majority,
                                int members, bool fence_on_loss, int64_t now) const {
    WitnessEvidence w;
    w.reachable = reached;
    w.majority_ok = majority;
    w.members = members;
    w.fence_on_loss = fence_on_loss;
    w.past_claim = lease_.pastClaim(now);
    w.since_majority_ms = lease_.sinceMajority(now);
    w.lease_left_ms = lease_.leftMs(now);
    auto it = seen_.find(instance);
    const Seen* s = it == seen_.end() ? nullptr : &it->second;
    if (s && s->key) {
        w.owner = s->key->value;
        w.token = s->key->create_rev;
    }
    if (majority == 0) {
        w.state = reached > 0 ? WitnessState::Minority : WitnessState::Unreachable;
        return w;
    }
    if (!s || !s->key) {
        w.state = WitnessState::Free;
    } else if (owns(instance)) {
        w.state = WitnessState::Owned;
    } else {
        w.state = WitnessState::PeerOwns;
        w.owner_renewing = s->changed_at >= 0 && now - s->changed_at <= window_;
    }
    return w;
}

}  // namespace xvrrp::arbiter::witness
