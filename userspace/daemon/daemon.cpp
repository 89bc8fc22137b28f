#include "daemon/daemon.hpp"

#include <net/if_arp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <set>
#include <stdexcept>

#include "control/server.hpp"
#include "dataplane/dataplane.hpp"
#include "daemon/net_effects.hpp"
#include "daemon/static_config.hpp"
#include "daemon/tracking.hpp"
#include "net/sysctl.hpp"
#include "daemon/validate.hpp"
#include "net/link_monitor.hpp"
#include "net/netlink.hpp"
#include "vrrp/packet.hpp"
#include "vrrp/state_machine.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::daemon {
namespace {

std::runtime_error sysError(const std::string& call) {
    return std::runtime_error(call + ": " + std::strerror(errno));
}

void epollAdd(int epfd, int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) throw sysError("epoll_ctl(ADD)");
}

vrrp::TimePoint fromTimespec(const timespec& ts) {
    return vrrp::TimePoint{std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)};
}

}  // namespace

Daemon::Daemon(config::Config config, Options options)
    : config_(std::make_unique<config::Config>(std::move(config))), options_(std::move(options)),
      started_(std::chrono::steady_clock::now()) {}

Daemon::~Daemon() {
    // Exit paths that skipped shutdown() (exceptions during start) still leave no addresses.
    for (auto& rt : instances_)
        if (rt->addressesInstalled()) rt->releaseAddresses();
    if (dataplane_) dataplane_->detachAll();
    for (int fd : {epoll_fd_, signal_fd_, timer_fd_})
        if (fd >= 0) ::close(fd);
}

vrrp::TimePoint Daemon::now() const {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return fromTimespec(ts);
}

void Daemon::start() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw sysError("epoll_create1");

    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&mask, s);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) throw sysError("sigprocmask");
    signal_fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) throw sysError("signalfd");
    epollAdd(epoll_fd_, signal_fd_);
    ::signal(SIGPIPE, SIG_IGN);

    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) throw sysError("timerfd_create(CLOCK_MONOTONIC)");
    epollAdd(epoll_fd_, timer_fd_);

    netlink_ = net::Netlink::open();
    links_ = net::LinkMonitor::open();
    epollAdd(epoll_fd_, links_->fd());
    effects_ = std::make_unique<NetlinkEffects>(*netlink_);
    static_ = std::make_unique<StaticConfig>(*netlink_);
    static_->apply(*config_);

    dataplane::DataplaneOptions dopt;
    dopt.pin_root = options_.pin_root;
    dopt.force_xdp = options_.force_xdp;
    dataplane_ = dataplane::Dataplane::open(dopt);
    ownership_ = std::make_unique<DataplaneOwnership>(*dataplane_);
    dataplane_->heartbeat(static_cast<uint64_t>(now().since_boot.count()));
    epollAdd(epoll_fd_, dataplane_->epollFd());

    control_ = std::make_unique<control::Server>(
        options_.control, [this](const nlohmann::json& req) { return handleControl(req); });
    epollAdd(epoll_fd_, control_->listenFd());

    startTracking();  // before the first transitions, so their notify scripts run
    setupInstances();
    recomputePriorities();
    armTimer();
}

void Daemon::startTracking(const track::ScriptTrackers::Checks& carried) {
    for (int fd : tracking_fds_) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    tracking_.reset();
    tracking_ = std::make_unique<Tracking>(*config_, [this] { recomputePriorities(); }, carried);
    tracking_fds_ = tracking_->fds();
    for (int fd : tracking_fds_) epollAdd(epoll_fd_, fd);
}

void Daemon::setupInstances() {
    for (const auto& inst : config_->instances) {
        auto rt = std::make_unique<InstanceRuntime>(*config_, inst);
        wireInstance(*rt);
        instances_.push_back(std::move(rt));
    }
    for (auto& rt : instances_) bindInstance(*rt);  // may take a while (BPF, XDP attach)
    // Trackers' weights count from the first state on, so the first notify already carries
    // the effective priority (as keepalived's does).
    recomputePriorities();
    for (auto& rt : instances_) startInstance(*rt, now());  // timers start after the bind
}

