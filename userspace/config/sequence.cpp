// keepalived.conf(5) "Sequence blocks" and "List blocks": ~SEQ(...) and ~LST(...) repeat the
// rest of their line once per value. The syntax follows keepalived 2.2.7 as measured with
// `keepalived -t` (numbers as strtol base 0 reads them, a missing ~LST value is empty).
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "config/bounds.hpp"
#include "config/preprocess.hpp"

namespace xvrrp::config {
namespace {

size_t skipBlanks(const std::string& s, size_t p) {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t')) ++p;
    return p;
}

size_t wordEnd(const std::string& s, size_t p, const char* stop) {
    while (p < s.size() && !std::strchr(stop, s[p])) ++p;
    return p;
}

// keepalived reads the three numbers into a 64-byte buffer.
constexpr size_t kSeqParamsBytes = 3 * 20 + 3;

// START, STEP, END as ~SEQ takes them: "END", "START, END" or "START, STEP, END".
bool seqNumbers(const std::string& text, Repeat& r, std::string& why) {
    long n[3];
    int count = 0;
    const char* p = text.c_str();
    for (;;) {
        char* end = nullptr;
        errno = 0;
        n[count++] = std::strtol(p, &end, 0);
        if (end == p) return why = "a number was expected", false;
        p = end + std::strspn(end, " \t");
        if (*p == ')') break;
        if (*p != ',' || count == 3) return why = "expected ',' or ')' after a number", false;
        ++p;
    }
    if (count == 1) {
        r.end = n[0];
        r.step = r.end < 1 ? -1 : 1;
        r.start = r.end < 0 ? -1 : 1;
    } else if (count == 2) {
        r.start = n[0];
        r.end = n[1];
        r.step = r.start <= r.end ? 1 : -1;
    } else {
        r.start = n[0];
        r.step = n[1];
        r.end = n[2];
        if (r.step == 0 || (r.start < r.end && r.step < 0) || (r.start > r.end && r.step > 0))
            return why = "the step is 0 or goes away from the end", false;
    }
    if (r.hex && (r.start < 0 || r.end < 0)) return why = "~SEQx is only valid for positive numbers", false;
    return true;
}

// ~LST's vars or one set of values: NAME or {NAME, NAME...}; `values` also stops at ')'.
bool lstGroup(const std::string& s, size_t& p, std::vector<std::string>& out, bool values) {
    const bool braced = s[p] == '{';
    if (braced) p = skipBlanks(s, p + 1);
    for (;;) {
        size_t end = wordEnd(s, p, values ? " \t,})" : " \t,}");
        out.push_back(s.substr(p, end - p));
        p = skipBlanks(s, end);
        if (p >= s.size()) return false;
        if (braced ? s[p] == '}' : (s[p] == ',' || (values && s[p] == ')'))) break;
        if (!braced || s[p] != ',') return false;
        p = skipBlanks(s, p + 1);
    }
    if (braced) p = skipBlanks(s, p + 1);
    return true;
}

bool parseLst(const std::string& s, Repeat& r, std::string& why) {
    size_t p = skipBlanks(s, 4);
    if (p >= s.size() || s[p] != '(') return why = "'(' expected", false;
    p = skipBlanks(s, p + 1);
    if (p >= s.size() || !lstGroup(s, p, r.vars, false) || s[p] != ',')
        return why = "expected VAR or {VAR, ...} and then ','", false;
    p = skipBlanks(s, p + 1);
    for (;;) {
        std::vector<std::string> set;
        if (p >= s.size() || !lstGroup(s, p, set, true)) return why = "a value list is not closed", false;
        if (set.size() > r.vars.size()) return why = "more values in a set than variables", false;
        set.resize(r.vars.size());  // missing values are empty
        r.sets.push_back(std::move(set));
        if (p < s.size() && s[p] == ')') break;
        if (p >= s.size() || s[p] != ',') return why = "expected ',' or ')' after a value", false;
        p = skipBlanks(s, p + 1);
    }
    r.rest = skipBlanks(s, p + 1);
    return true;
}

}  // namespace

bool Preprocessor::parseRepeat(const SourcedText& line, Repeat& r) {
    const std::string& s = line.str();
    r.seq = s.starts_with("~SEQ");
    std::string why;
    bool ok = false;
    if (!r.seq) {
        ok = parseLst(s, r, why);
    } else {
        size_t p = 4;
        r.hex = p < s.size() && s[p] == 'x';
        p = skipBlanks(s, p + r.hex);
        if (p < s.size() && s[p] == '(') {
            p = skipBlanks(s, p + 1);
            size_t var_end = wordEnd(s, p, " \t,)");
            r.vars.push_back(s.substr(p, var_end - p));
            p = skipBlanks(s, var_end);
            size_t close = s.find(')', p);
            if (r.vars[0].empty() || p >= s.size() || s[p] != ',' || close == std::string::npos) {
                why = "expected ~SEQ(VAR, [START,] [STEP,] END)";
            } else if (p = skipBlanks(s, p + 1); close + 2 - p > kSeqParamsBytes) {
                why = "the numbers take more than " + std::to_string(kSeqParamsBytes) + " bytes";
            } else {
                // The numbers may be $PARAMs, but not multiline ones.
                SourcedText numbers = line.substr(p, close + 1 - p);
                std::vector<Tail> tails;
                if (substitute(numbers, tails) == Substituted::Failed) return false;
                if (!tails.empty()) why = "a number is a multiline definition";
                else ok = seqNumbers(numbers.str(), r, why);
                r.rest = skipBlanks(s, close + 1);
            }
        } else {
            why = "'(' expected";
        }
    }
    if (!ok) diags_.error(line.locationAt(0), "invalid " + s.substr(0, 4) + (r.hex ? "x" : "") + ": " + why +
                                                  "; line not read");
    return ok;
}

void Preprocessor::repeat(const SourcedText& line, int depth) {
    Repeat r;
    if (!parseRepeat(line, r)) return;
    const SourcedText text = line.substr(r.rest);
    const Location at = line.locationAt(0);
    if (!r.seq) {
        for (const auto& set : r.sets) {
            if (stopped_ || !countLine(at)) return;
            for (size_t k = 0; k < r.vars.size(); ++k) setVariable(r.vars[k], set[k], at);
            processLine(text, depth + 1);
        }
        return;
    }
    // 128 bits: keepalived loops forever when the next number passes LONG_MAX (measured).
    for (__int128 v = r.start; r.step > 0 ? v <= r.end : v >= r.end; v += r.step) {
        if (stopped_ || !countLine(at)) return;
        char buf[24];
        std::snprintf(buf, sizeof buf, r.hex ? "%lx" : "%ld", static_cast<long>(v));
        setVariable(r.vars[0], buf, at);
        processLine(text, depth + 1);
    }
}

}  // namespace xvrrp::config
