#pragma once
// Internal: keepalived.conf(5) "ADVANCED CONFIGURATION", applied line by line before words
// are read, in keepalived 2.2.7's order (measured with `keepalived -t`): comments are cut,
// `@id`/`@^id` lines kept or dropped by the config id, `$NAME=VALUE` (and multiline
// `\` values) defined, `~SEQ(...)`/`~LST(...)` lines repeated, `$NAME`/`${NAME}` replaced
// (again while something changes), and every brace starts a line of its own. The lines that
// result are handed on one by one; `include` is recognised only then, so it may be
// conditional or substituted (as keepalived does, whatever its manual says).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/sourced_text.hpp"

namespace xvrrp::config {

// A line's text as keepalived reads it: leading and trailing blanks and comments (from an
// unquoted # or !) removed, `\#` and `\!` outside double quotes made plain # and !, and a
// final `\` kept (it continues a multiline definition). Only " quotes protect a comment
// character, as in keepalived ('#' inside single quotes starts a comment there). A backslash
// takes the next character with it, a '"' too. Returns where a '"' left open at the end was.
std::optional<Location> decomment(SourcedText& line);

// ~SEQ(VAR, [START,] [STEP,] END) or ~LST(VAR|{VARS}, VALUE|{VALUES}, ...).
struct Repeat {
    std::vector<std::string> vars;
    // ~LST: one set of values (one per var) per round. ~SEQ: the numbers instead.
    std::vector<std::vector<std::string>> sets;
    bool seq = false, hex = false;
    long start = 0, step = 1, end = 0;
    size_t rest = 0;  // where the repeated text starts
};

class Preprocessor {
public:
    // Receives each finished line: one statement's words, or a lone brace.
    using Deliver = std::function<void(SourcedText&&)>;

    Preprocessor(Diagnostics& diags, std::string config_id, uint32_t random_seed, Deliver deliver);

    // One line of a file as read (no newline); `pwd` is that file's directory (${_PWD}).
    void physicalLine(std::string_view raw, const FileName& file, int line_no, const std::string& pwd);
    // A multiline definition still open at the end of a file ends there.
    void endOfFile();
    // Stop expanding (a bound of the reader was reached).
    void stop() { stopped_ = true; }
    bool stopped() const { return stopped_; }

    // For ~SEQ/~LST (sequence.cpp): parses the line, or reports why not and returns false.
    bool parseRepeat(const SourcedText& line, Repeat& out);

private:
    struct Definition {
        enum class Builtin { None, Pwd, Instance, Random, Hash, Bang };
        Builtin builtin = Builtin::None;
        bool multiline = false;
        unsigned max_params = 0;
        std::vector<SourcedText> lines;  // the value; more than one for multiline values
    };
    using DefPtr = std::shared_ptr<const Definition>;
    // The lines of a multiline value left to read after its first one replaced a reference.
    struct Tail {
        DefPtr def;
        std::shared_ptr<const Via> via;
    };
    struct Ref {
        DefPtr def;
        std::string name;
        size_t len = 0;          // bytes replaced, from the '$'
        std::string params;      // ${_RANDOM 1 9}
    };
    enum class Substituted { Nothing, Changed, Failed };

    void processLine(SourcedText line, int depth);
    void reportOpenQuote(const SourcedText& line, const std::optional<Location>& open);
    // Conditionals, definitions, repeats and substitution; false when the line is used up.
    bool pipeline(SourcedText& line, int depth, std::vector<Tail>& tails);
    void emitSplit(SourcedText line, int depth, std::vector<Tail>& tails);
    bool keepConditional(SourcedText& line) const;
    bool define(const SourcedText& line);
    void collect(SourcedText line);
    void endCollection();
    void repeat(const SourcedText& line, int depth);
    Substituted substitute(SourcedText& line, std::vector<Tail>& tails);
    Ref findRef(const std::string& s, size_t dollar) const;
    SourcedText valueOf(const Ref& ref, const Location& use, const std::shared_ptr<const Via>& via);
    std::string randomValue(const std::string& params, const Location& use);
    void setVariable(const std::string& name, const std::string& value, const Location& at);
    bool countLine(const Location& where);
    void overBudget(const Location& where, const std::string& what, size_t bound);

    Diagnostics& diags_;
    std::string config_id_;
    std::mt19937 random_;
    Deliver deliver_;
    std::unordered_map<std::string, DefPtr> defs_;
    std::shared_ptr<Definition> collecting_;  // a multiline definition being read
    std::string pwd_;
    size_t substitutions_ = 0;
    size_t lines_ = 0;  // lines made by expansion
    bool stopped_ = false;
};

}  // namespace xvrrp::config