void Daemon::startInstance(InstanceRuntime& rt, vrrp::TimePoint t) {
    if (!rt.bound()) return;
    rt.handle(vrrp::Startup{}, t);
    auto link = netlink_->linkByIndex(rt.ifindex());
    if (!link || !link->running()) applyLinkState(rt, false, rt.cfg().interface, t);
}

void Daemon::attachXdp(const net::LinkInfo& link) {
    if (attached_.count(link.ifindex)) return;
    // Tunnels (WireGuard, GRE, tun) hand XDP the IP header; Ethernet and loopback do not.
    bool no_eth = link.arptype != ARPHRD_ETHER && link.arptype != ARPHRD_LOOPBACK;
    dataplane_->attach(link.ifindex, link.name, no_eth);
    attached_[link.ifindex] = link.name;
    spdlog::info("XDP on {} ({})", link.name, dataplane_->attachModeOf(link.ifindex));
}

// Where XDP lets VRRP it does not validate through to the stack: on an interface named by
// --shared-interface, and on one with our XDP but no bound instance (it only carries VIPs,
// so any VRRP on it belongs to another speaker). Recomputed whenever instances are bound
// or removed, for every interface we are attached to.
void Daemon::refreshSharedFlags() {
    const auto& named = options_.shared_interfaces;
    for (const auto& [ifindex, name] : attached_) {
        bool shared = std::find(named.begin(), named.end(), name) != named.end();
        if (!shared) {
            shared = true;
            for (const auto& rt : instances_)
                if (rt->bound() && rt->ifindex() == ifindex) shared = false;
        }
        try {
            dataplane_->setInterfaceShared(ifindex, shared);
        } catch (const std::exception& e) {
            spdlog::warn("XDP shared flag on {}: {}", name, e.what());
        }
    }
}

// Resolves the interface and source address, opens the send socket and attaches XDP.
// An instance whose interface is missing or has no usable address waits in Init and is
// retried on link events (keepalived puts such instances in FAULT; we say why in status).
void Daemon::bindInstance(InstanceRuntime& rt) {
    const auto& c = rt.cfg();
    auto link = netlink_->linkByName(c.interface);
    if (!link) {
        spdlog::warn("({}) interface {} does not exist; waiting for it", c.name, c.interface);
        return;
    }
    std::optional<IpAddr> src = c.src_ip;
    if (!src) src = netlink_->primaryAddress(link->ifindex, rt.family());
    if (!src) {
        spdlog::warn("({}) interface {} has no {} address to send from; waiting", c.name,
                     c.interface, rt.family() == Family::V4 ? "IPv4" : "IPv6 link-local");
        return;
    }
    const auto fault = linkFault(c, *link);
    if (fault) spdlog::error("({}) {} - disabling", c.name, *fault);
    // keepalived's send_gratuitous_arp/ndisc_send_unsolicited_na skip IFF_NOARP links too.
    if (link->noArp())
        spdlog::info("({}) {} is NOARP: no gratuitous ARP or unsolicited NA on it", c.name,
                     link->name);
    attachXdp(*link);
    // A VIP on another interface (`dev`) is enforced there too: the kernel must drop its
    // traffic on a fenced or hung node whatever interface it arrives on.
    for (const auto* list : {&c.vips, &c.vips_excluded})
        for (const auto& v : *list) {
            if (v.dev.empty() || v.dev == c.interface) continue;
            if (auto other = netlink_->linkByName(v.dev)) attachXdp(*other);
        }
    if (c.promote_secondaries && !promote_saved_.count(link->name)) {
        try {
            promote_saved_[link->name] = net::setPromoteSecondaries(link->name, true);
        } catch (const std::exception& e) {
            spdlog::warn("({}) promote_secondaries on {}: {}", c.name, link->name, e.what());
        }
    }
    // use_vmac: a macvlan with the VRRP virtual MAC (RFC 5798 section 7.3) carries the VIPs
    // and, unless vmac_xmit_base, the adverts, so the virtual MAC is what hosts learn.
    int tx_ifindex = link->ifindex;
    std::string tx_name = link->name;
    if (c.use_vmac) {
        auto it = vmacs_.find(c.name);
        if (it == vmacs_.end())
            it = vmacs_.emplace(c.name, netlink_->createVmac(link->ifindex,
                                                              net::vmacName(c.vmac_name, c.vrid),
                                                              c.vrid, rt.family()))
                     .first;
        rt.setVmac(it->second.ifindex);
        // Replies from a VIP leave through the base interface; its ARP requests must not
        // claim the VIP with the base's MAC, or hosts move off the virtual MAC.
        if (rt.family() == Family::V4 && !arp_announce_saved_.count(link->name)) {
            try {
                arp_announce_saved_[link->name] =
                    net::readConfSysctl(Family::V4, link->name, "arp_announce").value_or(0);
                net::writeConfSysctl(Family::V4, link->name, "arp_announce", 2);
            } catch (const std::exception& e) {
                spdlog::warn("({}) arp_announce on {}: {}", c.name, link->name, e.what());
            }
        }
        if (!c.vmac_xmit_base) {
            tx_ifindex = it->second.ifindex;
            tx_name = it->second.name;
        }
        spdlog::info("({}) VMAC {} on {}", c.name, it->second.name, link->name);
    }
    const IpAddr* group = nullptr;
    if (!fault && rt.destinations().size() == 1 && rt.destinations()[0].isMulticast())
        group = &rt.destinations()[0];
    rt.bind(link->ifindex, *src,
            adverts_.transport(c.name, rt.family(), tx_ifindex, tx_name, *src, group));
    configureKernel(rt);
    refreshSharedFlags();
    if (fault) rt.setFault("config", true, *fault, now());
}

