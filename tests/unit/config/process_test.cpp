// global_defs scheduling keywords of the VRRP process: values, and keepalived 2.2.7's
// messages for bad ones (measured with keepalived -t), as warnings since keepalived runs
// with the value clamped or the line ignored.
#include "test_util.hpp"

namespace xvrrp::config {
namespace {

using test::has;
using test::load;

LoadResult global(const std::string& lines) {
    return load("global_defs {\n" + lines + "}\n" + test::kInstance);
}

TEST(ProcessKeywords, UnsetByDefault) {
    auto r = global("  router_id a\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_EQ(r.config.global.vrrp_process, ProcessTuning{});
}

TEST(ProcessKeywords, EveryKeywordTyped) {
    auto r = global(
        "  vrrp_rt_priority 50\n  vrrp_rlimit_rttime 20000\n  vrrp_no_swap\n"
        "  vrrp_cpu_affinity 1 3\n  vrrp_priority -5\n");
    ASSERT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(r.diagnostics.empty()) << test::dump(r);
    const auto& p = r.config.global.vrrp_process;
    EXPECT_EQ(p.rt_priority, 50);
    EXPECT_EQ(p.rlimit_rttime_us, 20000u);
    EXPECT_TRUE(p.no_swap);
    EXPECT_EQ(p.cpu_affinity, (std::vector<int>{1, 3}));
    EXPECT_EQ(p.nice, -5);
    EXPECT_TRUE(r.config.global.other.empty()) << "acted on, so no longer kept aside";
}

TEST(ProcessKeywords, RangeEndsAccepted) {
    auto r = global("  vrrp_rt_priority 1\n  vrrp_rlimit_rttime 1\n  vrrp_priority 19\n"
                    "  vrrp_cpu_affinity 0\n");
    ASSERT_TRUE(r.diagnostics.empty()) << test::dump(r);
    EXPECT_EQ(r.config.global.vrrp_process.rt_priority, 1);
    EXPECT_EQ(r.config.global.vrrp_process.rlimit_rttime_us, 1u);  // keepalived takes 1 too
    EXPECT_EQ(r.config.global.vrrp_process.nice, 19);
    r = global("  vrrp_rt_priority +99\n  vrrp_rlimit_rttime 4294967295\n  vrrp_priority -20\n");
    ASSERT_TRUE(r.diagnostics.empty()) << test::dump(r);
    EXPECT_EQ(r.config.global.vrrp_process.rt_priority, 99);
    EXPECT_EQ(r.config.global.vrrp_process.rlimit_rttime_us, 4294967295u);
    EXPECT_EQ(r.config.global.vrrp_process.nice, -20);
}

// keepalived clamps the real-time priority and says so.
TEST(ProcessKeywords, RtPriorityClampedWithKeepalivedsMessage) {
    auto r = global("  vrrp_rt_priority 0\n");
    EXPECT_TRUE(r.ok()) << test::dump(r);
    EXPECT_TRUE(has(r, Severity::Warning, 2, 20,
                    "vrrp process real-time priority 0 less than minimum 1 - setting to minimum"));
    EXPECT_EQ(r.config.global.vrrp_process.rt_priority, 1);
    r = global("  vrrp_rt_priority 100\n");
    EXPECT_TRUE(has(r, Severity::Warning, 2, 20,
                    "vrrp process real-time priority 100 greater than maximum 99 - setting to maximum"));
    EXPECT_EQ(r.config.global.vrrp_process.rt_priority, 99);
    r = global("  vrrp_rt_priority -3\n");
    EXPECT_EQ(r.config.global.vrrp_process.rt_priority, 1);
}

TEST(ProcessKeywords, RtPriorityNotANumberIgnored) {
    for (const char* bad : {"abc", "1.5", "5x"}) {
        auto r = global(std::string("  vrrp_rt_priority ") + bad + "\n");
        EXPECT_TRUE(r.ok());
        EXPECT_TRUE(has(r, Severity::Warning, 2, 20,
                        std::string("vrrp process real-time priority '") + bad + "' invalid"));
        EXPECT_FALSE(r.config.global.vrrp_process.rt_priority.has_value());
    }
    auto r = global("  vrrp_rt_priority\n");
    EXPECT_TRUE(has(r, Severity::Warning, 2, 3, "No vrrp process real-time priority specified"));
    EXPECT_FALSE(r.config.global.vrrp_process.rt_priority.has_value());
}

TEST(ProcessKeywords, RlimitRttimeOutOfRangeIgnored) {
    for (const char* bad : {"0", "-5", "1.5", "99999999999", "x"}) {
        auto r = global(std::string("  vrrp_rlimit_rttime ") + bad + "\n");
        EXPECT_TRUE(r.ok());
        EXPECT_TRUE(has(r, Severity::Warning, 2, 22,
                        std::string("Invalid vrrp real-time limit - ") + bad));
        EXPECT_FALSE(r.config.global.vrrp_process.rlimit_rttime_us.has_value()) << bad;
    }
}

TEST(ProcessKeywords, NiceOutOfRangeIgnored) {
    for (const char* bad : {"-21", "20", "x", "-"}) {
        auto r = global(std::string("  vrrp_priority ") + bad + "\n");
        EXPECT_TRUE(r.ok());
        EXPECT_TRUE(has(r, Severity::Warning, 2, 17, "Invalid vrrp process priority specified"));
        EXPECT_FALSE(r.config.global.vrrp_process.nice.has_value()) << bad;
    }
}

// One bad id drops the whole list, as keepalived does (it ran on every CPU with "1 7").
TEST(ProcessKeywords, CpuAffinityBadIdDropsTheList) {
    auto r = global("  vrrp_cpu_affinity 1 7\n");
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(has(r, Severity::Warning, 2, 23, "Invalid cpu_id:7 specified for vrrp process"));
    EXPECT_TRUE(has(r, Severity::Warning, 2, 23, "cpu_id 0..3"));
    EXPECT_TRUE(r.config.global.vrrp_process.cpu_affinity.empty());
    for (const char* bad : {"a", "-1", "1,0", "0-1", "4"}) {
        r = global(std::string("  vrrp_cpu_affinity 0 ") + bad + "\n");
        EXPECT_TRUE(has(r, Severity::Warning, 2, 23, std::string("Invalid cpu_id:") + bad));
        EXPECT_TRUE(r.config.global.vrrp_process.cpu_affinity.empty()) << bad;
    }
    r = global("  vrrp_cpu_affinity\n");
    EXPECT_TRUE(has(r, Severity::Warning, 2, 3, "No vrrp cpu_id set specified"));
}

// keepalived 2.2.7 -t passes all three (exit 0, measured): advice, not a warning it reports.
TEST(ProcessKeywords, ExtraWordsIgnoredWithAdvice) {
    auto r = global("  vrrp_rt_priority 50 60\n  vrrp_priority 5 6\n  vrrp_no_swap no\n");
    EXPECT_TRUE(r.ok());
    for (const auto& d : r.diagnostics) EXPECT_TRUE(d.advice) << d.str();
    EXPECT_TRUE(has(r, Severity::Warning, 2, 23, "words after '50' ignored"));
    EXPECT_TRUE(has(r, Severity::Warning, 3, 19, "words after '5' ignored"));
    EXPECT_TRUE(has(r, Severity::Warning, 4, 16, "vrrp_no_swap takes no value; 'no' ignored"));
    const auto& p = r.config.global.vrrp_process;
    EXPECT_EQ(p.rt_priority, 50);
    EXPECT_EQ(p.nice, 5);
    EXPECT_TRUE(p.no_swap);  // keepalived locks memory whatever follows the keyword
}

TEST(ProcessKeywords, LastLineWins) {
    auto r = global("  vrrp_rt_priority 10\n  vrrp_rt_priority 20\n  vrrp_cpu_affinity 0\n"
                    "  vrrp_cpu_affinity 2 3\n");
    ASSERT_TRUE(r.diagnostics.empty()) << test::dump(r);
    EXPECT_EQ(r.config.global.vrrp_process.rt_priority, 20);
    EXPECT_EQ(r.config.global.vrrp_process.cpu_affinity, (std::vector<int>{2, 3}));
}

// The other daemons' keywords stay parsed and kept: xvrrp has no checker or BFD process.
TEST(ProcessKeywords, CheckerAndBfdKeywordsKept) {
    auto r = global("  checker_rt_priority 5\n  bfd_no_swap\n");
    ASSERT_EQ(r.diagnostics.size(), 2u) << test::dump(r);
    EXPECT_EQ(test::count(r, Severity::Notice), 2u) << test::dump(r);  // not VRRP-side: notices
    ASSERT_EQ(r.config.global.other.size(), 2u);
    EXPECT_EQ(r.config.global.vrrp_process, ProcessTuning{});
}

}  // namespace
}  // namespace xvrrp::config
