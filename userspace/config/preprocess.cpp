#include "config/preprocess.hpp"

#include <cctype>
#include <cstdlib>

#include "config/bounds.hpp"
#include "config/include.hpp"

namespace xvrrp::config {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }
bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

void trimTrailingBlanks(SourcedText& t) {
    size_t n = t.size();
    while (n > 0 && isBlank(t[n - 1])) --n;
    t.erase(n, t.size() - n);
}

}  // namespace

std::optional<Location> decomment(SourcedText& t) {
    size_t lead = 0;
    while (lead < t.size() && isBlank(t[lead])) ++lead;
    t.erase(0, lead);
    bool quote = false, cont = false;
    size_t comment = std::string::npos;
    Location opened;
    for (size_t i = 0; i < t.size();) {
        const char c = t[i];
        if (c == '"') {
            if (comment == std::string::npos) {
                quote = !quote;
                if (quote) opened = t.locationAt(i);
            }
            ++i;
        } else if (c == '\\') {
            if (i + 1 == t.size()) {  // a final backslash continues a multiline value
                t.erase(i, 1);
                cont = true;
                break;
            }
            if (!quote && (t[i + 1] == '#' || t[i + 1] == '!')) {
                t.erase(i, 1);
                ++i;
            } else {
                i += 2;
            }
        } else {
            if (!quote && comment == std::string::npos && (c == '#' || c == '!')) comment = i;
            ++i;
        }
    }
    if (comment != std::string::npos) t.erase(comment, t.size() - comment);
    trimTrailingBlanks(t);
    if (cont) t.append(SourcedText("\\", t.locationAt(t.size())));
    if (quote) return opened;
    return std::nullopt;
}

// keepalived's decomment() reports a quote it sees open at the end of the line ("Unterminated
// quote", -t exit 5). Where the words have an unmatched '"' too, the lexer says so; this is
// for the quote only decomment sees open, after a \" (`router_id "ab\"` is the word ab\).
void Preprocessor::reportOpenQuote(const SourcedText& t, const std::optional<Location>& open) {
    if (!open) return;
    size_t quotes = 0;
    for (char c : t.str()) quotes += c == '"';
    if (quotes % 2 != 0) return;
    diags_.warning(*open, "quote left open for comments: a \\\" inside \"...\" does not close it, so '#' and '!' "
                          "after it stay plain (keepalived 2.2.7: \"Unterminated quote\"); the words end at the next \"");
}

Preprocessor::Preprocessor(Diagnostics& diags, std::string config_id, uint32_t random_seed,
                           Deliver deliver)
    : diags_(diags), config_id_(std::move(config_id)), random_(random_seed), deliver_(std::move(deliver)) {
    using B = Definition::Builtin;
    // keepalived.conf(5) "Pre-defined definitions"; a $NAME=... line may redefine them.
    for (auto [name, builtin, params] : {std::tuple{"_PWD", B::Pwd, 0u}, {"_INSTANCE", B::Instance, 0u},
                                         {"_RANDOM", B::Random, 2u}, {"_HASH", B::Hash, 0u},
                                         {"_BANG", B::Bang, 0u}}) {
        auto d = std::make_shared<Definition>();
        d->builtin = builtin;
        d->max_params = params;
        defs_[name] = std::move(d);
    }
}

void Preprocessor::physicalLine(std::string_view raw, const FileName& file, int line_no,
                                const std::string& pwd) {
    if (stopped_) return;
    pwd_ = pwd;
    while (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.empty()) {  // an empty line (not one of blanks or a comment) ends a multiline value
        if (collecting_) endCollection();
        return;
    }
    SourcedText t(std::string(raw), Location{file, line_no, 1});
    reportOpenQuote(t, decomment(t));
    if (!t.empty()) processLine(std::move(t), 0);
}

void Preprocessor::endOfFile() {
    if (collecting_) endCollection();
}

void Preprocessor::processLine(SourcedText line, int depth) {
    if (stopped_) return;
    if (collecting_) {
        collect(std::move(line));
        return;
    }
    if (line.empty()) return;
    if (depth > bounds::kMaxExpansionDepth) {
        diags_.error(line.locationAt(0), "expansions (multiline values, ~SEQ, ~LST) nested more than " +
                                             std::to_string(bounds::kMaxExpansionDepth) +
                                             " deep; line not read");
        return;
    }
    std::vector<Tail> tails;
    if (pipeline(line, depth, tails)) emitSplit(std::move(line), depth, tails);
    // The rest of each multiline value, the one replaced last first (keepalived's stack).
    while (!tails.empty() && !stopped_) {
        Tail tail = std::move(tails.back());
        tails.pop_back();
        for (size_t k = 1; k < tail.def->lines.size() && !stopped_; ++k) {
            const SourcedText& body = tail.def->lines[k];
            if (!countLine(body.locationAt(0))) return;
            processLine(body.through(tail.via), depth + 1);
        }
    }
}

