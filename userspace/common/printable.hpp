#pragma once
// Text that came from outside (a peer's ssh output, a socket) made safe to log and to put in
// JSON: valid UTF-8 is kept, every byte that is not valid UTF-8 and every control character
// becomes a visible \xNN escape, so nlohmann::json::dump() and a terminal never see it raw.

#include <string>
#include <string_view>

namespace xvrrp {

// `raw` as valid UTF-8 without control characters (tab kept), at most `max_bytes` of input
// read (the cut is marked with "..."). Never throws except std::bad_alloc.
std::string printable(std::string_view raw, size_t max_bytes = 4096);

}  // namespace xvrrp
