#pragma once
// Writing keepalived's dump files (dump.cpp).

#include <string>
#include <string_view>

#include "daemon/signum.hpp"

namespace xvrrp::daemon {

// Where keepalived 2.2.7 writes each dump (also with -s/--namespace: measured).
std::string dumpPath(DumpKind k);
// Replaces PATH with TEXT without ever following a symlink there: a new 0600 file created
// O_EXCL|O_NOFOLLOW beside it, renamed over PATH. Throws naming the file and errno text.
void replaceFile(const std::string& path, std::string_view text);

}  // namespace xvrrp::daemon
