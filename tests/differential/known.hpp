#pragma once
// The differences between keepalived 2.2.7 and xvrrpd that are kept on purpose, read from
// the table in tests/differential/KNOWN.md: | `scenario` | `aspect` | `variants` | why |
// (globs; a difference is known when all three match).
#include <string>
#include <vector>

namespace xvrrp::diff {

struct Known {
    std::string scenario, aspect, variants, why;
    int line = 0;
};

// Throws std::runtime_error naming the file when it cannot be read or has no entry.
std::vector<Known> loadKnown(const std::string& path);

// The entry that covers this difference, or nullptr.
const Known* findKnown(const std::vector<Known>& known, const std::string& scenario, const std::string& aspect,
                       const std::string& variant);

}  // namespace xvrrp::diff
