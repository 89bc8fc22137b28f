#include "arbiter.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <tuple>

#include "common/printable.hpp"
#include "control/server.hpp"
#include "metrics/http_server.hpp"
#include "net/netlink.hpp"

namespace xvrrp::arbiter {

using nlohmann::json;

namespace {

std::runtime_error sysError(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

itimerspec spec(std::chrono::nanoseconds first, std::chrono::nanoseconds every) {
    itimerspec t{};
    t.it_value.tv_sec = static_cast<time_t>(first.count() / 1000000000);
    t.it_value.tv_nsec = static_cast<long>(first.count() % 1000000000);
    t.it_interval.tv_sec = static_cast<time_t>(every.count() / 1000000000);
    t.it_interval.tv_nsec = static_cast<long>(every.count() % 1000000000);
    return t;
}

}  // namespace

Arbiter::Arbiter(ArbiterConfig cfg, std::string config_path, std::unique_ptr<Fencer> fencer)
    : cfg_(std::move(cfg)),
      config_path_(std::move(config_path)),
      fencer_(std::move(fencer)),
      audit_(cfg_.audit_log) {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw sysError("epoll_create1");
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, s);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) throw sysError("sigprocmask");
    ::signal(SIGPIPE, SIG_IGN);
    sig_fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sig_fd_ < 0) throw sysError("signalfd");
    tick_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    deadline_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tick_fd_ < 0 || deadline_fd_ < 0) throw sysError("timerfd_create");
    netlink_ = net::Netlink::open();
    watch(sig_fd_, "signal", [this](uint32_t) { onSignal(); });
    watch(tick_fd_, "round timer", [this](uint32_t) { onTick(); });
    watch(deadline_fd_, "deadline timer", [this](uint32_t) { onDeadline(); });
    watch(icmp_.fd4(), "ICMP replies", [this](uint32_t) {
        icmp_.onReadable(icmp_.fd4());
        maybeFinish();
    });
    watch(icmp_.fd6(), "ICMPv6 replies", [this](uint32_t) {
        icmp_.onReadable(icmp_.fd6());
        maybeFinish();
    });
    openServer();
    openWitness();
}

static bool sameWitness(const std::optional<WitnessConfig>& a, const std::optional<WitnessConfig>& b) {
    if (!a || !b) return !a && !b;
    auto key = [](const WitnessConfig& w) {
        return std::tie(w.endpoints, w.prefix, w.lease_ttl_s, w.timeout_ms, w.clock_margin_ms,
                        w.on_loss, w.tls, w.ca_file, w.cert_file, w.key_file);
    };
    return key(*a) == key(*b);
}

// A changed block starts a new client: a new lease, so what we owned is taken again by
// campaign once the old lease runs out (the old client's keys are not released on purpose:
// a reload must not open a window without an owner).
void Arbiter::openWitness() {
    if (witness_ && sameWitness(witness_cfg_, cfg_.witness) && witness_node_ == cfg_.node_name)
        return;
    if (witness_) unwatch(witness_->timerFd());
    witness_.reset();
    witness_cfg_ = cfg_.witness;
    witness_node_ = cfg_.node_name;  // the keys' value: a renamed node is a new owner
    if (!cfg_.witness) return;
    // An owner rewrites its key every round: two rounds without a rewrite mean it stopped.
    int64_t window = 3 * static_cast<int64_t>(cfg_.probe_interval_ms) / 2;
    witness_ = std::make_unique<witness::EtcdWitness>(
        *cfg_.witness, cfg_.node_name, witnessYieldLeadMs(cfg_), window,
        [this](int fd, uint32_t events) { watchWitness(fd, events); });
    watch(witness_->timerFd(), "witness timer", [this](uint32_t) {
        witness_->onTimer();
        maybeFinish();
    });
}

void Arbiter::watchWitness(int fd, uint32_t events) {
    if (events == 0) return unwatch(fd);
    if (handlers_.count(fd)) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        if (::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) < 0) throw sysError("epoll_ctl(MOD) etcd");
        return;
    }
    watch(
        fd, "witness (etcd)",
        [this, fd](uint32_t ev) {
            witness_->onSocket(fd, ev);
            maybeFinish();
        },
        events);
}

