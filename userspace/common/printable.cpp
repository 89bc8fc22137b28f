#include "common/printable.hpp"

#include "common/utf8.hpp"

namespace xvrrp {

std::string printable(std::string_view raw, size_t max_bytes) {
    const bool cut = raw.size() > max_bytes;
    if (cut) raw = raw.substr(0, max_bytes);
    // Bytes that are not UTF-8 are escaped as everywhere else (common/utf8.hpp); what is
    // left is valid text that may still hold C0 controls or DEL (ESC would drive a terminal).
    const std::string text = escapeInvalidUtf8(raw);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() + (cut ? 3 : 0));
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += ch;
        }
    }
    if (cut) out += "...";
    return out;
}

}  // namespace xvrrp
