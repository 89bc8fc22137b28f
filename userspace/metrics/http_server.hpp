#pragma once
// The /metrics endpoint: libmicrohttpd driven from the daemon's own epoll loop, with the
// text rendered on a thread of its own. MHD runs in external epoll mode (MHD_USE_EPOLL
// without an internal thread): its epoll fd goes into the daemon's loop, onReady() calls
// MHD_run() when that fd is readable, when MHD's own timeout (MHD_get_timeout, kept in a
// timerfd of ours) comes, or when the render thread has a body. A scrape costs the loop
// only the capture (a self-contained copy of what the body will say) and the socket work:
//   - GET /metrics suspends the connection (MHD_ALLOW_SUSPEND_RESUME) and waits its turn;
//     one body is rendered at a time, each from a capture taken when its turn comes, and
//     the connection is resumed with it when the thread is done (RenderThread);
//   - at most `connections` clients at once (`per_ip` from one address), the rest refused,
//     so at most that many wait;
//   - a connection idle for `timeout_s` is closed;
//   - a request's headers must fit in `request_memory` bytes (431 otherwise);
//   - only GET/HEAD of /metrics is rendered, at most `max_body` bytes, and sent as the
//     socket takes it.

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "metrics/exposition.hpp"
#include "metrics/render_thread.hpp"

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
    struct Stats;
    // On the loop, when a scrape's turn comes: copies what the body will say and returns
    // the job that renders it on the render thread (which must own all it reads). STATS is
    // the server's own account so far, for writeServerStats.
    using Job = RenderThread::Job;
    using Capture = std::function<Job(const Stats& stats)>;

    // Binds, listens and starts the render thread; throws std::runtime_error naming the
    // address and errno text.
    HttpServer(const ListenAddress& where, Capture capture, ServerLimits limits = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    int epollFd() const { return epoll_fd_; }  // MHD's: readable when a client needs us
    int timerFd() const { return timer_fd_; }  // MHD's next timeout
    int renderFd() const { return render_.eventFd(); }  // a body is ready
    // All three, for the loop to watch.
    std::array<int, 3> fds() const { return {epoll_fd_, timer_fd_, render_.eventFd()}; }
    // Collects a rendered body, runs MHD once (never blocks), starts the next render and
    // re-arms the timer; call for any of fds().
    void onReady();
    // The port actually bound (useful with port 0 in tests).
    uint16_t port() const { return port_; }

    struct Stats {
        std::map<unsigned, uint64_t> responses;  // by HTTP status
        uint64_t render_errors = 0;              // captures or renders that threw
        uint64_t bytes = 0;                      // body bytes handed to MHD
        Histogram capture{{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01}};
        Histogram render{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05}};
        Histogram loop{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05}};
        double capture_max_s = 0;  // the slowest capture (on the loop) so far
        double render_max_s = 0;   // the slowest render (on the render thread) so far
        double loop_max_s = 0;     // the longest single onReady() so far
    };
    const Stats& stats() const { return stats_; }

    // MHD's request callback lands here (a complete request without a body), again when
    // a suspended /metrics request is resumed with its body. STATE is the connection's.
    struct Request;
    bool respond(MHD_Connection* c, std::string_view url, std::string_view method, Request& r);

private:
    void armTimer(bool now);
    unsigned connections() const;
    // The render thread's body (or error) to the connection that waited for it.
    void finishRender();
    // The next waiting connection's turn: capture on the loop, render on the thread.
    // Returns true when a connection was resumed at once (its capture failed).
    bool startRender();
    struct Pending {
        MHD_Connection* c = nullptr;
        Request* r = nullptr;
    };

    Capture capture_;
    ServerLimits limits_;
    MHD_Daemon* mhd_ = nullptr;
    int epoll_fd_ = -1;
    int timer_fd_ = -1;
    uint16_t port_ = 0;
    Stats stats_;
    std::deque<Pending> waiting_;  // suspended, in arrival order
    Pending rendering_;            // suspended, its body on the render thread
    bool stopping_ = false;
    RenderThread render_;  // last member: joined first
};

// Writes the server's own series (xvrrp_metrics_*) into OUT; PREFIX names the daemon
// ("xvrrp" or "xvrrp_arbiter").
void writeServerStats(Exposition& out, const HttpServer::Stats& s, std::string_view prefix);

}  // namespace xvrrp::metrics
