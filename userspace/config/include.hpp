#pragma once
// Internal: reading configuration files and expanding include globs within the bounds of
// bounds.hpp, so no file, glob or include loop can make the reader hang or blow up.

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
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

// How many patterns csh-style braces make of `pattern` ({a,b}{c,d} -> 4, nested groups
// add up), counting no further than `cap` + 1.
size_t braceExpansions(const std::string& pattern, size_t cap);

struct GlobResult {
    std::vector<std::string> paths;  // sorted, as glob(3) returns them
    std::string error;               // glob(3) failed (out of memory, read error)
    bool over_budget = false;        // stopped: it needed more directory entries
};

// glob(3) with GLOB_BRACE | GLOB_TILDE that reads at most `entries` directory entries;
// what it read is taken off `entries`.
GlobResult boundedGlob(const std::string& pattern, size_t& entries);

}  // namespace xvrrp::config
