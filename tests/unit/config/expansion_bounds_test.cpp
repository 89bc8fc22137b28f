// docs/bounds.md, expansion rows: each bound at the bound and one past it, and the values
// that never end on keepalived 2.2.7 (`$X=$X` loops forever there) end here with an error.
#include <gtest/gtest.h>

#include <chrono>

#include "config/bounds.hpp"
#include "test_util.hpp"

namespace xvrrp::config {
namespace {

LoadResult expand(std::string_view text) {
    LoadOptions o = test::testOptions();
    o.config_id = "x";
    o.dump = true;
    return loadConfigText(text, "t.conf", o);
}

bool mentions(const LoadResult& r, const std::string& text) {
    for (const auto& d : r.diagnostics)
        if (d.severity == Severity::Error && d.str().find(text) != std::string::npos) return true;
    return false;
}

TEST(ExpansionBounds, ValueThatRefersToItselfIsAnErrorNotAHang) {
    auto start = std::chrono::steady_clock::now();
    auto r = expand("$X=$X\np_$X\n");
    // At the reference that would recur: inside $X's value, reached from line 2.
    EXPECT_TRUE(test::has(r, Severity::Error, 1, 4, "$X refers to itself")) << test::dump(r);
    EXPECT_TRUE(mentions(r, "(from $X at t.conf:2:3)")) << test::dump(r);
    r = expand("$A=a${B}\n$B=b${A}\np_${A}\n");
    EXPECT_TRUE(mentions(r, "$A refers to itself")) << test::dump(r);
    EXPECT_TRUE(mentions(r, "(from $B at t.conf:1:5, from $A at t.conf:3:3)")) << test::dump(r);
    // A multiline value that uses itself.
    r = expand("$M=a \\\n$M\n$M\n");
    EXPECT_TRUE(mentions(r, "$M refers to itself")) << test::dump(r);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// $V1 uses $V2 ... uses $V<n>: n substitutions inside each other.
std::string chain(int n) {
    std::string s;
    for (int i = 1; i < n; ++i) s += "$V" + std::to_string(i) + "=${V" + std::to_string(i + 1) + "}\n";
    return s + "$V" + std::to_string(n) + "=end\np_${V1}\n";
}

TEST(ExpansionBounds, SubstitutionDepthAtTheBoundAndOnePast) {
    auto ok = expand(chain(bounds::kMaxExpansionDepth));
    EXPECT_EQ(ok.expanded, "p_end\n") << test::dump(ok);
    auto bad = expand(chain(bounds::kMaxExpansionDepth + 1));
    EXPECT_TRUE(mentions(bad, "substitutions nested more than 32 deep")) << test::dump(bad);
    EXPECT_EQ(bad.expanded, "");
}

// Multiline $M1 uses $M2 ... $M<n> on a line of its own.
std::string multilineChain(int n) {
    std::string s;
    for (int i = 1; i < n; ++i) s += "$M" + std::to_string(i) + "=m" + std::to_string(i) + " \\\n$M" + std::to_string(i + 1) + "\n";
    return s + "$M" + std::to_string(n) + "=last \\\n\n$M1\n";
}

TEST(ExpansionBounds, MultilineNestingAtTheBoundAndOnePast) {
    auto ok = expand(multilineChain(bounds::kMaxExpansionDepth));
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    EXPECT_TRUE(ok.expanded.ends_with("m31\nlast\n")) << ok.expanded;
    auto bad = expand(multilineChain(bounds::kMaxExpansionDepth + 1));
    EXPECT_TRUE(mentions(bad, "nested more than 32 deep")) << test::dump(bad);
}

TEST(ExpansionBounds, LineLengthAfterSubstitutionAtTheBoundAndOnePast) {
    // "p_" + $H + $R: keepalived refuses a substituted line of 1024 bytes or more.
    const std::string h(600, 'h'), rest(bounds::kMaxLineBytes - 602, 'r');
    auto ok = expand("$H=" + h + "\n$R=" + rest + "\np_${H}$R\n");
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    EXPECT_EQ(ok.expanded, "p_" + h + rest + "\n");
    auto bad = expand("$H=" + h + "\n$R=" + rest + "r\np_${H}$R\n");
    EXPECT_TRUE(test::has(bad, Severity::Error, 3, 7, "substituting $R makes the line 1024 bytes long")) << test::dump(bad);
    // Doubling values stop at the same bound.
    std::string dbl;
    for (int i = 0; i < 8; ++i) dbl += "$D" + std::to_string(i) + "=${D" + std::to_string(i + 1) + "}${D" + std::to_string(i + 1) + "}\n";
    auto grow = expand(dbl + "$D8=xxxxxxxxxx\np_${D0}\n");
    EXPECT_TRUE(mentions(grow, "bytes long; keepalived reads at most 1023")) << test::dump(grow);
}

TEST(ExpansionBounds, LinesMadeByExpansionAtTheBoundAndOnePast) {
    // Definitions make no words, so only the lines bound ends these.
    auto ok = expand("~SEQ(I, 1, " + std::to_string(bounds::kMaxExpandedLines) + ") $Z=${I}\np_$Z\n");
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    EXPECT_EQ(ok.expanded, "p_" + std::to_string(bounds::kMaxExpandedLines) + "\n");
    auto bad = expand("~SEQ(I, 1, " + std::to_string(bounds::kMaxExpandedLines + 1) + ") $Z=${I}\np_$Z\n");
    EXPECT_TRUE(mentions(bad, "more than 262144 lines made by multiline values, ~SEQ and ~LST")) << test::dump(bad);
    EXPECT_EQ(bad.expanded, "");  // the rest is not read
    // A billion rounds end at the bound too, quickly.
    auto start = std::chrono::steady_clock::now();
    auto huge = expand("~SEQ(I, 1, 1000000000) $Z=1\n");
    EXPECT_FALSE(huge.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
    // Multiline values that double: 2^30 lines without the bound.
    std::string dbl;
    for (int i = 0; i < 30; ++i)
        dbl += "$M" + std::to_string(i) + "= \\\n$M" + std::to_string(i + 1) + " \\\n$M" + std::to_string(i + 1) + "\n";
    auto grow = expand(dbl + "$M30= \\\n$Q=1 \\\n$Q=2\n$M0\n");
    EXPECT_TRUE(mentions(grow, "in the configuration; the rest is not read")) << test::dump(grow);
}

TEST(ExpansionBounds, SubstitutionsAtTheBoundAndOnePast) {
    // Four substitutions of an empty value per round, no words, no line of its own.
    const size_t rounds = bounds::kMaxSubstitutions / 4;
    auto ok = expand("$E=\n~SEQ(I, 1, " + std::to_string(rounds) + ") ${E}${E}${E}${E}\n");
    EXPECT_TRUE(ok.ok()) << test::dump(ok);
    auto bad = expand("$E=\n~SEQ(I, 1, " + std::to_string(rounds) + ") ${E}${E}${E}${E}\n${E}\n");
    EXPECT_TRUE(mentions(bad, "more than 262144 substitutions")) << test::dump(bad);
}

}  // namespace
}  // namespace xvrrp::config
