#pragma once
// Control socket protocol: one JSON object per line each way, one request per connection.
// Request:  {"cmd": "status"}            Response: {"ok": true, ...} or {"ok": false, "error": "..."}
// The status document is described in docs/status-json.md; its "schema" field is bumped on any
// incompatible change.

#include <string_view>

namespace xvrrp::control {

inline constexpr std::string_view kDefaultSocket = "/run/xvrrp/xvrrpd.sock";
inline constexpr int kStatusSchema = 1;
inline constexpr size_t kMaxRequestBytes = 64 * 1024;

}  // namespace xvrrp::control
