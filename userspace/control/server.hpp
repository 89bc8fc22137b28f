#pragma once
// Root-only Unix stream socket serving the control protocol from the owner's epoll loop.
// Connections are non-blocking; a slow, silent or hostile client never stalls the loop, and
// nothing a client sends makes handle() throw. Limits: control/protocol.hpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/protocol.hpp"

namespace xvrrp::control {

// A daemon answers on the Unix socket at PATH (connect succeeds).
bool someoneListens(const std::string& path);

// Handles a parsed request; returns the response object. An exception of any type yields
// {"ok": false, "error": what()} (std::invalid_argument is the usual "bad request").
using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

// One request line (without its newline) to one response line (without it). Never throws:
// bad JSON, a request that is not {"cmd": "..."}, a handler exception or an answer that does
// not serialize all become {"ok": false, "error": ...}. Bytes that are not UTF-8 (in the
// request, a parse error or the answer, keys included) are written as \xHH
// (escapeInvalidUtf8, common/utf8.hpp), so every answer of both daemons is valid UTF-8.
std::string respondLine(std::string_view line, const Handler& handler) noexcept;

struct Limits {
    size_t max_clients = kMaxClients;
    size_t max_request_bytes = kMaxRequestBytes;
    size_t max_response_bytes = kMaxResponseBytes;
    std::chrono::milliseconds request_timeout = kRequestTimeout;
    std::chrono::milliseconds write_timeout = kWriteTimeout;
    int backlog = kBacklog;
};

struct ServerStats {
    uint64_t accepted = 0;
    uint64_t denied = 0;         // not root
    uint64_t evicted = 0;        // closed to make room for a new client
    uint64_t refused_busy = 0;   // every slot was answering
    uint64_t timed_out = 0;      // no request in time, or the answer not taken in time
    uint64_t too_large = 0;      // request or answer over its limit
    uint64_t fd_exhausted = 0;   // accept failed with EMFILE/ENFILE/ENOBUFS/ENOMEM
};

class Server {
public:
    using Handler = control::Handler;
    using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, as the timerfd

    // Creates the socket at path (mode 0600; missing parent directories are created 0755
    // whatever the umask). A stale socket there is replaced; a live one (another daemon
    // answers) or anything that is not a socket is refused with std::runtime_error.
    Server(const std::string& path, Handler handler, Limits limits = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // The owner adds listenFd() to its epoll (EPOLLIN, data.fd = the fd). The server adds and
    // removes its clients' fds and its own timerfd itself, in the epoll given to handle().
    int listenFd() const { return listen_fd_; }
    int timerFd() const { return timer_fd_; }
    // True if fd belongs to this server (listener, timerfd or a client connection).
    bool owns(int fd) const {
        return fd == listen_fd_ || fd == timer_fd_ || conns_.count(fd) != 0;
    }
    // Call with the epoll fd and the ready fd/events. Never throws; a failure closes only
    // the client it concerns.
    void handle(int epoll_fd, int fd, uint32_t events) noexcept;

    size_t clients() const { return conns_.size(); }
    const ServerStats& stats() const { return stats_; }

private:
    struct Conn {
        std::string in;
        std::string out;
        size_t sent = 0;
        bool answering = false;  // out holds the answer; waiting for the client to take it
        Clock::time_point opened;
        Clock::time_point deadline;
    };
    void dispatch(int epoll_fd, int fd, uint32_t events);
    void accept(int epoll_fd);
    bool admit(int epoll_fd, int fd);
    void rejectOne(const char* line);
    void pauseAccept(int epoll_fd);
    void readable(int epoll_fd, int fd, Conn& c);
    void answer(int epoll_fd, int fd, Conn& c, std::string line);
    void writable(int epoll_fd, int fd, Conn& c);
    void expire(int epoll_fd);
    void close(int epoll_fd, int fd);
    void watchTimer(int epoll_fd);
    void armTimer();

    std::string path_;
    Handler handler_;
    Limits limits_;
    int listen_fd_ = -1;
    int timer_fd_ = -1;
    int spare_fd_ = -1;  // /dev/null, given up to accept and refuse a client on EMFILE
    bool timer_watched_ = false;
    std::optional<Clock::time_point> paused_until_;  // listener out of epoll until then
    std::optional<Clock::time_point> armed_;
    std::map<int, Conn> conns_;
    ServerStats stats_;
};

// Client side (xvrrpctl, arbiter): sends one request, returns the parsed response.
// Throws std::runtime_error with the socket path and errno text on failure.
nlohmann::json request(const std::string& path, const nlohmann::json& req, int timeout_ms = 3000);

}  // namespace xvrrp::control
