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
// is putting the word between quotes: where a blank would split it, '#' or '!' start a comment,
// a brace split the line, a reference be replaced or a first word read as a directive.
bool needsQuotes(const std::string& w, bool key) {
    if (w.empty()) return true;
    if (key && (w[0] == '@' || w[0] == '$' || w[0] == '~' || isIncludeWord(w))) return true;
    for (size_t i = 0; i < w.size(); ++i)
        if (std::string_view(" \t\f\n\r\v#!{}").find(w[i]) != std::string_view::npos || reference(w, i)) return true;
    return false;
}

void writeWord(const std::string& w, bool key, std::string& out) {
    const bool quote = needsQuotes(w, key);
    if (quote) out += '"';
    out += w;
    if (quote) out += '"';
}

void writeNodes(const std::vector<Node>& nodes, int depth, std::string& out) {
    for (const auto& n : nodes) {
        out.append(static_cast<size_t>(depth) * 4, ' ');
        writeWord(n.key.text, true, out);
        for (const auto& a : n.args) {
            out += ' ';
            writeWord(a.text, false, out);
        }
        if (!n.has_block) {
            out += '\n';
            continue;
        }
        out += " {\n";
        writeNodes(n.children, depth + 1, out);
        out.append(static_cast<size_t>(depth) * 4, ' ');
        out += "}\n";
    }
}

}  // namespace

std::string dumpStatements(const std::vector<Node>& nodes) {
    std::string out;
    writeNodes(nodes, 0, out);
    return out;
}

}  // namespace xvrrp::config
