#include "metrics/http_server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <charconv>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

namespace xvrrp::metrics {

// One request's progress through the render queue (MHD's per-request pointer).
struct HttpServer::Request {
    enum class Phase { New, Waiting, Ready } phase = Phase::New;
    std::string body;                  // Ready: what to send
    std::optional<std::string> error;  // Ready: the capture or render failed (500)
};

namespace {

using SteadyClock = std::chrono::steady_clock;

double secondsSince(SteadyClock::time_point t0) {
    return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

std::runtime_error sysError(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

uint16_t parsePort(std::string_view p, std::string_view spec) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v > 65535)
        throw std::invalid_argument("'" + std::string(spec) + "': port must be 0..65535, got '" +
                                    std::string(p) + "'");
    return static_cast<uint16_t>(v);
}

MHD_Result onRequest(void* cls, MHD_Connection* c, const char* url, const char* method,
                     const char*, const char*, size_t* upload_size, void** state) {
    // The first call only announces the request; answer once its (empty) body is in.
    if (*state == nullptr) {
        *state = new HttpServer::Request;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0;  // a body we do not want: drop it and answer at the end
        return MHD_YES;
    }
    auto* r = static_cast<HttpServer::Request*>(*state);
    return static_cast<HttpServer*>(cls)->respond(c, url, method, *r) ? MHD_YES : MHD_NO;
}

void onCompleted(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
    delete static_cast<HttpServer::Request*>(*state);
    *state = nullptr;
}

bool queue(MHD_Connection* c, unsigned code, std::string_view text) {
    auto* r = MHD_create_response_from_buffer(text.size(), const_cast<char*>(text.data()),
                                              MHD_RESPMEM_MUST_COPY);
    if (!r) return false;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, "Allow", "GET, HEAD");
    bool ok = MHD_queue_response(c, code, r) == MHD_YES;
    MHD_destroy_response(r);
    return ok;
}

int listenSocket(const ListenAddress& where) {
    int fd = ::socket(where.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw sysError("socket for --metrics " + where.text);
    int one = 1, zero = 0;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (where.addr.ss_family == AF_INET6 && where.any)
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);  // IPv4 too
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&where.addr), where.len) < 0 ||
        ::listen(fd, 16) < 0) {
        auto e = sysError("bind/listen --metrics " + where.text);
        ::close(fd);
        throw e;
    }
    return fd;
}

}  // namespace

ListenAddress parseListen(std::string_view spec) {
    ListenAddress la;
    la.text = std::string(spec);
    std::string_view host, port = spec;
    if (!spec.empty() && spec.front() == '[') {
        auto close = spec.find("]:");
        if (close == std::string_view::npos)
            throw std::invalid_argument("'" + la.text + "': expected [IPV6]:PORT");
        host = spec.substr(1, close - 1);
        port = spec.substr(close + 2);
    } else if (auto colon = spec.rfind(':'); colon != std::string_view::npos) {
        host = spec.substr(0, colon);
        port = spec.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            throw std::invalid_argument("'" + la.text + "': write an IPv6 address as [ADDR]:PORT");
    }
    const uint16_t p = parsePort(port, spec);
    const std::string h(host);
    if (h.empty()) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&la.addr);
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        s6->sin6_port = htons(p);
        la.len = sizeof(sockaddr_in6);
        la.any = true;
    } else if (auto* s4 = reinterpret_cast<sockaddr_in*>(&la.addr);
               ::inet_pton(AF_INET, h.c_str(), &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(p);
        la.len = sizeof(sockaddr_in);
    } else if (auto* s6 = reinterpret_cast<sockaddr_in6*>(&la.addr);
               ::inet_pton(AF_INET6, h.c_str(), &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(p);
        la.len = sizeof(sockaddr_in6);
    } else {
        throw std::invalid_argument("'" + la.text + "': '" + h + "' is not an IP address");
    }
    return la;
}

HttpServer::HttpServer(const ListenAddress& where, Capture capture, ServerLimits limits)
    : capture_(std::move(capture)), limits_(limits) {
    int lfd = -1;
    try {
        lfd = listenSocket(where);
    } catch (const std::runtime_error&) {
        if (!where.any) throw;
        // No IPv6 on this host: every IPv4 address instead.
        ListenAddress v4 = parseListen("0.0.0.0:" + std::to_string(ntohs(
            reinterpret_cast<const sockaddr_in6*>(&where.addr)->sin6_port)));
        v4.text = where.text;
        lfd = listenSocket(v4);
    }
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&bound), &blen);
    port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                             : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    // MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD: we drive it.
    mhd_ = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_SUPPRESS_DATE_NO_CLOCK, 0, nullptr,
        nullptr, &onRequest, this, MHD_OPTION_NOTIFY_COMPLETED, &onCompleted, nullptr,
        MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_CONNECTION_LIMIT, limits_.connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits_.per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
        limits_.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits_.request_memory,
        MHD_OPTION_END);
    if (!mhd_) {
        ::close(lfd);
        throw std::runtime_error("libmicrohttpd could not start on " + where.text);
    }
    const MHD_DaemonInfo* info = MHD_get_daemon_info(mhd_, MHD_DAEMON_INFO_EPOLL_FD);
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (!info || info->epoll_fd < 0 || timer_fd_ < 0) {
        MHD_stop_daemon(mhd_);
        if (timer_fd_ >= 0) ::close(timer_fd_);
        throw std::runtime_error("libmicrohttpd: no epoll fd for " + where.text);
    }
    epoll_fd_ = info->epoll_fd;
}

