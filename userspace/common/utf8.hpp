#pragma once
// Bytes from outside are not text: keepalived takes names that are not UTF-8, a control
// client or a peer may send any bytes. JSON (the control socket, the arbiter) and
// diagnostics need text, so every such byte is escaped the same way, here and only here.

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace xvrrp {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// past U+10FFFF).
bool isValidUtf8(std::string_view s);

// `s` with every byte that is not part of a well-formed sequence written as \xHH (lower-case
// hex); well-formed text, control characters included, comes back unchanged. The result is
// always valid UTF-8, so nlohmann::json::dump() never throws on it. Never throws except
// std::bad_alloc.
std::string escapeInvalidUtf8(std::string_view s);

// Every string and object key in `j` through escapeInvalidUtf8, in place, so j.dump() cannot
// throw: request text, parse errors and handler answers may hold any bytes (names from
// keepalived.conf, a peer's output). Never throws except std::bad_alloc.
void escapeInvalidUtf8(nlohmann::json& j);

}  // namespace xvrrp
