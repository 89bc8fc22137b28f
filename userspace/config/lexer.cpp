#include "config/lexer.hpp"

#include <limits.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <utility>

#include "config/bounds.hpp"
#include "config/include.hpp"
#include "config/words.hpp"

namespace xvrrp::config {
namespace {

std::string shown(const Word& w) { return w.quoted ? "\"" + w.text + "\"" : w.text; }

// Readings keepalived 2.2.7 makes silently that the writer most likely did not mean: -t says
// how the line is read (advice: keepalived -t passes these lines). Once per kind and line.
void adviseOnQuotes(const SourcedText& line, const std::vector<Word>& words, Diagnostics& diags) {
    bool joined = false, single = false, backslash = false;
    for (size_t k = 0; k < words.size(); ++k) {
        const Word& w = words[k];
        if (!joined && k + 1 < words.size() && words[k + 1].at == w.end) {
            size_t e = k + 1;
            while (e + 1 < words.size() && words[e + 1].at == words[e].end) ++e;
            std::string as;
            for (size_t j = k; j <= e; ++j) as += (j > k ? " " : "") + shown(words[j]);
            diags.advice(line.locationAt(w.at),
                         "a double quote ends a word: '" + line.str().substr(w.at, words[e].end - w.at) +
                             "' is read as the words " + as +
                             " (keepalived 2.2.7); put blanks around a quoted word");
            joined = true;
        }
        if (!single && !w.quoted && (w.text.front() == '\'' || w.text.back() == '\'')) {
            diags.advice(line.locationAt(w.at),
                         "a single quote is a plain character here: this word is " + w.text +
                             " (keepalived 2.2.7 quotes with \"...\" only, except in script and notify lines)");
            single = true;
        }
        if (!backslash && w.quoted && w.text.find('\\') != std::string::npos) {
            diags.advice(line.locationAt(w.at),
                         "a backslash is a plain character here: this value is " + w.text +
                             " as written (keepalived 2.2.7 resolves escapes only in script and notify lines)");
            backslash = true;
        }
    }
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
    const size_t first = out_->size();
    if (s == "{" || s == "}") {  // the brace split leaves a brace outside quotes alone on its line
        if (s == "{" && block_depth_++ == 0) top_block_ = last_key_;
        if (s == "}" && block_depth_ > 0) --block_depth_;
        out_->push_back({s == "{" ? TokenKind::Open : TokenKind::Close, s, line.locationAt(0), false, {}});
        ++words_;
    } else {
        size_t unmatched = 0;
        auto words = splitWords(s, unmatched);
        if (unmatched != std::string::npos)
            diags_.warning(line.locationAt(unmatched),
                           "unterminated quoted string (missing closing \"); keepalived 2.2.7 reads only the "
                           "words before it (\"Unmatched quote\")");
        const bool command = !words.empty() && isCommandKeyword(words.front().text);
        if (!words.empty() && !command) adviseOnQuotes(line, words, diags_);
        for (auto& w : words) {
            Token t{TokenKind::Word, std::move(w.text), line.locationAt(w.at), w.quoted, {}};
            // A word partly substituted names the substitution even where its first byte was not.
            if (!t.where.via)
                if (auto via = line.viaIn(w.at, w.end)) t.where.via = via->describe();
            if (command && out_->size() == first) t.line = std::make_shared<const SourcedText>(line);
            out_->push_back(std::move(t));
            ++words_;
        }
    }
    if (out_->size() > first && (*out_)[first].kind == TokenKind::Word) {
        const Token& key = (*out_)[first];
        last_key_ = key.text;
        if (last_key_ == "include_check" && !key.quoted && block_depth_ == 1 && top_block_ == "global_defs") {
            std::vector<Token> all(out_->begin() + static_cast<std::ptrdiff_t>(first), out_->end());
            includeCheck(all);
        }
    }
    out_->push_back({TokenKind::Eol, "", line.locationAt(s.size()), false, {}});
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
