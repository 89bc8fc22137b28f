#include "daemon/daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "control/server.hpp"
#include "daemon/bfd_worker.hpp"
#include "daemon/binder.hpp"
#include "daemon/signum.hpp"
#include "daemon/net_effects.hpp"
#include "daemon/process_tuning.hpp"
#include "daemon/static_config.hpp"
#include "daemon/sync_groups.hpp"
#include "daemon/tracking.hpp"
#include "daemon/validate.hpp"
#include "dataplane/dataplane.hpp"
#include "metrics/http_server.hpp"
#include "net/link_monitor.hpp"
#include "net/netlink.hpp"
#include "vrrp/packet.hpp"
#include "vrrp/reject_text.hpp"

namespace xvrrp::daemon {
namespace {

std::runtime_error sysError(const std::string& call) {
    return std::runtime_error(call + ": " + std::strerror(errno));
}

vrrp::TimePoint fromTimespec(const timespec& ts) {
    return vrrp::TimePoint{std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)};
}

// A runaway ping-pong of queued work (a bug) must not hang the loop.
constexpr size_t kMaxQueuedPerDrain = 100000;
constexpr auto kHousekeeping = std::chrono::milliseconds(500);
// Every housekeeping turn writes the heartbeat: a live daemon's is never past xv_rx's bound.
static_assert(std::chrono::nanoseconds(kHousekeeping).count() * 2 <= XV_HEARTBEAT_GONE_NS);

}  // namespace

Daemon::Daemon(config::Config config, Options options)
    : config_(std::make_shared<const config::Config>(std::move(config))), options_(std::move(options)),
      started_(std::chrono::steady_clock::now()) {
    // Opened now, before an upgrade can replace the file: a restart whose new binary cannot
    // start comes back to this one.
    exe_path_ = startedBinary(options_.argv);
    exe_fd_ = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
}

Daemon::~Daemon() {
    // Exit paths that skipped shutdown() (a start that threw) leave nothing behind either.
    ledger_.unwind();
    check_.reset();
    for (int fd : {signal_fd_, timer_fd_, watchdog_fd_, exe_fd_})
        if (fd >= 0) ::close(fd);
}

vrrp::TimePoint Daemon::now() const {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return fromTimespec(ts);
}

