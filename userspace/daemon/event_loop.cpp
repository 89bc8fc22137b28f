#include "daemon/event_loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace xvrrp::daemon {

EventLoop::EventLoop() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

EventLoop::~EventLoop() { ::close(epoll_fd_); }

void EventLoop::add(int fd, std::string name, Handler handler) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0)
        throw std::runtime_error("epoll_ctl(ADD, " + name + "): " + std::strerror(errno));
    handlers_[fd] = std::make_shared<const Entry>(Entry{std::move(name), std::move(handler)});
}

void EventLoop::remove(int fd) {
    if (handlers_.erase(fd)) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::setFallback(std::string name, Fallback fallback) {
    fallback_name_ = std::move(name);
    fallback_ = std::move(fallback);
}

void EventLoop::guarded(const std::string& name, const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        const uint64_t n = ++errors_[name];
        // The first and then every 100th: a handler failing on every event must not flood.
        if (n == 1 || n % 100 == 0)
            spdlog::error("{}: {} ({} error(s) there so far; the daemon carries on)", name,
                          e.what(), n);
    } catch (...) {
        const uint64_t n = ++errors_[name];
        if (n == 1 || n % 100 == 0)
            spdlog::error("{}: unknown exception ({} error(s) there so far)", name, n);
    }
}

void EventLoop::runOnce(int timeout_ms) {
    epoll_event events[32];
    int n = ::epoll_wait(epoll_fd_, events, 32, timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return;
        throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
    }
    for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        const uint32_t ev = events[i].events;
        auto it = handlers_.find(fd);
        if (it != handlers_.end()) {
            auto e = it->second;  // held: the handler may remove itself
            guarded(e->name, [&] { e->handler(ev); });
        } else if (fallback_) {
            guarded(fallback_name_, [&] { fallback_(fd, ev); });
        }
        if (after_each_) guarded("queued work", after_each_);
    }
}

uint64_t EventLoop::totalErrors() const {
    uint64_t n = 0;
    for (const auto& [name, count] : errors_) n += count;
    return n;
}

}  // namespace xvrrp::daemon
