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
