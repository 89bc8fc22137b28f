// keepalived.conf(5) ADVANCED CONFIGURATION: conditional lines, $PARAM substitution,
// multiline values and the pre-defined definitions. Expected results are keepalived 2.2.7's,
// measured with `keepalived -t` (unknown-keyword probes) and its -d dump in a namespace.
#include <gtest/gtest.h>

#include "config/lexer.hpp"
#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;

LoadResult loadAs(std::string_view text, const std::string& id, uint32_t seed = 1) {
    LoadOptions o = test::testOptions();
    o.config_id = id;
    o.random_seed = seed;
    o.dump = true;
    return loadConfigText(text, "t.conf", o);
}

std::vector<std::string> vips(const Instance& i) {
    std::vector<std::string> out;
    for (const auto& v : i.vips) out.push_back(v.prefix.str());
    return out;
}

std::vector<std::string> peers(const Instance& i) {
    std::vector<std::string> out;
    for (const auto& p : i.unicast_peers) out.push_back(p.addr.str());
    return out;
}

// keepalived.conf(5), "Conditional configuration and configuration id".
constexpr const char* kConditionalExample = R"(global_defs {
    @main   router_id main_router
    @backup router_id backup_router
}
vrrp_instance VRRP {
    interface eth0
    virtual_router_id 7
    @main    unicast_src_ip 1.2.3.4
    @backup  unicast_src_ip 1.2.3.5
    @backup2 unicast_src_ip 1.2.3.6
    unicast_peer {
        @^main    1.2.3.4
        @^backup  1.2.3.5
        @^backup2 1.2.3.6
    }
    virtual_ipaddress {
        10.0.0.1/24
    }
}
)";

TEST(Conditional, ManualExampleChoosesLinesByConfigId) {
    auto main = loadAs(kConditionalExample, "main");
    ASSERT_TRUE(main.ok()) << test::dump(main);
    EXPECT_EQ(main.config.global.router_id, "main_router");
    EXPECT_EQ(main.config.instances[0].src_ip->str(), "1.2.3.4");
    EXPECT_EQ(peers(main.config.instances[0]), (std::vector<std::string>{"1.2.3.5", "1.2.3.6"}));

    auto backup = loadAs(kConditionalExample, "backup");
    EXPECT_EQ(backup.config.global.router_id, "backup_router");
    EXPECT_EQ(peers(backup.config.instances[0]), (std::vector<std::string>{"1.2.3.4", "1.2.3.6"}));

    // "-i anything else: router_id will not be set"; every @^ line is kept.
    auto other = loadAs(kConditionalExample, "other");
    EXPECT_EQ(other.config.global.router_id, "");
    EXPECT_FALSE(other.config.instances[0].src_ip);
    EXPECT_EQ(peers(other.config.instances[0]).size(), 3u);
}

TEST(Conditional, SameInsideABlockAndAtTopLevelAndNothingAfterTheIdDropsTheLine) {
    // Before, `@high` said "unknown keyword" inside a block and "not supported" at the top.
    std::string text = std::string("@high $P=130\n@low $P=120\n@high\n@low   \n") +
                       "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n"
                       " @high priority 130\n @low priority 120\n @high\n"
                       " virtual_ipaddress {\n  10.0.0.1\n }\n}\n";
    for (auto [id, prio] : {std::pair{"high", 130}, std::pair{"low", 120}}) {
        auto r = loadAs(text, id);
        ASSERT_TRUE(r.ok()) << test::dump(r);
        EXPECT_EQ(r.diagnostics.size(), 0u) << test::dump(r);
        EXPECT_EQ(r.config.instances[0].priority, prio);
    }
    auto r = loadAs("@ x_a\n@^ x_b\n@^high x_c\n", "high");
    EXPECT_EQ(r.expanded, "x_b\n");  // measured: "@ word" never matches, "@^ word" always
}

TEST(Conditional, DefaultIdIsTheNodeNameUpToItsFirstDot) {
    // Measured under `unshare --uts` with hostname node1.example.com: @node1 matched.
    std::string id = defaultConfigId();
    EXPECT_FALSE(id.empty());
    EXPECT_EQ(id.find('.'), std::string::npos);
    LoadOptions o = test::testOptions();
    o.dump = true;
    auto r = loadConfigText("@" + id + " picked\n@^" + id + " not_picked\n", "t.conf", o);
    EXPECT_EQ(r.expanded, "picked\n");
}

