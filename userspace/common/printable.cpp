#include "common/printable.hpp"

#include <utf8cpp/utf8.h>

#include <cstdio>

namespace xvrrp {

namespace {

void escape(std::string& out, unsigned char c) {
    char buf[5];
    std::snprintf(buf, sizeof(buf), "\\x%02x", c);
    out += buf;
}

// Valid UTF-8 that may still hold C0 controls or DEL (ESC would drive a terminal).
void appendValid(std::string& out, std::string_view s) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            escape(out, c);
        else
            out += ch;
    }
}

}  // namespace

std::string printable(std::string_view raw, size_t max_bytes) {
    bool cut = raw.size() > max_bytes;
    if (cut) raw = raw.substr(0, max_bytes);
    std::string out;
    out.reserve(raw.size());
    auto it = raw.begin();
    while (it != raw.end()) {
        auto bad = utf8::find_invalid(it, raw.end());
        appendValid(out, std::string_view(&*it, static_cast<size_t>(bad - it)));
        if (bad == raw.end()) break;
        escape(out, static_cast<unsigned char>(*bad));
        it = bad + 1;
    }
    if (cut) out += "...";
    return out;
}

}  // namespace xvrrp
