// Reader-level behaviour: comments, quotes, braces, positions and include globs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/lexer.hpp"
#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;
using test::load;

std::vector<Token> lex(std::string_view text, Diagnostics& d) {
    std::vector<std::string> files;
    Lexer lx(d, files);
    return lx.lexText(text, "x.conf", "");
}

std::vector<Token> wordsOnly(const std::vector<Token>& t) {
    std::vector<Token> out;
    for (const auto& k : t)
        if (k.kind != TokenKind::Eol) out.push_back(k);
    return out;
}

TEST(Lexer, TracksLineAndColumnOfEveryToken) {
    Diagnostics d;
    auto t = wordsOnly(lex("a b\n  c {\n\td }", d));
    ASSERT_EQ(t.size(), 6u);
    EXPECT_EQ(t[0].text, "a");
    EXPECT_EQ(t[1].where.line, 1);
    EXPECT_EQ(t[1].where.column, 3);
    EXPECT_EQ(t[2].where.line, 2);
    EXPECT_EQ(t[2].where.column, 3);
    EXPECT_EQ(t[3].kind, TokenKind::Open);
    EXPECT_EQ(t[3].where.column, 5);
    EXPECT_EQ(t[4].where.line, 3);
    EXPECT_EQ(t[4].where.column, 2);
    EXPECT_EQ(t[5].kind, TokenKind::Close);
    EXPECT_EQ(t[5].where.column, 4);
    EXPECT_EQ(t[0].where.file, "x.conf");
}

TEST(Lexer, CommentsEndTheLineOutsideQuotesOnly) {
    Diagnostics d;
    auto t = wordsOnly(lex("a # b c\nx ! y\n\"p # q ! r\" s#t\n! whole line\n", d));
    ASSERT_EQ(t.size(), 4u);
    EXPECT_EQ(t[0].text, "a");
    EXPECT_EQ(t[1].text, "x");
    EXPECT_EQ(t[2].text, "p # q ! r");
    EXPECT_TRUE(t[2].quoted);
    EXPECT_EQ(t[3].text, "s");
    EXPECT_TRUE(d.all().empty());
}

