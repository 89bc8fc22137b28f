#pragma once
// keepalived.conf reader: words, quoted strings, braces, comments and `include` globs,
// then a tree of statements (`keyword args... [{ children }]`).

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"

namespace xvrrp::config {

enum class TokenKind { Word, Open, Close, Eol };

struct Token {
    TokenKind kind = TokenKind::Word;
    std::string text;     // quotes removed, escapes resolved
    Location where;       // first character (the opening quote for a quoted word)
    bool quoted = false;  // some part of the word was quoted
};

// One statement: a keyword, its words on the same line, and an optional block.
struct Node {
    Token key;
    std::vector<Token> args;
    bool has_block = false;
    std::vector<Node> children;
};

// Tokenizes files, splicing `include` (and includer/includem/includew/includeb/includea)
// globs in place. Relative include paths are taken from the including file's directory.
// Everything it reads is bounded (bounds.hpp): line length, include depth and loops, files,
// bytes, words and directory entries read, so a hostile file costs little and always ends.
class Lexer {
public:
    Lexer(Diagnostics& diags, std::vector<std::string>& files);

    // `from` is where the file was requested (empty for the main file).
    std::vector<Token> lexFile(const std::string& path, const Location& from = {});
    // `dir` resolves relative includes ("" = current directory).
    std::vector<Token> lexText(std::string_view text, const std::string& name,
                               const std::string& dir);

private:
    void lexInto(std::string_view text, const std::string& name, const std::string& dir,
                 std::vector<Token>& out);
    void include(const Token& keyword, const std::vector<Token>& patterns,
                 const std::string& dir, std::vector<Token>& out);
    void includePattern(const Token& pattern, const std::string& dir, std::vector<Token>& out);
    void lexLine(std::string_view line, const FileName& name, int lineNo, const std::string& dir,
                 std::vector<Token>& out);
    // Checks a line's length and bytes; false (with an error) when it is not read.
    bool lineReadable(std::string_view line, const FileName& name, int lineNo);

    struct Reading {
        std::string path;
        dev_t dev;
        ino_t ino;
    };

    Diagnostics& diags_;
    std::vector<std::string>& files_;
    std::vector<Reading> reading_;  // the include chain being read, main file first
    size_t files_read_ = 0;
    size_t bytes_read_ = 0;
    size_t words_ = 0;  // words and braces, includes expanded
    bool over_words_ = false;
    size_t glob_entries_left_;
    int depth_ = 0;  // includes being expanded
};

// Groups tokens into statements and blocks; reports stray and unclosed braces, and blocks
// nested deeper than bounds::kMaxBlockDepth (skipped whole, without recursion).
std::vector<Node> buildTree(std::vector<Token> tokens, Diagnostics& diags);

}  // namespace xvrrp::config
