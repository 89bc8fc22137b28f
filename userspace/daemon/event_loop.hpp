#pragma once
// The daemon's one epoll loop. Every handler is a unit that can fail alone: an exception is
// logged with the handler's name and counted, and the loop goes on. Only the daemon's
// graceful path ends it.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace xvrrp::daemon {

class EventLoop {
public:
    using Handler = std::function<void(uint32_t events)>;
    // Fds registered on epollFd() by someone else (the control server's clients).
    using Fallback = std::function<void(int fd, uint32_t events)>;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    int epollFd() const { return epoll_fd_; }
    void add(int fd, std::string name, Handler handler);
    void remove(int fd);  // unknown fds are fine
    void setFallback(std::string name, Fallback fallback);
    // Runs after each handler, isolated the same way (the daemon drains its queue there).
    void setAfterEach(std::function<void()> after) { after_each_ = std::move(after); }

    // Waits up to TIMEOUT_MS (-1: until something is ready) and runs the ready handlers.
    void runOnce(int timeout_ms);
    // Runs F as a unit of its own: an exception is logged under NAME and counted.
    void guarded(const std::string& name, const std::function<void()>& f);

    // Exceptions caught per handler name, for status.
    const std::map<std::string, uint64_t>& errors() const { return errors_; }
    uint64_t totalErrors() const;

private:
    struct Entry {
        std::string name;
        Handler handler;
    };

    int epoll_fd_ = -1;
    std::unordered_map<int, std::shared_ptr<const Entry>> handlers_;
    std::string fallback_name_;
    Fallback fallback_;
    std::function<void()> after_each_;
    std::map<std::string, uint64_t> errors_;
};

}  // namespace xvrrp::daemon
