#include "daemon/bfd_worker.hpp"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <set>
#include <stdexcept>

#include "bfd/timers.hpp"

namespace xvrrp::daemon {
namespace {

std::runtime_error sysError(const std::string& call) {
    return std::runtime_error(call + ": " + std::strerror(errno));
}

void drainFd(int fd) {
    uint64_t n;
    while (::read(fd, &n, sizeof(n)) > 0) {
    }
}

void poke(int fd) {
    const uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(fd, &one, sizeof(one));
}

// The dataplane's BFD maps as the table's kernel side.
class MapsKernel : public BfdKernel {
public:
    explicit MapsKernel(std::unique_ptr<dataplane::BfdMaps> maps) : maps_(std::move(maps)) {}
    void expect(uint32_t d, const dataplane::BfdExpectation& e) override { maps_->expect(d, e); }
    void forget(uint32_t d) override { maps_->forget(d); }
    void clear() override { maps_->clear(); }
    xv_bfd_seen seen(uint32_t slot) const override { return maps_->seen(slot); }

private:
    std::unique_ptr<dataplane::BfdMaps> maps_;
};

}  // namespace

vrrp::TimePoint BfdWorker::now() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return vrrp::TimePoint{std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)};
}

BfdWorker::BfdWorker(uint32_t seed) {
    auto closeAll = [this] {
        for (int fd : {epoll_fd_, timer_fd_, wake_fd_, changes_fd_})
            if (fd >= 0) ::close(fd);
    };
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    changes_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || timer_fd_ < 0 || wake_fd_ < 0 || changes_fd_ < 0) {
        auto e = sysError("BFD thread: epoll_create1/timerfd_create/eventfd");
        closeAll();
        throw e;
    }
    for (int fd : {timer_fd_, wake_fd_}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
            auto e = sysError("BFD thread: epoll_ctl");
            closeAll();
            throw e;
        }
    }
    // Runs on the thread (every step does): queue the change, wake the main loop.
    table_ = std::make_unique<BfdTable>(
        sockets_,
        [this](const BfdSession& s, const bfd::StateChanged& c) {
            {
                std::lock_guard lock(mutex_);
                changes_.push_back(
                    {s.cfg.name, c, s.remote_diag, s.cfg.neighbor.value_or(IpAddr{}), s.last_rx});
            }
            poke(changes_fd_);
        },
        seed);
    thread_ = std::thread([this] { run(); });
}

BfdWorker::~BfdWorker() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    poke(wake_fd_);
    if (thread_.joinable()) thread_.join();
    table_->clear();
    for (int fd : {epoll_fd_, timer_fd_, wake_fd_, changes_fd_}) ::close(fd);
}

std::vector<BfdWorker::Change> BfdWorker::takeChanges() {
    drainFd(changes_fd_);
    std::lock_guard lock(mutex_);
    return std::exchange(changes_, {});
}

void BfdWorker::call(const std::function<void()>& f) {
    std::promise<void> done;
    auto fut = done.get_future();
    {
        std::lock_guard lock(mutex_);
        if (dead_) throw std::runtime_error("the BFD thread has stopped (epoll_wait failed)");
        calls_.push_back([&f, &done] {
            try {
                f();
                done.set_value();
            } catch (...) {
                done.set_exception(std::current_exception());
            }
        });
    }
    poke(wake_fd_);
    fut.get();
}

void BfdWorker::listen(Family f, bool wanted) {
    auto it = rx_fds_.find(f);
    if (!wanted) {
        if (it == rx_fds_.end()) return;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second, nullptr);
        sockets_.unlisten(f);
        rx_fds_.erase(it);
        return;
    }
    if (it != rx_fds_.end()) return;
    try {
        const int fd = sockets_.listen(f);
        if (fd < 0) return;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
            sockets_.unlisten(f);
            throw sysError("BFD thread: epoll_ctl(port 3784)");
        }
        rx_fds_[f] = fd;
    } catch (const std::exception& e) {
        spdlog::error("BFD: {}; sessions of this family receive nothing and stay down", e.what());
    }
}

