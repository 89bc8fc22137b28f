// vrrp_sync_group on two real interpreters with fake effects: the gate, the moves and the
// order of notifications, with moves queued until the step that caused them is done.
#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "daemon/instance_table.hpp"
#include "daemon/sync_groups.hpp"
#include "fakes.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::daemon {
namespace {

using vrrp::State;
using vrrp::TimePoint;

const char* kGroup = R"(
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.100/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.101/24
    }
}
)";

// The daemon's side: notifies recorded in order, moves queued and drained after each step.
struct Rig : InstanceHost {
    config::Config cfg = load(kGroup);
    std::vector<Sent> sent;
    FakeSystem sys;
    InstanceTable table;
    std::deque<std::function<void()>> queue;
    std::vector<std::string> notes;
    TimePoint clock{};
    SyncGroups groups{cfg, table, [this](std::function<void()> w) { queue.push_back(std::move(w)); },
                      [this](const std::string& g, State s) {
                          notes.push_back("group " + g + " " + vrrp::stateName(s));
                      },
                      [this] { return clock; }};

    Rig() {
        int ifindex = 2;
        for (const auto& inst : cfg.instances) {
            auto rt = std::make_unique<InstanceRuntime>(cfg, inst);
            rt->setEffects(&sys, &sys, &sys);
            rt->setHost(this);
            rt->bind(ifindex, *IpAddr::parse("192.0.2.1"), std::make_unique<FakeTransport>(sent));
            table.add(std::move(rt));
        }
        for (const auto& rt : table) rt->handle(vrrp::Startup{}, clock);
        drain();
        notes.clear();
    }
    void stateChanged(const InstanceRuntime& rt, const vrrp::StateChanged& sc) override {
        notes.push_back(rt.cfg().name + " " + vrrp::stateName(sc.to));
        groups.memberChanged(rt, sc);
    }
    bool groupAllows(const InstanceRuntime& rt) override { return groups.allows(rt); }
    void drain() {
        while (!queue.empty()) {
            auto w = std::move(queue.front());
            queue.pop_front();
            w();
        }
    }
    InstanceRuntime& at(const char* name) { return *table.byName(name); }
    void fire(const char* name, TimePoint t) {
        clock = t;
        at(name).fireTimers(t);
        drain();
    }
};

TEST(SyncGroups, OneExpiredMemberWaitsForTheOthers) {
    Rig r;
    const TimePoint down = *r.at("VI_1").machine().master_down_due;
    r.fire("VI_1", down);
    // VI_2 still has a master as far as it knows: VI_1 keeps BACKUP and wants MASTER.
    EXPECT_EQ(r.at("VI_1").machine().state, State::Backup);
    EXPECT_TRUE(r.at("VI_1").machine().wants_master);
    EXPECT_TRUE(r.notes.empty());
    // VI_2's timer runs out too: the group goes MASTER together, VI_2 first.
    r.fire("VI_2", *r.at("VI_2").machine().master_down_due);
    EXPECT_EQ(r.at("VI_2").machine().state, State::Master);
    EXPECT_EQ(r.at("VI_1").machine().state, State::Master);
    EXPECT_EQ(r.notes, (std::vector<std::string>{"VI_2 MASTER", "VI_1 MASTER", "group G MASTER"}));
}

// xvrrp_bfd_failover in a sync group: PeerLost asks the group like an expired timer, so
// the group moves at once only when every member names the session (Daemon::peerLost
// delivers it to each in turn); one member alone waits for the others' timers.
TEST(SyncGroups, APeerLostMovesTheGroupWhenEveryMemberLosesTheMaster) {
    const IpAddr master = *IpAddr::parse("192.0.2.9");
    auto follow = [&](Rig& r) {
        r.clock = TimePoint{std::chrono::seconds(1)};
        for (const char* n : {"VI_1", "VI_2"})
            r.at(n).handle(vrrp::AdvertReceived{r.clock, master, 200, 100}, r.clock);
        r.drain();
        r.clock = r.clock + std::chrono::milliseconds(30);
    };
    Rig one;
    follow(one);
    one.at("VI_1").handlePeerLost("b1", master, std::nullopt, one.clock);
    one.drain();
    EXPECT_EQ(one.at("VI_1").machine().state, State::Backup);
    EXPECT_TRUE(one.at("VI_1").machine().wants_master);
    EXPECT_EQ(one.at("VI_2").machine().state, State::Backup);

    Rig both;
    follow(both);
    for (const char* n : {"VI_1", "VI_2"}) both.at(n).handlePeerLost("b1", master, std::nullopt, both.clock);
    both.drain();
    EXPECT_EQ(both.at("VI_1").machine().state, State::Master);
    EXPECT_EQ(both.at("VI_2").machine().state, State::Master);
    EXPECT_EQ(both.notes,
              (std::vector<std::string>{"VI_2 MASTER", "VI_1 MASTER", "group G MASTER"}));
}

TEST(SyncGroups, AMemberLeavingMasterTakesTheOthersToBackup) {
    Rig r;
    r.fire("VI_1", *r.at("VI_1").machine().master_down_due);
    r.fire("VI_2", *r.at("VI_2").machine().master_down_due);
    r.notes.clear();
    vrrp::AdvertReceived better{r.clock, *IpAddr::parse("192.0.2.9"), 200, 100};
    r.at("VI_1").handle(better, r.clock);
    r.drain();
    EXPECT_EQ(r.at("VI_2").machine().state, State::Backup);
    EXPECT_EQ(r.notes, (std::vector<std::string>{"VI_1 BACKUP", "VI_2 BACKUP", "group G BACKUP"}));
}

TEST(SyncGroups, AFaultHoldsTheGroupUntilNoMemberHasOneOfItsOwn) {
    Rig r;
    r.at("VI_1").setFault("link", true, "interface eth0 is down", r.clock);
    r.drain();
    EXPECT_EQ(r.at("VI_2").machine().state, State::Fault);
    EXPECT_TRUE(r.at("VI_2").faultActive("group"));
    // The member held only by the group did not push a "group" fault back onto VI_1.
    EXPECT_FALSE(r.at("VI_1").faultActive("group"));
    r.at("VI_1").setFault("link", false, "", r.clock);
    r.drain();
    EXPECT_EQ(r.at("VI_1").machine().state, State::Backup);
    EXPECT_EQ(r.at("VI_2").machine().state, State::Backup);
}

TEST(SyncGroups, MovesAreQueuedNotNested) {
    Rig r;
    r.fire("VI_1", *r.at("VI_1").machine().master_down_due);
    r.clock = *r.at("VI_2").machine().master_down_due;
    r.at("VI_2").fireTimers(r.clock);
    // VI_2 went MASTER; VI_1's move waits in the queue until the step is done.
    EXPECT_EQ(r.at("VI_2").machine().state, State::Master);
    EXPECT_EQ(r.at("VI_1").machine().state, State::Backup);
    EXPECT_FALSE(r.queue.empty());
    r.drain();
    EXPECT_EQ(r.at("VI_1").machine().state, State::Master);
}

}  // namespace
}  // namespace xvrrp::daemon
