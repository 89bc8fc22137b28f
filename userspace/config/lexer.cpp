#include "config/lexer.hpp"

#include "config/bounds.hpp"
#include "config/include.hpp"

namespace xvrrp::config {
namespace {

using bounds::kMaxIncludeDepth;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool isComment(char c) { return c == '#' || c == '!'; }

bool isIncludeKeyword(std::string_view w) {
    return w == "include" || w == "includer" || w == "includem" || w == "includew" ||
           w == "includeb" || w == "includea";
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Shell-like escapes inside quotes, as keepalived.conf(5) "Quoted strings" lists them.
size_t readEscape(std::string_view line, size_t i, std::string& out) {
    // line[i] is the character after the backslash.
    char c = line[i];
    switch (c) {
        case 'a': out += '\a'; return i + 1;
        case 'b': out += '\b'; return i + 1;
        case 'E': case 'e': out += '\x1b'; return i + 1;
        case 'f': out += '\f'; return i + 1;
        case 'n': out += '\n'; return i + 1;
        case 'r': out += '\r'; return i + 1;
        case 't': out += '\t'; return i + 1;
        case 'v': out += '\v'; return i + 1;
        case 'c':
            if (i + 1 < line.size()) {
                out += static_cast<char>(line[i + 1] & 0x1f);
                return i + 2;
            }
            break;
        case 'x': {
            size_t j = i + 1;
            int v = 0;
            while (j < line.size() && hexValue(line[j]) >= 0) v = (v * 16 + hexValue(line[j++])) & 0xff;
            if (j == i + 1) break;
            out += static_cast<char>(v);
            return j;
        }
        default:
            if (c >= '0' && c <= '7') {
                size_t j = i;
                int v = 0;
                while (j < line.size() && j < i + 3 && line[j] >= '0' && line[j] <= '7')
                    v = v * 8 + (line[j++] - '0');
                out += static_cast<char>(v & 0xff);
                return j;
            }
    }
    out += c;
    return i + 1;
}

// Reads one word starting at line[i] (not whitespace). Braces end an unquoted word unless
// `braces_are_text` (include patterns may use csh-style {a,b}).
Token scanWord(std::string_view line, size_t& i, bool braces_are_text, const Location& at,
               Diagnostics& diags) {
    Token t;
    t.where = at;
    while (i < line.size()) {
        char c = line[i];
        if (isSpace(c) || isComment(c)) break;
        if (!braces_are_text && (c == '{' || c == '}')) break;
        if (c == '"' || c == '\'') {
            t.quoted = true;
            size_t j = i + 1;
            bool closed = false;
            while (j < line.size()) {
                if (line[j] == c) {
                    closed = true;
                    ++j;
                    break;
                }
                if (line[j] == '\\' && j + 1 < line.size()) {
                    j = readEscape(line, j + 1, t.text);
                    continue;
                }
                t.text += line[j++];
            }
            if (!closed) {
                Location q = at;
                q.column = static_cast<int>(i) + 1;  // the opening quote
                diags.error(q, std::string("unterminated quoted string (missing closing ") + c + ")");
            }
            i = j;
            continue;
        }
        t.text += c;
        ++i;
    }
    return t;
}

std::string dirOf(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return "";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace

Lexer::Lexer(Diagnostics& diags, std::vector<std::string>& files)
    : diags_(diags), files_(files), glob_entries_left_(bounds::kMaxGlobEntries) {}

std::vector<Token> Lexer::lexFile(const std::string& path, const Location& from) {
    std::vector<Token> out;
    if (over_words_) return out;
    Location where = from.file.empty() ? Location{path, 0, 0} : from;
    if (files_read_ >= bounds::kMaxFiles) {
        diags_.error(where, "not reading " + path + ": a configuration reads at most " +
                                std::to_string(bounds::kMaxFiles) + " files (includes expanded)");
        return out;
    }
    const size_t left = bounds::kMaxTotalBytes - bytes_read_;
    const bool fileBound = bounds::kMaxFileBytes <= left;
    std::string why;
    auto file = readConfigFile(
        path, fileBound ? bounds::kMaxFileBytes : left,
        fileBound ? "a configuration file may have at most " + std::to_string(bounds::kMaxFileBytes) + " bytes"
                  : "all configuration files together may have at most " +
                        std::to_string(bounds::kMaxTotalBytes) + " bytes (includes expanded); " +
                        std::to_string(left) + " are left",
        why);
    if (!file) {
        diags_.error(where, why);
        return out;
    }
    for (const auto& r : reading_) {
        if (r.dev != file->dev || r.ino != file->ino) continue;
        std::string chain;
        for (const auto& c : reading_) chain += c.path + " -> ";
        diags_.error(where, "include loop: " + chain + path);
        return out;
    }
    ++files_read_;
    bytes_read_ += file->text.size();
    files_.push_back(path);
    reading_.push_back({path, file->dev, file->ino});
    lexInto(file->text, path, dirOf(path), out);
    reading_.pop_back();
    return out;
}

std::vector<Token> Lexer::lexText(std::string_view text, const std::string& name,
                                  const std::string& dir) {
    std::vector<Token> out;
    lexInto(text, name, dir, out);
    return out;
}

void Lexer::lexInto(std::string_view text, const std::string& path, const std::string& dir,
                    std::vector<Token>& out) {
    const FileName name(path);  // shared by every token of the file
    int lineNo = 0;
    for (size_t start = 0; start <= text.size() && !over_words_;) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        ++lineNo;
        if (lineReadable(line, name, lineNo))
            lexLine(line, name, lineNo, dir, out);
        else
            out.push_back({TokenKind::Eol, "", {name, lineNo, 1}});
        if (words_ > bounds::kMaxWords) {
            diags_.error({name, lineNo, 1}, "more than " + std::to_string(bounds::kMaxWords) +
                                                " words and braces in the configuration "
                                                "(includes expanded); the rest is not read");
            over_words_ = true;
        }
        if (end == text.size()) break;
        start = end + 1;
    }
}

void Lexer::lexLine(std::string_view line, const FileName& name, int lineNo,
                    const std::string& dir, std::vector<Token>& out) {
    size_t i = 0;
    bool statementStart = true;  // include is only recognised as a statement's first word
    bool sawInclude = false;
    Token includeKw;
    std::vector<Token> patterns;
    while (i < line.size()) {
        char c = line[i];
        if (isSpace(c)) { ++i; continue; }
        if (isComment(c)) break;
        Location at{name, lineNo, static_cast<int>(i) + 1};
        // After include, `{` starts a csh brace pattern ("include {a,b}.conf").
        if ((c == '{' && !sawInclude) || c == '}') {
            out.push_back({c == '{' ? TokenKind::Open : TokenKind::Close, std::string(1, c), at});
            ++words_;
            ++i;
            statementStart = true;
            continue;
        }
        Token w = scanWord(line, i, sawInclude, at, diags_);
        if (sawInclude) {
            patterns.push_back(std::move(w));
        } else if (statementStart && !w.quoted && isIncludeKeyword(w.text)) {
            sawInclude = true;
            includeKw = std::move(w);
        } else {
            out.push_back(std::move(w));
            ++words_;
            statementStart = false;
        }
    }
    if (sawInclude)
        include(includeKw, patterns, dir, out);
    else
        out.push_back({TokenKind::Eol, "", {name, lineNo, static_cast<int>(line.size()) + 1}});
}

bool Lexer::lineReadable(std::string_view line, const FileName& name, int lineNo) {
    // keepalived ignores trailing blanks past its buffer; anything else there it misreads.
    size_t last = line.find_last_not_of(" \t\r\v\f");
    size_t len = last == std::string_view::npos ? 0 : last + 1;
    if (len > bounds::kMaxLineBytes) {
        diags_.error({name, lineNo, static_cast<int>(bounds::kMaxLineBytes) + 1},
                     "line is " + std::to_string(len) + " bytes long; keepalived reads at most " +
                         std::to_string(bounds::kMaxLineBytes) + " bytes of a line");
        return false;
    }
    if (size_t nul = line.find('\0'); nul != std::string_view::npos) {
        diags_.error({name, lineNo, static_cast<int>(nul) + 1}, "NUL byte in a line (a binary file?)");
        return false;
    }
    return true;
}

void Lexer::include(const Token& keyword, const std::vector<Token>& patterns,
                    const std::string& dir, std::vector<Token>& out) {
    if (patterns.empty()) {
        diags_.error(keyword.where, "'" + keyword.text + "' expects a file name or glob");
        return;
    }
    if (depth_ >= kMaxIncludeDepth) {
        diags_.error(keyword.where, "includes nested deeper than " +
                                        std::to_string(kMaxIncludeDepth) + " levels");
        return;
    }
    for (const auto& p : patterns) includePattern(p, dir, out);
}

void Lexer::includePattern(const Token& p, const std::string& dir, std::vector<Token>& out) {
    std::string pattern = p.text;
    if (!pattern.empty() && pattern[0] != '/' && !dir.empty()) pattern = dir + "/" + pattern;
    if (braceExpansions(pattern, bounds::kMaxBraceExpansions) > bounds::kMaxBraceExpansions) {
        diags_.error(p.where, "include '" + p.text + "' expands to more than " +
                                  std::to_string(bounds::kMaxBraceExpansions) + " patterns");
        return;
    }
    auto g = boundedGlob(pattern, glob_entries_left_);
    if (g.over_budget) {
        diags_.error(p.where, "include '" + p.text + "': include globs may read at most " +
                                  std::to_string(bounds::kMaxGlobEntries) +
                                  " directory entries in all");
        return;
    }
    if (!g.error.empty()) {
        diags_.error(p.where, g.error);
        return;
    }
    if (g.paths.empty()) {
        diags_.warning(p.where, "include '" + p.text + "' matched no files");
        return;
    }
    for (const auto& path : g.paths) {
        ++depth_;
        auto toks = lexFile(path, p.where);
        --depth_;
        out.insert(out.end(), std::make_move_iterator(toks.begin()),
                   std::make_move_iterator(toks.end()));
    }
}

namespace {

class TreeBuilder {
public:
    TreeBuilder(std::vector<Token> t, Diagnostics& d) : toks_(std::move(t)), diags_(d) {}

    // Statements until a '}' (consumed by the caller) or the end of input.
    std::vector<Node> statements(int depth) {
        std::vector<Node> out;
        while (pos_ < toks_.size()) {
            const Token& t = toks_[pos_];
            if (t.kind == TokenKind::Eol) { ++pos_; continue; }
            if (t.kind == TokenKind::Close) {
                if (depth > 0) return out;
                diags_.error(t.where, "unexpected '}' with no open block");
                ++pos_;
                continue;
            }
            if (t.kind == TokenKind::Open) {
                diags_.error(t.where, "unexpected '{' with no keyword before it");
                ++pos_;
                Node skipped;
                block(skipped, t, depth);  // parse and drop, so the braces stay balanced
                continue;
            }
            out.push_back(statement(depth));
        }
        return out;
    }

private:
    Node statement(int depth) {
        Node n;
        n.key = std::move(toks_[pos_++]);
        while (pos_ < toks_.size() && toks_[pos_].kind == TokenKind::Word)
            n.args.push_back(std::move(toks_[pos_++]));
        // A block may open on the same line or at the start of the next one (Allman style).
        size_t look = pos_;
        if (look < toks_.size() && toks_[look].kind == TokenKind::Eol) {
            ++look;
            while (look < toks_.size() && toks_[look].kind == TokenKind::Eol) ++look;
        }
        if (look < toks_.size() && toks_[look].kind == TokenKind::Open) {
            pos_ = look + 1;
            block(n, toks_[look], depth);
        }
        return n;
    }

    // DEPTH blocks enclose this one.
    void block(Node& n, const Token& open, int depth) {
        n.has_block = true;
        std::string what = n.key.text.empty() ? "block" : "'" + n.key.text + "' block";
        if (depth >= bounds::kMaxBlockDepth) {
            diags_.error(open.where, what + " is nested more than " +
                                         std::to_string(bounds::kMaxBlockDepth) +
                                         " blocks deep; skipped");
            if (!skipBlock()) diags_.error(open.where, what + " opened here is never closed (missing '}')");
            return;
        }
        n.children = statements(depth + 1);
        if (pos_ < toks_.size() && toks_[pos_].kind == TokenKind::Close) {
            ++pos_;
        } else {
            diags_.error(open.where, what + " opened here is never closed (missing '}')");
        }
    }

    // Past the '}' that closes the block just opened, by counting: no recursion, however
    // deep the braces go. False when the input ends first.
    bool skipBlock() {
        for (size_t level = 1; pos_ < toks_.size(); ++pos_) {
            if (toks_[pos_].kind == TokenKind::Open) ++level;
            if (toks_[pos_].kind == TokenKind::Close && --level == 0) {
                ++pos_;
                return true;
            }
        }
        return false;
    }

    std::vector<Token> toks_;  // words are moved into the tree
    Diagnostics& diags_;
    size_t pos_ = 0;
};

}  // namespace

std::vector<Node> buildTree(std::vector<Token> tokens, Diagnostics& diags) {
    TreeBuilder b(std::move(tokens), diags);
    return b.statements(0);
}

}  // namespace xvrrp::config