// keepalived 2.2.7's alloc_strvec_r (measured with its -d dump): a '"' ends a word, a quoted
// word ends at its closing quote, single quotes and backslashes are plain characters.
TEST(Lexer, DoubleQuotesEndWordsAndResolveNothing) {
    Diagnostics d;
    auto t = wordsOnly(lex(R"(abcd" efg h jkl "mnop 'single q' "a\tb\"c")", d));
    ASSERT_EQ(t.size(), 7u);
    EXPECT_EQ(t[0].text, "abcd");
    EXPECT_FALSE(t[0].quoted);
    EXPECT_EQ(t[1].text, " efg h jkl ");
    EXPECT_TRUE(t[1].quoted);
    EXPECT_EQ(t[1].where.column, 5);
    EXPECT_EQ(t[2].text, "mnop");
    EXPECT_EQ(t[3].text, "'single");
    EXPECT_EQ(t[4].text, "q'");
    EXPECT_EQ(t[5].text, "a\\tb\\");
    EXPECT_EQ(t[6].text, "c");
    EXPECT_EQ(t[6].where.column, 41);  // then an unmatched quote
}

TEST(Lexer, BracesSplitWordsWithoutSpaces) {
    Diagnostics d;
    auto t = wordsOnly(lex("unicast_peer{10.0.0.2}", d));
    ASSERT_EQ(t.size(), 4u);
    EXPECT_EQ(t[0].text, "unicast_peer");
    EXPECT_EQ(t[1].kind, TokenKind::Open);
    EXPECT_EQ(t[2].text, "10.0.0.2");
    EXPECT_EQ(t[2].where.column, 14);
    EXPECT_EQ(t[3].kind, TokenKind::Close);
}

// keepalived 2.2.7 keeps the words before an unmatched '"' ("Unmatched quote", -t exit 5):
// router_id without its value, which is the error here.
TEST(Lexer, UnterminatedQuoteIsAWarningAtTheQuote) {
    auto r = load("global_defs {\n  router_id \"abc\n}\n");
    EXPECT_TRUE(has(r, Severity::Warning, 2, 13, "unterminated quoted string"));
    EXPECT_TRUE(has(r, Severity::Error, 2, 3, "'router_id' expects a value"));
}

TEST(Tree, StrayAndUnclosedBracesAreErrors) {
    auto r = load("}\nvrrp_instance X {\n  interface eth0\n");
    EXPECT_TRUE(has(r, Severity::Error, 1, 1, "unexpected '}'"));
    EXPECT_TRUE(has(r, Severity::Error, 2, 17, "never closed"));
}

TEST(Tree, BlockMayOpenOnTheNextLine) {
    auto r = load("vrrp_instance VI_1\n{\n interface eth0\n virtual_router_id 3\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    ASSERT_EQ(r.config.instances.size(), 1u);
    EXPECT_EQ(r.config.instances[0].vrid, 3);
}

class IncludeTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("xvrrp-cfg-" + std::to_string(getpid()) + "-" +
                                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_ / "conf.d");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void write(const std::string& rel, const std::string& text) {
        std::ofstream(dir_ / rel) << text;
    }
    std::filesystem::path dir_;
};

TEST_F(IncludeTest, GlobIsRelativeToTheIncludingFileAndSplicedInPlace) {
    write("main.conf", "global_defs {\n  router_id r1\n}\ninclude conf.d/*.conf\n");
    write("conf.d/b.conf", "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n}\n");
    write("conf.d/a.conf", "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n");
    write("conf.d/skip.txt", "garbage {\n");
    LoadOptions o;
    auto r = loadConfigFile((dir_ / "main.conf").string(), o);
    ASSERT_TRUE(r.ok()) << test::dump(r);
    ASSERT_EQ(r.config.instances.size(), 2u);
    EXPECT_EQ(r.config.instances[0].name, "A");  // glob(3) sorts
    EXPECT_EQ(r.config.instances[1].name, "B");
    EXPECT_EQ(r.config.instances[1].where.file, (dir_ / "conf.d/b.conf").string());
    EXPECT_EQ(r.config.instances[1].where.line, 1);
    EXPECT_EQ(r.config.files.size(), 3u);
}

TEST_F(IncludeTest, IncludeInsideABlockAndNestedRelativeInclude) {
    write("main.conf", "vrrp_instance A {\n include conf.d/body.inc\n}\n");
    write("conf.d/body.inc", "interface eth0\ninclude vrid.inc\n");
    write("conf.d/vrid.inc", "virtual_router_id 7\n");
    LoadOptions o;
    auto r = loadConfigFile((dir_ / "main.conf").string(), o);
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.instances.at(0).vrid, 7);
}

TEST_F(IncludeTest, GlobMatchingNothingIsAWarningAtThePattern) {
    write("main.conf", "include   nothing/*.conf\n");
    auto r = loadConfigFile((dir_ / "main.conf").string());
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(has(r, Severity::Warning, 1, 11, "include 'nothing/*.conf': no such file or directory"));
}

TEST_F(IncludeTest, BraceGlobsAndSelfIncludeLoopIsAnError) {
    write("conf.d/x.conf", "vrrp_script s1 {\n script /bin/true\n}\n");
    write("conf.d/y.conf", "vrrp_script s2 {\n script /bin/true\n}\n");
    write("main.conf", "include conf.d/{x,y}.conf\n");
    write("loop.conf", "include loop.conf\n");
    LoadOptions o;
    auto r = loadConfigFile((dir_ / "main.conf").string(), o);
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.scripts.size(), 2u);
    auto loop = loadConfigFile((dir_ / "loop.conf").string(), o);
    EXPECT_FALSE(loop.ok());
}

// keepalived expands a pattern that starts with a brace too.
TEST_F(IncludeTest, PatternMayStartWithABrace) {
    write("x.conf", "vrrp_script s1 {\n script /bin/true\n}\n");
    write("main.conf", "include {x,y}.conf\n");
    LoadOptions o;
    auto r = loadConfigFile((dir_ / "main.conf").string(), o);
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.scripts.size(), 1u);
}

TEST(Load, MissingMainFileIsAnErrorNamingTheCall) {
    auto r = loadConfigFile("/nonexistent/xvrrp/keepalived.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.diagnostics.at(0).str(),
              "/nonexistent/xvrrp/keepalived.conf: error: open(/nonexistent/xvrrp/keepalived.conf): No such file or directory");
}

}  // namespace
}  // namespace xvrrp::config