HttpServer::~HttpServer() {
    // MHD must not stop with suspended connections: resume them (the access handler then
    // refuses them) before it closes them all.
    stopping_ = true;
    if (mhd_) {
        if (rendering_.c) MHD_resume_connection(rendering_.c);
        for (const auto& p : waiting_) MHD_resume_connection(p.c);
        MHD_stop_daemon(mhd_);  // closes the listening socket and its epoll fd
    }
    if (timer_fd_ >= 0) ::close(timer_fd_);
    // render_ (the last member) is joined next, after any job in progress ends.
}

void HttpServer::onReady() {
    const auto t0 = SteadyClock::now();
    uint64_t expirations;
    while (::read(timer_fd_, &expirations, sizeof expirations) > 0) {
    }
    finishRender();
    const unsigned before = connections();
    MHD_run(mhd_);
    const bool resumed = startRender();
    // At the connection limit MHD takes its listening socket out of its epoll set and puts
    // it back only at the start of a later pass: when this pass freed a slot, come back at
    // once, or a client queued in the backlog waits for an unrelated event. The same for a
    // connection resumed after MHD_run.
    armTimer(resumed || connections() < before);
    const double s = secondsSince(t0);
    stats_.loop.observe(s);
    stats_.loop_max_s = std::max(stats_.loop_max_s, s);
}

void HttpServer::finishRender() {
    auto done = render_.collect();
    if (!done) return;
    stats_.render.observe(done->seconds);
    stats_.render_max_s = std::max(stats_.render_max_s, done->seconds);
    const Pending p = std::exchange(rendering_, Pending{});
    if (!p.c) return;
    p.r->phase = Request::Phase::Ready;
    p.r->body = std::move(done->body);
    p.r->error = std::move(done->error);
    MHD_resume_connection(p.c);  // this pass's MHD_run answers it
}

bool HttpServer::startRender() {
    if (render_.busy() || waiting_.empty()) return false;
    const Pending p = waiting_.front();
    waiting_.pop_front();
    const auto t0 = SteadyClock::now();
    Job job;
    try {
        job = capture_(stats_);
    } catch (const std::exception& e) {
        p.r->phase = Request::Phase::Ready;
        p.r->error = e.what();
        MHD_resume_connection(p.c);
        return true;
    }
    const double s = secondsSince(t0);
    stats_.capture.observe(s);
    stats_.capture_max_s = std::max(stats_.capture_max_s, s);
    rendering_ = p;
    render_.submit(std::move(job));
    return false;
}

