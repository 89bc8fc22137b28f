#pragma once
// Evidence builders shared by the arbiter's decision tests.
#include <string>
#include <vector>

#include "evidence.hpp"

namespace xvrrp::arbiter::cases {

inline NodeView view(std::string state, int prio, std::vector<uint8_t> addr, bool installed) {
    NodeView v;
    v.state = std::move(state);
    v.priority = prio;
    v.addr_key = addr;
    v.address = addr.empty() ? "" : std::to_string(addr.back());
    v.vips_installed = installed;
    return v;
}

// A healthy master (prio 100, 10.0.0.1) with a healthy backup peer (prio 90, 10.0.0.2).
inline InstanceEvidence healthy() {
    InstanceEvidence ev;
    ev.instance = "VI_1";
    ev.quorum = {2, 2, 2};
    ev.local.daemon_answered = true;
    ev.local.view = view("MASTER", 100, {10, 0, 0, 1}, true);
    ev.local.kernel_holds_vip = Tri::Yes;
    ev.local.fence = FenceOwner::None;
    PeerEvidence p;
    p.name = "b";
    p.pings = Tri::Yes;
    p.known = true;
    p.has_instance = true;
    p.view = view("BACKUP", 90, {10, 0, 0, 2}, false);
    p.adverts_reach_us = Tri::No;
    ev.peers.push_back(p);
    return ev;
}

// A second peer "c" (10.0.0.3), known, a backup with priority 80.
inline void addPeer(InstanceEvidence& ev) {
    PeerEvidence p = ev.peers[0];
    p.name = "c";
    p.view = view("BACKUP", 80, {10, 0, 0, 3}, false);
    p.adverts_reach_us = Tri::No;
    ev.peers.push_back(p);
}

inline void peerMaster(InstanceEvidence& ev, int prio) {
    ev.peers[0].view->state = "MASTER";
    ev.peers[0].view->priority = prio;
    ev.peers[0].view->vips_installed = true;
}

inline void peerUnknown(InstanceEvidence& ev) {
    auto& p = ev.peers[0];
    p.known = false;
    p.has_instance = false;
    p.view.reset();
    p.unknown_reason = "ssh timed out";
}

// The witness (issue 15) in a given state; the other facts as a healthy round has them.
inline void witness(InstanceEvidence& ev, WitnessState s, bool renewing = false,
                    bool past_claim = false, bool fence_on_loss = false) {
    auto& w = ev.witness;
    w.state = s;
    w.owner = s == WitnessState::Owned ? "a" : "b";
    w.token = s == WitnessState::Free ? 0 : 42;
    w.owner_renewing = renewing;
    w.past_claim = past_claim;
    w.fence_on_loss = fence_on_loss;
    w.members = 3;
    w.reachable = s == WitnessState::Unreachable ? 0 : s == WitnessState::Minority ? 1 : 3;
    w.majority_ok = w.reachable == 3 ? 3 : 0;
}

}  // namespace xvrrp::arbiter::cases