void Daemon::start() {
    // Every asynchronous signal whose default would end the process is taken by the loop,
    // so none can kill the daemon past its graceful stop (keepalived's JSON dump signal,
    // 36, used to). Faults (SEGV, BUS, ...) keep their default; KILL and STOP cannot be caught.
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT, SIGIO,
                  SIGPWR, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF})
        sigaddset(&mask, s);
    for (int s = SIGRTMIN; s <= SIGRTMAX; ++s) sigaddset(&mask, s);
    // keepalived's dump signals (dump.cpp: USR1, USR2, RTMAX-1, RTMIN+2) are among these.
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) throw sysError("sigprocmask");
    signal_fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) throw sysError("signalfd");
    loop_.add(signal_fd_, "signal", [this](uint32_t) { onSignal(); });
    ::signal(SIGPIPE, SIG_IGN);

    // Scheduling first, so binding and the first adverts already run with it (RLIMIT_RTTIME
    // waits for the loop: loading BPF programs runs longer than it without blocking).
    sched_ops_ = systemSchedulerOps();
    tuning_ = std::make_unique<ProcessTuning>(*sched_ops_);
    applyTuning();

    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) throw sysError("timerfd_create(CLOCK_MONOTONIC)");
    loop_.add(timer_fd_, "timers", [this](uint32_t) { onTimer(); });

    loadHandover();  // --handover: the record of the process this one replaces
    // BFD first of all: after xvrrpctl restart every millisecond until the carried sessions
    // send again counts against the peer's Detection Time (the program load does not wait).
    startBfd();  // every session Down (or as carried): what track_bfd reads from the start
    netlink_ = net::Netlink::open();
    links_ = net::LinkMonitor::open();
    loop_.add(links_->fd(), "link events", [this](uint32_t) { onLinkEvents(); });
    effects_ = std::make_unique<NetlinkEffects>(*netlink_, ledger_);

    dataplane::DataplaneOptions dopt;
    dopt.pin_root = options_.pin_root;
    dopt.force_xdp = options_.force_xdp;
    dopt.reuse_pinned = reusePinned();
    dopt.keep_programs = keepPrograms();
    dopt.load_test_program = false;
    dataplane_ = dataplane::Dataplane::open(dopt);
    ownership_ = std::make_unique<DataplaneOwnership>(*dataplane_);
    dataplane_->heartbeat(static_cast<uint64_t>(now().since_boot.count()));
    attachBfdKernel();  // from now on xv_rx absorbs the Up sessions' repeats
    inheritLedger();
    loop_.add(dataplane_->epollFd(), "adverts", [this](uint32_t) { onRing(); });
    binder_ = std::make_unique<Binder>(options_, *netlink_, *dataplane_, adverts_, ledger_);
    binder_->checkInterfaces(*config_);  // another xvrrpd there: refuse before any change

    control_ = std::make_unique<control::Server>(
        options_.control, [this](const nlohmann::json& req) { return handleControl(req); });
    loop_.add(control_->listenFd(), "control", [this](uint32_t ev) {
        control_->handle(loop_.epollFd(), control_->listenFd(), ev);
    });
    loop_.setFallback("control client", [this](int fd, uint32_t ev) {
        if (control_->owns(fd)) control_->handle(loop_.epollFd(), fd, ev);
    });
    // Queued work after every event; then, while real-time, a chance for the RLIMIT_RTTIME
    // watchdog to see the loop sleep (ProcessTuning::checkpoint).
    loop_.setAfterEach([this] {
        drain();
        tuning_->checkpoint();
    });
    startMetrics();

    static_ = std::make_unique<StaticConfig>(*netlink_, ledger_);
    static_->apply(*config_);
    groups_ = std::make_unique<SyncGroups>(
        *config_, table_, [this](std::function<void()> w) { post(std::move(w)); },
        [this](const std::string& group, vrrp::State to) {
            if (!tracking_) return;
            tracking_->notifier().groupChanged(group, to == vrrp::State::Master   ? notify::NotifyState::Master
                                                      : to == vrrp::State::Backup ? notify::NotifyState::Backup
                                                      : to == vrrp::State::Init   ? notify::NotifyState::Stop
                                                                                  : notify::NotifyState::Fault);
        },
        [this] { return now(); });
    startTracking(inheritedScripts());  // before the first transitions, for their notifies
    setupInstances();
    recomputePriorities();
    drain();
    finishHandover();
    armTimer();
    startWatchdog();
}

// WATCHDOG=1 at half of WatchdogSec=, from a timer of the loop itself: a loop that hangs
// (or a SIGSTOPped daemon) stops feeding it and systemd restarts the service.
void Daemon::startWatchdog() {
    auto interval = systemd_.watchdogInterval();
    if (!interval) return;
    watchdog_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (watchdog_fd_ < 0) throw sysError("timerfd_create(watchdog)");
    itimerspec its{};
    its.it_interval.tv_sec = interval->count() / 1000000;
    its.it_interval.tv_nsec = (interval->count() % 1000000) * 1000;
    its.it_value = its.it_interval;
    if (::timerfd_settime(watchdog_fd_, 0, &its, nullptr) < 0) throw sysError("timerfd_settime(watchdog)");
    loop_.add(watchdog_fd_, "watchdog", [this](uint32_t) {
        uint64_t n;
        while (::read(watchdog_fd_, &n, sizeof(n)) > 0) {
        }
        systemd_.watchdog();
    });
    spdlog::info("systemd watchdog: WATCHDOG=1 every {} ms", interval->count() / 1000);
}

void Daemon::updateStatusLine() {
    if (!states_changed_ || !systemd_.enabled()) return;
    states_changed_ = false;
    size_t count[4] = {};
    for (const auto& rt : table_) ++count[static_cast<int>(rt->machine().state)];
    std::string line;
    for (auto st : {vrrp::State::Master, vrrp::State::Backup, vrrp::State::Fault, vrrp::State::Init}) {
        if (!count[static_cast<int>(st)]) continue;
        if (!line.empty()) line += ", ";
        line += std::to_string(count[static_cast<int>(st)]) + " " + vrrp::stateName(st);
    }
    systemd_.status(line.empty() ? "no instances" : line);
}