unsigned HttpServer::connections() const {
    const MHD_DaemonInfo* i = MHD_get_daemon_info(mhd_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return i ? i->num_connections : 0;
}

void HttpServer::armTimer(bool now) {
    MHD_UNSIGNED_LONG_LONG ms = 0;
    itimerspec its{};
    if (now) {
        its.it_value.tv_nsec = 1000;
    } else if (MHD_get_timeout(mhd_, &ms) == MHD_YES) {
        // 0: MHD has work queued already; come back at once (1 us, 0 would disarm).
        its.it_value.tv_sec = static_cast<time_t>(ms / 1000);
        its.it_value.tv_nsec = ms ? static_cast<long>(ms % 1000) * 1'000'000 : 1000;
    }
    ::timerfd_settime(timer_fd_, 0, &its, nullptr);
}

bool HttpServer::respond(MHD_Connection* c, std::string_view url, std::string_view method,
                         Request& r) {
    if (stopping_) return false;
    auto count = [&](unsigned code) { ++stats_.responses[code]; };
    if (method != MHD_HTTP_METHOD_GET && method != MHD_HTTP_METHOD_HEAD) {
        count(MHD_HTTP_METHOD_NOT_ALLOWED);
        return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    }
    if (url != "/metrics") {
        count(MHD_HTTP_NOT_FOUND);
        return queue(c, MHD_HTTP_NOT_FOUND, "metrics are at /metrics\n");
    }
    if (r.phase == Request::Phase::New) {
        // Wait for the render thread; MHD's connection limit bounds the queue.
        r.phase = Request::Phase::Waiting;
        MHD_suspend_connection(c);
        waiting_.push_back({c, &r});
        return true;
    }
    if (r.phase != Request::Phase::Ready) return false;  // resumed without a body: a bug
    if (r.error) {
        ++stats_.render_errors;
        count(MHD_HTTP_INTERNAL_SERVER_ERROR);
        return queue(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                     "rendering the metrics failed: " + *r.error + "\n");
    }
    auto* body = new std::string(std::move(r.body));
    if (body->size() > limits_.max_body) body->resize(limits_.max_body);
    stats_.bytes += body->size();
    // MHD sends from our buffer and frees it with the response (no copy of a large body).
    auto* resp = MHD_create_response_from_buffer_with_free_callback_cls(
        body->size(), body->data(), [](void* p) { delete static_cast<std::string*>(p); }, body);
    if (!resp) {
        delete body;
        return false;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8");
    count(MHD_HTTP_OK);
    bool ok = MHD_queue_response(c, MHD_HTTP_OK, resp) == MHD_YES;
    MHD_destroy_response(resp);
    return ok;
}

void writeServerStats(Exposition& out, const HttpServer::Stats& s, std::string_view prefix) {
    const std::string p(prefix);
    out.family(p + "_metrics_responses_total", Type::Counter,
               "HTTP responses of the metrics endpoint, by status code.");
    for (const auto& [code, n] : s.responses)
        out.sample(Labels().add("code", code).str(), n);
    out.family(p + "_metrics_render_errors_total", Type::Counter,
               "Scrapes whose metrics could not be captured or rendered (answered 500).");
    out.sample("", s.render_errors);
    out.family(p + "_metrics_body_bytes_total", Type::Counter, "Bytes of /metrics bodies served.");
    out.sample("", s.bytes);
    out.family(p + "_metrics_capture_seconds", Type::Histogram,
               "Time the event loop spent copying the state one /metrics body shows.");
    out.histogram(Labels(), s.capture);
    out.family(p + "_metrics_render_seconds", Type::Histogram,
               "Time the render thread spent writing one /metrics body (off the event loop).");
    out.histogram(Labels(), s.render);
    out.family(p + "_metrics_loop_seconds", Type::Histogram,
               "Time the event loop spent in one pass of the HTTP server (accept, read, "
               "capture, send).");
    out.histogram(Labels(), s.loop);
    out.family(p + "_metrics_capture_max_seconds", Type::Gauge,
               "The slowest /metrics capture on the event loop since start.");
    out.sample("", s.capture_max_s);
    out.family(p + "_metrics_render_max_seconds", Type::Gauge,
               "The slowest /metrics render since start.");
    out.sample("", s.render_max_s);
    out.family(p + "_metrics_loop_max_seconds", Type::Gauge,
               "The longest single pass of the HTTP server since start.");
    out.sample("", s.loop_max_s);
}

}  // namespace xvrrp::metrics
