#pragma once
// A plain HTTP/1.0 GET from inside a lab namespace, for tests that read /metrics or ask a
// Prometheus server its HTTP API.
#include <chrono>
#include <optional>
#include <string>

namespace xvrrp::itest {

struct HttpReply {
    int status = 0;
    std::string body;
};

// GET http://HOST:PORT/TARGET from the netns at NETNS_PATH; nullopt when nothing answered
// within TIMEOUT (connection refused, timeout, no status line).
std::optional<HttpReply> httpGet(const std::string& netnsPath, const std::string& host,
                                 int port, const std::string& target,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Percent-encodes a query-string value.
std::string urlEncode(const std::string& s);

}  // namespace xvrrp::itest
