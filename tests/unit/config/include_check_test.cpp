// include variants and include_check as keepalived 2.2.7 treats them (measured with
// `keepalived -t`: exit 0 with a message where we warn, exit 5/6 where we give an error).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;

class IncludeCheck : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("xvrrp-inc-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_ / "sub");
        write("z.conf", "probe_z\n");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
    LoadResult loadMain(const std::string& text, bool all = false) {
        write("main.conf", text);
        LoadOptions o = test::testOptions();
        o.config_id = "node";
        o.all_include_checks = all;
        o.dump = true;
        return loadConfigFile((dir_ / "main.conf").string(), o);
    }
    std::filesystem::path dir_;
};

// One row per measured keepalived -t run: the line, and whether keepalived refused it.
TEST_F(IncludeCheck, EachVariantAsKeepalived) {
    struct Case {
        const char* text;
        Severity severity;
        const char* message;
    };
    const Case cases[] = {
        {"include nothere.conf", Severity::Warning, "no such file or directory"},
        {"includer nothere.conf", Severity::Warning, "no such file or directory"},
        {"includem nothere.conf", Severity::Error, "no such file or directory"},
        {"includew nomatch*.conf", Severity::Error, "matched no files"},
        {"includem nomatch*.conf", Severity::Warning, "matched no files"},
        {"includeb {z,nothere}.conf", Severity::Error, "some of the files it names do not exist; none is read"},
        {"include {z,nothere}.conf", Severity::Warning, "some of the files it names do not exist"},
        {"includer sub", Severity::Error, "is a directory"},
        {"include sub", Severity::Warning, "is a directory"},
        {"includea nothere.conf", Severity::Error, "no such file or directory"},
    };
    for (const auto& c : cases) {
        auto r = loadMain(std::string(c.text) + "\n");
        EXPECT_TRUE(has(r, c.severity, 1, static_cast<int>(std::string(c.text).find(' ')) + 2, c.message))
            << c.text;
        EXPECT_EQ(r.ok(), c.severity != Severity::Error) << c.text;
    }
    // include reads z.conf of the brace group; includeb reads nothing.
    EXPECT_EQ(loadMain("include {z,nothere}.conf\n").expanded, "probe_z\n");
    EXPECT_EQ(loadMain("includeb {z,nothere}.conf\n").expanded, "");
}