// What the XDP program checks for this instance before an advert reaches us (mirrors
// vrrp::validate), and the fence that may already be set from a previous run.
void Daemon::configureKernel(InstanceRuntime& rt) {
    const auto& c = rt.cfg();
    dataplane::InstanceFilter f;
    f.version = rt.version();
    f.interval_cs = static_cast<uint16_t>(c.advert_int_cs);
    if (rt.version() == 2 && c.auth_type == config::AuthType::Pass) {
        std::array<uint8_t, 8> pass{};
        std::copy_n(c.auth_pass.begin(), std::min<size_t>(8, c.auth_pass.size()), pass.begin());
        f.auth_pass = pass;
    }
    f.unicast = !c.unicast_peers.empty();
    for (const auto& p : c.unicast_peers) {
        dataplane::PeerFilter pf;
        pf.addr = p.addr;
        if (p.min_ttl) pf.min_ttl = static_cast<uint8_t>(*p.min_ttl);
        if (p.max_ttl) pf.max_ttl = static_cast<uint8_t>(*p.max_ttl);
        f.peers.push_back(pf);
    }
    dataplane_->configureInstance(rt.id(), f);
    if (dataplane_->isFenced(rt.id()))
        rt.setFault("fence", true, "fenced (xv_fence entry)", now());
}

void Daemon::armTimer() {
    std::optional<vrrp::TimePoint> next = housekeeping_due_;
    for (const auto& rt : instances_)
        if (auto d = rt->nextDeadline(); d && (!next || *d < *next)) next = d;
    itimerspec its{};
    if (next) {
        auto ns = next->since_boot.count();
        if (ns <= 0) ns = 1;  // 0 would disarm
        its.it_value.tv_sec = ns / 1'000'000'000;
        its.it_value.tv_nsec = ns % 1'000'000'000;
    }
    if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr) < 0)
        spdlog::error("timerfd_settime: {}", std::strerror(errno));
}

