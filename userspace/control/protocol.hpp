#pragma once
// Control socket protocol: one JSON object per line each way, one request per connection.
// Request:  {"cmd": "status"}            Response: {"ok": true, ...} or {"ok": false, "error": "..."}
// The status document is described in docs/status-json.md; its "schema" field is bumped on any
// incompatible change.

#include <chrono>
#include <cstddef>
#include <string_view>

namespace xvrrp::control {

inline constexpr std::string_view kDefaultSocket = "/run/xvrrp/xvrrpd.sock";
inline constexpr int kStatusSchema = 1;

// Bounds of the server (docs/bounds.md). A request line is at most kMaxRequestBytes without
// its newline; an answer longer than kMaxResponseBytes is replaced by an error. At most
// kMaxClients connections are open at once: a new one closes the oldest that has not sent its
// request yet (or is refused when every slot is answering). A request must arrive within
// kRequestTimeout of the connect and the answer must be taken within kWriteTimeout.
inline constexpr size_t kMaxRequestBytes = 64 * 1024;
inline constexpr size_t kMaxResponseBytes = 8 * 1024 * 1024;
inline constexpr size_t kMaxClients = 16;
inline constexpr std::chrono::milliseconds kRequestTimeout{5000};
inline constexpr std::chrono::milliseconds kWriteTimeout{5000};
inline constexpr int kBacklog = 64;

}  // namespace xvrrp::control
