#pragma once
// keepalived.conf reader: words (words.hpp), braces, comments, `include` globs and
// keepalived's advanced configuration (preprocess.hpp), then a tree of statements
// (`keyword args... [{ children }]`).

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/preprocess.hpp"

namespace xvrrp::config {

enum class TokenKind { Word, Open, Close, Eol };

// A word as keepalived 2.2.7 reads it (words.hpp): a "..." word without its quotes, nothing
// else removed or resolved.
struct Token {
    TokenKind kind = TokenKind::Word;
    std::string text;
    Location where;       // first character (the opening quote for a quoted word)
    bool quoted = false;  // a "..." word
    // The line, on the first word of a command-line keyword's line (words.hpp
    // isCommandKeyword), which is read again as keepalived reads command lines.
    std::shared_ptr<const SourcedText> line;
};

// One statement: a keyword, its words on the same line, and an optional block.
struct Node {
    Token key;
    std::vector<Token> args;
    bool has_block = false;
    std::vector<Node> children;
    Location end;  // the block's closing '}' (keepalived reports some blocks there)
};

struct LexerOptions {
    // `@id` lines are kept when id is this (keepalived's -i/--config-id); empty: the node
    // name up to its first '.', as keepalived (measured).
    std::string config_id;
    // Seeds ${_RANDOM}; nullopt: a new seed each load (keepalived seeds from the time).
    std::optional<uint32_t> random_seed;
    // keepalived's -e/--all-config: every include check (as `include_check` alone).
    bool all_include_checks = false;
};

// The config id keepalived uses without -i: uname's node name up to the first '.'.
std::string defaultConfigId();

// Tokenizes files after keepalived's line processing (preprocess.hpp: conditionals,
// $PARAMs, ~SEQ/~LST), splicing `include` (and includer/includem/includew/includeb/includea)
// globs in place with keepalived's include checks. Relative include paths are taken from
// the including file's directory. Everything it reads is bounded (bounds.hpp): line length,
// include depth and loops, files, bytes, words, expansions and directory entries read, so a
// hostile file costs little and always ends.
class Lexer {
public:
    Lexer(Diagnostics& diags, std::vector<std::string>& files, LexerOptions options = {});

    // `from` is where the file was requested (empty for the main file).
    std::vector<Token> lexFile(const std::string& path, const Location& from = {});
    // `dir` resolves relative includes ("" = current directory).
    std::vector<Token> lexText(std::string_view text, const std::string& name,
                               const std::string& dir);

private:
    void readFile(const std::string& path, const Location& from);
    void lexInto(std::string_view text, const std::string& name, const std::string& dir);
    // One line after expansion: an include, or words and braces.
    void deliver(SourcedText&& line);
    void lexSegment(const SourcedText& line);
    void include(unsigned kind, const SourcedText& line, size_t pattern_at);
    void includePath(const std::string& path, const std::string& pattern, unsigned checks,
                     const Location& where);
    void includeProblem(unsigned category, unsigned checks, const Location& where, std::string what);
    void includeCheck(const std::vector<Token>& words);
    // Checks a line's length and bytes; false (with an error) when it is not read.
    bool lineReadable(std::string_view line, const FileName& name, int lineNo);

    struct Reading {
        std::string path;
        dev_t dev;
        ino_t ino;
    };

    Diagnostics& diags_;
    std::vector<std::string>& files_;
    Preprocessor pp_;
    std::vector<Token>* out_ = nullptr;
    std::vector<Reading> reading_;  // the include chain being read, main file first
    std::string dir_, pwd_;         // the directory of the file being read, as given and absolute
    unsigned include_checks_ = 0;   // include_check in global_defs (kept per file, as keepalived)
    std::string last_key_, top_block_;  // for include_check: is this global_defs?
    int block_depth_ = 0;
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

// The statements as text that reads back to the same statements: one per line, blocks
// indented by four, words in "..." where the reader would otherwise split, drop or expand
// them. keepalived's syntax cannot write every line the reader can make: after a quoted word
// ending in a backslash the comment cut sees quotes the words do not, and a later word that
// needs quotes and holds '#' or '!' is then cut; *exact says whether that happened.
std::string dumpStatements(const std::vector<Node>& nodes, bool* exact = nullptr);

}  // namespace xvrrp::config
