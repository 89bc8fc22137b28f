#include "common/utf8.hpp"

namespace xvrrp {
namespace {

// Length of the well-formed sequence at s[i] (RFC 3629 section 4), 0 when there is none.
size_t sequenceAt(std::string_view s, size_t i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    if (c < 0x80) return 1;
    size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((b(k) & 0xc0) != 0x80) return 0;
    // The second byte's range excludes overlong forms, surrogates and values past U+10FFFF.
    if ((c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) > 0x9f) || (c == 0xf0 && b(1) < 0x90) ||
        (c == 0xf4 && b(1) > 0x8f))
        return 0;
    return n;
}

}  // namespace

bool isValidUtf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        size_t n = sequenceAt(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string escapeInvalidUtf8(std::string_view s) {
    if (isValidUtf8(s)) return std::string(s);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < s.size();) {
        size_t n = sequenceAt(s, i);
        if (n > 0) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        const auto c = static_cast<unsigned char>(s[i++]);
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
    return out;
}

}  // namespace xvrrp