TEST_F(IncludeCheck, GlobalDefsIncludeCheckAndAllConfig) {
    auto r = loadMain("global_defs {\n include_check\n}\ninclude nothere.conf\n");
    EXPECT_TRUE(has(r, Severity::Error, 4, 9, "no such file or directory"));
    // "read" only: a missing file is a match problem, so a warning.
    r = loadMain("global_defs {\n include_check read\n}\ninclude nothere.conf\n");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    // The manual's "readable" is unknown to keepalived 2.2.7 too (measured: exit 5).
    r = loadMain("global_defs {\n include_check readable\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 2, 16, "unknown include_check type 'readable'"));
    r = loadMain("global_defs {\n include_check match -match +wildcard_match\n}\ninclude nothere*.conf\n");
    EXPECT_TRUE(has(r, Severity::Error, 4, 9, "matched no files"));
    r = loadMain("global_defs {\n include_check match brace_match\n}\n");
    EXPECT_TRUE(has(r, Severity::Error, 2, 22, "duplicate include_check 'brace_match'"));
    // Outside global_defs it is only an unknown keyword (keepalived: the same).
    r = loadMain("include_check\ninclude nothere.conf\n");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    // -e/--all-config.
    r = loadMain("include nothere.conf\n", true);
    EXPECT_TRUE(has(r, Severity::Error, 1, 9, "no such file or directory"));
}

TEST_F(IncludeCheck, InGlobalDefsItIsActedOnSoNotReportedAsIgnored) {
    // It was also listed as a keyword xvrrpd reads and does not act on, so every
    // include_check drew "'include_check' is not acted on by xvrrpd" (keepalived -t: nothing).
    auto r = loadMain("global_defs {\n include_check +match -wildcard_match\n}\ninclude z.conf\n");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    for (const auto& d : r.diagnostics) EXPECT_EQ(d.message.find("include_check"), std::string::npos) << d.str();
    EXPECT_TRUE(has(r, Severity::Warning, 1, 1, "unknown keyword 'probe_z'"));  // z.conf was read
}

TEST_F(IncludeCheck, AnIncludedFilesCheckEndsWithThatFile) {
    write("checks.conf", "global_defs {\ninclude_check\n}\ninclude nothere1.conf\n");
    auto r = loadMain("include checks.conf\ninclude nothere2.conf\n");
    EXPECT_FALSE(r.ok());
    bool inner = false, outer = false;
    for (const auto& d : r.diagnostics) {
        inner |= d.severity == Severity::Error && d.message.find("nothere1") != std::string::npos;
        outer |= d.severity == Severity::Warning && d.message.find("nothere2") != std::string::npos;
    }
    EXPECT_TRUE(inner && outer) << test::dump(r);
}

TEST_F(IncludeCheck, TheRestOfTheLineIsOnePatternAndExecutablesAreSkipped) {
    // Measured: "include y.conf z.conf" looks for a file called "y.conf z.conf".
    auto r = loadMain("include z.conf z.conf\n");
    EXPECT_TRUE(has(r, Severity::Warning, 1, 9, "include 'z.conf z.conf': no such file or directory"));
    write("y z.conf", "probe_yz\n");
    EXPECT_EQ(loadMain("include y z.conf\n").expanded, "probe_yz\n");
    write("x.conf", "probe_x\n");
    ::chmod((dir_ / "x.conf").c_str(), 0755);
    r = loadMain("include x.conf\n");
    EXPECT_TRUE(has(r, Severity::Warning, 1, 9, "is not a regular non-executable file; skipped"));
    EXPECT_EQ(r.expanded, "");
    // No ~ expansion (measured: "Config files missing '~/...'").
    EXPECT_TRUE(has(loadMain("include ~/z.conf\n"), Severity::Warning, 1, 9, "no such file"));
}

TEST_F(IncludeCheck, IncludeAfterConditionalsAndSubstitution) {
    // Measured: keepalived recognises include after both (its manual says it does not).
    write("sub/x.conf", "probe_pwd_${_PWD}\n");
    auto r = loadMain("$D=sub\ninclude ${D}/x.conf\n@node include z.conf\n@other include nothere.conf\n"
                      "~LST(F, z) include ${F}.conf\n");
    EXPECT_EQ(r.expanded, "probe_pwd_" + (dir_ / "sub").string() + "\nprobe_z\nprobe_z\n") << test::dump(r);
    EXPECT_TRUE(r.ok()) << test::dump(r);
    // After a brace as well (keepalived reads what follows a brace as a line of its own).
    write("body.inc", "interface eth0\n");
    r = loadMain("vrrp_instance A { include body.inc\n virtual_router_id 1\n"
                 " virtual_ipaddress {\n 10.0.0.1\n }\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.instances.at(0).interface, "eth0");
}

TEST_F(IncludeCheck, GlobClassesSubdirectoriesAndBraceOrder) {
    // Measured with keepalived 2.2.7 -t (the files hold unknown-keyword probes): glob(3) sorts
    // each pattern's matches, a brace group keeps its own order, a file may be read twice.
    std::filesystem::create_directories(dir_ / "conf.d" / "sub");
    write("conf.d/a1.conf", "p_a1\n");
    write("conf.d/b2.conf", "p_b2\n");
    write("conf.d/b1.conf", "p_bb\n");
    write("conf.d/c3.conf", "p_c3\n");
    write("conf.d/sub/x.conf", "p_x\n");
    auto r = loadMain("include conf.d/[ab]?.conf\ninclude conf.d/*/*.conf\ninclude conf.d/{c3,a1}.conf\n"
                      "include conf.d/?3.*\np_end\n");
    EXPECT_EQ(r.expanded, "p_a1\np_bb\np_b2\np_x\np_c3\np_a1\np_c3\np_end\n");
}

TEST_F(IncludeCheck, DefinitionsCarryAcrossFilesAndPwdIsTheFilesDirectory) {
    write("sub/defs.conf", "$WHERE=${_PWD}\n$V=from_sub\n");
    auto r = loadMain("include sub/defs.conf\np_$V\np_${WHERE}\np_${_PWD}\n");
    EXPECT_EQ(r.expanded, "p_from_sub\np_" + dir_.string() + "\np_" + dir_.string() + "\n");
}

}  // namespace
}  // namespace xvrrp::config
