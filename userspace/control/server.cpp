#include "control/server.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace xvrrp::control {
namespace {

constexpr int kAcceptBatch = 64;  // per wakeup, so a connect flood cannot starve the loop
constexpr std::chrono::seconds kAcceptRetry{1};  // listener paused after fds ran out

std::runtime_error sysError(const std::string& what, const std::string& object) {
    return std::runtime_error(what + " " + object + ": " + std::strerror(errno));
}

sockaddr_un unixAddress(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path))
        throw std::runtime_error("control socket path too long: " + path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    return sa;
}

}  // namespace

// A daemon already answering on path means another xvrrpd runs with this control socket.
bool someoneListens(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    auto sa = unixAddress(path);
    bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
    ::close(fd);
    return live;
}

namespace {

// Missing components get 0755 (less if the umask says so): never a directory others may
// write, where they could swap the socket for their own.
void makeParents(const std::filesystem::path& dir) {
    if (dir.empty()) return;
    std::filesystem::path p;
    for (const auto& part : dir) {
        p /= part;
        if (::mkdir(p.c_str(), 0755) == 0 || errno == EEXIST) continue;
        throw sysError("mkdir", p.string());
    }
}

// Only a socket may be replaced, and only one that nobody answers on: `--control /etc/passwd`
// must not delete the file.
void clearStaleSocket(const std::string& path) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) < 0) {
        if (errno == ENOENT) return;
        throw sysError("lstat control socket", path);
    }
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error("control socket path " + path +
                                 " exists and is not a socket; refusing to replace it");
    if (someoneListens(path))
        throw std::runtime_error("control socket " + path +
                                 " is in use by a running daemon (use --control for another)");
    if (::unlink(path.c_str()) < 0 && errno != ENOENT)
        throw sysError("unlink stale control socket", path);
}

void sendLine(int fd, std::string_view line) {
    (void)!::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void setEvents(int epoll_fd, int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
}

std::string failureLine(const std::string& error) {
    return nlohmann::json{{"ok", false}, {"error", error}}.dump() + "\n";
}

}  // namespace

Server::Server(const std::string& path, Handler handler, Limits limits)
    : path_(path), handler_(std::move(handler)), limits_(limits) {
    makeParents(std::filesystem::path(path).parent_path());
    clearStaleSocket(path);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw sysError("socket(AF_UNIX) for", path);
    auto fail = [&](const std::string& what) {
        auto err = sysError(what, path);
        for (int fd : {listen_fd_, timer_fd_, spare_fd_})
            if (fd >= 0) ::close(fd);
        return err;
    };
    auto sa = unixAddress(path);
    mode_t old = ::umask(0177);  // root-only: 0600
    int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    ::umask(old);
    if (rc < 0) throw fail("bind");
    if (::listen(listen_fd_, limits_.backlog) < 0) {
        auto err = fail("listen");
        ::unlink(path.c_str());
        throw err;
    }
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (timer_fd_ < 0 || spare_fd_ < 0) {
        auto err = fail(timer_fd_ < 0 ? "timerfd_create for" : "open /dev/null for");
        ::unlink(path.c_str());
        throw err;
    }
}

Server::~Server() {
    for (auto& [fd, conn] : conns_) ::close(fd);
    for (int fd : {timer_fd_, spare_fd_})
        if (fd >= 0) ::close(fd);
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        ::unlink(path_.c_str());
    }
}

void Server::handle(int epoll_fd, int fd, uint32_t events) noexcept {
    try {
        dispatch(epoll_fd, fd, events);
    } catch (...) {  // e.g. bad_alloc: drop this client, keep serving the others
        if (conns_.count(fd)) close(epoll_fd, fd);
    }
    try {
        armTimer();
    } catch (...) {
    }
}

void Server::dispatch(int epoll_fd, int fd, uint32_t events) {
    if (fd == listen_fd_) return accept(epoll_fd);
    if (fd == timer_fd_) return expire(epoll_fd);
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    Conn& c = it->second;
    // Read before acting on a hang-up: a client may send its request and close at once.
    if (!c.answering && (events & EPOLLIN)) return readable(epoll_fd, fd, c);
    if (c.answering && (events & EPOLLOUT)) return writable(epoll_fd, fd, c);
    if (events & (EPOLLERR | EPOLLHUP)) close(epoll_fd, fd);
}

void Server::accept(int epoll_fd) {
    watchTimer(epoll_fd);
    for (int i = 0; i < kAcceptBatch; ++i) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            if (!admit(epoll_fd, fd)) ::close(fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == EPERM)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            // The listener is level-triggered: leaving the connection queued would wake
            // us again at once, forever. Refuse it with the spare fd, or stop listening.
            ++stats_.fd_exhausted;
            if (spare_fd_ >= 0) {
                rejectOne("{\"ok\":false,\"error\":\"out of file descriptors, try again\"}\n");
                continue;
            }
            pauseAccept(epoll_fd);
        }
        return;  // EAGAIN, or paused
    }
}

// Closes the spare fd so accept() can take one queued client, answers and closes it.
void Server::rejectOne(const char* line) {
    ::close(spare_fd_);
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        sendLine(fd, line);
        ::close(fd);
    }
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // -1: pause next time
}

