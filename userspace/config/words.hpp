#pragma once
// How keepalived 2.2.7 splits a line into words (lib/parser.c), after comments, conditionals,
// substitution and the brace split (preprocess.hpp):
//   * every line (alloc_strvec_r): words end at white space or at a '"'; a word that starts
//     with '"' runs to the next '"' and ends there, whatever follows; single quotes and
//     backslashes are plain characters. An unmatched '"' ends the line (the words before it
//     are kept).
//   * command lines (alloc_strvec_quoted_escaped, keepalived.conf(5) "Quoted strings"):
//     "..." and '...' group and join adjacent text, backslash escapes are resolved.
// keepalived reads a command line with the second, then splits the command (its first
// word) again the same way when it runs it (track/command.hpp).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xvrrp::config {

struct Word {
    std::string text;
    size_t at = 0;        // first byte (the opening quote of a quoted word)
    size_t end = 0;       // one past the last byte (past the closing quote)
    bool quoted = false;  // a "..." word (splitWords only)
};

// alloc_strvec_r. `unmatched`: where an unmatched '"' is, or npos.
std::vector<Word> splitWords(std::string_view line, size_t& unmatched);

struct SplitError {
    size_t at = 0;     // the unclosed quote, or the trailing backslash
    std::string what;  // keepalived's words: "String '...': missing terminating '"
};

// alloc_strvec_quoted_escaped; nullopt (and *error) where keepalived returns NULL.
std::optional<std::vector<Word>> splitQuotedEscaped(std::string_view line,
                                                    SplitError* error = nullptr);

// The keywords whose line keepalived 2.2.7 reads again with splitQuotedEscaped: vrrp_script's
// `script`, the notify scripts of instances and sync groups, the fifo scripts, startup and
// shutdown scripts, and the checker's command lines.
bool isCommandKeyword(std::string_view keyword);

}  // namespace xvrrp::config
