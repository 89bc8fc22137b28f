// Effective priority rules (keepalived vrrp_track.c / track_file.c) and command parsing.
#include <gtest/gtest.h>

#include <vector>

#include "track/command.hpp"
#include "track/track_file.hpp"
#include "track/tracker.hpp"

using namespace xvrrp::track;

namespace {

TrackerInput script(const char* name, int w, TrackState s, bool reverse = false) {
    return {TrackerKind::Script, name, w, reverse, s, 0};
}
TrackerInput iface(const char* name, int w, bool up, bool reverse = false) {
    return {TrackerKind::Interface, name, w, reverse, up ? TrackState::Up : TrackState::Down, 0};
}
TrackerInput file(const char* name, int w, int64_t v, bool reverse = false) {
    return {TrackerKind::File, name, w, reverse, TrackState::Init, v};
}

}  // namespace

TEST(EffectivePriority, NegativeWeightSubtractsWhenFailed) {
    std::vector<TrackerInput> t{script("chk", -20, TrackState::Down)};
    auto r = effectivePriority(100, t);
    EXPECT_EQ(r.priority, 80);
    EXPECT_FALSE(r.fault);
    t[0].state = TrackState::Up;
    EXPECT_EQ(effectivePriority(100, t).priority, 100);
}

TEST(EffectivePriority, PositiveWeightAddsWhenOk) {
    std::vector<TrackerInput> t{script("chk", 10, TrackState::Up), iface("eth1", 5, true)};
    auto r = effectivePriority(100, t);
    EXPECT_EQ(r.priority, 115);
    ASSERT_EQ(r.breakdown.size(), 2u);
    EXPECT_EQ(r.breakdown[0].delta, 10);
    EXPECT_EQ(r.breakdown[1].delta, 5);
    t[0].state = TrackState::Down;
    EXPECT_EQ(effectivePriority(100, t).priority, 105);
}

TEST(EffectivePriority, ReverseFlipsTheDirection) {
    // weight 10 reverse: subtracts 10 while up.
    std::vector<TrackerInput> t{script("chk", 10, TrackState::Up, true)};
    EXPECT_EQ(effectivePriority(100, t).priority, 90);
    t[0].state = TrackState::Down;
    EXPECT_EQ(effectivePriority(100, t).priority, 100);
    // weight -10 reverse: adds 10 while down.
    t[0] = script("chk", -10, TrackState::Down, true);
    EXPECT_EQ(effectivePriority(100, t).priority, 110);
}

TEST(EffectivePriority, ClampsTo1And254) {
    std::vector<TrackerInput> t{script("a", -200, TrackState::Down), script("b", -200, TrackState::Down)};
    auto r = effectivePriority(150, t);
    EXPECT_EQ(r.total, -250);
    EXPECT_EQ(r.priority, 1);
    t = {script("a", 200, TrackState::Up)};
    EXPECT_EQ(effectivePriority(150, t).priority, 254);
    EXPECT_EQ(clampWeight(254), 253);
    EXPECT_EQ(clampWeight(-254), -253);
}

TEST(EffectivePriority, SeedTwoScriptsAtMinus200) {
    // s000: priority 150 and 100, two checks at -200: any failure drops to 1.
    std::vector<TrackerInput> t{script("a", -200, TrackState::Up), script("b", -200, TrackState::Down)};
    EXPECT_EQ(effectivePriority(150, t).priority, 1);
    EXPECT_EQ(effectivePriority(100, t).priority, 1);
}

TEST(EffectivePriority, WeightZeroFailureIsFault) {
    std::vector<TrackerInput> t{script("chk", 0, TrackState::Down)};
    auto r = effectivePriority(100, t);
    EXPECT_TRUE(r.fault);
    EXPECT_EQ(r.fault_reason, "script chk DOWN");
    EXPECT_EQ(r.priority, 100);
    t[0].state = TrackState::Up;
    EXPECT_FALSE(effectivePriority(100, t).fault);
    // reverse: fault while up.
    t[0].reverse = true;
    EXPECT_TRUE(effectivePriority(100, t).fault);
    // interface weight 0 down: fault.
    std::vector<TrackerInput> i{iface("eth1", 0, false)};
    EXPECT_TRUE(effectivePriority(100, i).fault);
}

TEST(EffectivePriority, InitScriptAddsNothingAndWeightZeroIsPending) {
    std::vector<TrackerInput> t{script("a", -50, TrackState::Init), script("b", 30, TrackState::Init)};
    auto r = effectivePriority(100, t);
    EXPECT_EQ(r.priority, 100);
    EXPECT_FALSE(r.pending);
    t.push_back(script("c", 0, TrackState::Init));
    r = effectivePriority(100, t);
    EXPECT_TRUE(r.pending);
    EXPECT_FALSE(r.fault);
}

TEST(EffectivePriority, OwnerKeeps255ButFaultsStill) {
    std::vector<TrackerInput> t{script("a", -50, TrackState::Down)};
    auto r = effectivePriority(255, t);
    EXPECT_EQ(r.priority, 255);
    EXPECT_TRUE(r.breakdown[0].ignored);
    EXPECT_EQ(r.breakdown[0].delta, -50);
    t.push_back(iface("eth1", 0, false));
    EXPECT_TRUE(effectivePriority(255, t).fault);
}

