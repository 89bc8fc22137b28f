#pragma once
// The /metrics endpoint: libmicrohttpd driven from the daemon's own epoll loop, no threads.
// MHD runs in external epoll mode (MHD_USE_EPOLL without an internal thread): its epoll fd
// goes into the daemon's loop, onReady() calls MHD_run() when that fd is readable or when
// MHD's own timeout (MHD_get_timeout, kept in a timerfd of ours) comes. MHD_run never
// blocks; a slow or hostile client costs at most its share of one bounded pass:
//   - at most `connections` clients at once (`per_ip` from one address), the rest refused;
//   - a connection idle for `timeout_s` is closed;
//   - a request's headers must fit in `request_memory` bytes (431 otherwise);
//   - only GET/HEAD of /metrics is served; the body is rendered once per request, at most
//     `max_body` bytes, and sent as the socket takes it.

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "metrics/exposition.hpp"

struct MHD_Daemon;
struct MHD_Connection;

namespace xvrrp::metrics {

// [ADDR:]PORT: "9650", ":9650", "127.0.0.1:9650", "[fd00::1]:9650". Without ADDR every
// address (IPv6 any, dual stack; IPv4 any where IPv6 is off).
struct ListenAddress {
    sockaddr_storage addr{};
    socklen_t len = 0;
    bool any = false;
    std::string text;  // as given, for messages
};
// Throws std::invalid_argument naming what is wrong with SPEC.
ListenAddress parseListen(std::string_view spec);

struct ServerLimits {
    unsigned connections = 8;
    unsigned per_ip = 4;
    unsigned timeout_s = 10;
    size_t request_memory = 16 * 1024;
    size_t max_body = 64 * 1024 * 1024;
};

class HttpServer {
public:
    using Render = std::function<std::string()>;  // the /metrics body

    // Binds and listens; throws std::runtime_error naming the address and errno text.
    HttpServer(const ListenAddress& where, Render render, ServerLimits limits = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    int epollFd() const { return epoll_fd_; }  // MHD's: readable when a client needs us
    int timerFd() const { return timer_fd_; }  // MHD's next timeout
    // Runs MHD once (never blocks) and re-arms the timer; call for either fd.
    void onReady();
    // The port actually bound (useful with port 0 in tests).
    uint16_t port() const { return port_; }

    struct Stats {
        std::map<unsigned, uint64_t> responses;  // by HTTP status
        uint64_t render_errors = 0;
        uint64_t bytes = 0;                      // body bytes handed to MHD
        Histogram render{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05}};
        Histogram loop{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05}};
        double render_max_s = 0;  // the slowest render so far
        double loop_max_s = 0;    // the longest single onReady() so far
    };
    const Stats& stats() const { return stats_; }

    // MHD's request callback lands here (a complete request without a body).
    bool respond(MHD_Connection* c, std::string_view url, std::string_view method);

private:
    void armTimer(bool now);
    unsigned connections() const;

    Render render_;
    ServerLimits limits_;
    MHD_Daemon* mhd_ = nullptr;
    int epoll_fd_ = -1;
    int timer_fd_ = -1;
    uint16_t port_ = 0;
    Stats stats_;
};

// Writes the server's own series (xvrrp_metrics_*) into OUT; PREFIX names the daemon
// ("xvrrp" or "xvrrp_arbiter").
void writeServerStats(Exposition& out, const HttpServer::Stats& s, std::string_view prefix);

}  // namespace xvrrp::metrics