TEST(Substitution, ReplacedAtUseNotAtDefinition) {
    // keepalived.conf(5), "Parameter substitution".
    auto r = loadAs(R"($ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}
$ADDRESS_BASE_SUB=0
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        ${ADDRESS_BASE}.100/32
        $ADDRESS_BASE_SUB=10
        ${ADDRESS_BASE}.100/32
    }
}
)", "x");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(vips(r.config.instances[0]), (std::vector<std::string>{"10.2.0.100/32", "10.2.10.100/32"}));
}

TEST(Substitution, WhereAReferenceEndsAndWhatIsNotADefinition) {
    // Each line's first word, as `keepalived -t` reported it ("Unknown keyword '...'").
    auto r = loadAs(R"($A=aa
p1_$A,b
p2_$A)b
p3_$A.b
p4_${A}.b
p5_$
$C =c
p6_$C
$9X=1
p7_$9X
p8_$UNDEF
$_HASH=hh
p9_${_HASH}
$E=
p10_${E}x
)", "x");
    // (The dump quotes a keyword that starts with '$' so that it never reads as a definition.)
    EXPECT_EQ(r.expanded, "p1_aa,b\np2_aa)b\np3_$A.b\np4_aa.b\np5_$\n\"$C\" =c\np6_$C\n\"$9X=1\"\np7_$9X\n"
                          "p8_$UNDEF\np9_hh\np10_x\n");
}

TEST(Substitution, NestedChainsNamesBuiltFromParametersAndRedefinitions) {
    // keepalived 2.2.7 -t named these keywords, in this order (KeepalivedCompare.NestedSubstitution).
    auto r = loadAs("$C=cc\n$B=b_${C}_b\n$A=a_${B}_a\np_1_${A}\np_2_$A\n$C=CC\np_3_${A}\n$N=1\n$V1=one\n"
                    "p_4_${V${N}}\np_5_$V$N\n$D=${E}\n$E=e1\np_6_${D}\n$E=e2\np_7_$D x\n$F=$G\n$G=gg\np_8_$F\n"
                    "$H=${_INSTANCE}_h\np_9_${H}\n$_INSTANCE=mine\np_10_${_INSTANCE}\np_11_${H}\n",
                    "node7");
    EXPECT_EQ(r.expanded, "p_1_a_b_cc_b_a\np_2_a_b_cc_b_a\np_3_a_b_CC_b_a\np_4_one\np_5_one\np_6_e1\np_7_e2 x\n"
                          "p_8_gg\np_9_node7_h\np_10_mine\np_11_mine_h\n");
}

TEST(Substitution, WorksWithConditionalsBothWays) {
    const char* text = R"(@main $PRIORITY=240
@backup $PRIORITY=200
$IF_MAIN=@main
vrrp_instance VI_0 {
    interface eth0
    virtual_router_id 1
    priority $PRIORITY
    $IF_MAIN advert_int 3
    virtual_ipaddress {
        10.0.0.1
    }
}
)";
    auto main = loadAs(text, "main");
    ASSERT_TRUE(main.ok()) << test::dump(main);
    EXPECT_EQ(main.config.instances[0].priority, 240);
    EXPECT_EQ(main.config.instances[0].advert_int_cs, 300u);
    auto backup = loadAs(text, "backup");
    EXPECT_EQ(backup.config.instances[0].priority, 200);
    EXPECT_EQ(backup.config.instances[0].advert_int_cs, 100u);
}

// keepalived.conf(5)'s multiline example, with an interface that exists in tests.
constexpr const char* kMultilineExample = R"($INSTANCE= \
vrrp_instance VI_${NUM} { \
    interface eth${NUM} \
    use_vmac vrrp${NUM}.1 \
    virtual_router_id 1 \
    @high priority 130 \
    @low priority 120 \
    advert_int 1 \
    virtual_ipaddress { \
        10.0.${NUM}.254/24 \
    } \
}

$NUM=0
$INSTANCE

$NUM=1
$INSTANCE
)";

