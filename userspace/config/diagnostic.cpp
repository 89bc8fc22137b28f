#include "config/diagnostic.hpp"

#include <algorithm>

#include "common/utf8.hpp"
#include "config/bounds.hpp"

namespace xvrrp::config {

std::string_view severityName(Severity s) {
    switch (s) {
        case Severity::Error: return "error";
        case Severity::Warning: return "warning";
        case Severity::Notice: return "notice";
    }
    return "error";
}

std::string locationStr(const Location& where) {
    std::string out = where.file.empty() ? "<unknown>" : escapeInvalidUtf8(where.file.str());
    if (where.line > 0) {
        out += ':' + std::to_string(where.line);
        if (where.column > 0) out += ':' + std::to_string(where.column);
    }
    return out;
}

std::string Diagnostic::str() const {
    std::string head = where.file.empty() && where.line == 0 ? "" : locationStr(where) + ": ";
    std::string tail = where.via ? " (" + escapeInvalidUtf8(*where.via) + ")" : "";
    return head + std::string(severityName(severity)) + ": " + message + tail;
}

void Diagnostics::add(const Location& where, Severity s, std::string message, bool advice) {
    errors_ += s == Severity::Error;
    if (list_.size() < bounds::kMaxDiagnostics) {
        // Words of the file are echoed; reload reports go out as JSON, which needs UTF-8.
        list_.push_back({where, s, escapeInvalidUtf8(message), advice});
        return;
    }
    ++dropped_;
    dropped_errors_ += s == Severity::Error;
}

bool Diagnostics::full() const { return list_.size() >= bounds::kMaxDiagnostics; }

void Diagnostics::error(const Location& where, std::string message) {
    add(where, Severity::Error, std::move(message));
}
void Diagnostics::warning(const Location& where, std::string message) {
    add(where, Severity::Warning, std::move(message));
}
void Diagnostics::notice(const Location& where, std::string message) {
    add(where, Severity::Notice, std::move(message));
}
void Diagnostics::advice(const Location& where, std::string message) {
    add(where, Severity::Warning, std::move(message), true);
}

std::vector<Diagnostic> Diagnostics::take() {
    if (dropped_ > 0) {
        std::string msg = std::to_string(dropped_) + " more diagnostics not shown (" +
                          std::to_string(dropped_errors_) + " of them errors; at most " +
                          std::to_string(bounds::kMaxDiagnostics) + " are kept)";
        // No location: it sorts after every file's diagnostics and prints without one.
        list_.push_back({{}, dropped_errors_ ? Severity::Error : Severity::Warning, msg});
        dropped_ = dropped_errors_ = 0;
    }
    return std::move(list_);
}

size_t editDistance(std::string_view a, std::string_view b) {
    // Three rows of the (|a|+1) x (|b|+1) table: the transposition looks two rows back.
    const size_t m = b.size();
    std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
    for (size_t j = 0; j <= m; ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= m; ++j) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
        }
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return prev[m];
}

std::string nearestWord(std::string_view word, const std::vector<std::string_view>& candidates) {
    if (word.size() > bounds::kMaxSuggestLength) return {};
    std::string_view best;
    size_t bestDist = SIZE_MAX;
    // A third of the word (at least 2 edits) keeps suggestions to plausible typos.
    size_t limit = std::max<size_t>(2, word.size() / 3);
    for (auto c : candidates) {
        // The distance is at least the difference in length.
        if (std::max(word.size(), c.size()) - std::min(word.size(), c.size()) > limit) continue;
        size_t dist = editDistance(word, c);
        if (dist < bestDist) {
            bestDist = dist;
            best = c;
        }
    }
    if (best.empty() || bestDist > limit) return {};
    return std::string(best);
}

}  // namespace xvrrp::config
