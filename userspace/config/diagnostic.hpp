#pragma once
// Diagnostics for keepalived.conf: every message carries FILE:LINE:COL so a person can act on it.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace xvrrp::config {

enum class Severity { Error, Warning, Notice };

struct Diagnostic {
    Location where;
    Severity severity = Severity::Error;
    std::string message;
    // "FILE:LINE:COL: error: message" (line 0 means "the file as a whole": "FILE: error: ...").
    std::string str() const;
};

// Collects diagnostics in the order they are found.
class Diagnostics {
public:
    void error(const Location& where, std::string message);
    void warning(const Location& where, std::string message);
    void notice(const Location& where, std::string message);
    bool hasErrors() const;
    const std::vector<Diagnostic>& all() const { return list_; }
    std::vector<Diagnostic> take() { return std::move(list_); }

private:
    std::vector<Diagnostic> list_;
};

std::string_view severityName(Severity s);
std::string locationStr(const Location& where);

// Damerau (optimal string alignment) distance: a swapped pair of letters counts once,
// so `preemtp_delay` is one edit from `preempt_delay`.
size_t editDistance(std::string_view a, std::string_view b);

// The closest candidate if it is close enough to be a plausible typo, else empty.
std::string nearestWord(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace xvrrp::config