void Server::pauseAccept(int epoll_fd) {
    setEvents(epoll_fd, listen_fd_, 0);
    paused_until_ = Clock::now() + kAcceptRetry;
}

bool Server::admit(int epoll_fd, int fd) {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
        ++stats_.denied;
        sendLine(fd, "{\"ok\":false,\"error\":\"permission denied: root only\"}\n");
        return false;
    }
    if (conns_.size() >= limits_.max_clients) {
        // Make room by closing the oldest client still silent; answers in flight stay.
        auto victim = conns_.end();
        for (auto it = conns_.begin(); it != conns_.end(); ++it)
            if (!it->second.answering &&
                (victim == conns_.end() || it->second.opened < victim->second.opened))
                victim = it;
        std::string busy = failureLine("too many control clients (limit " +
                                       std::to_string(limits_.max_clients) + ")");
        if (victim == conns_.end()) {
            ++stats_.refused_busy;
            sendLine(fd, busy);
            return false;
        }
        ++stats_.evicted;
        sendLine(victim->first, busy);
        close(epoll_fd, victim->first);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) return false;
    Conn c;
    c.opened = Clock::now();
    c.deadline = c.opened + limits_.request_timeout;
    conns_[fd] = std::move(c);
    ++stats_.accepted;
    return true;
}

void Server::readable(int epoll_fd, int fd, Conn& c) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n > 0) {
            size_t from = c.in.size();
            c.in.append(buf, static_cast<size_t>(n));
            auto nl = c.in.find('\n', from);
            size_t len = nl == std::string::npos ? c.in.size() : nl;
            if (len > limits_.max_request_bytes) {
                ++stats_.too_large;
                c.out = failureLine("request larger than " +
                                    std::to_string(limits_.max_request_bytes) + " bytes");
                return answer(epoll_fd, fd, c, {});
            }
            if (nl != std::string::npos) return answer(epoll_fd, fd, c, c.in.substr(0, nl));
            continue;
        }
        if (n == 0) {  // peer closed its side: answer what we have, if anything
            if (c.in.empty()) return close(epoll_fd, fd);
            return answer(epoll_fd, fd, c, c.in);
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) close(epoll_fd, fd);
        return;
    }
}

// line: the request, or empty when c.out already holds an error.
void Server::answer(int epoll_fd, int fd, Conn& c, std::string line) {
    std::string().swap(c.in);
    if (c.out.empty()) {
        c.out = respondLine(line, handler_);
        if (c.out.size() > limits_.max_response_bytes) {
            ++stats_.too_large;
            c.out = failureLine("answer of " + std::to_string(c.out.size()) +
                                " bytes exceeds the limit of " +
                                std::to_string(limits_.max_response_bytes));
        } else {
            c.out += '\n';
        }
    }
    c.answering = true;
    c.deadline = Clock::now() + limits_.write_timeout;
    setEvents(epoll_fd, fd, EPOLLOUT);
    writable(epoll_fd, fd, c);
}

void Server::writable(int epoll_fd, int fd, Conn& c) {
    while (c.sent < c.out.size()) {
        ssize_t n = ::send(fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        break;
    }
    close(epoll_fd, fd);
}

void Server::expire(int epoll_fd) {
    uint64_t ticks;
    while (::read(timer_fd_, &ticks, sizeof(ticks)) > 0) {
    }
    armed_.reset();
    auto now = Clock::now();
    if (paused_until_ && *paused_until_ <= now) {
        paused_until_.reset();
        setEvents(epoll_fd, listen_fd_, EPOLLIN);
    }
    std::vector<int> late;
    for (const auto& [fd, c] : conns_)
        if (c.deadline <= now) late.push_back(fd);
    for (int fd : late) {
        ++stats_.timed_out;
        if (!conns_.at(fd).answering) sendLine(fd, failureLine("timed out waiting for a request"));
        close(epoll_fd, fd);
    }
}

void Server::close(int epoll_fd, int fd) {
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_.erase(fd);
    if (spare_fd_ < 0) spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (paused_until_) {  // an fd is free again
        paused_until_.reset();
        setEvents(epoll_fd, listen_fd_, EPOLLIN);
    }
}

void Server::watchTimer(int epoll_fd) {
    if (timer_watched_) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = timer_fd_;
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd_, &ev) == 0 || errno == EEXIST)
        timer_watched_ = true;
}

// One timerfd for every client deadline and the accept pause; set only when the earliest
// deadline changes.
void Server::armTimer() {
    std::optional<Clock::time_point> next = paused_until_;
    for (const auto& [fd, c] : conns_)
        if (!next || c.deadline < *next) next = c.deadline;
    if (next == armed_) return;
    itimerspec its{};
    if (next) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(next->time_since_epoch())
                      .count();
        if (ns <= 0) ns = 1;  // 0 would disarm
        its.it_value.tv_sec = ns / 1'000'000'000;
        its.it_value.tv_nsec = ns % 1'000'000'000;
    }
    if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr) == 0) armed_ = next;
}

}  // namespace xvrrp::control
