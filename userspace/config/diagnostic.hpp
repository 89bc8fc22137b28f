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
    // A warning keepalived -t would not fail the file for (xvrrpd's own advice: a keyword it
    // does not act on, a capacity, a notify program missing until it runs...).
    bool advice = false;
    // "FILE:LINE:COL: error: message" (line 0 means "the file as a whole": "FILE: error: ...";
    // no file and no line: "error: message").
    std::string str() const;
};

// Collects diagnostics in the order they are found, at most bounds::kMaxDiagnostics: past
// them only counts are kept, so a file of a million bad lines costs no memory.
class Diagnostics {
public:
    void error(const Location& where, std::string message);
    void warning(const Location& where, std::string message);
    void notice(const Location& where, std::string message);
    // A warning that keepalived -t does not count against the file (Diagnostic::advice).
    void advice(const Location& where, std::string message);
    bool hasErrors() const { return errors_ > 0; }
    // Past the bound: what is added now is only counted.
    bool full() const;
    const std::vector<Diagnostic>& all() const { return list_; }
    // The list, and one last diagnostic counting those left out (an error if any was).
    std::vector<Diagnostic> take();

private:
    void add(const Location& where, Severity s, std::string message, bool advice = false);

    std::vector<Diagnostic> list_;
    size_t errors_ = 0;
    size_t dropped_ = 0, dropped_errors_ = 0;
};

std::string_view severityName(Severity s);
std::string locationStr(const Location& where);

// Damerau (optimal string alignment) distance: a swapped pair of letters counts once,
// so `preemtp_delay` is one edit from `preempt_delay`. O(|a|*|b|) time, O(|b|) memory.
size_t editDistance(std::string_view a, std::string_view b);

// The closest candidate if it is close enough to be a plausible typo, else empty. Words
// longer than bounds::kMaxSuggestLength get none, so the search stays cheap.
std::string nearestWord(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace xvrrp::config
