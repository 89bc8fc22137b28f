// vrrp_script rise/fall counting (keepalived vrrp_script_child_thread) and scheduling on a
// fake clock.
#include <gtest/gtest.h>

#include "track/script_check.hpp"

using namespace xvrrp::track;
using namespace std::chrono_literals;

TEST(ScriptCheck, FirstResultDecidesAtOnce) {
    auto c = ScriptCheck::start(3, 3, false);
    EXPECT_EQ(c.state(), TrackState::Init);
    EXPECT_TRUE(c.onResult(true));
    EXPECT_EQ(c.state(), TrackState::Up);

    auto d = ScriptCheck::start(3, 3, false);
    EXPECT_TRUE(d.onResult(false));
    EXPECT_EQ(d.state(), TrackState::Down);
}

TEST(ScriptCheck, FallConsecutiveFailuresToGoDown) {
    auto c = ScriptCheck::start(2, 3, false);
    c.onResult(true);
    EXPECT_FALSE(c.onResult(false));
    EXPECT_FALSE(c.onResult(false));
    EXPECT_EQ(c.state(), TrackState::Up);
    EXPECT_TRUE(c.onResult(false));
    EXPECT_EQ(c.state(), TrackState::Down);
}

TEST(ScriptCheck, RiseConsecutiveSuccessesToGoUp) {
    auto c = ScriptCheck::start(2, 3, false);
    c.onResult(false);
    EXPECT_FALSE(c.onResult(true));
    EXPECT_EQ(c.state(), TrackState::Down);
    EXPECT_TRUE(c.onResult(true));
    EXPECT_EQ(c.state(), TrackState::Up);
}

TEST(ScriptCheck, ASuccessRestoresFullFallCredit) {
    // keepalived jumps to the top on success: failures must be consecutive.
    auto c = ScriptCheck::start(1, 3, false);
    c.onResult(true);
    c.onResult(false);
    c.onResult(false);
    c.onResult(true);
    EXPECT_FALSE(c.onResult(false));
    EXPECT_FALSE(c.onResult(false));
    EXPECT_EQ(c.state(), TrackState::Up);
    EXPECT_TRUE(c.onResult(false));
}

TEST(ScriptCheck, AFailureResetsRiseProgress) {
    auto c = ScriptCheck::start(3, 1, false);
    c.onResult(false);
    c.onResult(true);
    c.onResult(true);
    c.onResult(false);  // back to 0
    c.onResult(true);
    c.onResult(true);
    EXPECT_EQ(c.state(), TrackState::Down);
    EXPECT_TRUE(c.onResult(true));
}

// keepalived 2.2.7 (differential track_script_init_fail*): the first failure of an
// init_fail script is news ("VRRP_Script(chk) failed", its weight applies from then on);
// until then, or until `rise` successes, it is unproven and adds no weight.
TEST(ScriptCheck, InitFailStartsDownAndNeedsRise) {
    auto c = ScriptCheck::start(2, 2, true);
    EXPECT_EQ(c.state(), TrackState::Down);
    EXPECT_TRUE(c.unproven());
    EXPECT_TRUE(c.onResult(false));  // proven failed
    EXPECT_FALSE(c.unproven());
    EXPECT_FALSE(c.onResult(false));
    EXPECT_FALSE(c.onResult(true));
    EXPECT_EQ(c.state(), TrackState::Down);
    EXPECT_TRUE(c.onResult(true));
    EXPECT_EQ(c.state(), TrackState::Up);
}

TEST(ScriptCheck, InitFailStaysUnprovenUntilRiseSuccesses) {
    auto c = ScriptCheck::start(2, 2, true);
    EXPECT_FALSE(c.onResult(true));
    EXPECT_TRUE(c.unproven());
    EXPECT_EQ(c.state(), TrackState::Down);
    EXPECT_TRUE(c.onResult(true));
    EXPECT_FALSE(c.unproven());
    EXPECT_EQ(c.state(), TrackState::Up);
    EXPECT_FALSE(ScriptCheck::start(2, 2, false).unproven());
}

TEST(ScriptCheck, SeedRise1Fall2) {
    // s000/s001 checks: rise 1, fall 2.
    auto c = ScriptCheck::start(1, 2, false);
    c.onResult(true);
    EXPECT_FALSE(c.onResult(false));
    EXPECT_TRUE(c.onResult(false));
    EXPECT_TRUE(c.onResult(true));
}

namespace {
xvrrp::config::Script scriptCfg(const char* name, uint32_t interval, std::optional<uint32_t> timeout = {}) {
    xvrrp::config::Script s;
    s.name = name;
    s.script = "/bin/true";
    s.interval_s = interval;
    s.timeout_s = timeout;
    return s;
}
}  // namespace

TEST(ScriptSchedule, RunsAtStartThenEveryIntervalFromStart) {
    ScriptSchedule sch;
    Clock::time_point t0{};
    sch.add(scriptCfg("a", 2), t0);
    EXPECT_EQ(sch.due(t0), std::vector<std::string>{"a"});
    EXPECT_EQ(sch.nextDeadline(), t0 + 2s);
    EXPECT_TRUE(sch.due(t0 + 1s).empty());
    sch.finished("a", true);
    EXPECT_EQ(sch.due(t0 + 2s), std::vector<std::string>{"a"});
    EXPECT_EQ(sch.find("a")->timeout, 2s);  // timeout defaults to the interval
}

TEST(ScriptSchedule, SkipsARunWhileStillRunning) {
    ScriptSchedule sch;
    Clock::time_point t0{};
    sch.add(scriptCfg("a", 1, 5), t0);
    sch.due(t0);
    EXPECT_TRUE(sch.due(t0 + 1s).empty());
    EXPECT_EQ(sch.find("a")->skipped, 1u);
    EXPECT_EQ(sch.find("a")->timeout, 5s);
    EXPECT_TRUE(sch.finished("a", false));
    EXPECT_EQ(sch.find("a")->check.state(), TrackState::Down);
    EXPECT_EQ(sch.due(t0 + 2s), std::vector<std::string>{"a"});
}

TEST(ScriptSchedule, NoBacklogAfterAStall) {
    ScriptSchedule sch;
    Clock::time_point t0{};
    sch.add(scriptCfg("a", 1), t0);
    sch.due(t0);
    sch.finished("a", true);
    EXPECT_EQ(sch.due(t0 + 10500ms).size(), 1u);
    EXPECT_EQ(sch.nextDeadline(), t0 + 11s);
}