std::unique_ptr<InstanceRuntime> Daemon::makeRuntime(const config::Config& cfg,
                                                     const config::Instance& inst) {
    auto rt = std::make_unique<InstanceRuntime>(cfg, inst);
    rt->setEffects(effects_.get(), effects_.get(), ownership_.get(), ownership_.get());
    rt->setHost(this);
    return rt;
}

void Daemon::setupInstances() {
    for (const auto& inst : config_->instances) table_.add(makeRuntime(*config_, inst));
    // Each interface's XDP program starts with this process's maps: every VIP is known
    // there as dropped before the first attach, not only once its instance starts after
    // the last one (a VIP a killed daemon left would answer ARP meanwhile, and a client
    // keeps such an answer for arp locktime, 1 s). A handover keeps the verdicts it adopts.
    if (!inherited_)
        for (const auto& rt : table_)
            if (auto link = netlink_->linkByName(rt->cfg().interface)) rt->guardVips(link->ifindex);
    for (const auto& rt : table_) bindInstance(*rt);  // may take a while (BPF, XDP attach)
    binder_->refreshSharedFlags(table_);
    // Trackers' weights count from the first state on, so the first notify already carries
    // the effective priority (as keepalived's does).
    recomputePriorities();
    seedLinkStates();
    for (const auto& rt : table_) startInstance(*rt, now());  // timers start after the bind
}

void Daemon::bindInstance(InstanceRuntime& rt) {
    auto res = binder_->bind(rt);
    if (!res.bound) return;
    table_.indexBound(rt);
    if (res.fenced) rt.setFault("fence", true, "fenced (xv_fence entry)", now());
    if (res.fault) rt.setFault("config", true, *res.fault, now());
}

void Daemon::startInstance(InstanceRuntime& rt, vrrp::TimePoint t) {
    if (!rt.bound()) return;
    if (adoptInherited(rt, t)) {
        // taken over from the previous process: its state stands
    } else if (trackersPending(rt)) {
        rt.hold();  // recomputePriorities() releases it with the first result
        return;
    } else {
        rt.handle(vrrp::Startup{}, t);
    }
    auto link = netlink_->linkByIndex(rt.ifindex());
    if (!link || !link->running()) applyLinkState(rt, false, rt.cfg().interface, t);
}

void Daemon::stateChanged(const InstanceRuntime& rt, const vrrp::StateChanged& sc) {
    states_changed_ = true;
    if (tracking_) {
        notify::NotifyState st;
        switch (sc.to) {
            case vrrp::State::Master: st = notify::NotifyState::Master; break;
            case vrrp::State::Backup: st = notify::NotifyState::Backup; break;
            case vrrp::State::Fault: st = notify::NotifyState::Fault; break;
            default: st = notify::NotifyState::Stop; break;
        }
        tracking_->notifier().instanceChanged(rt.cfg().name, st, rt.machine().effective_priority);
    }
    noteTransition(rt, sc);
    groups_->memberChanged(rt, sc);
}

bool Daemon::groupAllows(const InstanceRuntime& rt) {
    const bool ok = groups_->allows(rt);
    if (!ok)
        spdlog::debug("({}) not becoming master yet: a sync group member still has a master",
                      rt.cfg().name);
    return ok;
}

void Daemon::drain() {
    size_t n = 0;
    while (!queue_.empty()) {
        if (++n > kMaxQueuedPerDrain) {
            spdlog::error("{} queued sync-group moves did not settle; dropping the rest",
                          queue_.size());
            queue_.clear();
            return;
        }
        auto work = std::move(queue_.front());
        queue_.pop_front();
        loop_.guarded("queued work", work);
        tuning_->checkpoint();  // a sync group moves all its members
    }
}

void Daemon::armTimer() {
    std::optional<vrrp::TimePoint> next = housekeeping_due_;
    if (auto d = table_.timers().next(); d && (!next || *d < *next)) next = d;
    // Most turns change nothing (a ring event, a control request): no system call then.
    if (next == timer_armed_) return;
    itimerspec its{};
    if (next) {
        auto ns = next->since_boot.count();
        if (ns <= 0) ns = 1;  // 0 would disarm
        its.it_value.tv_sec = ns / 1'000'000'000;
        its.it_value.tv_nsec = ns % 1'000'000'000;
    }
    if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr) < 0)
        throw sysError("timerfd_settime");
    timer_armed_ = next;
}

