#include "config/diagnostic.hpp"

#include <algorithm>

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
    std::string out = where.file.empty() ? "<unknown>" : where.file;
    if (where.line > 0) {
        out += ':' + std::to_string(where.line);
        if (where.column > 0) out += ':' + std::to_string(where.column);
    }
    return out;
}

std::string Diagnostic::str() const {
    return locationStr(where) + ": " + std::string(severityName(severity)) + ": " + message;
}

void Diagnostics::error(const Location& where, std::string message) {
    list_.push_back({where, Severity::Error, std::move(message)});
}
void Diagnostics::warning(const Location& where, std::string message) {
    list_.push_back({where, Severity::Warning, std::move(message)});
}
void Diagnostics::notice(const Location& where, std::string message) {
    list_.push_back({where, Severity::Notice, std::move(message)});
}
bool Diagnostics::hasErrors() const {
    return std::any_of(list_.begin(), list_.end(),
                       [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

size_t editDistance(std::string_view a, std::string_view b) {
    const size_t n = a.size(), m = b.size();
    std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
    for (size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (size_t i = 1; i <= n; ++i) {
        for (size_t j = 1; j <= m; ++j) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

std::string nearestWord(std::string_view word, const std::vector<std::string_view>& candidates) {
    std::string_view best;
    size_t bestDist = SIZE_MAX;
    for (auto c : candidates) {
        size_t dist = editDistance(word, c);
        if (dist < bestDist) {
            bestDist = dist;
            best = c;
        }
    }
    // A third of the word (at least 2 edits) keeps suggestions to plausible typos.
    size_t limit = std::max<size_t>(2, word.size() / 3);
    if (best.empty() || bestDist > limit) return {};
    return std::string(best);
}

}  // namespace xvrrp::config
