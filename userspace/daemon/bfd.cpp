// BFD sessions in the daemon (docs/bfd.md): the table of sessions on the loop's timer and
// a socket per family on port 3784; a session's Up/Down moves the instances that track it.
#include <sys/random.h>

#include <spdlog/spdlog.h>

#include <set>

#include "daemon/bfd_sockets.hpp"
#include "daemon/bfd_table.hpp"
#include "daemon/daemon.hpp"

namespace xvrrp::daemon {

void Daemon::startBfd() {
    // -B: keepalived then has no BFD process, no socket, its tracked BFD stays down (measured).
    if (options_.no_bfd) return;
    bfd_sockets_ = std::make_unique<BfdSockets>();
    uint32_t seed = 0;
    // Discriminators from a random start, so a restarted daemon does not reuse the last
    // one's (a peer still holding it would take our first packets for the old session).
    if (::getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
        seed = static_cast<uint32_t>(now().since_boot.count()) ^ static_cast<uint32_t>(::getpid());
    bfd_ = std::make_unique<BfdTable>(
        *bfd_sockets_, [this](const BfdSession& s, const bfd::StateChanged& c) { onBfdState(s, c); },
        seed);
    reconcileBfd(now());
}

void Daemon::reconcileBfd(vrrp::TimePoint t) {
    if (!bfd_) return;
    // Receive first, so the first answers to the sessions' first packets are read.
    std::set<Family> wanted;
    for (const auto& [name, b] : config_->bfd_instances)
        if (b.disabled.empty() && b.neighbor) wanted.insert(b.neighbor->family());
    for (Family f : {Family::V4, Family::V6}) {
        if (!wanted.contains(f)) {
            if (int fd = bfd_sockets_->unlisten(f); fd >= 0) loop_.remove(fd);
            bfd_fds_.erase(f);
            continue;
        }
        try {
            const int fd = bfd_sockets_->listen(f);
            if (fd < 0) continue;
            bfd_fds_[f] = fd;
            loop_.add(fd, "bfd", [this, fd](uint32_t) {
                bfd_sockets_->onReadable(fd, [this](std::span<const uint8_t> p, const IpAddr& src,
                                                    const std::optional<IpAddr>& dst, uint8_t ttl) {
                    bfd_->receive(p, src, dst, ttl, now());
                });
            });
        } catch (const std::exception& e) {
            spdlog::error("BFD: {}; sessions of this family receive nothing and stay down", e.what());
        }
    }
    bfd_->reconcile(*config_, t);
}

void Daemon::onBfdState(const BfdSession& s, const bfd::StateChanged& c) {
    const std::string& name = s.cfg.name;
    // keepalived's BFD process lines.
    if (c.to == bfd::State::Init)
        spdlog::debug("({}) Entering Init state", name);
    else if (c.to == bfd::State::Up)
        spdlog::info("({}) Entering Up state", name);
    else
        spdlog::info("({}) Entering {} state (Local diagnostic - {}, Remote diagnostic - {})", name,
                     bfd::name(c.to), bfd::name(c.diag), bfd::name(s.remote_diag));
    if ((c.from == bfd::State::Up) == (c.to == bfd::State::Up)) return;
    const char* word = c.to == bfd::State::Up ? "UP" : "DOWN";
    for (const auto& inst : config_->instances) {
        bool tracked = false;
        for (const auto& r : inst.track_bfds) tracked = tracked || r.name == name;
        if (const auto* g = config_->findSyncGroup(inst.name))
            for (const auto& r : g->track_bfds) tracked = tracked || r.name == name;
        // keepalived's VRRP process (vrrp_scheduler.c vrrp_bfd_thread), measured.
        if (tracked) spdlog::info("VRRP_Instance({}) Tracked BFD instance {} is {}", inst.name, name, word);
    }
    recomputePriorities();
}

}  // namespace xvrrp::daemon
