#pragma once
// Text from keepalived.conf is bytes: keepalived takes names that are not UTF-8. JSON (the
// control socket, the arbiter) and diagnostics need text, so such bytes are escaped.

#include <string>
#include <string_view>

namespace xvrrp {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// past U+10FFFF).
bool isValidUtf8(std::string_view s);

// `s` with every byte that is not part of a well-formed sequence written as \xHH; valid
// text comes back unchanged.
std::string escapeInvalidUtf8(std::string_view s);

}  // namespace xvrrp