int Daemon::run() {
    spdlog::info("xvrrpd started with {} instance(s) from {}", instances_.size(),
                 options_.config_file);
    epoll_event events[32];
    while (running_) {
        int n = ::epoll_wait(epoll_fd_, events, 32, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            spdlog::critical("epoll_wait: {}", std::strerror(errno));
            break;
        }
        for (int i = 0; i < n && running_; ++i) {
            int fd = events[i].data.fd;
            if (fd == signal_fd_)
                onSignal();
            else if (fd == timer_fd_)
                onTimer();
            else if (fd == dataplane_->epollFd())
                onRing();
            else if (fd == links_->fd())
                onLinkEvents();
            else if (control_->owns(fd))
                control_->handle(epoll_fd_, fd, events[i].events);
            else if (tracking_)
                tracking_->onReadable(fd);
        }
        adverts_.flush();  // what this pass queued, one sendmmsg per socket
        // The dead-man switch: VIPs stop answering when this goes stale (xv_heartbeat).
        dataplane_->heartbeat(static_cast<uint64_t>(now().since_boot.count()));
        armTimer();
    }
    shutdown();
    return 0;
}

void Daemon::onTimer() {
    uint64_t expirations;
    while (::read(timer_fd_, &expirations, sizeof(expirations)) > 0) {
    }
    auto t = now();
    if (!housekeeping_due_ || *housekeeping_due_ <= t) {
        checkFences(t);
        auto full = dataplane_->ringOverflows();
        if (full != ring_full_seen_) {
            spdlog::warn("XDP ring overflowed ({} adverts lost); the kernel stopped absorbing "
                         "adverts until each instance hears its master again", full - ring_full_seen_);
            ring_full_seen_ = full;
        }
        housekeeping_due_ = t + std::chrono::milliseconds(500);
    }
    // Adverts and master-down timers of every instance first, then announcements: a burst
    // of GARPs (hundreds of VIPs) must not delay anyone's advert past a peer's timer.
    for (auto& rt : instances_) {
        if (!rt->bound()) continue;
        refreshFromKernel(*rt, t);
        const auto& m = rt->machine();
        if (m.state == vrrp::State::Backup && m.master_down_due && *m.master_down_due <= t &&
            !groupMayGoMaster(*rt, t))
            continue;
        rt->tickTimers(t);
    }
    adverts_.flush();
    for (auto& rt : instances_)
        if (rt->bound()) rt->announceDue(t);
}

// The quiet fast path absorbed adverts in XDP: before a master-down timer fires, read when
// the kernel last saw the master and re-arm from that timestamp instead.
void Daemon::refreshFromKernel(InstanceRuntime& rt, vrrp::TimePoint t) {
    const auto& m = rt.machine();
    // Refresh a little ahead of the deadline so backups whose timers are close together
    // are re-armed in one wakeup (a refresh never fires a transition early).
    if (m.state != vrrp::State::Backup || !m.master_down_due) return;
    auto window = std::min<vrrp::Duration>(vrrp::centiseconds(rt.cfg().advert_int_cs),
                                           std::chrono::milliseconds(20));
    if (*m.master_down_due > t + window) return;
    if (!m.master_addr || m.master_priority == 0) return;
    uint64_t seen = dataplane_->lastSeen(rt.id());
    if (!seen || (m.last_advert && static_cast<int64_t>(seen) <= m.last_advert->since_boot.count()))
        return;
    vrrp::AdvertReceived rx;
    rx.received = vrrp::TimePoint{std::chrono::nanoseconds(seen)};
    rx.source = *m.master_addr;
    rx.priority = m.master_priority;
    rx.max_advert_int_cs = m.master_advert_int_cs;
    rt.handle(rx, t);
    rt.setWantsMaster(false);
}

// xv_fence decides: the arbiter's entries (written while we may be hung), the operator's
// (our fenceCommand, or bpftool by hand). Called by fence/unfence/check_fences requests and
// every housekeeping turn (500 ms), which bounds a fence written without telling us.
void Daemon::checkFences(vrrp::TimePoint t) {
    for (auto& rt : instances_) {
        if (!rt->bound()) continue;
        bool fenced = dataplane_->isFenced(rt->id());
        if (fenced != rt->faultActive("fence")) {
            spdlog::warn("({}) {}", rt->cfg().name, fenced ? "fenced: releasing the VIPs"
                                                            : "unfenced");
            rt->setFault("fence", fenced, "fenced (xv_fence entry)", t);
        }
    }
    settleGroupFaults(t);
}

