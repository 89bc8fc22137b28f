#include "common/utf8.hpp"

#include <nlohmann/json.hpp>
#include <utf8cpp/utf8.h>

namespace xvrrp {

bool isValidUtf8(std::string_view s) { return utf8::is_valid(s.begin(), s.end()); }

std::string escapeInvalidUtf8(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    auto it = utf8::find_invalid(s.begin(), s.end());
    if (it == s.end()) return std::string(s);
    std::string out(s.begin(), it);
    out.reserve(s.size() + 12);
    // One ill-formed byte at a time: the bytes after it may start a valid sequence.
    while (it != s.end()) {
        const auto c = static_cast<unsigned char>(*it++);
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
        auto bad = utf8::find_invalid(it, s.end());
        out.append(it, bad);
        it = bad;
    }
    return out;
}

void escapeInvalidUtf8(nlohmann::json& j) {
    if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        if (!isValidUtf8(s)) j = escapeInvalidUtf8(s);
    } else if (j.is_array()) {
        for (auto& e : j) escapeInvalidUtf8(e);
    } else if (j.is_object()) {
        bool keys = true;
        for (auto& [k, v] : j.items()) {
            escapeInvalidUtf8(v);
            keys = keys && isValidUtf8(k);
        }
        if (keys) return;
        nlohmann::json fixed = nlohmann::json::object();
        for (auto& [k, v] : j.items()) fixed[escapeInvalidUtf8(k)] = std::move(v);
        j = std::move(fixed);
    }
}

}  // namespace xvrrp