int Daemon::run() {
    spdlog::info("xvrrpd started with {} instance(s) from {}", table_.size(),
                 options_.config_file);
    updateStatusLine();
    systemd_.ready();  // every instance is bound (or waits for its interface)
    spdlog::info("Startup complete");
    armTuning();
    while (running_) {
        try {
            loop_.runOnce(-1);
        } catch (const std::exception& e) {
            // epoll itself failed: nothing can be waited for any more; stop gracefully.
            spdlog::critical("{}; stopping", e.what());
            break;
        }
        loop_.guarded("advert flush", [this] { adverts_.flush(); });  // one sendmmsg per socket
        // The dead-man switch: VIPs stop answering when this goes stale (xv_heartbeat).
        loop_.guarded("heartbeat", [this] {
            dataplane_->heartbeat(static_cast<uint64_t>(now().since_boot.count()));
        });
        loop_.guarded("timer", [this] { armTimer(); });
        loop_.guarded("systemd status", [this] { updateStatusLine(); });
    }
    {
        // Priority 0 from every master and the ledger's undo: bounded, and it must finish.
        ProcessTuning::Lift lift(*tuning_);
        shutdown();
    }
    return 0;
}

void Daemon::onTimer() {
    uint64_t expirations;  // one read takes them all
    if (::read(timer_fd_, &expirations, sizeof(expirations)) > 0) timer_armed_.reset();
    auto t = now();
    if (!housekeeping_due_ || *housekeeping_due_ <= t) {
        housekeeping_due_ = t + kHousekeeping;
        housekeeping(t);
    }
    // Adverts and master-down timers of every instance first, then announcements: a burst
    // of GARPs (hundreds of VIPs) must not delay anyone's advert past a peer's timer.
    // Only the instances with work now (the table's timer index), in table order.
    table_.timers().timersDue(t, due_);
    for (InstanceRuntime* rt : due_) {
        if (rt->bound()) rt->fireTimers(t);
        tuning_->checkpoint();  // 255 instances may change state in one turn
    }
    drain();
    adverts_.flush();
    // A restart onto other BPF programs swaps them in one interface at a time, each right
    // after the adverts went out, so a verifier run never holds one back.
    if (dataplane_->pendingSwaps()) loop_.guarded("program swap", [this] { dataplane_->swapPending(); });
    table_.timers().announcementsDue(t, due_);
    for (InstanceRuntime* rt : due_) {
        if (rt->bound()) rt->announceDue(t);
        tuning_->checkpoint();
    }
}

void Daemon::housekeeping(vrrp::TimePoint t) {
    checkFences(t);
    checkRestartTimeout();
    auto full = dataplane_->ringOverflows();
    if (full != ring_full_seen_) {
        spdlog::warn("XDP ring overflowed ({} adverts lost); every instance hears its master "
                     "in userspace again until it accepts a new advert",
                     full - ring_full_seen_);
        ring_full_seen_ = full;
        for (const auto& rt : table_)
            if (rt->bound()) rt->handle(vrrp::AbsorbLost{}, t);
    }
}

// xv_fence decides: the arbiter's entries (written while we may be hung), the operator's
// (our fenceCommand, or bpftool by hand). Called by fence/unfence/check_fences requests and
// every housekeeping turn (500 ms), which bounds a fence written without telling us.
void Daemon::checkFences(vrrp::TimePoint t) {
    const auto ids = dataplane_->fences().fencedIds();  // one pass, not two lookups each
    for (const auto& rt : table_) {
        if (!rt->bound()) continue;
        bool fenced = std::binary_search(ids.begin(), ids.end(), rt->id());
        if (fenced != rt->faultActive("fence")) {
            spdlog::warn("({}) {}", rt->cfg().name, fenced ? "fenced: releasing the VIPs"
                                                            : "unfenced");
            rt->setFault("fence", fenced, "fenced (xv_fence entry)", t);
        }
    }
    groups_->settleFaults(t);
}