TEST(EffectivePriority, TrackFileValueTimesWeight) {
    std::vector<TrackerInput> t{file("f", 1, 0)};
    EXPECT_EQ(effectivePriority(100, t).priority, 100);
    t[0].file_value = -30;
    EXPECT_EQ(effectivePriority(100, t).priority, 70);
    t[0] = file("f", 3, 5);
    EXPECT_EQ(effectivePriority(100, t).priority, 115);
    t[0] = file("f", 3, 5, true);
    EXPECT_EQ(effectivePriority(100, t).priority, 85);
    // value*weight at or below -254 is FAULT.
    t[0] = file("f", 1, -254);
    EXPECT_TRUE(effectivePriority(100, t).fault);
    t[0] = file("f", 1, -253);
    auto r = effectivePriority(100, t);
    EXPECT_FALSE(r.fault);
    EXPECT_EQ(r.priority, 1);
    // big positive clamps at 253.
    t[0] = file("f", 1, 1000);
    EXPECT_EQ(effectivePriority(1, t).breakdown[0].delta, 253);
}

TEST(EffectivePriority, TrackFileWeightZero) {
    std::vector<TrackerInput> t{file("f", 0, 0)};
    EXPECT_FALSE(effectivePriority(100, t).fault);
    t[0].file_value = 7;
    EXPECT_TRUE(effectivePriority(100, t).fault);
    t[0].reverse = true;
    EXPECT_FALSE(effectivePriority(100, t).fault);
    t[0].file_value = 0;
    EXPECT_TRUE(effectivePriority(100, t).fault);
}

TEST(TrackFile, ParsesLikeStrtolBase0) {
    EXPECT_EQ(parseTrackFileValue("10\n"), 10);
    EXPECT_EQ(parseTrackFileValue("-5"), -5);
    EXPECT_EQ(parseTrackFileValue("0x10"), 16);
    EXPECT_EQ(parseTrackFileValue("010"), 8);
    EXPECT_EQ(parseTrackFileValue("abc"), 0);
    EXPECT_EQ(parseTrackFileValue(""), 0);
    EXPECT_EQ(parseTrackFileValue("2147483648"), 2147483648LL);  // INT32_MAX + 1 allowed
    EXPECT_EQ(parseTrackFileValue("2147483649"), std::nullopt);
    EXPECT_EQ(parseTrackFileValue("-2147483649"), std::nullopt);
}

TEST(Command, SplitsLikeKeepalived) {
    using V = std::vector<std::string>;
    EXPECT_EQ(*splitCommand("/usr/bin/killall -0 nginx"), (V{"/usr/bin/killall", "-0", "nginx"}));
    EXPECT_EQ(*splitCommand("  /bin/x  'a b'  \"c d\" e\\ f "), (V{"/bin/x", "a b", "c d", "e f"}));
    EXPECT_EQ(*splitCommand("/bin/x a'b c'd"), (V{"/bin/x", "ab cd"}));
    EXPECT_EQ(*splitCommand("/bin/x \\x41\\101\\t"), (V{"/bin/x", "AA\t"}));
    EXPECT_EQ(*splitCommand("/bin/x \"it's\""), (V{"/bin/x", "it's"}));
    std::string err;
    EXPECT_FALSE(splitCommand("/bin/x 'open", &err));
    EXPECT_EQ(err, "String '/bin/x 'open': missing terminating '");
    EXPECT_FALSE(splitCommand("/bin/x \\", &err));
    EXPECT_FALSE(splitCommand("   ", &err));
}

TEST(Command, ShellCommandLineQuotesLikeCmdStr) {
    EXPECT_EQ(shellCommandLine({"</etc/passwd"}), "</etc/passwd");
    EXPECT_EQ(shellCommandLine({"/bin/x", "a b"}), "'/bin/x' 'a b'");
}

TEST(Command, RedirectionTestRunsThroughTheShell) {
    auto r = checkScriptSecure({"</etc/passwd"}, {0, 0}, true);
    EXPECT_EQ(r.flags, unsigned{kScSystem});
    ASSERT_TRUE(r.command);
    EXPECT_TRUE(r.command->use_shell);
}

TEST(Command, BareNameIsSearchedInPath) {
    auto r = checkScriptSecure({"true"}, {0, 0}, false);
    ASSERT_TRUE(r.command);
    EXPECT_EQ(r.command->argv[0].front(), '/');
    ASSERT_FALSE(r.messages.empty());
    EXPECT_NE(r.messages[0].find("resolved by path search"), std::string::npos);
    auto missing = checkScriptSecure({"no-such-program-xvrrp"}, {0, 0}, false);
    EXPECT_FALSE(missing.command);
    EXPECT_EQ(missing.flags, unsigned{kScNotFound});
    EXPECT_EQ(missing.messages.back(), "Cannot find script no-such-program-xvrrp in path - disabling");
}
