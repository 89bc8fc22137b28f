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