void Daemon::onRing() {
    const dataplane::Dataplane::AdvertCallback dropped = [this](const xv_advert& ev) {
        onDropSample(ev);
    };
    telemetry_.ringPass(dataplane_->consume(
        [this](const xv_advert& ev) {
            onAdvert(ev);
            // A sync group moves its other members before the next advert is read, as
            // keepalived's do inside the transition: a member already moved to BACKUP by its
            // group does not log "Master received advert ... higher priority" for its own
            // copy (differential sync_group_notify, sync_group_fault).
            if (!queue_.empty()) drain();
            tuning_->checkpoint();
        },
        &dropped));
}

// keepalived logs each advert it refuses, in words operators grep for. Here at most
// kRejectLinesPerSecond lines per instance, so a flood cannot flood the log.
void Daemon::logReject(InstanceRuntime& rt, const std::string& text, bool counted) {
    constexpr uint64_t kRejectLinesPerSecond = 8;
    auto& c = rt.counters();
    if (counted) {
        ++c.rx_rejected;
        c.last_reject = text;
    }
    const auto t = std::chrono::steady_clock::now();
    if (t - c.reject_window >= std::chrono::seconds(1)) {
        if (c.reject_unlogged)
            spdlog::info("({}) {} more refused adverts not logged", rt.cfg().name,
                         c.reject_unlogged);
        c.reject_window = t;
        c.reject_lines = 0;
        c.reject_unlogged = 0;
    }
    if (c.reject_lines++ < kRejectLinesPerSecond)
        spdlog::info("({}) {}", rt.cfg().name, text);
    else
        ++c.reject_unlogged;
}

// An advert the XDP program refused (its drop counter has it): say why, as keepalived does.
void Daemon::onDropSample(const xv_advert& ev) {
    Family fam = ev.family == XV_FAMILY_V6 ? Family::V6 : Family::V4;
    if (ev.vrrp_len < 2) return;
    InstanceRuntime* rt = table_.byKey(static_cast<int>(ev.ifindex), fam, ev.vrrp[1]);
    if (!rt) return;
    vrrp::RxPacket pkt{ev.ttl, IpAddr::fromBytes(fam, ev.saddr), IpAddr::fromBytes(fam, ev.daddr)};
    const vrrp::RxContext ctx = rxContext(*config_, *rt);
    std::span<const uint8_t> bytes(ev.vrrp, ev.vrrp_len);
    auto decoded = vrrp::decode(bytes, pkt.src, pkt.dst, fam, unicastChecksumMode(rt->cfg()));
    std::string text;
    if (!decoded) {
        text = vrrp::decodeErrorText(decoded.error(), bytes, pkt, ctx);
    } else if (auto r = vrrp::validate(*decoded, pkt, ctx); r != vrrp::RejectReason::Ok) {
        text = vrrp::rejectText(r, *decoded, pkt, ctx);
    } else {
        text = vrrp::peerRejectText(pkt, ctx);
    }
    if (text.empty()) {
        spdlog::debug("({}) the kernel refused an advert from {} that passes our checks",
                      rt->cfg().name, pkt.src.str());
        return;
    }
    logReject(*rt, text, false);
}

