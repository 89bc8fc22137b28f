#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/utf8.hpp"

using xvrrp::escapeInvalidUtf8;
using xvrrp::isValidUtf8;

TEST(Utf8, WellFormedTextIsUnchanged) {
    for (const char* s : {"", "VI_1", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"}) {
        EXPECT_TRUE(isValidUtf8(s)) << s;
        EXPECT_EQ(escapeInvalidUtf8(s), s);
    }
}

TEST(Utf8, IllFormedBytesAreEscapedOneByOne) {
    EXPECT_EQ(escapeInvalidUtf8("VI_\xff\xfe"), "VI_\\xff\\xfe");
    EXPECT_EQ(escapeInvalidUtf8("\xc0\xaf"), "\\xc0\\xaf");                 // overlong '/'
    EXPECT_EQ(escapeInvalidUtf8("\xed\xa0\x80"), "\\xed\\xa0\\x80");        // a surrogate
    EXPECT_EQ(escapeInvalidUtf8("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
    EXPECT_EQ(escapeInvalidUtf8("a\xc3"), "a\\xc3");                        // cut short
    EXPECT_EQ(escapeInvalidUtf8("\xc3\xa9\xff\xc3\xa9"), "\xc3\xa9\\xff\xc3\xa9");
}

// What the control socket relies on: an escaped string always serialises.
TEST(Utf8, EscapedTextSerialisesAsJson) {
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    EXPECT_THROW(nlohmann::json(all).dump(), nlohmann::json::type_error);
    EXPECT_NO_THROW(nlohmann::json(escapeInvalidUtf8(all)).dump());
}

TEST(Utf8, ControlCharactersAndTheReplacementCharacterAreText) {
    // JSON escapes controls itself; U+FFFD is a character like any other, never a stand-in.
    for (const char* s : {"a\tb\nc\x01\x7f", "\xef\xbf\xbd"}) EXPECT_EQ(escapeInvalidUtf8(s), s);
}

// Every escaped byte can be read back: \xHH in the output is exactly one ill-formed byte of
// the input, so two different names never show the same (which fence relies on).
TEST(Utf8, EveryTwoAndThreeByteInputEscapesToValidTextThatReadsBack) {
    auto unescape = [](const std::string& s) {
        std::string out;
        for (size_t i = 0; i < s.size();) {
            if (s.compare(i, 2, "\\x") == 0) {
                out += static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16));
                i += 4;
            } else {
                out += s[i++];
            }
        }
        return out;
    };
    int checked = 0;
    for (int a = 0; a < 256; ++a)
        for (int b = 0; b < 256; ++b)
            for (int c : {-1, 0x41, 0x80, 0xbf, 0xc3, 0xff}) {
                std::string in{static_cast<char>(a), static_cast<char>(b)};
                if (c >= 0) in += static_cast<char>(c);
                if (in.find('\\') != std::string::npos) continue;
                const std::string out = escapeInvalidUtf8(in);
                ASSERT_TRUE(isValidUtf8(out)) << out;
                ASSERT_EQ(unescape(out), in) << out;
                ++checked;
            }
    EXPECT_GT(checked, 380000);
}
