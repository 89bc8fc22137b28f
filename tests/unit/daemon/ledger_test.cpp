// The ledger of system changes: what is undone, in which order, and what a failed undo does.
#include <gtest/gtest.h>

#include <stdexcept>

#include "daemon/ledger.hpp"

namespace xvrrp::daemon {
namespace {

TEST(Ledger, UnwindsNewestFirst) {
    std::vector<std::string> undone;
    Ledger l;
    for (const char* k : {"a", "b", "c"}) l.record(k, k, [&, k] { undone.push_back(k); });
    l.unwind();
    EXPECT_EQ(undone, (std::vector<std::string>{"c", "b", "a"}));
    EXPECT_EQ(l.size(), 0u);
}

TEST(Ledger, ForgottenChangesAreNotUndone) {
    std::vector<std::string> undone;
    Ledger l;
    l.record("vip 2 10.0.0.1/24", "VIP", [&] { undone.push_back("vip"); });
    l.record("xdp 2", "XDP", [&] { undone.push_back("xdp"); });
    l.forget("vip 2 10.0.0.1/24");
    l.forget("never recorded");
    l.unwind();
    EXPECT_EQ(undone, std::vector<std::string>{"xdp"});
}

TEST(Ledger, TheFirstRecordOfAKeyWins) {
    // A sysctl's first value is the one to put back, whatever was set after it.
    int value = 0;
    Ledger l;
    EXPECT_TRUE(l.record("sysctl x", "x = 0", [&] { value = 0; }));
    value = 1;
    EXPECT_FALSE(l.record("sysctl x", "x = 1", [&] { value = 1; }));
    value = 2;
    l.unwind();
    EXPECT_EQ(value, 0);
}

TEST(Ledger, UndoOneOrAPrefix) {
    std::vector<std::string> undone;
    Ledger l;
    for (const char* k : {"vmac VI_1", "xdp 3", "clsact 3", "vmac VI_2"})
        l.record(k, k, [&, k] { undone.push_back(k); });
    l.undo("vmac VI_1");
    EXPECT_EQ(undone, std::vector<std::string>{"vmac VI_1"});
    l.undoPrefix("vmac ");
    EXPECT_EQ(undone.back(), "vmac VI_2");
    EXPECT_EQ(l.describe(), (std::vector<std::string>{"xdp 3", "clsact 3"}));
}

TEST(Ledger, AFailingUndoDoesNotStopTheOthers) {
    std::vector<std::string> undone;
    Ledger l;
    l.record("a", "a", [&] { undone.push_back("a"); });
    l.record("b", "b", [] { throw std::runtime_error("RTM_DELADDR: no such device"); });
    l.record("c", "c", [&] { undone.push_back("c"); });
    l.unwind();
    EXPECT_EQ(undone, (std::vector<std::string>{"c", "a"}));
}

TEST(Ledger, AnUndoMayForgetOtherEntries) {
    std::vector<std::string> undone;
    Ledger l;
    l.record("vip", "vip", [&] { undone.push_back("vip"); });
    l.record("link", "link", [&] {
        undone.push_back("link");
        l.forget("vip");  // deleting the link took its addresses with it
    });
    l.unwind();
    EXPECT_EQ(undone, std::vector<std::string>{"link"});
}

TEST(Ledger, DestructorUnwinds) {
    bool undone = false;
    {
        Ledger l;
        l.record("k", "k", [&] { undone = true; });
    }
    EXPECT_TRUE(undone);
}

}  // namespace
}  // namespace xvrrp::daemon

// ---- hitless restart: the ledger crosses the exec ----------------------------------------

namespace xvrrp::daemon {
namespace {

Ledger::Rebuild recorder(std::vector<std::string>& undone) {
    return [&undone](const std::string& kind, const nlohmann::json& d) -> Ledger::Undo {
        if (kind == "bad") throw std::runtime_error("unknown kind 'bad'");
        const std::string what = kind + " " + d.value("x", "");
        return [&undone, what] { undone.push_back(what); };
    };
}

TEST(LedgerHandover, OnlyEntriesThatCarryTheirUndoAreHandedOff) {
    Ledger l;
    l.record("vip 2 10.0.0.1/24", "VIP", [] {}, {"address", {{"x", "1"}}});
    l.record("local", "no carry", [] {});
    auto h = l.handoff();
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0]["key"], "vip 2 10.0.0.1/24");
    EXPECT_EQ(h[0]["kind"], "address");
    EXPECT_EQ(h[0]["data"]["x"], "1");
    l.forgetPrefix("");
}

TEST(LedgerHandover, UnclaimedEntriesAreUndoneClaimedOnesStay) {
    std::vector<std::string> undone;
    Ledger old;
    old.record("vip a", "VIP a", [] {}, {"address", {{"x", "a"}}});
    old.record("vip b", "VIP b", [] {}, {"address", {{"x", "b"}}});
    old.record("sysctl s", "sysctl s = 0", [] {}, {"sysctl", {{"x", "s"}}});
    old.record("odd", "odd", [] {}, {"bad", nlohmann::json::object()});
    const auto record = old.handoff();
    old.forgetPrefix("");

    Ledger l;
    EXPECT_EQ(l.inherit(record, recorder(undone)), 3u);  // "bad" is dropped with a warning
    EXPECT_TRUE(l.inherited("vip a"));
    // The new process makes "vip a" again (a no-op on the system) and keeps the sysctl.
    EXPECT_FALSE(l.record("vip a", "VIP a again", [&] { undone.push_back("new a"); }));
    EXPECT_TRUE(l.claim("sysctl s"));
    EXPECT_FALSE(l.claim("never there"));
    EXPECT_EQ(l.undoUnclaimed(), std::vector<std::string>{"VIP b"});
    EXPECT_EQ(undone, std::vector<std::string>{"address b"});
    l.unwind();
    // The claimed entry undoes with this process's own undo; the sysctl with the old value.
    EXPECT_EQ(undone, (std::vector<std::string>{"address b", "sysctl s", "new a"}));
}

TEST(LedgerHandover, AFailedTakeoverUndoesOnlyWhatItAddedItself) {
    std::vector<std::string> undone;
    Ledger old;
    old.record("vip a", "VIP a", [] {}, {"address", {{"x", "a"}}});
    const auto record = old.handoff();
    old.forgetPrefix("");
    Ledger l;
    l.inherit(record, recorder(undone));
    l.record("xdp 9", "XDP on a new interface", [&] { undone.push_back("xdp 9"); });
    l.unwindOwn();
    EXPECT_EQ(undone, std::vector<std::string>{"xdp 9"});
    EXPECT_EQ(l.describe(), std::vector<std::string>{"VIP a"});
    l.forgetPrefix("");
}

}  // namespace
}  // namespace xvrrp::daemon