bool Preprocessor::pipeline(SourcedText& line, int depth, std::vector<Tail>& tails) {
    for (;;) {
        if (line.empty()) return false;
        if (line[0] == '@' && !keepConditional(line)) return false;
        if (line[0] == '$' && define(line)) return false;
        const std::string& s = line.str();
        if (s.starts_with("~SEQ") || s.starts_with("~LST")) {
            repeat(line, depth);
            return false;
        }
        if (s[0] == '~' || s.find('$') == std::string::npos) return true;
        switch (substitute(line, tails)) {
            case Substituted::Nothing: return true;
            case Substituted::Failed: return false;
            case Substituted::Changed: break;
        }
        reportOpenQuote(line, decomment(line));  // a substituted # or ! (${_HASH} outside quotes) starts a comment
        if (line.empty()) return false;
        // Again while a conditional or a reference may be left (keepalived's recheck).
        if (line[0] != '@' && line.str().find('$') == std::string::npos) return true;
    }
}

// Every brace ends the text before it and starts a line of its own; what follows it goes
// through the pipeline again (keepalived's line residue), so `{ @id keyword` works.
void Preprocessor::emitSplit(SourcedText line, int depth, std::vector<Tail>& tails) {
    for (;;) {
        const std::string& s = line.str();
        // An include line is whole: its pattern may have braces ({a,b}.conf).
        if (includeKind(s) != kNotInclude) {
            deliver_(std::move(line));
            return;
        }
        size_t p = 0;
        if (s[0] != '{' && s[0] != '}') {
            p = s.find_first_of("{}\"");
            while (p != std::string::npos && s[p] == '"') {
                size_t close = s.find('"', p + 1);
                p = close == std::string::npos ? close : s.find_first_of("{}\"", close + 1);
            }
        }
        if (p == std::string::npos) {
            deliver_(std::move(line));
            return;
        }
        size_t skip = 0;
        if (p == 0) {
            skip = 1;
            while (skip < s.size() && isBlank(s[skip])) ++skip;
        }
        SourcedText head = line.substr(0, p == 0 ? 1 : p);
        SourcedText rest = line.substr(p + skip);
        trimTrailingBlanks(head);
        if (!head.empty()) deliver_(std::move(head));
        if (rest.empty() || stopped_) return;
        if (collecting_) {
            collect(std::move(rest));
            return;
        }
        if (!pipeline(rest, depth, tails)) return;
        line = std::move(rest);
    }
}

// "@id rest" is kept (as "rest") when id is the config id, "@^id rest" when it is not; a line
// with nothing after the id is dropped either way (measured).
bool Preprocessor::keepConditional(SourcedText& line) const {
    const std::string& s = line.str();
    const bool negated = s.size() > 1 && s[1] == '^';
    const size_t ofs = negated ? 2 : 1;
    const size_t blank = s.find_first_of(" \t", ofs);
    if (blank == std::string::npos) return false;
    const bool match = std::string_view(s).substr(ofs, blank - ofs) == config_id_;
    if (match == negated) return false;
    size_t start = blank;
    while (start < s.size() && isBlank(s[start])) ++start;
    line.erase(0, start);
    return true;
}

// $NAME=VALUE (no blank before '='); a value ending in '\' goes on over the next lines.
bool Preprocessor::define(const SourcedText& line) {
    const std::string& s = line.str();
    if (s.size() < 2 || !isNameStart(s[1])) return false;
    size_t eq = 2;
    while (eq < s.size() && s[eq] != '=') {
        if (!isNameChar(s[eq])) return false;
        ++eq;
    }
    if (eq == s.size()) return false;
    size_t v = eq + 1;
    while (v < s.size() && isBlank(s[v])) ++v;
    SourcedText value = line.substr(v);
    auto def = std::make_shared<Definition>();
    if (!value.empty() && value[value.size() - 1] == '\\') {
        value.erase(value.size() - 1, 1);
        trimTrailingBlanks(value);
        def->multiline = true;
        if (!value.empty()) def->lines.push_back(std::move(value));
        collecting_ = def;
    } else {
        def->lines.push_back(std::move(value));
    }
    defs_[s.substr(1, eq - 1)] = std::move(def);
    return true;
}

void Preprocessor::collect(SourcedText line) {
    if (!line.empty() && line[line.size() - 1] == '\\') {
        line.erase(line.size() - 1, 1);
        trimTrailingBlanks(line);
        if (!line.empty()) collecting_->lines.push_back(std::move(line));
        return;
    }
    // Measured: whether the value is multiline is settled before its last line is added, so
    // "$M= \" followed by one line is an ordinary value.
    auto def = collecting_;
    endCollection();
    if (!line.empty()) def->lines.push_back(std::move(line));
}

void Preprocessor::endCollection() {
    if (collecting_->lines.empty()) collecting_->multiline = false;
    collecting_.reset();
}

}  // namespace xvrrp::config
