// How a line is split into words, as keepalived 2.2.7 splits it (lib/parser.c alloc_strvec_r;
// every case measured with keepalived -t and its -d dump in a namespace): only "..." quotes,
// a '"' ends the word before it and the quoted word ends at its closing quote, backslashes are
// plain, words past what a keyword reads are ignored. Command lines (script, notify*, the fifo
// scripts) are read again as keepalived.conf(5) "Quoted strings" says: '...' and "..." group,
// escapes are resolved (alloc_strvec_quoted_escaped).
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;
using test::load;

LoadResult global(const std::string& line) { return load("global_defs {\n" + line + "\n}\n"); }

// An advice: a warning keepalived -t does not fail the file for.
::testing::AssertionResult advises(const LoadResult& r, int line, int col,
                                   const std::string& text) {
    for (const auto& d : r.diagnostics)
        if (d.advice && d.where.line == line && d.where.column == col &&
            d.message.find(text) != std::string::npos)
            return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "no advice at " << line << ":" << col << " containing \"" << text << "\"; got:\n"
           << test::dump(r);
}

size_t failing(const LoadResult& r) {
    size_t n = 0;
    for (const auto& d : r.diagnostics) n += d.severity != Severity::Notice && !d.advice;
    return n;
}

// keepalived 2.2.7: router_id 'ab cd' -> 'ab (-t exit 0).
TEST(Words, SingleQuotesArePlainCharacters) {
    auto r = global("router_id 'ab cd'");
    EXPECT_EQ(r.config.global.router_id, "'ab");
    EXPECT_EQ(failing(r), 0u) << test::dump(r);
    EXPECT_TRUE(advises(r, 2, 11, "single quote"));
    auto hash = global("router_id 'a#b'");  // '#' starts a comment inside single quotes
    EXPECT_EQ(hash.config.global.router_id, "'a");
    EXPECT_EQ(failing(hash), 0u) << test::dump(hash);
}

// keepalived 2.2.7: a"b c"d -> a, ab"cd" -> ab, "ab"cd -> ab (the words after are ignored).
TEST(Words, ADoubleQuoteEndsTheWord) {
    for (auto [line, want] : {std::pair{"router_id a\"b c\"d", "a"},
                              {"router_id ab\"cd\"", "ab"},
                              {"router_id \"ab\"cd", "ab"},
                              {"router_id ab\"#c\"", "ab"}}) {
        auto r = global(line);
        EXPECT_EQ(r.config.global.router_id, want) << line;
        EXPECT_EQ(failing(r), 0u) << line << "\n" << test::dump(r);
        EXPECT_TRUE(advises(r, 2, 11, "a double quote ends a word")) << line;
    }
    // priority 1"00" is priority 1 on keepalived 2.2.7.
    auto p = load(R"(vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 1"00"
    virtual_ipaddress {
        10.0.0.1/24 dev "eth0"label x
    }
})");
    ASSERT_EQ(p.config.instances.size(), 1u);
    EXPECT_EQ(p.config.instances[0].priority, 1);
    ASSERT_EQ(p.config.instances[0].vips.size(), 1u);
    EXPECT_EQ(p.config.instances[0].vips[0].label, "x");
    EXPECT_EQ(p.config.instances[0].vips[0].dev, "eth0");
    EXPECT_TRUE(advises(p, 4, 14, "a double quote ends a word"));
}

// keepalived 2.2.7: router_id "a\tb" -> a\tb, label "eth0:\x41" -> eth0:\x41.
TEST(Words, BackslashesAreKeptOutsideCommandLines) {
    auto r = global(R"(router_id "a\tb")");
    EXPECT_EQ(r.config.global.router_id, "a\\tb");
    EXPECT_EQ(failing(r), 0u) << test::dump(r);
    EXPECT_TRUE(advises(r, 2, 11, "backslash"));
}

// keepalived 2.2.7 -t exits 0 and the dump shows the first words only.
TEST(Words, WordsPastWhatAKeywordReadsAreIgnored) {
    auto r = global("router_id ab cd");
    EXPECT_EQ(r.config.global.router_id, "ab");
    EXPECT_EQ(failing(r), 0u) << test::dump(r);
    EXPECT_TRUE(advises(r, 2, 14, "ignored"));
    auto i = load(R"(vrrp_instance VI_1 {
    interface eth0 eth1
    virtual_router_id 51 52
    priority 100 extra
    advert_int 1 2
    state BACKUP extra
    nopreempt extra
    authentication {
        auth_type PASS junk
        auth_pass secret junk
    }
    virtual_ipaddress {
        10.0.0.1/24
    }
})");
    EXPECT_TRUE(i.ok()) << test::dump(i);
    EXPECT_EQ(failing(i), 0u) << test::dump(i);
    ASSERT_EQ(i.config.instances.size(), 1u);
    EXPECT_EQ(i.config.instances[0].interface, "eth0");
    EXPECT_EQ(i.config.instances[0].vrid, 51);
    EXPECT_EQ(i.config.instances[0].priority, 100);
    EXPECT_EQ(i.config.instances[0].auth_pass, "secret");
    EXPECT_TRUE(advises(i, 2, 20, "'eth1'"));
    EXPECT_TRUE(advises(i, 7, 15, "'extra'"));
}