void Arbiter::openServer() {
    if (server_) unwatch(server_->listenFd());
    server_.reset();
    server_ =
        std::make_unique<control::Server>(cfg_.control_socket, [this](const json& req) -> json {
            if (req.value("cmd", "") != "status")
                throw std::invalid_argument("unknown cmd (the arbiter answers 'status')");
            json s = status();
            s["ok"] = true;
            return s;
        });
    // Registered for dispatch only: run() hands its fds to the server, which adds its clients.
    watch(server_->listenFd(), "control socket", [](uint32_t) {});
}

void Arbiter::openMetrics() {
    const std::string& want = metrics_cli_.empty() ? cfg_.metrics_listen : metrics_cli_;
    if (want == metrics_on_) return;
    std::unique_ptr<metrics::HttpServer> next;
    if (!want.empty())
        next = std::make_unique<metrics::HttpServer>(
            metrics::parseListen(want),
            [this](const metrics::HttpServer::Stats& st) { return captureMetrics(st); });
    if (http_)
        for (int fd : http_->fds()) unwatch(fd);
    http_ = std::move(next);
    metrics_on_ = want;
    if (!http_) return;
    for (int fd : http_->fds())
        watch(fd, "metrics server", [this](uint32_t) { http_->onReady(); });
    spdlog::info("serving Prometheus metrics on {} (/metrics)", want);
}

metrics::HttpServer::Job Arbiter::captureMetrics(const metrics::HttpServer::Stats& st) const {
    // A copy of the counters on the loop; the text on the render thread.
    return [m = metrics_, node = cfg_.node_name, st]() {
        metrics::Exposition out;
        m.write(out, node);
        metrics::writeServerStats(out, st, "xvrrp_arbiter");
        return out.take();
    };
}

Arbiter::~Arbiter() {
    server_.reset();
    http_.reset();
    for (int fd : {tick_fd_, deadline_fd_, sig_fd_, epfd_})
        if (fd >= 0) ::close(fd);
}

void Arbiter::watch(int fd, std::string what, std::function<void(uint32_t)> fn,
                    uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0)
        throw sysError("epoll_ctl(ADD) for " + what);
    handlers_[fd] = {std::move(what), std::move(fn)};
}

void Arbiter::dispatch(int fd, uint32_t events) {
    std::string what = "control socket";
    try {
        if (server_ && server_->owns(fd)) {
            server_->handle(epfd_, fd, events);
            return;
        }
        auto it = handlers_.find(fd);
        if (it == handlers_.end()) return;  // unwatched earlier in this batch
        auto h = it->second;                // the handler may unwatch itself
        what = h.what;
        h.fn(events);
    } catch (const std::exception& e) {
        failed(what, e.what());
    }
}

void Arbiter::failed(const std::string& what, const char* error) {
    ++handler_errors_;
    last_error_ = isoNow() + " " + what + ": " + printable(error);
    spdlog::error("{}: {} (error {} since start; the arbiter keeps running)", what,
                  printable(error), handler_errors_);
}

void Arbiter::unwatch(int fd) {
    if (fd < 0) return;
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);  // ENOENT/EBADF after close are fine
    handlers_.erase(fd);
}

