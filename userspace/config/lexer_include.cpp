// `include` lines and `include_check`, as keepalived 2.2.7 treats them (measured with
// `keepalived -t`): the rest of the line is one glob pattern; what a missing or unreadable
// file is depends on the include checks in force (keepalived.conf(5), global_defs).
#include <sys/stat.h>

#include "config/bounds.hpp"
#include "config/include.hpp"
#include "config/lexer.hpp"

namespace xvrrp::config {
namespace {

bool hasBrace(const std::string& pattern) {
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\') ++i;
        else if (pattern[i] == '{') return true;
    }
    return false;
}

}  // namespace

void Lexer::include(unsigned kind, const SourcedText& line, size_t at) {
    if (at == std::string::npos) {
        diags_.error(line.locationAt(0), "'" + line.str() + "' expects a file name or glob");
        return;
    }
    const Location where = line.locationAt(at);
    if (depth_ >= bounds::kMaxIncludeDepth) {
        diags_.error(line.locationAt(0), "includes nested deeper than " +
                                             std::to_string(bounds::kMaxIncludeDepth) + " levels");
        return;
    }
    // Not split into words: "include a.conf b.conf" looks for one file of that name.
    const std::string text = line.str().substr(at);
    std::string pattern = text;
    if (pattern[0] != '/' && !dir_.empty()) pattern = dir_ + "/" + pattern;
    if (braceExpansions(pattern, bounds::kMaxBraceExpansions) > bounds::kMaxBraceExpansions) {
        diags_.error(where, "include '" + text + "' expands to more than " +
                                std::to_string(bounds::kMaxBraceExpansions) + " patterns");
        return;
    }
    auto g = boundedGlob(pattern, glob_entries_left_);
    if (g.over_budget) {
        diags_.error(where, "include '" + text + "': include globs may read at most " +
                                std::to_string(bounds::kMaxGlobEntries) + " directory entries in all");
        return;
    }
    const unsigned checks = include_checks_ | kind;
    if (!g.error.empty()) {
        includeProblem(kIncludeRead, checks, where, g.error);
        return;
    }
    if (g.paths.empty()) {
        if (g.missing)
            includeProblem(hasBrace(text) ? kIncludeBrace : kIncludeMatch, checks, where,
                           "include '" + text + "': no such file or directory");
        else
            includeProblem(kIncludeWildcard, checks, where, "include '" + text + "' matched no files");
        return;
    }
    if (g.missing) {
        includeProblem(kIncludeBrace, checks, where,
                       "include '" + text + "': some of the files it names do not exist" +
                           (checks & kIncludeBrace ? "; none is read" : ""));
        if (checks & kIncludeBrace) return;
    }
    for (const auto& path : g.paths) {
        if (over_words_ || pp_.stopped()) return;
        includePath(path, text, checks, where);
    }
}

void Lexer::includePath(const std::string& path, const std::string& pattern, unsigned checks,
                        const Location& where) {
    struct stat st {};
    if (path.ends_with('/')) {
        includeProblem(kIncludeRead, checks, where, "include '" + pattern + "': " + path + " is a directory; skipped");
        return;
    }
    // keepalived reads only regular files without execute bits.
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111)) {
        includeProblem(kIncludeRead, checks, where,
                       "include '" + pattern + "': " + path + " is not a regular non-executable file; skipped");
        return;
    }
    ++depth_;
    readFile(path, where);
    --depth_;
}

// keepalived reports every include problem; only those its checks ask for are errors.
void Lexer::includeProblem(unsigned category, unsigned checks, const Location& where, std::string what) {
    if (checks & category) diags_.error(where, std::move(what));
    else diags_.advice(where, std::move(what));  // keepalived -t reports it and passes
}

// global_defs { include_check [[+|-]read|match|wildcard_match|brace_match ...] }: for the
// includes that follow in this file and the files it includes.
void Lexer::includeCheck(const std::vector<Token>& words) {
    if (words.size() == 1) {
        include_checks_ = kAllIncludeChecks;
        return;
    }
    for (size_t i = 1; i < words.size(); ++i) {
        std::string_view w = words[i].text;
        int mode = 0;
        if (w.starts_with('-') || w.starts_with('+')) {
            mode = w[0] == '+' ? 1 : -1;
            w.remove_prefix(1);
        } else if (i == 1) {
            include_checks_ = 0;
        } else {
            diags_.error(words[i].where, "duplicate include_check '" + words[i].text +
                                             "' (use +/- to add or remove); ignored");
            continue;
        }
        unsigned flag = w == "read"             ? unsigned{kIncludeRead}
                        : w == "match"          ? unsigned{kIncludeMatch}
                        : w == "wildcard_match" ? unsigned{kIncludeWildcard}
                        : w == "brace_match"    ? unsigned{kIncludeBrace}
                                                : 0u;
        if (!flag) {
            // keepalived.conf(5) says "readable"; keepalived 2.2.7 knows only "read" (measured).
            diags_.error(words[i].where, "unknown include_check type '" + std::string(w) +
                                             "' (read, match, wildcard_match or brace_match); ignored");
            continue;
        }
        if (mode == 0) include_checks_ = kIncludeRead | flag;
        else if (mode > 0) include_checks_ |= flag;
        else include_checks_ &= ~flag;
    }
}

}  // namespace xvrrp::config
