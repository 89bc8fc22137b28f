// unit.common: printable() keeps valid UTF-8 and escapes everything else, so the result always
// survives nlohmann::json::dump() (issue 9 item 2: a peer's bytes stopped the arbiter).
#include "common/printable.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace xvrrp {
namespace {

TEST(Printable, KeepsValidUtf8) {
    EXPECT_EQ(printable("ssh: connect to host 10.0.0.2"), "ssh: connect to host 10.0.0.2");
    EXPECT_EQ(printable("Grüße, 日本"), "Grüße, 日本");
    EXPECT_EQ(printable("a\tb"), "a\tb");
}

TEST(Printable, EscapesInvalidBytesAndControls) {
    EXPECT_EQ(printable("\xff\xfe banner"), "\\xff\\xfe banner");
    EXPECT_EQ(printable("line\r\n"), "line\\x0d\\x0a");
    EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
    EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
    // A truncated sequence (first two bytes of a three-byte character) and an overlong one.
    EXPECT_EQ(printable("x\xe6\x97"), "x\\xe6\\x97");
    EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");
}

TEST(Printable, CutsLongInput) {
    EXPECT_EQ(printable(std::string(10, 'a'), 4), "aaaa...");
    EXPECT_EQ(printable(std::string(4, 'a'), 4), "aaaa");
}

TEST(Printable, EveryByteSurvivesJsonDump) {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    nlohmann::json j = {{"reason", printable(all + all)}};
    EXPECT_NO_THROW((void)j.dump());
    nlohmann::json raw = {{"reason", all}};
    EXPECT_THROW((void)raw.dump(), nlohmann::json::type_error);  // why printable() exists
}

}  // namespace
}  // namespace xvrrp
