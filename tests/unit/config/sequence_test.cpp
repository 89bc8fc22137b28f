// keepalived.conf(5) "Sequence blocks" and "List blocks": the manual's examples and the
// forms and errors measured with `keepalived -t` 2.2.7.
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

std::string lines(std::initializer_list<const char*> l) {
    std::string s;
    for (auto* x : l) s += std::string(x) + "\n";
    return s;
}

TEST(Seq, ManualExamples) {
    EXPECT_EQ(expand("~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n").expanded,
              lines({"ip_address 10.0.0.1", "ip_address 10.0.1.1", "ip_address 10.0.2.1", "ip_address 10.0.3.1"}));
    const std::string hex = lines({"ip_address fe80::20:90:1", "ip_address fe80::20:a0:1",
                                   "ip_address fe80::20:b0:1", "ip_address fe80::20:c0:1"});
    EXPECT_EQ(expand("~SEQx(SUBNET, 144, 16, 192) ip_address fe80::20:${SUBNET}:1\n").expanded, hex);
    EXPECT_EQ(expand("~SEQx(SUBNET, 0x90, 0x10, 0xc0) ip_address fe80::20:${SUBNET}:1\n").expanded, hex);
    auto nested = expand("~SEQx(AD2, 0x90, 0x10, 0xc0) ~SEQx(AD1, 0x12, -1, 0x0c) fe81::10:${AD2}:${AD1}\n");
    std::string want;
    for (const char* a2 : {"90", "a0", "b0", "c0"})
        for (const char* a1 : {"12", "11", "10", "f", "e", "d", "c"})
            want += std::string("fe81::10:") + a2 + ":" + a1 + "\n";
    EXPECT_EQ(nested.expanded, want);
}

TEST(Seq, ManualExampleWithAMultilineValueRepeatsTheWholeValue) {
    // The manual's $VI4 with smaller ranges (its full one makes 65024 instances).
    auto r = expand(R"($VI4= \
track_file offset_instance_4.${IF}.${NUM}.${ID} { \
    file "${_PWD}/679/track_files/4.${IF}.${NUM}.${ID}" \
    weight -100 \
} \
vrrp_instance vrrp4.${IF}.${NUM}.${ID} { \
    interface bond${IF}.${NUM} \
    use_vmac vrrp4.${IF}.${NUM}.${ID} \
    virtual_router_id ${ID} \
    priority 130 \
    virtual_ipaddress { \
        10.${IF}.${NUM}.${ID}/24 \
    } \
    track_file { \
        offset_instance_4.${IF}.${NUM}.${ID} \
    } \
}

~SEQ(IF,0,1) ~SEQ(NUM,0,2) ~SEQ(ID,1,3) $VI4
)");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    ASSERT_EQ(r.config.instances.size(), 18u);
    EXPECT_EQ(r.config.instances.front().name, "vrrp4.0.0.1");
    EXPECT_EQ(r.config.instances[1].name, "vrrp4.0.0.2");
    EXPECT_EQ(r.config.instances.back().name, "vrrp4.1.2.3");
    EXPECT_EQ(r.config.instances.back().interface, "bond1.2");
    EXPECT_EQ(r.config.track_files.size(), 18u);
}

TEST(Seq, ShortFormsParametersAndTheVariableAfterwards) {
    EXPECT_EQ(expand("~SEQ(S, 3) p_${S}\n").expanded, lines({"p_1", "p_2", "p_3"}));
    EXPECT_EQ(expand("~SEQ(S, -2) p_${S}\n").expanded, lines({"p_-1", "p_-2"}));
    EXPECT_EQ(expand("~SEQ(S, 3, 1) p_${S}\n").expanded, lines({"p_3", "p_2", "p_1"}));
    EXPECT_EQ(expand("~SEQ (S,1,2)p_${S}\n").expanded, lines({"p_1", "p_2"}));
    EXPECT_EQ(expand("$N=3\n~SEQ(S, 1, $N) p_${S}\n").expanded, lines({"p_1", "p_2", "p_3"}));
    // The variable keeps its last value; an inner block of the same name wins.
    EXPECT_EQ(expand("~SEQ(S, 0, 1) p_${S}\nr_${S}\n").expanded, lines({"p_0", "p_1", "r_1"}));
    EXPECT_EQ(expand("~SEQ(S, 1, 2) ~SEQ(S, 5, 6) p_${S}\n").expanded, lines({"p_5", "p_6", "p_5", "p_6"}));
}

