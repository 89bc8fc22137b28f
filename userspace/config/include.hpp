#pragma once
// Internal: reading configuration files and expanding include globs within the bounds of
// bounds.hpp, so no file, glob or include loop can make the reader hang or blow up.

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xvrrp::config {

// A file read whole, with what identifies it on disk (include loops compare these).
struct FileText {
    std::string text;
    dev_t dev = 0;
    ino_t ino = 0;
};

// Reads a regular file of at most `limit` bytes. On failure returns nullopt and sets
// `why` ("open(PATH): No such file or directory", "PATH is not a regular file", "PATH is N
// bytes; " + limit_text).
std::optional<FileText> readConfigFile(const std::string& path, size_t limit,
                                       const std::string& limit_text, std::string& why);

// keepalived's include checks (global_defs include_check, includer/m/w/b/a, -e): which
// problems of an include are errors rather than warnings.
enum IncludeCheck : unsigned {
    kIncludeRead = 1,      // a match is a directory, not a regular non-executable file, unreadable
    kIncludeMatch = 2,     // nothing matches a name without wildcards
    kIncludeWildcard = 4,  // nothing matches a wildcard
    kIncludeBrace = 8,     // some name of a {a,b} group does not exist (then none is read)
};
inline constexpr unsigned kAllIncludeChecks = 15;
inline constexpr unsigned kNotInclude = ~0u;

// For a line as keepalived reads it: the checks its include keyword adds (include: none,
// includer: read, includem: +match, includew: +match +wildcard, includeb: +brace,
// includea: all), or kNotInclude.
unsigned includeKind(std::string_view line);

// How many patterns csh-style braces make of `pattern` ({a,b}{c,d} -> 4, nested groups
// add up), counting no further than `cap` + 1.
size_t braceExpansions(const std::string& pattern, size_t cap);

struct GlobResult {
    std::vector<std::string> paths;  // sorted, as glob(3) returns them; directories end in '/'
    std::string error;               // glob(3) failed (out of memory, read error)
    bool over_budget = false;        // stopped: it needed more directory entries
    bool missing = false;            // a file or directory it names does not exist
    bool wildcards = false;          // it read a directory (a wildcard was matched)
};

// glob(3) as keepalived calls it (GLOB_MARK | GLOB_BRACE, no tilde expansion: measured),
// reading at most `entries` directory entries; what it read is taken off `entries`.
GlobResult boundedGlob(const std::string& pattern, size_t& entries);

}  // namespace xvrrp::config