void Daemon::onAdvert(const xv_advert& ev) {
    Family fam = ev.family == XV_FAMILY_V6 ? Family::V6 : Family::V4;
    IpAddr src = IpAddr::fromBytes(fam, ev.saddr);
    IpAddr dst = IpAddr::fromBytes(fam, ev.daddr);
    if (ev.vrrp_len < 2) {
        ++rx_undecodable_;
        return;
    }
    // A tagged advert belongs to the VLAN sub-interface, never to one of ifindex (XDP
    // already drops or passes these; kept so no path can count one as untagged).
    if (ev.has_vlan && ev.vlan_id != 0) {
        ++rx_unknown_vrid_;
        return;
    }
    InstanceRuntime* rt = table_.byKey(static_cast<int>(ev.ifindex), fam, ev.vrrp[1]);
    if (!rt) {
        ++rx_unknown_vrid_;
        return;
    }
    if (src == rt->primary()) return;  // our own advert looped back
    std::span<const uint8_t> bytes(ev.vrrp, ev.vrrp_len);
    auto decoded = vrrp::decode(bytes, src, dst, fam, unicastChecksumMode(rt->cfg()));
    vrrp::RxPacket pkt{ev.ttl, src, dst};
    const vrrp::RxContext ctx = rxContext(*config_, *rt);
    if (!decoded) {
        ++rt->counters().rejected_by[vrrp::name(decoded.error())];  // metrics, by reason
        logReject(*rt, vrrp::decodeErrorText(decoded.error(), bytes, pkt, ctx), true);
        return;
    }
    auto verdict = vrrp::validate(*decoded, pkt, ctx);
    if (verdict != vrrp::RejectReason::Ok) {
        // VRID mismatch cannot happen here (found by VRID); the rest keepalived logs.
        ++rt->counters().rejected_by[vrrp::name(verdict)];
        logReject(*rt, vrrp::rejectText(verdict, *decoded, pkt, ctx), true);
        return;
    }
    if (decoded->old_unicast_checksum && !rt->oldUnicastChecksum() &&
        !rt->cfg().old_unicast_checksum) {
        spdlog::warn("({}) {} uses the old unicast checksum; switching to it (old_unicast_checksum)",
                     rt->cfg().name, src.str());
        rt->useOldUnicastChecksum();
    }
    vrrp::AdvertReceived rx;
    rx.received = vrrp::TimePoint{std::chrono::nanoseconds(ev.ts_ns)};
    rx.source = src;
    rx.priority = decoded->priority;
    rx.max_advert_int_cs = decoded->max_advert_int_cs;
    rt->handleAdvert(rx, {bytes, dst, ev.ttl}, now());
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
        if (options_.address_monitoring && le.address &&
            (le.kind == Kind::AddressAdded || le.kind == Kind::AddressRemoved)) {
            auto link = netlink_->linkByIndex(le.ifindex);
            spdlog::info("Netlink reflector reports IP {} {} {}", le.address->addr.str(),
                         le.kind == Kind::AddressAdded ? "added to" : "removed from",
                         link ? link->name : std::to_string(le.ifindex));
        }
        if (le.kind == Kind::Link) reportLink(le.ifindex, le.name, le.running);
        if (le.kind == Kind::AddressRemoved && le.address) addressRemoved(le.ifindex, *le.address, t);
        if (le.kind != Kind::Link && le.kind != Kind::LinkRemoved) return;
        // Tracked-interface weights first, so a notify sent on leaving FAULT already carries
        // the priority the link state gives.
        recomputePriorities();
        for (const auto& rt : table_)
            if (rt->bound() && rt->ifindex() == le.ifindex)
                applyLinkState(*rt, le.kind == Kind::Link && le.running, le.name, t);
    });
    if (resync) {
        spdlog::warn("netlink events were lost; re-reading link states");
        std::vector<int> known;  // the trackers' view (linkRunning) too
        for (const auto& [ifindex, running] : link_running_) known.push_back(ifindex);
        for (int ifindex : known)
            if (auto link = netlink_->linkByIndex(ifindex))
                reportLink(ifindex, link->name, link->running());
        for (const auto& rt : table_) {
            if (!rt->bound()) continue;
            auto link = netlink_->linkByIndex(rt->ifindex());
            applyLinkState(*rt, link && link->running(), rt->cfg().interface, t);
        }
    }
    recomputePriorities();
    groups_->settleFaults(t);
    if (!retry_unbound) return;
    bool bound_any = false;
    for (const auto& rt : table_) {
        if (rt->bound()) continue;
        loop_.guarded("(" + rt->cfg().name + ") bind", [&] { bindInstance(*rt); });
        bound_any |= rt->bound();
        startInstance(*rt, now());
    }
    if (bound_any) binder_->refreshSharedFlags(table_);
}

// Link down moves an instance to Fault (keepalived does the same); link up brings it back.
void Daemon::applyLinkState(InstanceRuntime& rt, bool running, const std::string& ifname,
                            vrrp::TimePoint t) {
    tuning_->checkpoint();  // a link event moves every instance on it
    if (running == !rt.faultActive("link")) return;
    // dont_track_primary: keepalived leaves the instance as it is when its own interface
    // goes down or up (keepalived.conf(5): "ignore VRRP interface faults").
    if (rt.cfg().dont_track_primary && !rt.faultActive("link")) return;
    spdlog::debug("({}) interface {} is {}", rt.cfg().name, ifname, running ? "up" : "down");
    rt.setFault("link", !running, "interface " + ifname + " is down", t);
}