// keepalived 2.2.7 reads the words before an unmatched '"' ("Unmatched quote", -t exit 5).
TEST(Words, AnUnmatchedDoubleQuoteEndsTheLine) {
    auto r = global("router_id ab\"cd");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.global.router_id, "ab");
    EXPECT_TRUE(has(r, Severity::Warning, 2, 13, "unterminated quoted string"));
    auto u = global("router_id ab 'cd");
    EXPECT_EQ(u.config.global.router_id, "ab");
    EXPECT_EQ(failing(u), 0u) << test::dump(u);
}

// keepalived 2.2.7's comment cut takes \" with it: router_id "ab\" is ab\ with "Unterminated
// quote" (-t exit 5), and in router_id "ab\" "#c" x the second '"' closes the first for the
// comment cut, so the line is router_id "ab\" " (ab\, then "Unmatched quote").
TEST(Words, ABackslashHidesAQuoteFromTheCommentCutOnly) {
    auto r = global(R"(router_id "ab\")");
    EXPECT_EQ(r.config.global.router_id, "ab\\");
    EXPECT_TRUE(has(r, Severity::Warning, 2, 11, "Unterminated quote"));
    auto c = global(R"(router_id "ab\" "#c" x)");
    EXPECT_EQ(c.config.global.router_id, "ab\\");
    EXPECT_TRUE(has(c, Severity::Warning, 2, 17, "unterminated quoted string"));
    EXPECT_EQ(failing(c), 1u) << test::dump(c);
}

// keepalived 2.2.7 runs `test -n x` and echo with `a` and `b` (its -d dump: Command =
// '/usr/bin/test' '-n' 'x'; '/usr/bin/echo' 'a' 'b').
TEST(Words, CommandLinesGroupWithSingleQuotesAndResolveEscapes) {
    auto r = load(R"(vrrp_script chk {
    script '/usr/bin/test -n x'
}
vrrp_script chk2 {
    script "/bin/echo \x41\101"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.1/24
    }
    notify_master "/bin/echo a\tb"
    notify_backup '/bin/echo a' root
    notify_fault /bin/echo"a b"c
    notify_stop "/bin/echo \"a b\" c"
})");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.scripts.at("chk").script, "/usr/bin/test -n x");
    EXPECT_EQ(r.config.scripts.at("chk2").script, "/bin/echo AA");
    ASSERT_EQ(r.config.instances.size(), 1u);
    const Instance& i = r.config.instances[0];
    EXPECT_EQ(i.notify_master, "/bin/echo a\tb");
    EXPECT_EQ(i.notify_backup, "/bin/echo a");
    EXPECT_EQ(i.notify_run_as.at("notify_backup").user, "root");
    EXPECT_EQ(i.notify_fault, "/bin/echoa bc");
    EXPECT_EQ(i.notify_stop, "/bin/echo \"a b\" c");
}

// keepalived 2.2.7 cuts the comment in '/bin/echo #x' and cannot read the notify line
// ("String '...': missing terminating '", -t exit 5); the instance has no notify_master.
TEST(Words, ACommandLineWithoutItsClosingQuoteIsNotRun) {
    auto r = load(
        std::string(test::kInstance)
            .insert(std::string(test::kInstance).rfind('}'), "    notify_master '/bin/echo #x'\n"));
    EXPECT_TRUE(r.ok()) << test::dump(r);
    ASSERT_EQ(r.config.instances.size(), 1u);
    EXPECT_EQ(r.config.instances[0].notify_master, "");
    EXPECT_TRUE(has(r, Severity::Warning, 7, 19, "missing terminating '"));
}

// keepalived 2.2.7: `chk weight 10 junk` tracks chk with weight 10 ("unknown track_script chk
// weight option junk - ignoring", -t exit 5); `192.168.77.2 junk` is a peer ("junk is missing
// a value").
TEST(Words, ListEntriesKeepWhatTheyReadBeforeAWordTheyDoNot) {
    auto r = load(R"(vrrp_script chk {
    script /bin/true
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.1/24
    }
    track_script {
        chk weight 10 junk
    }
    unicast_peer {
        10.0.0.2 junk
    }
})");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    ASSERT_EQ(r.config.instances.size(), 1u);
    ASSERT_EQ(r.config.instances[0].track_scripts.size(), 1u);
    EXPECT_EQ(r.config.instances[0].track_scripts[0].weight, 10);
    EXPECT_EQ(r.config.instances[0].unicast_peers.size(), 1u);
    EXPECT_TRUE(has(r, Severity::Warning, 11, 23, "unknown track_script chk weight option junk"));
    EXPECT_TRUE(has(r, Severity::Warning, 14, 18, "junk is missing a value"));
}

// keepalived 2.2.7: `virtual_ipaddress_excluded extra {` is "Block virtual_ipaddress_excluded has
// extra parameters extra ..." (-t exit 5) and the block is read; `vrrp_script chk extra {` is
// vrrp_script chk (-t exit 0, chk tracked).
TEST(Words, WordsBeforeABlockAreReportedOrIgnoredAsKeepalivedDoes) {
    auto r = load(R"(vrrp_script chk extra {
    script /bin/true
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress extra {
        10.0.0.1/24
    }
    track_script {
        chk
    }
})");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(advises(r, 1, 17, "named chk"));
    EXPECT_TRUE(
        has(r, Severity::Warning, 7, 23, "Block virtual_ipaddress has extra parameters extra"));
    ASSERT_EQ(r.config.instances.size(), 1u);
    EXPECT_EQ(r.config.instances[0].vips.size(), 1u);
    EXPECT_EQ(r.config.instances[0].track_scripts.size(), 1u);
}

}  // namespace
}  // namespace xvrrp::config
