// BFD sessions in the daemon (docs/bfd.md): the sessions run on their own thread
// (bfd_worker.hpp); here their state changes become keepalived's log lines and move the
// instances that track them.
#include <sys/random.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "daemon/bfd_worker.hpp"
#include "daemon/daemon.hpp"
#include "daemon/handover.hpp"

namespace xvrrp::daemon {

void Daemon::startBfd() {
    // -B: keepalived then has no BFD process, no socket, its tracked BFD stays down (measured).
    if (options_.no_bfd) {
        for (const auto& inst : config_->instances)
            if (!inst.bfd_failover.empty())
                spdlog::warn("({}) xvrrp_bfd_failover {} does nothing: -B runs no BFD session",
                             inst.name, inst.bfd_failover);
        return;
    }
    uint32_t seed = 0;
    // Discriminators from a random start, so a restarted daemon does not reuse the last
    // one's (a peer still holding it would take our first packets for the old session).
    if (::getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
        seed = static_cast<uint32_t>(now().since_boot.count()) ^ static_cast<uint32_t>(::getpid());
    bfd_ = std::make_unique<BfdWorker>(seed);
    loop_.add(bfd_->changesFd(), "bfd", [this](uint32_t) { onBfdChanges(); });
    // After xvrrpctl restart the sessions go on where the process before left them, so
    // neither the peer nor track_bfd sees a change.
    bfd_up_ = bfd_->reconcile(*config_, inherited_ ? inherited_->bfd : nlohmann::json());
}

void Daemon::attachBfdKernel() {
    if (!bfd_ || !dataplane_) return;
    try {
        bfd_->attachKernel(dataplane_->bfdMaps());
    } catch (const std::exception& e) {
        spdlog::error("BFD: {}; every BFD packet reaches the daemon", e.what());
    }
}

void Daemon::reconcileBfd() {
    if (!bfd_) return;
    // A session replaced or removed by a reload says nothing: take the states as they are.
    bfd_up_ = bfd_->reconcile(*config_);
}

void Daemon::onBfdChanges() {
    // Adverts the kernel queued before the session expired count before it: a PeerLost
    // compares the master's last advert with BFD's last packet (vrrp::PeerLost::last_heard).
    onRing();
    bool moved = false;
    for (const auto& ch : bfd_->takeChanges()) {
        const std::string& name = ch.name;
        const auto& c = ch.change;
        // keepalived's BFD process lines.
        if (c.to == bfd::State::Init)
            spdlog::debug("({}) Entering Init state", name);
        else if (c.to == bfd::State::Up)
            spdlog::info("({}) Entering Up state", name);
        else
            spdlog::info("({}) Entering {} state (Local diagnostic - {}, Remote diagnostic - {})", name,
                         bfd::name(c.to), bfd::name(c.diag), bfd::name(ch.remote_diag));
        if (c.from == bfd::State::Up && c.to != bfd::State::Up)
            peerLost(name, c.diag, ch.remote_diag, ch.neighbor, ch.last_rx);
        const bool up = c.to == bfd::State::Up;
        auto it = bfd_up_.find(name);
        if (it == bfd_up_.end() || it->second == up) continue;  // gone by a reload, or no news
        it->second = up;
        moved = true;
        for (const auto& inst : config_->instances) {
            bool tracked = false;
            for (const auto& r : inst.track_bfds) tracked = tracked || r.name == name;
            if (const auto* g = config_->findSyncGroup(inst.name))
                for (const auto& r : g->track_bfds) tracked = tracked || r.name == name;
            // keepalived's VRRP process (vrrp_scheduler.c vrrp_bfd_thread), measured.
            if (tracked)
                spdlog::info("VRRP_Instance({}) Tracked BFD instance {} is {}", inst.name, name,
                             up ? "UP" : "DOWN");
        }
    }
    if (moved) recomputePriorities();
}

// xvrrp_bfd_failover: an Up session that expired (Control Detection Time Expired) is the
// master gone, for each backup that names it and follows that neighbour (vrrp::PeerLost;
// the machine checks the rest). A Down the neighbour signalled is not: its packet proves it
// is there, and its adverts most likely reach us too (RFC 5880 6.8.6: it stopped hearing us,
// or took the session AdminDown, which RFC 5882 section 3.2 says is no path failure).
void Daemon::peerLost(const std::string& session, bfd::Diag diag, bfd::Diag remote_diag,
                      const IpAddr& neighbor, std::optional<vrrp::TimePoint> last_rx) {
    const bool expired = diag == bfd::Diag::ControlDetectionExpired;
    for (const auto& inst : config_->instances) {
        if (inst.bfd_failover != session) continue;
        InstanceRuntime* rt = table_.byName(inst.name);
        if (!rt) continue;
        if (!expired) {
            spdlog::debug("({}) BFD {} to {} down ({}, remote {}): the neighbour is heard, not "
                          "taken as the master lost", inst.name, session, neighbor.str(),
                          bfd::name(diag), bfd::name(remote_diag));
            continue;
        }
        rt->handlePeerLost(session, neighbor, last_rx, now());
    }
}

}  // namespace xvrrp::daemon