std::map<std::string, bool> BfdWorker::reconcile(const config::Config& cfg, const nlohmann::json& carried) {
    std::map<std::string, bool> up;
    call([&] {
        if (!carried.is_null()) table_->carry(carried);
        // Receive first, so the first answers to the sessions' first packets are read.
        std::set<Family> wanted;
        for (const auto& [name, b] : cfg.bfd_instances)
            if (b.disabled.empty() && b.neighbor) wanted.insert(b.neighbor->family());
        for (Family f : {Family::V4, Family::V6}) listen(f, wanted.contains(f));
        table_->reconcile(cfg, now());
        for (const auto& [name, s] : table_->sessions()) up[name] = s->up();
        armTimer();
    });
    return up;
}

nlohmann::json BfdWorker::handoff() {
    nlohmann::json j;
    call([&] { j = table_->handoff(); });
    return j;
}

void BfdWorker::attachKernel(std::unique_ptr<dataplane::BfdMaps> maps) {
    auto k = std::make_unique<MapsKernel>(std::move(maps));
    call([&] {
        table_->setKernel(k.get());
        kernel_ = std::move(k);
    });
}

void BfdWorker::detachKernel() {
    call([&] {
        table_->setKernel(nullptr);
        kernel_.reset();
    });
}

nlohmann::json BfdWorker::status() {
    nlohmann::json j;
    call([&] { j = table_->status(now()); });
    return j;
}

std::vector<BfdSnapshot> BfdWorker::snapshot() {
    std::vector<BfdSnapshot> out;
    call([&] {
        for (const auto& [name, bs] : table_->sessions()) {
            const bfd::Session& x = bs->session;
            BfdSnapshot b;
            b.name = name;
            b.neighbor = bs->cfg.neighbor->str();
            b.state = static_cast<uint8_t>(x.state);
            b.remote_state = static_cast<uint8_t>(x.remote_state);
            b.detect_time_s =
                bfd::detectionTimeUs(x.remote_detect_mult, x.rx_used_us, x.remote_desired_min_tx_us) / 1e6;
            b.packets_rx = x.counters.packets_rx;
            b.packets_tx = x.counters.packets_tx;
            b.tx_errors = bs->tx_errors;
            b.up = x.counters.up_transitions;
            b.down = x.counters.down_transitions;
            b.rejected_by = bs->rejected_by;
            b.absorbed_xdp = table_->absorbed(*bs);
            out.push_back(std::move(b));
        }
    });
    return out;
}

void BfdWorker::armTimer() {
    itimerspec its{};
    if (auto next = table_->next()) {
        auto ns = next->since_boot.count();
        if (ns <= 0) ns = 1;  // 0 would disarm
        its.it_value.tv_sec = ns / 1'000'000'000;
        its.it_value.tv_nsec = ns % 1'000'000'000;
    }
    if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr) < 0)
        spdlog::error("BFD thread: timerfd_settime: {}", std::strerror(errno));
}

void BfdWorker::run() {
    // Named so top -H, perf and /proc/PID/task/*/comm tell it from the main loop.
    ::pthread_setname_np(::pthread_self(), "xvrrpd-bfd");
    const auto onPacket = [this](std::span<const uint8_t> p, const IpAddr& src,
                                 const std::optional<IpAddr>& dst, uint8_t ttl, uint16_t port) {
        table_->receive(p, src, dst, ttl, now(), port);
    };
    for (;;) {
        epoll_event evs[8];
        const int n = ::epoll_wait(epoll_fd_, evs, 8, -1);
        if (n < 0 && errno != EINTR) {
            spdlog::critical("BFD thread: epoll_wait: {}; BFD sessions stop", std::strerror(errno));
            std::deque<std::function<void()>> calls;
            {
                std::lock_guard lock(mutex_);
                dead_ = true;
                calls.swap(calls_);
            }
            // Nobody waits forever: queued calls run here, on their way out.
            for (auto& c : calls) c();
            return;
        }
        // A unit that can fail alone, as the main loop's handlers.
        try {
            for (int i = 0; i < n; ++i) {
                const int fd = evs[i].data.fd;
                if (fd == wake_fd_) {
                    drainFd(wake_fd_);
                    std::deque<std::function<void()>> calls;
                    {
                        std::lock_guard lock(mutex_);
                        if (stop_) return;
                        calls.swap(calls_);
                    }
                    for (auto& c : calls) c();
                } else if (fd == timer_fd_) {
                    drainFd(timer_fd_);
                    table_->fireDue(now());
                } else {
                    sockets_.onReadable(fd, onPacket);
                }
            }
        } catch (const std::exception& e) {
            spdlog::error("BFD thread: {}", e.what());
        }
        armTimer();
    }
}

}  // namespace xvrrp::daemon