TEST(Seq, BlocksAndMultilineValuesInsideEachOther) {
    // keepalived 2.2.7 -t named these keywords, in this order
    // (KeepalivedCompare.SequencesAndMultilineValuesInsideEachOther): an inner range may use
    // the outer variable, a value may hold a block and a block may repeat a value, a block
    // may make definitions (also of names it builds), and a conditional may hold a multiline
    // definition (the lines of the one not chosen are read as lines of their own; keepalived
    // joins a trailing '\' to the word before it: 'p_4_other\' without the x).
    LoadOptions o = test::testOptions();
    o.config_id = "node7";
    o.dump = true;
    auto r = loadConfigText("~SEQ(A, 1, 3) ~SEQ(B, 1, $A) p_1_${A}_${B}\n$M= \\\n~SEQ(C, 1, 2) p_2_${C} \\\np_2_end\n"
                            "$M\n@node7 $CM= \\\np_4_${_INSTANCE} \\\np_4_b\n@other $CM= \\\np_4_other x \\\n"
                            "p_4_other_b\n$CM\n~SEQ(D, 3) $T=p_5_${D}\np_5_last_$T\n"
                            "~LST({G, H}, {1, 2}, {3}) ~SEQ(I, 1, $G) p_8_${G}_${H}_${I}\n"
                            "$N= \\\n~LST(J, a, b) p_9_${J}_${K} \\\np_9_n_${K}\n~SEQ(K, 1, 2) $N\n"
                            "~SEQ(L, 1, 2) $U${L}=p_10_${L}\np_10_$U1\np_10_$U2\n$W=$X\n~LST(X, 1) p_11_$W\n",
                            "t.conf", o);
    EXPECT_EQ(r.expanded, lines({"p_1_1_1", "p_1_2_1", "p_1_2_2", "p_1_3_1", "p_1_3_2", "p_1_3_3", "p_2_1", "p_2_2",
                                 "p_2_end", "p_4_other x\\", "p_4_other_b", "p_4_node7", "p_4_b",
                                 "p_5_last_p_5_3", "p_8_1_2_1", "p_8_3__1", "p_8_3__2", "p_8_3__3", "p_9_a_1",
                                 "p_9_b_1", "p_9_n_1", "p_9_a_2", "p_9_b_2", "p_9_n_2", "p_10_p_10_1", "p_10_p_10_2",
                                 "p_11_1"}));
}

TEST(Seq, InvalidOnesAreErrorsAtTheBlock) {
    for (const char* bad : {"~SEQ(S, 0, 0, 3) p", "~SEQ(S, 3, 1, 0) p", "~SEQx(S, -1, 1) p", "~SEQ(S) p",
                            "~SEQ(S, a, 3) p", "~SEQ S, 1, 2 p", "~SEQ(S, 1, 2 p", "~SEQ(, 1, 2) p",
                            "$M=a \\\nb\n~SEQ(S, 1, $M) p"}) {
        auto r = expand(std::string("\n") + bad + "\n");
        EXPECT_FALSE(r.ok()) << bad;
        bool at = false;
        for (const auto& d : r.diagnostics)
            at |= d.severity == Severity::Error && d.message.starts_with("invalid ~SEQ") && d.where.column == 1;
        EXPECT_TRUE(at) << bad << "\n" << test::dump(r);
        EXPECT_EQ(r.expanded.find("p"), std::string::npos) << bad;
    }
}

TEST(Seq, EndNearTheLargestNumberEnds) {
    // keepalived 2.2.7 loops forever here (measured: killed after 5 s).
    auto start = std::chrono::steady_clock::now();
    auto r = expand("~SEQ(S, 9223372036854775806, 9223372036854775807) p_${S}\n");
    EXPECT_EQ(r.expanded, lines({"p_9223372036854775806", "p_9223372036854775807"}));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Lst, ManualExamples) {
    EXPECT_EQ(expand("~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) 192.168.${IP}.${IP1}\n").expanded,
              lines({"192.168.10.1", "192.168.20.4", "192.168.5.6", "192.168.12.8"}));
    std::string want;
    for (int ip : {1, 2, 3, 4})
        for (int ip1 : {5, 6, 7}) want += "192.169." + std::to_string(ip) + "." + std::to_string(ip1) + "\n";
    EXPECT_EQ(expand("~LST(IP, 1, 2, 3, 4) ~LST(IP1, 5,6,7) 192.169.${IP}.${IP1}\n").expanded, want);
    want.clear();
    for (auto [ip, ip1] : {std::pair{10, 1}, {20, 4}, {5, 6}, {12, 8}})
        for (int ip2 : {168, 170, 172})
            want += "192." + std::to_string(ip2) + "." + std::to_string(ip) + "." + std::to_string(ip1) + "\n";
    EXPECT_EQ(expand("~LST({IP,        IP1},         {10,1},{20,4},{5,6},{12,8})         "
                     "~SEQ(IP2,168,2,172) 192.${IP2}.${IP}.${IP1}\n")
                  .expanded,
              want);
}

TEST(Lst, MissingValuesAreEmptyAndBadOnesAreErrors) {
    EXPECT_EQ(expand("~LST({V, W}, {a}, {b, c}) p_${V}_${W}\n").expanded, lines({"p_a_", "p_b_c"}));
    for (const char* bad : {"~LST({V}, {a, b}) p", "~LST(V) p", "~LST(V, a b, c) p", "~LST V, a p"}) {
        auto r = expand(std::string(bad) + "\n");
        EXPECT_FALSE(r.ok()) << bad;
        EXPECT_TRUE(test::has(r, Severity::Error, 1, 1, "invalid ~LST")) << bad;
    }
}

TEST(Lst, UsedInsideABlockForVips) {
    auto r = expand("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n"
                    "  ~LST(H, 1, 2) 10.0.0.${H}/24\n }\n}\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    ASSERT_EQ(r.config.instances[0].vips.size(), 2u);
    EXPECT_EQ(r.config.instances[0].vips[1].prefix.str(), "10.0.0.2/24");
}

}  // namespace
}  // namespace xvrrp::config
