// $NAME / ${NAME} / ${NAME params} replacement, the pre-defined definitions, and the bounds
// that keep a value referring to itself or growing without end from hanging the reader.
#include <cctype>
#include <cstdlib>

#include "config/bounds.hpp"
#include "config/preprocess.hpp"

namespace xvrrp::config {
namespace {

bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

Location plain(Location l) {
    l.via.reset();
    return l;
}

}  // namespace

// keepalived 2.2.7's rules (measured): $NAME must be followed by a blank, ',', ')' or the end
// of the line; ${NAME} by anything; only ${_RANDOM ...} takes parameters (digits and blanks,
// none after the last digit). A multiline value replaces only a reference that ends the line.
Preprocessor::Ref Preprocessor::findRef(const std::string& s, size_t dollar) const {
    Ref r;
    size_t p = dollar + 1;
    const bool braces = p < s.size() && s[p] == '{';
    if (braces) ++p;
    if (p >= s.size() || !isNameStart(s[p])) return r;
    const size_t name_at = p;
    while (p < s.size() && isNameChar(s[p])) ++p;
    const size_t name_end = p;
    size_t params_at = std::string::npos, params_last = 0;
    if (braces) {
        for (; p < s.size() && (s[p] == ' ' || isDigit(s[p])); ++p) {
            if (s[p] == ' ') continue;
            if (params_at == std::string::npos) params_at = p;
            params_last = p;
        }
        if (params_at != std::string::npos && params_last + 1 != p) return r;
        if (p >= s.size() || s[p] != '}') return r;
    } else if (p < s.size() && s[p] != ' ' && s[p] != '\t' && s[p] != ',' && s[p] != ')') {
        return r;
    }
    auto it = defs_.find(s.substr(name_at, name_end - name_at));
    if (it == defs_.end()) return r;
    const bool ends_line = braces ? name_end + 1 == s.size() : name_end == s.size();
    if (it->second->multiline && !ends_line) return r;
    if (params_at != std::string::npos && it->second->max_params == 0) return r;
    r.def = it->second;
    r.name = it->first;
    if (params_at != std::string::npos) {
        r.params = s.substr(params_at, params_last + 1 - params_at);
        r.len = params_last + 2 - dollar;
    } else {
        // keepalived replaces "${NAME" and one more byte, so "${A }" leaves the '}' (measured).
        r.len = name_end - dollar + (braces ? 1 : 0);
    }
    return r;
}

Preprocessor::Substituted Preprocessor::substitute(SourcedText& line, std::vector<Tail>& tails) {
    bool changed = false;
    size_t pos = 0;
    while ((pos = line.str().find('$', pos)) != std::string::npos && pos + 1 < line.size()) {
        Ref ref = findRef(line.str(), pos);
        if (!ref.def) {
            ++pos;
            continue;
        }
        const Location use = line.locationAt(pos);
        auto outer = line.viaIn(pos, pos + 1);
        if (outer && outer->mentions(ref.name)) {
            diags_.error(use, "$" + ref.name + " refers to itself (its value, or one it uses, contains $" +
                                  ref.name + "); line not read");
            return Substituted::Failed;
        }
        const int depth = outer ? outer->depth + 1 : 1;
        if (depth > bounds::kMaxExpansionDepth) {
            diags_.error(use, "$" + ref.name + ": substitutions nested more than " +
                                  std::to_string(bounds::kMaxExpansionDepth) + " deep; line not read");
            return Substituted::Failed;
        }
        if (++substitutions_ > bounds::kMaxSubstitutions) {
            overBudget(use, "substitutions", bounds::kMaxSubstitutions);
            return Substituted::Failed;
        }
        std::shared_ptr<const Via> via = std::make_shared<Via>(ref.name, plain(use), outer, depth);
        SourcedText value = valueOf(ref, use, via);
        const size_t grown = line.size() - ref.len + value.size();
        if (grown > bounds::kMaxLineBytes) {
            diags_.error(use, "substituting $" + ref.name + " makes the line " + std::to_string(grown) +
                                  " bytes long; keepalived reads at most " +
                                  std::to_string(bounds::kMaxLineBytes) + " bytes of a line; line not read");
            return Substituted::Failed;
        }
        line.replace(pos, ref.len, value);
        changed = true;
        if (ref.def->multiline) tails.push_back({ref.def, via});
        // A value that starts with ~ (a ~SEQ line, say) keeps its own references for later.
        size_t first = value.str().find_first_not_of(" \t");
        if (first != std::string::npos && value[first] == '~') break;
    }
    return changed ? Substituted::Changed : Substituted::Nothing;
}

SourcedText Preprocessor::valueOf(const Ref& ref, const Location& use, const std::shared_ptr<const Via>& via) {
    using B = Definition::Builtin;
    std::string generated;
    switch (ref.def->builtin) {
        case B::None:
            return ref.def->lines.empty() ? SourcedText{} : ref.def->lines.front().through(via);
        case B::Pwd: generated = pwd_; break;
        case B::Instance: generated = config_id_; break;
        case B::Random: generated = randomValue(ref.params, use); break;
        case B::Hash: generated = "#"; break;
        case B::Bang: generated = "!"; break;
    }
    return SourcedText(std::move(generated), plain(use), via, true);
}

// ${_RANDOM [MIN [MAX]]}: an integer in [MIN, MAX], by default [0, 32767].
std::string Preprocessor::randomValue(const std::string& params, const Location& use) {
    unsigned long min = 0, max = 32767;
    if (!params.empty()) {
        char* end = nullptr;
        min = std::strtoul(params.c_str(), &end, 10);
        if (*end) {
            max = std::strtoul(end, &end, 10);
            if (*end) diags_.advice(use, "${_RANDOM " + params + "}: more than two numbers; the rest is ignored");
        }
    }
    if (max < min) {
        diags_.advice(use, "${_RANDOM " + params + "}: the maximum is below the minimum; the minimum is used");
        return std::to_string(min);
    }
    const unsigned long span = max - min;
    std::uniform_int_distribution<unsigned long> pick(0, span);
    return std::to_string(min + pick(random_));
}

void Preprocessor::setVariable(const std::string& name, const std::string& value, const Location& at) {
    auto def = std::make_shared<Definition>();
    def->lines.emplace_back(value, plain(at), nullptr, true);
    defs_[name] = std::move(def);
}

bool Preprocessor::countLine(const Location& where) {
    if (++lines_ <= bounds::kMaxExpandedLines) return true;
    overBudget(where, "lines made by multiline values, ~SEQ and ~LST", bounds::kMaxExpandedLines);
    return false;
}

void Preprocessor::overBudget(const Location& where, const std::string& what, size_t bound) {
    diags_.error(where, "more than " + std::to_string(bound) + " " + what +
                            " in the configuration; the rest is not read");
    stop();
}

}  // namespace xvrrp::config
