#include "config/words.hpp"

#include <cctype>

namespace xvrrp::config {
namespace {

constexpr std::string_view kWhite = " \t\f\n\r\v";  // keepalived's WHITE_SPACE

bool isWhite(char c) { return kWhite.find(c) != std::string_view::npos; }

// One escape after '\' at s[i]; advances i past it (alloc_strvec_quoted_escaped).
char unescape(std::string_view s, size_t& i) {
    const char c = s[i];
    if (c == 'x' && i + 1 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1]))) {
        unsigned v = 0;
        ++i;
        while (i < s.size() && std::isxdigit(static_cast<unsigned char>(s[i]))) {
            const char h = s[i++];
            v = (v << 4) | static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(h))
                                                     ? h - '0'
                                                     : 10 + std::tolower(h) - 'a');
        }
        return static_cast<char>(v);
    }
    if (c == 'c' && i + 1 < s.size()) {
        const char v = static_cast<char>(s[i + 1] & 0x1f);
        i += 2;
        return v;
    }
    if (c >= '0' && c <= '7') {
        unsigned v = static_cast<unsigned>(c - '0');
        ++i;
        for (int k = 0; k < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; ++k)
            v = (v << 3) + static_cast<unsigned>(s[i++] - '0');
        return static_cast<char>(v);
    }
    ++i;
    switch (c) {
        case 'a':
            return '\a';
        case 'b':
            return '\b';
        case 'E':
            return 0x1b;
        case 'f':
            return '\f';
        case 'n':
            return '\n';
        case 'r':
            return '\r';
        case 't':
            return '\t';
        case 'v':
            return '\v';
        default:
            return c;  // \" \' \\ and anything else stand for themselves
    }
}

}  // namespace

std::vector<Word> splitWords(std::string_view s, size_t& unmatched) {
    std::vector<Word> out;
    unmatched = std::string_view::npos;
    size_t i = 0;
    for (;;) {
        while (i < s.size() && isWhite(s[i])) ++i;
        if (i >= s.size()) break;
        Word w;
        w.at = i;
        if (s[i] == '"') {
            const size_t close = s.find('"', i + 1);
            if (close == std::string_view::npos) {
                unmatched = i;
                break;
            }
            w.text = s.substr(i + 1, close - i - 1);
            w.quoted = true;
            i = close + 1;
        } else {
            size_t end = i;
            while (end < s.size() && !isWhite(s[end]) && s[end] != '"') ++end;
            w.text = s.substr(i, end - i);
            i = end;
        }
        w.end = i;
        out.push_back(std::move(w));
    }
    return out;
}

std::optional<std::vector<Word>> splitQuotedEscaped(std::string_view s, SplitError* error) {
    std::vector<Word> out;
    size_t i = 0;
    for (;;) {
        while (i < s.size() && isWhite(s[i])) ++i;
        if (i >= s.size()) break;
        Word w;
        w.at = i;
        char quote = 0;
        size_t opened = 0;
        while (i < s.size()) {
            const char c = s[i];
            if (c == '\\') {
                if (++i >= s.size()) {
                    if (error)
                        *error = {i - 1, "Missing escape char at end: '" + std::string(s) + "'"};
                    return std::nullopt;
                }
                w.text += unescape(s, i);
            } else if (quote) {
                if (c == quote)
                    quote = 0;
                else
                    w.text += c;
                ++i;
            } else if (c == '"' || c == '\'') {
                quote = c;
                opened = i++;
            } else if (isWhite(c)) {
                break;
            } else {
                w.text += c;
                ++i;
            }
        }
        if (quote) {
            if (error)
                *error = {opened, "String '" + std::string(s) + "': missing terminating " +
                                      std::string(1, quote)};
            return std::nullopt;
        }
        w.end = i;
        out.push_back(std::move(w));
    }
    return out;
}

bool isCommandKeyword(std::string_view k) {
    for (std::string_view c :
         {"script", "notify", "notify_master", "notify_backup", "notify_fault", "notify_stop",
          "notify_deleted", "notify_master_rx_lower_pri", "notify_fifo_script",
          "vrrp_notify_fifo_script", "lvs_notify_fifo_script", "startup_script", "shutdown_script",
          "notify_up", "notify_down", "misc_path"})
        if (k == c) return true;
    return false;
}

}  // namespace xvrrp::config