void Daemon::onRing() {
    dataplane_->consume([this](const xv_advert& ev) { onAdvert(ev); });
}

void Daemon::onAdvert(const xv_advert& ev) {
    Family fam = ev.family == XV_FAMILY_V6 ? Family::V6 : Family::V4;
    IpAddr src = IpAddr::fromBytes(fam, ev.saddr);
    IpAddr dst = IpAddr::fromBytes(fam, ev.daddr);
    if (ev.vrrp_len < 2) {
        ++rx_undecodable_;
        return;
    }
    uint8_t vrid = ev.vrrp[1];
    InstanceRuntime* rt = nullptr;
    for (auto& r : instances_)
        if (r->bound() && r->ifindex() == static_cast<int>(ev.ifindex) && r->family() == fam &&
            r->cfg().vrid == vrid)
            rt = r.get();
    if (!rt) {
        ++rx_unknown_vrid_;
        return;
    }
    if (src == rt->primary()) return;  // our own advert looped back
    std::span<const uint8_t> bytes(ev.vrrp, ev.vrrp_len);
    auto decoded = vrrp::decode(bytes, src, dst, fam, unicastChecksumMode(rt->cfg()));
    auto reject = [&](const char* why, bool error) {
        auto& c = rt->counters();
        ++c.rx_rejected;
        c.last_reject = why;
        // keepalived logs protocol errors; say it once per burst, details at debug level.
        if (error && (c.rx_rejected == 1 || c.rx_rejected % 1000 == 0))
            spdlog::warn("({}) dropped advert from {}: {} ({} dropped so far)", rt->cfg().name,
                         src.str(), why, c.rx_rejected);
        else
            spdlog::debug("({}) dropped advert from {}: {}", rt->cfg().name, src.str(), why);
    };
    if (!decoded) {
        reject(vrrp::name(decoded.error()), true);
        return;
    }
    vrrp::RxPacket pkt{ev.ttl, src, dst};
    auto verdict = vrrp::validate(*decoded, pkt, rxContext(*config_, *rt));
    if (verdict != vrrp::RejectReason::Ok) {
        reject(vrrp::name(verdict), vrrp::isError(verdict));
        return;
    }
    const auto* adv = &*decoded;
    if (adv->old_unicast_checksum && !rt->oldUnicastChecksum() &&
        !rt->cfg().old_unicast_checksum) {
        spdlog::warn("({}) {} uses the old unicast checksum; switching to it (old_unicast_checksum)",
                     rt->cfg().name, src.str());
        rt->useOldUnicastChecksum();
    }
    vrrp::AdvertReceived rx;
    rx.received = vrrp::TimePoint{std::chrono::nanoseconds(ev.ts_ns)};
    rx.source = src;
    rx.priority = adv->priority;
    rx.max_advert_int_cs = adv->max_advert_int_cs;
    auto before = rt->machine().master_down_due;
    rt->handle(rx, now());
    // An advert that re-armed our master-down timer is the steady state: let XDP absorb
    // identical ones from now on. Anything else keeps waking us.
    const auto& m = rt->machine();
    if (m.state == vrrp::State::Backup && m.master_down_due && m.master_down_due != before &&
        adv->priority != 0)
        rt->setWantsMaster(false);  // it hears a master it follows again
    if (m.state == vrrp::State::Backup && adv->priority != 0 && m.master_down_due &&
        m.master_down_due != before && m.master_addr == src)
        dataplane_->expectMaster(rt->id(), ev);
    else
        dataplane_->forgetMaster(rt->id());
}