TEST(Multiline, ManualExampleMakesOneInstancePerUse) {
    for (auto [id, prio] : {std::pair{"high", 130}, std::pair{"low", 120}, std::pair{"x", 100}}) {
        auto r = loadAs(kMultilineExample, id);
        ASSERT_TRUE(r.ok()) << test::dump(r);
        ASSERT_EQ(r.config.instances.size(), 2u);
        for (int n = 0; n < 2; ++n) {
            const auto& i = r.config.instances[n];
            EXPECT_EQ(i.name, "VI_" + std::to_string(n));
            EXPECT_EQ(i.interface, "eth" + std::to_string(n));
            EXPECT_EQ(i.vmac_name, "vrrp" + std::to_string(n) + ".1");
            EXPECT_EQ(i.priority, prio);
            EXPECT_EQ(vips(i), std::vector<std::string>{"10.0." + std::to_string(n) + ".254/24"});
        }
    }
}

TEST(Multiline, AnEmptyLineEndsTheValueAndOnlyALineEndingReferenceIsReplaced) {
    // Measured: the empty line ends $M, so p_m2 is a line of its own, read first.
    auto r = loadAs("$M= \\\n  p_m1 \\\n\n  p_m2\n$M\np_after\n", "x");
    EXPECT_EQ(r.expanded, "p_m2\np_m1\np_after\n");
    // Two lines: replaced only where the reference ends the line; elsewhere the braces of
    // ${M} are braces (keepalived: "Unexpected '{'").
    r = loadAs("$M=a \\\nb\nx_${M}_y\nx $M\n", "x");
    EXPECT_EQ(r.expanded, "x_$ {\n    M\n}\n_y\nx a\nb\n");
    // "$M= \" and one more line is an ordinary value (measured: replaced mid-line).
    r = loadAs("$M= \\\nv\nx_${M}_y\n", "x");
    EXPECT_EQ(r.expanded, "x_v_y\n");
}

TEST(Multiline, NestedValuesExpandInOrder) {
    auto r = loadAs("$IN= \\\ninner_${K} \\\ninner_end\n$OUT= \\\nouter_start \\\n$K=1 \\\n$IN \\\n"
                    "$K=2 \\\n$IN \\\nouter_end\n$OUT\n",
                    "x");
    EXPECT_EQ(r.expanded, "outer_start\ninner_1\ninner_end\ninner_2\ninner_end\nouter_end\n");
}

TEST(Predefined, InstanceRandomHashAndBang) {
    auto r = loadAs("i_${_INSTANCE}\nr_${_RANDOM 5 5}\nh_\"${_HASH}\"_${_BANG}_end\nh2_${_HASH}x\n", "node7");
    // A substituted # or ! outside double quotes starts a comment (measured); a '"' ends a word,
    // so h_"#"_ is the words h_, # and _ (keepalived 2.2.7's alloc_strvec_r).
    EXPECT_EQ(r.expanded, "i_node7\nr_5\nh_ \"#\" _\nh2_\n");
    for (int k = 0; k < 50; ++k) {
        auto v = loadAs("${_RANDOM 10 20}\n${_RANDOM}\n", "x", static_cast<uint32_t>(k));
        auto nl = v.expanded.find('\n');
        int a = std::stoi(v.expanded.substr(0, nl)), b = std::stoi(v.expanded.substr(nl + 1));
        EXPECT_GE(a, 10);
        EXPECT_LE(a, 20);
        EXPECT_GE(b, 0);
        EXPECT_LE(b, 32767);
    }
    // The same seed gives the same values (unit tests and -t/-d comparisons rely on it).
    EXPECT_EQ(loadAs("${_RANDOM}\n", "x", 9).expanded, loadAs("${_RANDOM}\n", "x", 9).expanded);
}

