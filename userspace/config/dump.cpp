// `xvrrpd -t -d`: the configuration as the parser sees it, after includes, conditionals,
// $PARAMs and ~SEQ/~LST, written so that reading it back gives the same statements.
#include "config/lexer.hpp"

namespace xvrrp::config {
namespace {

bool isIncludeWord(const std::string& w) {
    return w == "include" || (w.size() == 8 && w.starts_with("include") &&
                              std::string_view("rmwba").find(w[7]) != std::string_view::npos);
}

// A '$' the reader would replace again: the pre-defined definitions are always there.
bool reference(const std::string& w, size_t i) {
    return w[i] == '$' && (w.compare(i + 1, 1, "_") == 0 || w.compare(i + 1, 2, "{_") == 0);
}

// Words never hold a '"' (it ends a word) and "..." resolves nothing (words.hpp), so quoting
// is putting the word between quotes: where a blank would split it, a brace split the line, a
// reference be replaced or a first word read as a directive; and where '#' or '!' would start
// a comment, which depends on the comment cut's idea of the quotes (below).
bool mustQuote(const std::string& w, bool key) {
    if (w.empty()) return true;
    if (key && (w[0] == '@' || w[0] == '$' || w[0] == '~' || isIncludeWord(w))) return true;
    for (size_t i = 0; i < w.size(); ++i)
        if (std::string_view(" \t\f\n\r\v{}").find(w[i]) != std::string_view::npos || reference(w, i)) return true;
    return false;
}

bool endsInEscape(const std::string& w) {
    size_t n = 0;
    while (n < w.size() && w[w.size() - 1 - n] == '\\') ++n;
    return n % 2 == 1;
}

// `open`: the comment cut (preprocess.cpp decomment) takes the line written so far to be inside
// quotes. It pairs '"' as the words do, except that a backslash takes the next character with
// it, so a quoted word ending in a backslash hides its closing quote from it (and the cut then
// sees quotes where the words do not): '#' and '!' are plain while it is open.
void writeWord(const std::string& w, bool key, bool& open, bool& exact, std::string& out) {
    const bool comment = w.find_first_of("#!") != std::string::npos;
    const bool quote = mustQuote(w, key);
    if (!quote && (!comment || open)) {
        out += w;
        return;
    }
    if (quote && comment && open) exact = false;
    out += '"';
    out += w;
    out += '"';
    if (endsInEscape(w)) open = !open;
}

void writeNodes(const std::vector<Node>& nodes, int depth, bool& exact, std::string& out) {
    for (const auto& n : nodes) {
        out.append(static_cast<size_t>(depth) * 4, ' ');
        bool open = false;
        writeWord(n.key.text, true, open, exact, out);
        for (const auto& a : n.args) {
            out += ' ';
            writeWord(a.text, false, open, exact, out);
        }
        if (!n.has_block) {
            // A lone backslash ending the line would continue it (and lose the blank before
            // it); followed by a blank it is a word.
            const std::string& last = n.args.empty() ? n.key.text : n.args.back().text;
            if (last == "\\") out += ' ';
            out += '\n';
            continue;
        }
        out += " {\n";
        writeNodes(n.children, depth + 1, exact, out);
        out.append(static_cast<size_t>(depth) * 4, ' ');
        out += "}\n";
    }
}

}  // namespace

std::string dumpStatements(const std::vector<Node>& nodes, bool* exact) {
    std::string out;
    bool all = true;
    writeNodes(nodes, 0, all, out);
    if (exact) *exact = all;
    return out;
}

}  // namespace xvrrp::config
