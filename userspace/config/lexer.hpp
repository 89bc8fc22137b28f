#pragma once
// keepalived.conf reader: words, quoted strings, braces, comments and `include` globs,
// then a tree of statements (`keyword args... [{ children }]`).

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
class Lexer {
public:
    Lexer(Diagnostics& diags, std::vector<std::string>& files) : diags_(diags), files_(files) {}

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

    Diagnostics& diags_;
    std::vector<std::string>& files_;
    int depth_ = 0;
};

// Groups tokens into statements and blocks; reports stray and unclosed braces.
std::vector<Node> buildTree(const std::vector<Token>& tokens, Diagnostics& diags);

}  // namespace xvrrp::config
