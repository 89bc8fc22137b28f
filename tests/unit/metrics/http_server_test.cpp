// The /metrics server driven by a test loop on loopback: what it answers, that clients
// who misbehave (too many, idle, not reading, huge headers) cost bounded work only, and
// that bodies are rendered on the render thread, one at a time, while the loop goes on.
#include "metrics/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <thread>

namespace xvrrp::metrics {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Runs the server like the daemon's loop does until READY or the deadline.
template <typename Ready>
bool pump(HttpServer& s, Ready ready, Clock::duration limit = 10s) {
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (int fd : s.fds()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    const auto end = Clock::now() + limit;
    bool ok = false;
    while (!(ok = ready()) && Clock::now() < end) {
        epoll_event evs[3];
        if (::epoll_wait(ep, evs, 3, 10) > 0) s.onReady();
    }
    ::close(ep);
    return ok;
}

int connectTo(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void sendAll(int fd, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
        ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
        if (n <= 0) return;
        done += static_cast<size_t>(n);
    }
}

// Reads until the peer closes (or the receive timeout).
std::string readAll(int fd) {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

std::string request(uint16_t port, const std::string& req) {
    int fd = connectTo(port);
    if (fd < 0) return "connect failed";
    sendAll(fd, req);
    std::string r = readAll(fd);
    ::close(fd);
    return r;
}

std::string get(const std::string& path) {
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
}

// A capture that copies BODY (on the loop) for a job that returns it (on the thread).
HttpServer::Capture bodyOf(const std::string& body) {
    return [&body](const HttpServer::Stats&) { return HttpServer::Job([b = body] { return b; }); };
}

struct Server {
    explicit Server(std::string body = "m 1\n", ServerLimits l = {})
        : body_(std::move(body)), s(parseListen("127.0.0.1:0"), bodyOf(body_), l) {}
    std::string body_;
    HttpServer s;

    std::string ask(const std::string& req) {
        auto f = std::async(std::launch::async, [&] { return request(s.port(), req); });
        pump(s, [&] { return f.wait_for(0s) == std::future_status::ready; });
        return f.get();
    }
};

TEST(HttpServer, ServesTheRenderedBodyOnMetrics) {
    Server srv("# HELP m M.\n# TYPE m gauge\nm 1\n");
    const std::string r = srv.ask(get("/metrics"));
    EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
    EXPECT_NE(r.find("text/plain; version=0.0.4"), std::string::npos) << r;
    EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), srv.body_);
    EXPECT_EQ(srv.s.stats().responses.at(200), 1u);
    EXPECT_EQ(srv.s.stats().render.count(), 1u);
    EXPECT_EQ(srv.s.stats().bytes, srv.body_.size());
}

TEST(HttpServer, OtherPathsAre404AndOtherMethods405) {
    Server srv;
    EXPECT_EQ(srv.ask(get("/")).rfind("HTTP/1.1 404", 0), 0u);
    const std::string post = srv.ask(
        "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
    EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
    EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;
    EXPECT_EQ(srv.s.stats().render.count(), 0u);  // neither rendered the metrics
}

TEST(HttpServer, ARenderErrorIs500AndCounted) {
    HttpServer s(parseListen("127.0.0.1:0"), [](const HttpServer::Stats&) {
        return HttpServer::Job([]() -> std::string { throw std::runtime_error("boom"); });
    });
    auto f = std::async(std::launch::async, [&] { return request(s.port(), get("/metrics")); });
    pump(s, [&] { return f.wait_for(0s) == std::future_status::ready; });
    const std::string r = f.get();
    EXPECT_EQ(r.rfind("HTTP/1.1 500", 0), 0u) << r;
    EXPECT_NE(r.find("boom"), std::string::npos);
    EXPECT_EQ(s.stats().render_errors, 1u);
}

TEST(HttpServer, ClientsBeyondTheLimitWaitInTheBacklogUntilASlotFrees) {
    ServerLimits l;
    l.connections = 2;
    l.timeout_s = 60;
    Server srv("m 1\n", l);
    int idle1 = connectTo(srv.s.port()), idle2 = connectTo(srv.s.port());
    ASSERT_GE(idle1, 0);
    ASSERT_GE(idle2, 0);
    pump(srv.s, [] { return false; }, 200ms);  // both accepted, both silent
    // A third waits in the kernel's backlog: MHD does not take it (no work for the loop).
    auto third = std::async(std::launch::async, [&] { return request(srv.s.port(), get("/metrics")); });
    EXPECT_FALSE(pump(srv.s, [&] { return third.wait_for(0s) == std::future_status::ready; }, 1s));
    EXPECT_EQ(srv.s.stats().render.count(), 0u);
    ::close(idle1);  // a slot frees: the waiting client is served at once
    ASSERT_TRUE(pump(srv.s, [&] { return third.wait_for(0s) == std::future_status::ready; }, 3s));
    EXPECT_EQ(third.get().rfind("HTTP/1.1 200", 0), 0u);
    ::close(idle2);
}

TEST(HttpServer, AnIdleClientIsDisconnectedAfterTheTimeout) {
    ServerLimits l;
    l.timeout_s = 1;
    Server srv("m 1\n", l);
    int fd = connectTo(srv.s.port());
    ASSERT_GE(fd, 0);
    sendAll(fd, "GET /metr");  // half a request, then silence
    auto f = std::async(std::launch::async, [&] { return readAll(fd); });
    const auto t0 = Clock::now();
    ASSERT_TRUE(pump(srv.s, [&] { return f.wait_for(0s) == std::future_status::ready; }, 8s));
    EXPECT_GE(Clock::now() - t0, 900ms);  // closed by the timeout, not at once
    EXPECT_EQ(f.get(), "");
    ::close(fd);
}

TEST(HttpServer, AClientThatDoesNotReadDoesNotHoldUpOthers) {
    Server srv(std::string(32 * 1024 * 1024, 'x'));
    int stalled = connectTo(srv.s.port());
    ASSERT_GE(stalled, 0);
    sendAll(stalled, get("/metrics"));
    pump(srv.s, [&] { return srv.s.stats().render.count() == 1; });
    // 32 MB cannot fit in the socket buffers: the stalled client's response is pending
    // while a second client is served in full.
    srv.body_ = "small 1\n";
    const std::string r = srv.ask(get("/metrics"));
    EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "small 1\n");
    EXPECT_EQ(srv.s.stats().render.count(), 2u);
    ::close(stalled);
}

TEST(HttpServer, OversizedHeadersAreRefused) {
    ServerLimits l;
    l.request_memory = 4096;
    Server srv("m 1\n", l);
    const std::string big = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(64 * 1024, 'a') +
                            "\r\nConnection: close\r\n\r\n";
    const std::string r = srv.ask(big);
    EXPECT_EQ(r.find("HTTP/1.1 200"), std::string::npos) << r.substr(0, 200);
    EXPECT_EQ(srv.s.stats().render.count(), 0u);
    EXPECT_EQ(srv.ask(get("/metrics")).rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServer, ACaptureErrorIs500AndCounted) {
    HttpServer s(parseListen("127.0.0.1:0"), [](const HttpServer::Stats&) -> HttpServer::Job {
        throw std::runtime_error("no snapshot");
    });
    auto f = std::async(std::launch::async, [&] { return request(s.port(), get("/metrics")); });
    ASSERT_TRUE(pump(s, [&] { return f.wait_for(0s) == std::future_status::ready; }));
    const std::string r = f.get();
    EXPECT_EQ(r.rfind("HTTP/1.1 500", 0), 0u) << r;
    EXPECT_NE(r.find("no snapshot"), std::string::npos) << r;
    EXPECT_EQ(s.stats().render_errors, 1u);
    EXPECT_EQ(s.stats().render.count(), 0u);
}

// A render that takes as long as the test wants: each capture counts and numbers its body;
// each job waits for its gate.
struct SlowServer {
    std::atomic<int> captures{0};
    std::promise<void> gate1, gate2;
    std::shared_future<void> open1 = gate1.get_future().share(), open2 = gate2.get_future().share();
    HttpServer s{parseListen("127.0.0.1:0"), [this](const HttpServer::Stats&) {
                     const int n = ++captures;
                     auto open = n == 1 ? open1 : open2;
                     return HttpServer::Job([n, open] {
                         open.wait();
                         return "body " + std::to_string(n) + "\n";
                     });
                 }};
};

TEST(HttpServer, TheLoopAnswersWhileABodyRendersAndRendersOneAtATime) {
    SlowServer srv;
    auto first = std::async(std::launch::async, [&] { return request(srv.s.port(), get("/metrics")); });
    ASSERT_TRUE(pump(srv.s, [&] { return srv.captures == 1; }));
    // The render thread is stuck; the loop still accepts, reads and answers.
    auto other = std::async(std::launch::async, [&] { return request(srv.s.port(), get("/")); });
    ASSERT_TRUE(pump(srv.s, [&] { return other.wait_for(0s) == std::future_status::ready; }));
    EXPECT_EQ(other.get().rfind("HTTP/1.1 404", 0), 0u);
    // A second scrape waits its turn without a capture of its own yet.
    auto second = std::async(std::launch::async, [&] { return request(srv.s.port(), get("/metrics")); });
    pump(srv.s, [] { return false; }, 300ms);
    EXPECT_EQ(srv.captures, 1);
    EXPECT_EQ(first.wait_for(0s), std::future_status::timeout);
    srv.gate1.set_value();
    ASSERT_TRUE(pump(srv.s, [&] { return first.wait_for(0s) == std::future_status::ready; }));
    const std::string r1 = first.get();
    EXPECT_EQ(r1.substr(r1.find("\r\n\r\n") + 4), "body 1\n");
    // Its turn came when the first was done: captured then, not when it arrived.
    ASSERT_TRUE(pump(srv.s, [&] { return srv.captures == 2; }));
    srv.gate2.set_value();
    ASSERT_TRUE(pump(srv.s, [&] { return second.wait_for(0s) == std::future_status::ready; }));
    const std::string r2 = second.get();
    EXPECT_EQ(r2.substr(r2.find("\r\n\r\n") + 4), "body 2\n");
    EXPECT_EQ(srv.s.stats().capture.count(), 2u);
    EXPECT_EQ(srv.s.stats().render.count(), 2u);
    EXPECT_EQ(srv.s.stats().responses.at(200), 2u);
}

TEST(HttpServer, StoppingWithARenderInProgressAndAClientWaitingClosesBoth) {
    auto srv = std::make_unique<SlowServer>();
    const uint16_t port = srv->s.port();
    auto first = std::async(std::launch::async, [&] { return request(port, get("/metrics")); });
    ASSERT_TRUE(pump(srv->s, [&] { return srv->captures == 1; }));
    auto second = std::async(std::launch::async, [&] { return request(port, get("/metrics")); });
    pump(srv->s, [] { return false; }, 200ms);
    // The destructor resumes both, stops MHD and joins the thread once the job ends.
    std::promise<void>* gate = &srv->gate1;  // reset() nulls srv before the destructor runs
    auto release = std::async(std::launch::async, [gate] {
        std::this_thread::sleep_for(100ms);
        gate->set_value();
    });
    srv.reset();
    release.get();
    EXPECT_EQ(first.get().find("HTTP/1.1 200"), std::string::npos);
    EXPECT_EQ(second.get().find("HTTP/1.1 200"), std::string::npos);
}

// A real-time loop (vrrp_rt_priority) must not make the renders real-time, and no signal
// meant for the loop's signalfd may land on the render thread.
TEST(HttpServer, TheRenderThreadRunsSchedOtherWithSignalsBlocked) {
    sched_param rt{};
    rt.sched_priority = 1;
    const int old = ::sched_getscheduler(0);
    sched_param old_p{};
    ::sched_getparam(0, &old_p);
    if (::sched_setscheduler(0, SCHED_RR, &rt) != 0) GTEST_SKIP() << "no SCHED_RR: " << std::strerror(errno);
    std::atomic<int> policy{-1};
    std::atomic<bool> hup_blocked{false};
    HttpServer s(parseListen("127.0.0.1:0"), [&](const HttpServer::Stats&) {
        return HttpServer::Job([&] {
            policy = ::sched_getscheduler(0);
            sigset_t m;
            ::pthread_sigmask(SIG_BLOCK, nullptr, &m);
            hup_blocked = ::sigismember(&m, SIGHUP) == 1 && ::sigismember(&m, SIGTERM) == 1;
            return std::string("m 1\n");
        });
    });
    ::sched_setscheduler(0, old, &old_p);
    auto f = std::async(std::launch::async, [&] { return request(s.port(), get("/metrics")); });
    ASSERT_TRUE(pump(s, [&] { return f.wait_for(0s) == std::future_status::ready; }));
    EXPECT_EQ(f.get().rfind("HTTP/1.1 200", 0), 0u);
    EXPECT_EQ(policy, SCHED_OTHER);
    EXPECT_TRUE(hup_blocked);
}

TEST(HttpServer, AnAddressInUseNamesIt) {
    Server first;
    const std::string spec = "127.0.0.1:" + std::to_string(first.s.port());
    try {
        HttpServer second(parseListen(spec), bodyOf(first.body_));
        FAIL() << "bound twice";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(spec), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
    }
}

TEST(ParseListen, Forms) {
    auto v4 = parseListen("127.0.0.1:9650");
    EXPECT_EQ(v4.addr.ss_family, AF_INET);
    EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&v4.addr)->sin_port), 9650);
    EXPECT_FALSE(v4.any);
    auto v6 = parseListen("[fd00::1]:80");
    EXPECT_EQ(v6.addr.ss_family, AF_INET6);
    EXPECT_FALSE(v6.any);
    for (const char* any : {"9650", ":9650"}) {
        auto a = parseListen(any);
        EXPECT_TRUE(a.any) << any;
        EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in6*>(&a.addr)->sin6_port), 9650);
    }
}

TEST(ParseListen, ErrorsSayWhatIsWrong) {
    for (const char* bad : {"", "abc", "70000", "1.2.3.4:", "1.2.3.4:x", "fd00::1:80", "[fd00::1]",
                            "host.example:80", "1.2.3.4:-1"}) {
        try {
            parseListen(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos)
                << e.what();
        }
    }
}

}  // namespace
}  // namespace xvrrp::metrics