TEST(Predefined, RandomWithOddParameters) {
    // Measured with keepalived 2.2.7 -t (each reference ending its line): a word that is not
    // a number, a negative one and blanks inside the braces leave the reference as written
    // (keepalived: "Unknown keyword 'p_b_$'", "Unexpected '{'"); numbers past MAX are ignored
    // (${_RANDOM 1 2 3}: 1 or 2; ${_RANDOM 10 20 30}: 20).
    auto r = loadAs("p_b_${_RANDOM x}\np_c_${_RANDOM 1 1 3}\np_d_${_RANDOM -1 2}\np_g_${_RANDOM  6   6 }\n"
                    "p_e_${_RANDOM 20 20 30}\np_a_${_RANDOM 5 3}\n",
                    "x");
    EXPECT_EQ(r.expanded, "p_b_$ {\n    _RANDOM x\n}\np_c_1\np_d_$ {\n    _RANDOM -1 2\n}\np_g_$ {\n    _RANDOM 6 6\n}\n"
                          "p_e_20\np_a_5\n");
    EXPECT_TRUE(has(r, Severity::Warning, 2, 5, "${_RANDOM 1 1 3}: more than two numbers; the rest is ignored"));
    // MAX below MIN: keepalived gives numbers outside both (${_RANDOM 5 3}: 9, 1, 7;
    // ${_RANDOM 100 50}: 65, 12) or drops the line (${_RANDOM 5 4}); xvrrpd uses MIN and says
    // so (docs/keepalived-differences.md).
    EXPECT_TRUE(has(r, Severity::Warning, 6, 5, "${_RANDOM 5 3}: the maximum is below the minimum; the minimum is used"));
}

TEST(Diagnostics, ASubstitutedValueThatIsWrongPointsAtItsDefinitionAndNamesTheUse) {
    auto r = loadAs(R"($PRIO=abc
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    priority $PRIO
    virtual_ipaddress {
        10.0.0.1
    }
}
)", "x");
    EXPECT_FALSE(r.ok());
    bool found = false;
    for (const auto& d : r.diagnostics) {
        if (d.severity != Severity::Error) continue;
        found = true;
        EXPECT_EQ(d.where.line, 1);
        EXPECT_EQ(d.where.column, 7);
        EXPECT_NE(d.str().find("t.conf:1:7: error:"), std::string::npos) << d.str();
        EXPECT_NE(d.str().find("(from $PRIO at t.conf:5:14)"), std::string::npos) << d.str();
    }
    EXPECT_TRUE(found) << test::dump(r);
}

TEST(Diagnostics, AGeneratedValueIsPlacedAtItsReference) {
    auto r = loadAs("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n"
                    " virtual_ipaddress {\n  ~SEQ(N, 254, 256) 10.0.0.${N}\n }\n}\n",
                    "x");
    EXPECT_FALSE(r.ok());
    bool found = false;
    for (const auto& d : r.diagnostics)
        if (d.severity == Severity::Error && d.message.find("10.0.0.256") != std::string::npos) {
            found = true;
            EXPECT_EQ(d.where.line, 5);
            EXPECT_NE(d.str().find("from $N at t.conf:5:28"), std::string::npos) << d.str();
        }
    EXPECT_TRUE(found) << test::dump(r);
}

TEST(Dump, ExpandedStatementsReadBackTheSame) {
    auto r = loadAs(kMultilineExample, "high");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.expanded.starts_with("vrrp_instance VI_0 {\n    interface eth0\n    use_vmac vrrp0.1\n"
                                       "    virtual_router_id 1\n    priority 130\n"))
        << r.expanded;
    auto again = loadAs(r.expanded, "other");
    EXPECT_EQ(again.expanded, r.expanded);
    // Words that would split, start a comment, expand or look like a directive are quoted;
    // quotes resolve nothing, so the rest is written as read.
    auto q = loadAs("k \"a b\" \"#x\" \"\" \"$_HASH\" \"a\\tb\" 'q' \"{\" a\\b\n\"@x\" y\n\"include\" z\n", "x");
    EXPECT_EQ(q.expanded, "k \"a b\" \"#x\" \"\" \"$_HASH\" a\\tb 'q' \"{\" a\\b\n\"@x\" y\n\"include\" z\n");
    EXPECT_EQ(loadAs(q.expanded, "x").expanded, q.expanded);
    // After a quoted word ending in a backslash the comment cut sees an open quote, so '#' is
    // written plain; a lone backslash ending a line keeps a blank after it.
    auto b = loadAs("k \"a b\\\" #x\nm \\ \n", "x");
    EXPECT_EQ(b.expanded, "k \"a b\\\" #x\nm \\ \n");
    EXPECT_TRUE(b.expanded_exact);
    EXPECT_EQ(loadAs(b.expanded, "x").expanded, b.expanded);
}

}  // namespace
}  // namespace xvrrp::config