int Arbiter::run() {
    spdlog::info(
        "arbiter {}: guarding {}, {} peer(s), {} gateway(s) (quorum {}), round every {} ms",
        cfg_.node_name, cfg_.instances.empty() ? std::string("all instances") : "listed instances",
        cfg_.peers.size(), cfg_.gateways.size(), cfg_.quorum, cfg_.probe_interval_ms);
    openMetrics();
    if (cfg_.start_fenced) startFence();
    auto every = std::chrono::milliseconds(cfg_.probe_interval_ms);
    auto t = spec(std::chrono::nanoseconds(1), every);
    if (::timerfd_settime(tick_fd_, 0, &t, nullptr) < 0) throw sysError("timerfd_settime(round)");
    epoll_event evs[32];
    while (!stop_) {
        int n = ::epoll_wait(epfd_, evs, 32, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw sysError("epoll_wait");
        for (int i = 0; i < n && !stop_; ++i) dispatch(evs[i].data.fd, evs[i].events);
    }
    std::vector<std::string> fenced;
    for (const auto& [name, st] : instances_)
        if (st.history.fenced_by_us) fenced.push_back(name);
    std::string list;
    for (const auto& f : fenced) list += (list.empty() ? "" : ", ") + f;
    spdlog::info("arbiter stopping; fence state left as it is: {}",
                 fenced.empty() ? std::string("nothing fenced by the arbiter")
                                : "fenced by the arbiter: " + list);
    audit_.write(
        {{"ts", isoNow()}, {"node", cfg_.node_name}, {"event", "stop"}, {"fenced", fenced}});
    return 0;
}

void Arbiter::onSignal() {
    signalfd_siginfo si;
    while (::read(sig_fd_, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP)
            reload();
        else
            stop_ = true;
    }
}

void Arbiter::reload() {
    ArbiterLoad r = loadArbiterFile(config_path_);
    for (const auto& d : r.diagnostics) spdlog::warn("reload: {}", d.str());
    if (!r.ok()) {
        spdlog::error("reload of {} failed; keeping the running configuration", config_path_);
        return;
    }
    spdlog::info("reloaded {}; it applies from the next round", config_path_);
    next_cfg_ = std::move(r.config);
    if (!in_round_) {
        applyConfig(std::move(*next_cfg_));
        next_cfg_.reset();
    }
}

void Arbiter::applyConfig(ArbiterConfig cfg) {
    bool new_socket = cfg.control_socket != cfg_.control_socket;
    bool new_interval = cfg.probe_interval_ms != cfg_.probe_interval_ms;
    if (cfg.pin_root != cfg_.pin_root) fencer_ = makeMapFencer(cfg.pin_root);
    cfg_ = std::move(cfg);
    try {
        audit_.reopen(cfg_.audit_log);  // also picks up a rotated file
    } catch (const std::exception& e) {
        spdlog::error("{}; keeping the old audit log", e.what());
    }
    try {
        openWitness();
    } catch (const std::exception& e) {
        spdlog::error("reload: witness: {}", e.what());
    }
    if (new_socket) {
        try {
            openServer();
        } catch (const std::exception& e) {
            spdlog::error("reload: {}; no control socket until the next reload", e.what());
        }
    }
    try {
        openMetrics();
    } catch (const std::exception& e) {
        spdlog::error("reload: {}; metrics stay on '{}'", e.what(), metrics_on_);
    }
    if (new_interval) {
        auto every = std::chrono::milliseconds(cfg_.probe_interval_ms);
        auto t = spec(every, every);
        ::timerfd_settime(tick_fd_, 0, &t, nullptr);
    }
}

void Arbiter::onTick() {
    uint64_t expirations;
    while (::read(tick_fd_, &expirations, sizeof(expirations)) > 0) {
    }
    if (in_round_) {
        // SSH can outlast an interval: the next round starts when this one ends.
        tick_missed_ = true;
        return;
    }
    startRound();
}

void Arbiter::startRound() {
    try {
        beginRound();
    } catch (...) {
        in_round_ = false;  // a round that could not start must not block the next one
        dropRoundQueries();
        throw;
    }
}

void Arbiter::beginRound() {
    if (next_cfg_) {
        applyConfig(std::move(*next_cfg_));
        next_cfg_.reset();
    }
    dropRoundQueries();  // whatever an earlier round left behind
    in_round_ = true;
    tick_missed_ = false;
    ++round_no_;
    round_start_ = Clock::now();
    round_started_iso_ = isoNow();
    ping_deadline_ = round_start_ + std::chrono::milliseconds(cfg_.ping_timeout_ms);
    ping_targets_.clear();
    for (const auto& p : cfg_.peers) ping_targets_.push_back(p.address);
    for (const auto& g : cfg_.gateways) ping_targets_.push_back(g);
    icmp_.start(ping_targets_);
    for (const auto& e : icmp_.sendErrors()) spdlog::debug("round {}: {}", round_no_, e);

    local_ = std::make_unique<ControlQuery>(
        cfg_.xvrrpd_socket, json{{"cmd", "status"}},
        round_start_ + std::chrono::milliseconds(cfg_.control_timeout_ms));
    if (!local_->done()) {
        int fd = local_->fd();
        watch(fd, "xvrrpd status query", [this, fd](uint32_t) {
            local_->onReadable();
            if (local_->done()) unwatch(fd);
            maybeFinish();
        });
    }
    for (const auto& p : cfg_.peers) {
        if (!p.has_ssh) {
            ssh_.push_back(nullptr);
            continue;
        }
        auto q = std::make_unique<SshQuery>(
            sshArgv(cfg_, p), round_start_ + std::chrono::milliseconds(cfg_.ssh_timeout_ms));
        watchChild(*q);
        ssh_.push_back(std::move(q));
    }
    if (witness_) {
        std::map<std::string, bool> wants;
        for (const auto& [name, st] : instances_) wants[name] = st.wants_ownership;
        witness_->start(wants);
    }
    armDeadline();
    maybeFinish();
}

void Arbiter::watchChild(SshQuery& q) {
    if (!q.started()) return;
    Child& c = q.child();
    const std::string what = "ssh child " + std::to_string(c.pid());
    for (int fd : {c.outFd(), c.errFd()}) {
        watch(fd, what, [this, &c, fd](uint32_t) {
            c.readFrom(fd);
            if (c.outFd() != fd && c.errFd() != fd) unwatch(fd);
        });
    }
    int pfd = c.pidFd();
    watch(pfd, what, [this, &c, pfd](uint32_t) {
        c.reap();
        if (!c.exited()) return;
        unwatch(pfd);
        // What ssh wrote before exiting is in the pipes now.
        for (int fd : {c.outFd(), c.errFd()}) {
            c.readFrom(fd);
            if (fd >= 0 && c.outFd() != fd && c.errFd() != fd) unwatch(fd);
        }
        maybeFinish();
    });
}

void Arbiter::unwatchChild(SshQuery& q) {
    if (!q.started()) return;
    unwatch(q.child().outFd());
    unwatch(q.child().errFd());
    unwatch(q.child().pidFd());
}

void Arbiter::armDeadline() {
    std::optional<Clock::time_point> next;
    auto consider = [&next](Clock::time_point t) {
        if (!next || t < *next) next = t;
    };
    if (in_round_) {
        if (!icmp_.allAnswered()) consider(ping_deadline_);
        if (local_ && !local_->done()) consider(local_->deadline());
        for (const auto& q : ssh_)
            if (q && !q->done()) consider(q->deadline());
    }
    for (const auto& p : pending_)
        if (!p.query->done()) consider(p.query->deadline());
    itimerspec t{};
    if (next) {
        auto left =
            std::max(std::chrono::nanoseconds(1), std::chrono::nanoseconds(*next - Clock::now()));
        t = spec(left, std::chrono::nanoseconds(0));
    }
    ::timerfd_settime(deadline_fd_, 0, &t, nullptr);
}

void Arbiter::onDeadline() {
    uint64_t expirations;
    while (::read(deadline_fd_, &expirations, sizeof(expirations)) > 0) {
    }
    auto now = Clock::now();
    if (local_ && !local_->done()) {
        int fd = local_->fd();
        local_->expire(now);
        if (local_->done()) unwatch(fd);
    }
    for (auto& q : ssh_)
        if (q) q->expire(now);  // the pidfd reports the kill
    for (auto it = pending_.begin(); it != pending_.end();) {
        int fd = it->query->fd();
        it->query->expire(now);
        if (it->query->done()) {
            unwatch(fd);
            spdlog::warn("{}: {}", it->what, it->query->error());
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
    maybeFinish();
    armDeadline();
}

bool Arbiter::roundComplete() const {
    if (!in_round_) return false;
    if (!icmp_.allAnswered() && Clock::now() < ping_deadline_) return false;
    if (local_ && !local_->done()) return false;
    for (const auto& q : ssh_)
        if (q && !q->done()) return false;
    return !witness_ || witness_->done();  // bounded by three witness timeouts
}

// Stops watching the children of the round and lets them go (a round that failed half-way
// must not leave handlers pointing at them).
void Arbiter::dropRoundQueries() {
    for (auto& q : ssh_)
        if (q) unwatchChild(*q);
    ssh_.clear();
    if (local_ && !local_->done()) unwatch(local_->fd());
    local_.reset();
}

void Arbiter::maybeFinish() {
    if (!roundComplete()) return;
    // Cleared first: a round that throws must not keep the next one from starting.
    in_round_ = false;
    try {
        finishRound();
    } catch (const std::exception& e) {
        failed("round " + std::to_string(round_no_), e.what());
    }
    dropRoundQueries();
    armDeadline();
    if (tick_missed_) startRound();
}

}  // namespace xvrrp::arbiter
