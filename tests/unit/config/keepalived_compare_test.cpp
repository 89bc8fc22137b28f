// The same text through `keepalived -t` (2.2.7, installed by tools/test) and through our
// reader: every line of these cases expands to a distinct unknown keyword, which keepalived
// -t names ("Unknown keyword 'p_...'"), so the keywords in order are its expansion. Cases
// are keepalived.conf(5)'s examples written as such probes, and the edges measured.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "test_util.hpp"

namespace xvrrp::config {
namespace {

namespace fs = std::filesystem;

class KeepalivedCompare : public ::testing::Test {
protected:
    void SetUp() override {
        if (::system("keepalived --version >/dev/null 2>&1") != 0)
            GTEST_SKIP() << "keepalived not installed (tools/test installs it)";
        dir_ = fs::temp_directory_path() / ("xvrrp-kacmp-" + std::to_string(getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_ / "sub");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }

    // keepalived -t parses more than once; the first time each keyword is named is the order.
    std::vector<std::string> keepalived(const std::string& id) {
        std::string cmd = "cd '" + dir_.string() + "' && keepalived -t -i " + id + " -f main.conf 2>&1";
        FILE* p = ::popen(cmd.c_str(), "r");
        std::string out;
        char buf[4096];
        while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        ::pclose(p);
        std::vector<std::string> words;
        std::set<std::string> seen;
        std::regex unknown(R"(Unknown keyword '(p_[^']*)')");
        for (std::sregex_iterator it(out.begin(), out.end(), unknown), end; it != end; ++it)
            if (seen.insert((*it)[1]).second) words.push_back((*it)[1]);
        return words;
    }
    std::vector<std::string> ours(const std::string& id) {
        LoadOptions o = test::testOptions();
        o.config_id = id;
        o.dump = true;
        auto r = loadConfigFile((dir_ / "main.conf").string(), o);
        std::vector<std::string> words;
        std::set<std::string> seen;
        std::istringstream lines(r.expanded);
        for (std::string line; std::getline(lines, line);) {
            std::string w = line.substr(0, line.find(' '));
            if (w.starts_with("p_") && seen.insert(w).second) words.push_back(w);
        }
        return words;
    }
    void same(const std::string& text, std::initializer_list<const char*> ids = {"main"}) {
        write("main.conf", text);
        for (const char* id : ids) {
            auto want = keepalived(id);
            EXPECT_FALSE(want.empty()) << text;
            EXPECT_EQ(ours(id), want) << "config id " << id << "\n" << text;
        }
    }
    fs::path dir_;
};

TEST_F(KeepalivedCompare, ConditionalConfiguration) {
    same("@main p_router_main\n@backup p_router_backup\n@^main p_peer_not_main\n@^backup p_peer_not_backup\n"
         "@main\n@ p_never\n@^ p_always\n@main $PRIORITY=240\n@backup $PRIORITY=200\np_prio_$PRIORITY\n"
         "$IF_MAIN=@main\n$IF_MAIN p_if_main\n",
         {"main", "backup", "other"});
}

TEST_F(KeepalivedCompare, ParameterSubstitution) {
    same("$ADDRESS_BASE=p_10.2.${ADDRESS_BASE_SUB}\n$ADDRESS_BASE_SUB=0\n${ADDRESS_BASE}.100/32\n"
         "$ADDRESS_BASE_SUB=10\n${ADDRESS_BASE}.100/32\n$A=aa\np_1_$A,b\np_2_$A)b\np_3_$A.b\np_4_${A}.b\n"
         "p_5_${A }\np_6_$\n$C =c\np_7_$C\np_8_$UNDEF\n$_HASH=hh\np_9_${_HASH}\n$E=\np_10_${E}x\n"
         "p_11_${_INSTANCE}\np_12_${_RANDOM 4 4}\n");
}

TEST_F(KeepalivedCompare, MultilineDefinitions) {
    same("$INSTANCE= \\\np_inst_${NUM} \\\n@high p_high_${NUM} \\\n@low p_low_${NUM} \\\np_end_${NUM}\n\n"
         "$NUM=0\n$INSTANCE\n\n$NUM=1\n$INSTANCE\n"
         "$M= \\\n  p_m1 \\\n\n  p_m2\n$M\n$S= \\\np_single\np_x_${S}_y\n"
         "$IN= \\\np_inner_${K} \\\np_inner_end_${K}\n$OUT= \\\np_outer \\\n$K=1 \\\n$IN \\\n$K=2 \\\n$IN\n$OUT\n",
         {"high", "low"});
}

TEST_F(KeepalivedCompare, SequenceAndListBlocks) {
    same("~SEQ(SUBNET, 0, 3) p_10.0.${SUBNET}.1\n~SEQx(S2, 0x90, 0x10, 0xc0) p_fe80::20:${S2}:1\n"
         "~SEQx(AD2, 0x90, 0x10, 0xc0) ~SEQx(AD1, 0x12, -1, 0x0c) p_fe81::10:${AD2}:${AD1}\n"
         "~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) p_192.168.${IP}.${IP1}\n"
         "~LST(L1, 1, 2, 3, 4) ~LST(L2, 5,6,7) p_192.169.${L1}.${L2}\n"
         "~LST({X,        X1},         {10,1},{20,4})         ~SEQ(X2,168,2,172) p_192.${X2}.${X}.${X1}\n"
         "~SEQ(A, 3) p_a_${A}\n~SEQ(B, -2) p_b_${B}\n~SEQ(C, 3, 1) p_c_${C}\n$N=3\n~SEQ(D, 1, $N) p_d_${D}\n"
         "p_after_${D}\n~LST({V, W}, {a}, {b, c}) p_v_${V}_${W}\n~SEQ(Q, 0, 0, 3) p_bad\n");
}

TEST_F(KeepalivedCompare, NestedSubstitution) {
    same("$C=cc\n$B=b_${C}_b\n$A=a_${B}_a\np_1_${A}\np_2_$A\n$C=CC\np_3_${A}\n$N=1\n$V1=one\np_4_${V${N}}\n"
         "p_5_$V$N\n$D=${E}\n$E=e1\np_6_${D}\n$E=e2\np_7_$D x\n$F=$G\n$G=gg\np_8_$F\n$H=${_INSTANCE}_h\n"
         "p_9_${H}\n$_INSTANCE=mine\np_10_${_INSTANCE}\np_11_${H}\n$SP=a b\np_12_${SP}_c\n",
         {"node7"});
}

TEST_F(KeepalivedCompare, SequencesAndMultilineValuesInsideEachOther) {
    same("~SEQ(A, 1, 3) ~SEQ(B, 1, $A) p_1_${A}_${B}\n$M= \\\n~SEQ(C, 1, 2) p_2_${C} \\\np_2_end\n$M\n"
         "@node7 $CM= \\\np_4_${_INSTANCE} \\\np_4_b\n@other $CM= \\\np_4_other x \\\np_4_other_b\n$CM\n"
         "~SEQ(D, 3) $T=p_5_${D}\np_5_last_$T\n~SEQx(F, 0x10, 0x0a) p_7_${F}\n"
         "~LST({G, H}, {1, 2}, {3}) ~SEQ(I, 1, $G) p_8_${G}_${H}_${I}\n"
         "$N= \\\n~LST(J, a, b) p_9_${J}_${K} \\\np_9_n_${K}\n~SEQ(K, 1, 2) $N\n"
         "~SEQ(L, 1, 2) $U${L}=p_10_${L}\np_10_$U1\np_10_$U2\n$W=$X\n~LST(X, 1) p_11_$W\n",
         {"node7"});
}

TEST_F(KeepalivedCompare, IncludesAfterExpansion) {
    write("sub/x.conf", "p_in_sub\n");
    write("z.conf", "p_z\n");
    write("y z.conf", "p_yz\n");
    same("$D=sub\ninclude ${D}/x.conf\n@main include z.conf\n@other include sub/x.conf\n"
         "include y z.conf\n~LST(F, z) include ${F}.conf\np_end\n",
         {"main", "other"});
}

// How a line is split into words (words.hpp): a '"' ends a word, a quoted word ends at its
// closing quote, backslashes are plain, an unmatched '"' ends the line, a comment cut after a
// quote; the keywords are the first words.
TEST_F(KeepalivedCompare, WordsOfALine) {
    same("p_a\"b c\"d\n\"p_b\"c\np_c\\tb\np_d\\\"x\np_e\"#x\"\n\"p_f\\\" \"#x\"\n\"p_g\"#x\n"
         "\"p_i\\x41\" y\n");
}

}  // namespace
}  // namespace xvrrp::config