void Daemon::onSignal() {
    signalfd_siginfo si{};
    while (::read(signal_fd_, &si, sizeof(si)) == sizeof(si)) {
        if (onDumpSignal(static_cast<int>(si.ssi_signo))) continue;
        switch (si.ssi_signo) {
            case SIGTERM:
            case SIGINT:
            case SIGQUIT:
                spdlog::info("Stopping");  // keepalived's line
                spdlog::debug("signal {} ({})", si.ssi_signo, ::strsignal(si.ssi_signo));
                running_ = false;
                break;
            case SIGHUP:
                reloadAndTune();
                break;
            case SIGXCPU:
                // RLIMIT_RTTIME's soft limit (vrrp_rt_priority): a turn of the loop ran that
                // long without blocking; at the hard limit the kernel kills the daemon.
                if (auto lim = tuning_->rttimeInForce()) {
                    spdlog::warn("the loop ran {} us without blocking (RLIMIT_RTTIME soft limit, "
                                 "vrrp_rlimit_rttime); the kernel kills xvrrpd at {} us",
                                 lim->rlim_cur, lim->rlim_max);
                    break;
                }
                [[fallthrough]];
            default:
                // Nothing of ours: say so, never die of it.
                spdlog::info("ignoring signal {} ({}) from pid {}", si.ssi_signo,
                             ::strsignal(static_cast<int>(si.ssi_signo)), si.ssi_pid);
                break;
        }
    }
}

// Graceful stop: a priority-0 advert from every master (RFC 5798 section 6.4.3) so the
// backup takes over after Skew_Time, then the ledger undoes everything xvrrpd changed.
void Daemon::shutdown() {
    systemd_.stopping();
    cancelRestartCheck();  // a check finishing now must not exec anything
    auto t = now();
    if (options_.dont_release_vrrp) {
        // -V (keepalived --dont-release-vrrp): VIPs and virtual routes stay, no priority 0.
        for (const char* kind : {"vip ", "vroute ", "vrule "}) ledger_.forgetPrefix(kind);
    } else {
        for (const auto& rt : table_)
            if (rt->bound()) loop_.guarded("(" + rt->cfg().name + ") stop", [&] {
                rt->handle(vrrp::Shutdown{}, t);
            });
    }
    drain();
    loop_.guarded("advert flush", [this] { adverts_.flush(); });
    // keepalived 2.2.7 sends nothing for its BFD sessions when it stops (measured: no
    // AdminDown, the peer's session expires); nor does xvrrpd.
    if (bfd_) {
        loop_.remove(bfd_->changesFd());
        bfd_.reset();
    }
    ledger_.unwind();
    // From here only scripts are waited for.
    for (int fd : {signal_fd_, timer_fd_, watchdog_fd_, links_->fd(), dataplane_->epollFd(),
                   control_->listenFd()})
        loop_.remove(fd);
    loop_.setFallback("", nullptr);
    // Notify scripts get about a second, as in keepalived: it kills notify_stop scripts
    // after 1 s, and exits about 1 s after the signal, killing any other notify script still
    // running (measured: a sync group's STOP notify of 0.8 s completes, one of 1.3 s does
    // not). So do the scripts a reload let go or the previous image left. xvrrpd exits as
    // soon as none runs.
    const auto begin = std::chrono::steady_clock::now();
    auto waiting = [&] {
        const auto waited = std::chrono::steady_clock::now() - begin;
        const bool notifying = tracking_ && tracking_->notifier().scriptsRunning() > 0;
        const bool stopping = tracking_ && tracking_->notifier().stopScriptsRunning() > 0;
        return (stopping && waited < std::chrono::milliseconds(1500)) ||
               ((notifying || inherited_children_.watching()) && waited < std::chrono::seconds(1));
    };
    while (waiting()) loop_.runOnce(100);
    tracking_.reset();
    spdlog::info("Stopped");
}

}  // namespace xvrrp::daemon