void Daemon::onLinkEvents() {
    auto t = now();
    bool retry_unbound = false;
    bool resync = false;
    links_->process([&](const net::LinkEvent& le) {
        using Kind = net::LinkEvent::Kind;
        if (le.kind == Kind::Overrun) {
            resync = true;
            return;
        }
        if (le.kind == Kind::AddressAdded || le.kind == Kind::Link) retry_unbound = true;
        if (le.kind != Kind::Link && le.kind != Kind::LinkRemoved) return;
        // Tracked-interface weights first, so a notify sent on leaving FAULT already carries
        // the priority the link state gives.
        recomputePriorities();
        for (auto& rt : instances_)
            if (rt->bound() && rt->ifindex() == le.ifindex)
                applyLinkState(*rt, le.kind == Kind::Link && le.running, le.name, t);
    });
    if (resync) {
        spdlog::warn("netlink events were lost; re-reading link states");
        for (auto& rt : instances_) {
            if (!rt->bound()) continue;
            auto link = netlink_->linkByIndex(rt->ifindex());
            applyLinkState(*rt, link && link->running(), rt->cfg().interface, t);
        }
    }
    recomputePriorities();
    settleGroupFaults(t);
    if (retry_unbound) {
        for (auto& rt : instances_) {
            if (rt->bound()) continue;
            try {
                bindInstance(*rt);
            } catch (const std::exception& e) {
                spdlog::error("({}) {}", rt->cfg().name, e.what());
            }
            startInstance(*rt, now());
        }
    }
}

// Link down moves an instance to Fault (keepalived does the same); link up brings it back.
void Daemon::applyLinkState(InstanceRuntime& rt, bool running, const std::string& ifname,
                            vrrp::TimePoint t) {
    if (running == !rt.faultActive("link")) return;
    spdlog::info("({}) interface {} is {}", rt.cfg().name, ifname, running ? "up" : "down");
    rt.setFault("link", !running, "interface " + ifname + " is down", t);
}

void Daemon::onSignal() {
    signalfd_siginfo si{};
    while (::read(signal_fd_, &si, sizeof(si)) == sizeof(si)) {
        switch (si.ssi_signo) {
            case SIGTERM:
            case SIGINT:
                spdlog::info("Stopping (signal {})", si.ssi_signo == SIGTERM ? "TERM" : "INT");
                running_ = false;
                break;
            case SIGHUP:
                reload();
                break;
            default:
                break;
        }
    }
}

// Graceful stop: a priority-0 advert from every master (RFC 5798 section 6.4.3) so the
// backup takes over after Skew_Time, then everything we added is removed.
void Daemon::shutdown() {
    auto t = now();
    for (auto& rt : instances_)
        if (rt->bound()) rt->handle(vrrp::Shutdown{}, t);
    adverts_.flush();
    for (auto& rt : instances_)
        if (rt->addressesInstalled()) rt->releaseAddresses();
    if (dataplane_) dataplane_->detachAll();
    attached_.clear();
    for (const auto& rt : instances_) releaseVmac(rt->cfg().name);
    if (static_) static_->remove(*config_);
    for (const auto& [ifname, was] : arp_announce_saved_) {
        try {
            net::writeConfSysctl(Family::V4, ifname, "arp_announce", was);
        } catch (const std::exception& e) {
            spdlog::warn("arp_announce on {}: {}", ifname, e.what());
        }
    }
    for (const auto& [ifname, was] : promote_saved_) {
        try {
            net::setPromoteSecondaries(ifname, was);
        } catch (const std::exception& e) {
            spdlog::warn("promote_secondaries on {}: {}", ifname, e.what());
        }
    }
    // notify_stop scripts get about a second, as in keepalived.
    if (tracking_) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
        epoll_event ev[8];
        while (tracking_->notifier().stopScriptsRunning() > 0 &&
               std::chrono::steady_clock::now() < deadline) {
            int n = ::epoll_wait(epoll_fd_, ev, 8, 100);
            for (int i = 0; i < n; ++i)
                if (std::find(tracking_fds_.begin(), tracking_fds_.end(), ev[i].data.fd) !=
                    tracking_fds_.end())
                    tracking_->onReadable(ev[i].data.fd);
        }
        tracking_.reset();
    }
    spdlog::info("Stopped");
}

}  // namespace xvrrp::daemon
