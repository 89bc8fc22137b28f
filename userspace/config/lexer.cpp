#include "config/lexer.hpp"

#include <limits.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <utility>

#include "config/bounds.hpp"
#include "config/include.hpp"

namespace xvrrp::config {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

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

// Reads one word starting at line[i] (not whitespace); braces end an unquoted word.
Token scanWord(const SourcedText& line, size_t& i, Diagnostics& diags) {
    const std::string& s = line.str();
    Token t;
    const size_t start = i;
    t.where = line.locationAt(i);
    while (i < s.size()) {
        char c = s[i];
        if (isSpace(c) || c == '{' || c == '}') break;
        if (c == '"' || c == '\'') {
            t.quoted = true;
            size_t j = i + 1;
            bool closed = false;
            while (j < s.size()) {
                if (s[j] == c) {
                    closed = true;
                    ++j;
                    break;
                }
                if (s[j] == '\\' && j + 1 < s.size()) {
                    j = readEscape(s, j + 1, t.text);
                    continue;
                }
                t.text += s[j++];
            }
            if (!closed)
                diags.error(line.locationAt(i), std::string("unterminated quoted string (missing closing ") + c + ")");
            i = j;
            continue;
        }
        t.text += c;
        ++i;
    }
    // A word partly substituted names the substitution even where its first byte was not.
    if (!t.where.via)
        if (auto via = line.viaIn(start, i)) t.where.via = via->describe();
    return t;
}

std::string dirOf(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return "";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// ${_PWD}: the directory as an absolute path.
std::string absoluteDir(const std::string& dir) {
    if (!dir.empty() && dir[0] == '/') return dir;
    char buf[PATH_MAX];
    std::string cwd = ::getcwd(buf, sizeof buf) ? buf : ".";
    return dir.empty() ? cwd : cwd + "/" + dir;
}

uint32_t freshSeed() {
    std::random_device rd;
    return rd();
}

}  // namespace

std::string defaultConfigId() {
    struct utsname u {};
    if (::uname(&u) != 0) return "";
    std::string node = u.nodename;
    return node.substr(0, node.find('.'));
}

Lexer::Lexer(Diagnostics& diags, std::vector<std::string>& files, LexerOptions options)
    : diags_(diags),
      files_(files),
      pp_(diags, options.config_id.empty() ? defaultConfigId() : options.config_id,
          options.random_seed ? *options.random_seed : freshSeed(),
          [this](SourcedText&& line) { deliver(std::move(line)); }),
      include_checks_(options.all_include_checks ? kAllIncludeChecks : 0),
      glob_entries_left_(bounds::kMaxGlobEntries) {}

std::vector<Token> Lexer::lexFile(const std::string& path, const Location& from) {
    std::vector<Token> out;
    out_ = &out;
    readFile(path, from);
    out_ = nullptr;
    return out;
}

void Lexer::readFile(const std::string& path, const Location& from) {
    if (over_words_) return;
    Location where = from.file.empty() ? Location{path, 0, 0} : from;
    if (files_read_ >= bounds::kMaxFiles) {
        diags_.error(where, "not reading " + path + ": a configuration reads at most " +
                                std::to_string(bounds::kMaxFiles) + " files (includes expanded)");
        return;
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
        return;
    }
    for (const auto& r : reading_) {
        if (r.dev != file->dev || r.ino != file->ino) continue;
        std::string chain;
        for (const auto& c : reading_) chain += c.path + " -> ";
        diags_.error(where, "include loop: " + chain + path);
        return;
    }
    ++files_read_;
    bytes_read_ += file->text.size();
    files_.push_back(path);
    reading_.push_back({path, file->dev, file->ino});
    lexInto(file->text, path, dirOf(path));
    reading_.pop_back();
}

std::vector<Token> Lexer::lexText(std::string_view text, const std::string& name,
                                  const std::string& dir) {
    std::vector<Token> out;
    out_ = &out;
    lexInto(text, name, dir);
    out_ = nullptr;
    return out;
}

void Lexer::lexInto(std::string_view text, const std::string& path, const std::string& dir) {
    const FileName name(path);  // shared by every token of the file
    // An included file's own include_check lasts until its end (keepalived keeps it per file).
    const unsigned checks = include_checks_;
    std::string saved_dir = std::exchange(dir_, dir), saved_pwd = std::exchange(pwd_, absoluteDir(dir));
    int lineNo = 0;
    for (size_t start = 0; start <= text.size() && !over_words_ && !pp_.stopped();) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        ++lineNo;
        if (lineReadable(line, name, lineNo)) pp_.physicalLine(line, name, lineNo, pwd_);
        if (end == text.size()) break;
        start = end + 1;
    }
    pp_.endOfFile();
    include_checks_ = checks;
    dir_ = std::move(saved_dir);
    pwd_ = std::move(saved_pwd);
}

void Lexer::deliver(SourcedText&& line) {
    if (over_words_) return;
    const std::string& s = line.str();
    // Only now, after conditionals and substitution, as keepalived (measured).
    unsigned kind = includeKind(s);
    if (kind != kNotInclude) {
        size_t at = s.find_first_not_of(" \t\v\f\r", kind == 0 ? 8 : 9);
        include(kind, line, at);
        return;
    }
    if (s == "include" || (s.size() == 8 && s.starts_with("include") && std::strchr("rmwba", s[7]))) {
        include(0, line, std::string::npos);
        return;
    }
    lexSegment(line);
    if (words_ > bounds::kMaxWords && !over_words_) {
        diags_.error(line.locationAt(0), "more than " + std::to_string(bounds::kMaxWords) +
                                             " words and braces in the configuration "
                                             "(includes expanded); the rest is not read");
        over_words_ = true;
        pp_.stop();
    }
}

void Lexer::lexSegment(const SourcedText& line) {
    const std::string& s = line.str();
    std::vector<Token> words;
    for (size_t i = 0; i < s.size();) {
        const char c = s[i];
        if (isSpace(c)) {
            ++i;
            continue;
        }
        if (c == '{' || c == '}') {
            if (!words.empty()) last_key_ = words.front().text;
            out_->push_back({c == '{' ? TokenKind::Open : TokenKind::Close, std::string(1, c), line.locationAt(i)});
            ++words_;
            ++i;
            if (c == '{' && block_depth_++ == 0) top_block_ = last_key_;
            if (c == '}' && block_depth_ > 0) --block_depth_;
            continue;
        }
        Token w = scanWord(line, i, diags_);
        if (words.empty()) words.push_back(w);  // the keyword; include_check wants all words
        else if (words.front().text == "include_check") words.push_back(w);
        out_->push_back(std::move(w));
        ++words_;
    }
    if (!words.empty()) {
        last_key_ = words.front().text;
        if (last_key_ == "include_check" && !words.front().quoted && block_depth_ == 1 &&
            top_block_ == "global_defs")
            includeCheck(words);
    }
    out_->push_back({TokenKind::Eol, "", line.locationAt(s.size())});
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
            n.end = toks_[pos_].where;
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
