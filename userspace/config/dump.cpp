// `xvrrpd -t -d`: the configuration as the parser sees it, after includes, conditionals,
// $PARAMs and ~SEQ/~LST, written so that reading it back gives the same statements.
#include <cstdio>

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

bool needsQuotes(const std::string& w, bool key) {
    if (w.empty()) return true;
    if (key && (w[0] == '@' || w[0] == '$' || w[0] == '~' || isIncludeWord(w))) return true;
    for (size_t i = 0; i < w.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(w[i]);
        if (c <= ' ' || c == 0x7f || std::string_view("\"'#!{}\\").find(c) != std::string_view::npos ||
            reference(w, i))
            return true;
    }
    return false;
}

void writeWord(const std::string& w, bool key, std::string& out) {
    if (!needsQuotes(w, key)) {
        out += w;
        return;
    }
    out += '"';
    for (size_t i = 0; i < w.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(w[i]);
        if (c == '\\') {
            out += "\\\\";
        } else if (c < ' ' || c == 0x7f || c == '"' || reference(w, i)) {
            // Not \": keepalived's brace split takes any '"' for the closing quote.
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\%03o", c);  // octal: at most 3 digits are read
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
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
