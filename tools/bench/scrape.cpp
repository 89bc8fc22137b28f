// xvrrp-bench-scrape: a Prometheus-like client for tools/bench/metrics. GETs
// http://HOST:PORT/metrics HZ times a second for DURATION seconds (one connection per
// scrape, as Prometheus does after an error), then once more to read the daemon's own
// cost series, and prints one JSON object: scrapes, failures, bytes, client-side latency
// and the xvrrp_metrics_* / xvrrp_dump_* values of the last body.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "loop_util.hpp"

namespace {

using xvrrp::bench::clockNs;
using xvrrp::bench::die;

struct Options {
    std::string host;
    int port = 9650;
    int hz = 10;
    int durationS = 30;
    std::string out;
};

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr,
                 "xvrrp-bench-scrape: %s\nusage: xvrrp-bench-scrape --host IPV4 [--port P] "
                 "[--hz N] [--duration-s S] [--out FILE]\n",
                 msg);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + a).c_str());
            return argv[++i];
        };
        if (a == "--host")
            o.host = value();
        else if (a == "--port")
            o.port = std::atoi(value().c_str());
        else if (a == "--hz")
            o.hz = std::atoi(value().c_str());
        else if (a == "--duration-s")
            o.durationS = std::atoi(value().c_str());
        else if (a == "--out")
            o.out = value();
        else
            usage(("unknown option " + a).c_str());
    }
    in_addr probe{};
    if (::inet_pton(AF_INET, o.host.c_str(), &probe) != 1) usage("--host must be an IPv4 address");
    if (o.port < 1 || o.port > 65535) usage("--port must be 1..65535");
    if (o.hz < 1 || o.hz > 100) usage("--hz must be 1..100");
    if (o.durationS < 1 || o.durationS > 3600) usage("--duration-s must be 1..3600");
    return o;
}

// One GET; the body, or "" when it failed (status other than 200 included).
std::string scrape(const Options& o) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(o.port));
    ::inet_pton(AF_INET, o.host.c_str(), &a.sin_addr);
    std::string in;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const std::string req = "GET /metrics HTTP/1.0\r\nHost: " + o.host + "\r\n\r\n";
        if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
            char buf[65536];
            ssize_t n;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) in.append(buf, static_cast<size_t>(n));
        }
    }
    ::close(fd);
    const auto head = in.find("\r\n\r\n");
    if (in.rfind("HTTP/1.", 0) != 0 || in.find(" 200 ") > in.find("\r\n") ||
        head == std::string::npos)
        return "";
    return in.substr(head + 4);
}

// The value of an unlabelled series NAME in an exposition, or -1.
double seriesValue(const std::string& body, const std::string& name) {
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(name + " ", 0) == 0)
            return std::strtod(line.c_str() + name.size() + 1, nullptr);
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    xvrrp::bench::setProgramName("xvrrp-bench-scrape");
    const Options o = parse(argc, argv);
    std::vector<double> latencyMs;
    uint64_t failures = 0, bytes = 0;
    const int64_t period = 1'000'000'000 / o.hz;
    const int64_t start = clockNs();
    const int64_t end = start + int64_t{o.durationS} * 1'000'000'000;
    std::fprintf(stderr, "ready %lld\n", static_cast<long long>(start));
    for (int64_t next = start; next < end; next += period) {
        timespec ts{static_cast<time_t>(next / 1'000'000'000),
                    static_cast<long>(next % 1'000'000'000)};
        while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
        const int64_t t0 = clockNs();
        const std::string body = scrape(o);
        const int64_t t1 = clockNs();
        if (body.empty()) {
            ++failures;
            continue;
        }
        bytes += body.size();
        latencyMs.push_back(static_cast<double>(t1 - t0) / 1e6);
    }
    const std::string last = scrape(o);
    std::sort(latencyMs.begin(), latencyMs.end());
    auto pct = [&](double p) {
        return latencyMs.empty() ? 0.0 : latencyMs[static_cast<size_t>(p * (latencyMs.size() - 1))];
    };
    std::string json;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "{\"scrapes\":%zu,\"failures\":%llu,\"bytes\":%llu,\"latency_ms\":{\"p50\":%.3f,"
                  "\"p99\":%.3f,\"max\":%.3f},\"daemon\":{",
                  latencyMs.size(), static_cast<unsigned long long>(failures),
                  static_cast<unsigned long long>(bytes), pct(0.5), pct(0.99), pct(1.0));
    json = buf;
    const char* series[] = {"xvrrp_metrics_capture_seconds_sum",
                            "xvrrp_metrics_capture_seconds_count",
                            "xvrrp_metrics_capture_max_seconds",
                            "xvrrp_metrics_render_seconds_sum",
                            "xvrrp_metrics_render_seconds_count",
                            "xvrrp_metrics_render_max_seconds",
                            "xvrrp_metrics_loop_seconds_sum",
                            "xvrrp_metrics_loop_seconds_count",
                            "xvrrp_metrics_loop_max_seconds",
                            "xvrrp_dump_seconds_sum",
                            "xvrrp_dump_seconds_count",
                            "xvrrp_dump_max_seconds"};
    for (size_t i = 0; i < sizeof series / sizeof series[0]; ++i) {
        std::snprintf(buf, sizeof buf, "%s\"%s\":%.9g", i ? "," : "", series[i],
                      seriesValue(last, series[i]));
        json += buf;
    }
    json += "}}";
    xvrrp::bench::writeReport(json, o.out);
    return 0;
}
