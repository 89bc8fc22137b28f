#include "config/include.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace xvrrp::config {
namespace {

// glob(3)'s directory callbacks take no context, so the budget of the glob running on
// this thread lives here (boundedGlob sets and clears it).
struct GlobBudget {
    size_t left = 0;
    bool exhausted = false;
    bool missing = false;
    bool wildcards = false;
};
thread_local GlobBudget* tBudget = nullptr;

void* budgetOpendir(const char* name) {
    DIR* d = ::opendir(name);
    if (tBudget) {
        tBudget->wildcards = true;
        tBudget->missing |= d == nullptr;
    }
    return d;
}

struct dirent* budgetReaddir(void* dir) {
    if (tBudget) {
        if (tBudget->left == 0) {
            tBudget->exhausted = true;
            return nullptr;
        }
        --tBudget->left;
    }
    return ::readdir(static_cast<DIR*>(dir));
}

void budgetClosedir(void* dir) { ::closedir(static_cast<DIR*>(dir)); }

int budgetStat(const char* path, struct stat* st) { return ::stat(path, st); }
int budgetLstat(const char* path, struct stat* st) {
    int rc = ::lstat(path, st);
    if (rc != 0 && tBudget) tBudget->missing = true;
    return rc;
}

}  // namespace

unsigned includeKind(std::string_view s) {
    if (!s.starts_with("include") || s.size() < 9) return kNotInclude;
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    if (space(s[7])) return 0;
    if (!space(s[8])) return kNotInclude;
    switch (s[7]) {
        case 'r': return kIncludeRead;
        case 'm': return kIncludeRead | kIncludeMatch;
        case 'w': return kIncludeRead | kIncludeMatch | kIncludeWildcard;
        case 'b': return kIncludeRead | kIncludeBrace;
        case 'a': return kAllIncludeChecks;
    }
    return kNotInclude;
}

std::optional<FileText> readConfigFile(const std::string& path, size_t limit,
                                       const std::string& limit_text, std::string& why) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        why = "open(" + path + "): " + std::strerror(errno);
        return std::nullopt;
    }
    struct stat st {};
    FileText out;
    if (::fstat(fd, &st) != 0) {
        why = "fstat(" + path + "): " + std::strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        why = path + " is not a regular file";
    } else if (static_cast<size_t>(st.st_size) > limit) {
        why = path + " is " + std::to_string(st.st_size) + " bytes; " + limit_text;
    } else {
        out.dev = st.st_dev;
        out.ino = st.st_ino;
        out.text.reserve(static_cast<size_t>(st.st_size));
        char buf[1 << 16];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                why = "read(" + path + "): " + std::strerror(errno);
                break;
            }
            if (n == 0) break;
            out.text.append(buf, static_cast<size_t>(n));
            if (out.text.size() > limit) {  // it grew after fstat
                why = path + " grew while being read; " + limit_text;
                break;
            }
        }
    }
    ::close(fd);
    if (!why.empty()) return std::nullopt;
    return out;
}

size_t braceExpansions(const std::string& pattern, size_t cap) {
    auto mul = [cap](size_t a, size_t b) { return a > (cap + 1) / b ? cap + 1 : a * b; };
    auto add = [cap](size_t a, size_t b) { return std::min(cap + 1, a + b); };
    // One frame per open brace: the alternatives summed so far and the product of the
    // groups in the alternative being read.
    struct Frame {
        size_t sum = 0, prod = 1;
    };
    std::vector<Frame> stack{Frame{}};
    for (size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '\\') {
            ++i;
        } else if (c == '{') {
            stack.push_back(Frame{});
        } else if (c == ',' && stack.size() > 1) {
            stack.back().sum = add(stack.back().sum, stack.back().prod);
            stack.back().prod = 1;
        } else if (c == '}' && stack.size() > 1) {
            size_t alternatives = add(stack.back().sum, stack.back().prod);
            stack.pop_back();
            stack.back().prod = mul(stack.back().prod, alternatives);
        }
    }
    // An unclosed brace is literal text to glob(3); counting its alternatives anyway only
    // overestimates.
    size_t total = 1;
    for (const auto& f : stack) total = mul(total, add(f.sum, f.prod));
    return total;
}

GlobResult boundedGlob(const std::string& pattern, size_t& entries) {
    GlobResult r;
    GlobBudget budget{entries, false, false, false};
    glob_t g{};
    g.gl_opendir = budgetOpendir;
    g.gl_readdir = budgetReaddir;
    g.gl_closedir = budgetClosedir;
    g.gl_stat = budgetStat;
    g.gl_lstat = budgetLstat;
    tBudget = &budget;
    int rc = ::glob(pattern.c_str(), GLOB_MARK | GLOB_BRACE | GLOB_ALTDIRFUNC, nullptr, &g);
    tBudget = nullptr;
    entries = budget.left;
    // What glob found before the budget ran out is any subset: not used.
    r.over_budget = budget.exhausted;
    r.missing = budget.missing;
    r.wildcards = budget.wildcards;
    if (r.over_budget) {
        ::globfree(&g);
        return r;
    }
    if (rc == GLOB_NOSPACE) {
        r.error = "glob(" + pattern + ") failed: out of memory";
    } else if (rc == GLOB_ABORTED) {
        r.error = "glob(" + pattern + ") failed: read error";
    } else if (rc == 0) {
        for (size_t k = 0; k < g.gl_pathc; ++k) r.paths.emplace_back(g.gl_pathv[k]);
    }
    ::globfree(&g);
    return r;
}

}  // namespace xvrrp::config
