// The interpreter with fake effects: what becoming master, announcing and stopping do.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "daemon/instance_runtime.hpp"
#include "daemon/validate.hpp"
#include "fakes.hpp"
#include "vrrp/packet.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::daemon {
namespace {

using namespace std::chrono_literals;
using vrrp::TimePoint;

TimePoint at(std::chrono::nanoseconds d) { return TimePoint{d}; }

struct Rig {
    config::Config cfg;
    std::vector<Sent> sent;
    FakeSystem sys;
    std::unique_ptr<InstanceRuntime> rt;
    explicit Rig(const std::string& text, const std::string& primary = "192.0.2.1")
        : cfg(load(text)) {
        rt = std::make_unique<InstanceRuntime>(cfg, cfg.instances.at(0));
        rt->setEffects(&sys, &sys, &sys);
        rt->bind(2, *IpAddr::parse(primary), std::make_unique<FakeTransport>(sent));
    }
    // Runs ticks at every deadline up to `until`.
    void runUntil(TimePoint until) {
        while (auto d = rt->nextDeadline()) {
            if (*d > until) break;
            rt->tick(*d);
        }
    }
};

// The kernel's quiet path as the runtime drives it: which instances it was told to stop
// absorbing for.
struct StopCounter : KernelAbsorb {
    void expect(const dataplane::InstanceId&, const dataplane::Dataplane::Expectation&) override {
        ++expects;
    }
    void stop(const dataplane::InstanceId&) override { ++stops; }
    std::optional<uint64_t> lastSeen(const dataplane::InstanceId&) override { return seen; }
    int expects = 0, stops = 0;
    std::optional<uint64_t> seen;
};

const char* kV3 = R"(
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.1
    version 3
    virtual_ipaddress {
        192.0.2.100/24 label eth0:1
        192.0.2.101/24 dev eth1
    }
    virtual_routes {
        198.51.100.0/24 via 192.0.2.254
    }
}
)";

TEST(InstanceRuntime, BecomingMasterAdvertisesAddsVipsAndAnnounces) {
    Rig r(kV3);
    r.rt->handle(vrrp::Startup{}, at(0s));
    EXPECT_EQ(r.rt->machine().state, vrrp::State::Backup);
    EXPECT_TRUE(r.sent.empty());
    auto mdi = vrrp::masterDownInterval(100, 10, 3);
    r.runUntil(at(mdi - 1ns));
    EXPECT_EQ(r.rt->machine().state, vrrp::State::Backup);
    r.runUntil(at(mdi));
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Master);

    ASSERT_EQ(r.sent.size(), 1u);
    EXPECT_EQ(r.sent[0].dst.str(), "224.0.0.18");
    auto adv = vrrp::decode(r.sent[0].bytes, *IpAddr::parse("192.0.2.1"), r.sent[0].dst,
                            Family::V4);
    ASSERT_TRUE(adv);
    EXPECT_EQ(adv->version, 3);
    EXPECT_EQ(adv->vrid, 51);
    EXPECT_EQ(adv->priority, 100);
    EXPECT_EQ(adv->max_advert_int_cs, 10);
    ASSERT_EQ(adv->addresses.size(), 2u);
    EXPECT_EQ(adv->addresses[1].str(), "192.0.2.101");

    EXPECT_EQ(r.sys.count("add 192.0.2.100/24 if2 label eth0:1"), 1u);
    EXPECT_EQ(r.sys.count("add 192.0.2.101/24 if3"), 1u);  // dev eth1
    EXPECT_EQ(r.sys.count("route add 198.51.100.0/24"), 1u);
    // keepalived defaults: 5 rounds at once, 5 more after garp_master_delay (5 s)
    EXPECT_EQ(r.sys.count("announce 192.0.2.100"), 5u);
    r.runUntil(at(mdi + 4s));
    EXPECT_EQ(r.sys.count("announce 192.0.2.100"), 5u);
    r.runUntil(at(mdi + 5s));
    EXPECT_EQ(r.sys.count("announce 192.0.2.100"), 10u);
    EXPECT_EQ(r.sys.count("announce 192.0.2.101 if3"), 10u);
    // adverts every 100 ms meanwhile
    EXPECT_EQ(r.sent.size(), 51u);
}

// keepalived announces virtual_ipaddress_excluded too: held by the master, only not listed
// in its adverts.
TEST(InstanceRuntime, ExcludedVipsAreAnnouncedToo) {
    Rig r(R"(
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
    }
    virtual_ipaddress_excluded {
        192.0.2.200/24
        2001:db8::200/64
    }
}
)");
    r.rt->handle(vrrp::Startup{}, at(0s));
    r.runUntil(at(vrrp::masterDownInterval(100, 10, 3)));
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Master);
    EXPECT_EQ(r.sys.count("add 192.0.2.200/24"), 1u);
    EXPECT_EQ(r.sys.count("announce 192.0.2.200"), 5u);
    EXPECT_EQ(r.sys.count("announce 2001:db8::200"), 5u);
}

// A master that hears a lower-priority advert announces its VIPs again: the other router
// may have been master for a moment and its gratuitous ARPs reached the clients last.
// keepalived 2.2.7 (measured): garp_lower_prio_repeat rounds at once, the same again after
// garp_lower_prio_delay; both default to the garp_master_* values; 0 turns each off.
TEST(InstanceRuntime, ALowerPriorityAdvertMakesTheMasterAnnounceAgain) {
    auto rig = [](const std::string& extra) {
        auto r = std::make_unique<Rig>(std::string(R"(
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.1
    version 3
)") + extra + R"(
    virtual_ipaddress {
        192.0.2.100/24
    }
}
)");
        r->rt->handle(vrrp::Startup{}, at(0s));
        r->runUntil(at(10s));  // master, both rounds of the transition sent
        EXPECT_EQ(r->rt->machine().state, vrrp::State::Master);
        EXPECT_EQ(r->sys.count("announce 192.0.2.100"), 10u);
        r->rt->handle(vrrp::AdvertReceived{at(10s), *IpAddr::parse("192.0.2.9"), 50, 10}, at(10s));
        r->runUntil(at(10s));
        return r;
    };
    auto d = rig("");
    EXPECT_EQ(d->sys.count("announce 192.0.2.100"), 15u);
    d->runUntil(at(14s));
    EXPECT_EQ(d->sys.count("announce 192.0.2.100"), 15u);
    d->runUntil(at(15s));
    EXPECT_EQ(d->sys.count("announce 192.0.2.100"), 20u);
    EXPECT_EQ(d->rt->machine().state, vrrp::State::Master);

    auto two = rig("    garp_lower_prio_repeat 2\n    garp_lower_prio_delay 0\n");
    two->runUntil(at(20s));
    EXPECT_EQ(two->sys.count("announce 192.0.2.100"), 12u);
    auto none = rig("    garp_lower_prio_repeat 0\n    lower_prio_no_advert\n");
    none->runUntil(at(20s));
    EXPECT_EQ(none->sys.count("announce 192.0.2.100"), 10u);
}

TEST(InstanceRuntime, ShutdownSendsPriorityZeroAndRemovesEverything) {
    Rig r(kV3);
    r.rt->handle(vrrp::Startup{}, at(0s));
    r.runUntil(at(1s));
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Master);
    r.sent.clear();
    r.sys.ops.clear();
    r.rt->handle(vrrp::Shutdown{}, at(1s));
    ASSERT_EQ(r.sent.size(), 1u);
    auto adv = vrrp::decode(r.sent[0].bytes, *IpAddr::parse("192.0.2.1"), r.sent[0].dst,
                            Family::V4);
    ASSERT_TRUE(adv);
    EXPECT_EQ(adv->priority, 0);
    EXPECT_EQ(r.sys.count("del 192.0.2.100/24"), 1u);
    EXPECT_EQ(r.sys.count("del 192.0.2.101/24 if3"), 1u);
    EXPECT_EQ(r.sys.count("route del"), 1u);
    EXPECT_FALSE(r.rt->addressesInstalled());
    EXPECT_FALSE(r.rt->nextDeadline());  // no announcements left behind
}

// A daemon killed as master leaves its VIPs; the next one keeps them if it becomes master
// (no delete and add) and removes them once another router is master.
TEST(InstanceRuntime, VipsFoundAtStartupStayIfItBecomesMaster) {
    Rig r(kV3);
    r.sys.held.insert("192.0.2.100 if2");
    r.rt->handle(vrrp::Startup{}, at(0s));
    EXPECT_TRUE(r.rt->machine().holding_vips);
    EXPECT_TRUE(r.rt->addressesInstalled());
    EXPECT_LT(r.sys.first("verdict drop_all 192.0.2.100"), r.sys.ops.size());
    r.runUntil(at(1s));
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Master);
    EXPECT_EQ(r.sys.count("del "), 0u);
    EXPECT_EQ(r.sys.count("add 192.0.2.100/24 if2"), 1u);  // EEXIST: nothing changes
}

TEST(InstanceRuntime, VipsFoundAtStartupGoWhenAnotherRouterIsMaster) {
    Rig r(kV3);
    r.sys.held.insert("192.0.2.100 if2");
    r.rt->handle(vrrp::Startup{}, at(0s));
    vrrp::AdvertReceived rx{at(50ms), *IpAddr::parse("192.0.2.9"), 200, 10};
    r.rt->handle(rx, at(50ms));
    EXPECT_EQ(r.rt->machine().state, vrrp::State::Backup);
    EXPECT_EQ(r.sys.count("del 192.0.2.100/24 if2"), 1u);
    EXPECT_EQ(r.sys.count("del 192.0.2.101/24 if3"), 1u);
    EXPECT_FALSE(r.rt->addressesInstalled());
    r.rt->handle(rx, at(150ms));
    EXPECT_EQ(r.sys.count("del 192.0.2.100/24 if2"), 1u);  // once
}

// Nothing held: keepalived 2.2.7 still removes the instance's VIPs, virtual routes and
// rules as it starts ("(VI_1) removing VIPs." before "Entering BACKUP STATE (init)",
// differential startup_*), whoever left them (a route of a predecessor killed with -9);
// absent addresses make no change. Once: following a master later removes nothing more.
TEST(InstanceRuntime, NothingHeldStartupRemovesWhatAPredecessorLeftAsKeepalived) {
    Rig r(kV3);
    r.rt->handle(vrrp::Startup{}, at(0s));
    EXPECT_FALSE(r.rt->machine().holding_vips);
    EXPECT_EQ(r.sys.count("del 192.0.2.100/24 if2"), 1u);
    EXPECT_EQ(r.sys.count("del 192.0.2.101/24 if3"), 1u);
    EXPECT_EQ(r.sys.count("route del 198.51.100.0/24"), 1u);
    EXPECT_LT(r.sys.first("verdict drop_all 192.0.2.100"), r.sys.first("del 192.0.2.100"));
    EXPECT_FALSE(r.rt->addressesInstalled());
    const size_t dels = r.sys.count("del ") + r.sys.count("route del");
    r.rt->handle(vrrp::AdvertReceived{at(50ms), *IpAddr::parse("192.0.2.9"), 200, 10}, at(50ms));
    EXPECT_EQ(r.sys.count("del ") + r.sys.count("route del"), dels);
}

TEST(InstanceRuntime, UnicastSendsOneAdvertPerPeerWithItsOwnChecksum) {
    Rig r(R"(
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 7
    priority 255
    version 3
    unicast_src_ip 192.0.2.1
    unicast_peer {
        192.0.2.2
        192.0.2.3
    }
    virtual_ipaddress { 192.0.2.100 }
}
)");
    r.rt->handle(vrrp::Startup{}, at(0s));  // owner: master at once
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Master);
    ASSERT_EQ(r.sent.size(), 2u);
    for (const auto& s : r.sent) {
        auto adv = vrrp::decode(s.bytes, *IpAddr::parse("192.0.2.1"), s.dst, Family::V4,
                                vrrp::UnicastChecksum::Standard);
        EXPECT_TRUE(adv) << s.dst.str();
    }
    EXPECT_EQ(r.sent[0].dst.str(), "192.0.2.2");
    EXPECT_EQ(r.sent[1].dst.str(), "192.0.2.3");
}

TEST(InstanceRuntime, V2PassAuthGoesOnTheWire) {
    Rig r(R"(
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 9
    priority 255
    authentication {
        auth_type PASS
        auth_pass secret12345
    }
    virtual_ipaddress { 192.0.2.100 }
}
)");
    r.rt->handle(vrrp::Startup{}, at(0s));
    ASSERT_EQ(r.sent.size(), 1u);
    auto adv = vrrp::decode(r.sent[0].bytes, *IpAddr::parse("192.0.2.1"), r.sent[0].dst,
                            Family::V4);
    ASSERT_TRUE(adv);
    EXPECT_EQ(adv->version, 2);
    EXPECT_EQ(adv->auth_type, 1);
    EXPECT_EQ(std::string(adv->auth_data.begin(), adv->auth_data.end()), "secret12");
}

TEST(InstanceRuntime, LeavingMasterForFaultStopsAnnouncing) {
    Rig r(kV3);
    r.rt->handle(vrrp::Startup{}, at(0s));
    r.runUntil(at(1s));
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Master);
    r.rt->handle(vrrp::FaultRaised{"interface eth0 is down"}, at(1s));
    EXPECT_EQ(r.rt->machine().state, vrrp::State::Fault);
    EXPECT_FALSE(r.rt->addressesInstalled());
    auto announced = r.sys.count("announce");
    EXPECT_FALSE(r.rt->nextDeadline());
    r.runUntil(at(10s));
    EXPECT_EQ(r.sys.count("announce"), announced);
}

// RFC 5798 section 6.4.3 without accept mode, and the order that leaves no moment where a
// non-owner answers: addresses before the pass verdict, drop verdict before removal.
TEST(InstanceRuntime, OwnershipVerdictsFollowStateInASafeOrder) {
    Rig r(kV3);
    // Started, not master: every VIP dropped even if someone adds it by hand.
    r.rt->handle(vrrp::Startup{}, at(0s));
    EXPECT_EQ(r.sys.count("verdict drop_all 192.0.2.100 vrid51"), 1u);
    EXPECT_EQ(r.sys.count("verdict drop_all 192.0.2.101 vrid51"), 1u);
    r.sys.ops.clear();
    r.runUntil(at(1s));
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Master);
    EXPECT_TRUE(r.rt->acceptMode());  // keepalived's default without vrrp_strict
    auto mdi = std::chrono::nanoseconds(vrrp::masterDownInterval(100, 10, 3)).count();
    EXPECT_EQ(r.sys.count("verdict pass 192.0.2.100 vrid51 age" + std::to_string(mdi)), 1u);
    EXPECT_LT(r.sys.first("add 192.0.2.100"), r.sys.first("verdict pass 192.0.2.100"));
    EXPECT_LT(r.sys.first("verdict pass"), r.sys.first("announce"));
    r.sys.ops.clear();
    r.rt->handle(vrrp::Shutdown{}, at(2s));
    EXPECT_LT(r.sys.first("verdict drop_all 192.0.2.100"), r.sys.first("del 192.0.2.100"));
}

// A daemon started after kill -9 while the arbiter fenced the instance: bind finds the fence
// and the instance goes from Init straight to FAULT, before Startup. The killed daemon's
// VIPs may still be in the kernel and the new daemon's xv_vips is fresh, so without a drop
// verdict the kernel answers ARP and echo for them beside the new master (chaos seed 98).
TEST(InstanceRuntime, FaultAtBindDropsEveryVipLikeStartup) {
    for (const char* source : {"fence", "config"}) {
        Rig r(kV3);
        r.rt->setFault(source, true, "fenced (xv_fence entry)", at(0s));
        ASSERT_EQ(r.rt->machine().state, vrrp::State::Fault) << source;
        EXPECT_EQ(r.sys.count("verdict drop_all 192.0.2.100 vrid51"), 1u) << source;
        EXPECT_EQ(r.sys.count("verdict drop_all 192.0.2.101 vrid51"), 1u) << source;
        r.rt->handle(vrrp::Startup{}, at(1ms));  // Daemon::startInstance: nothing changes
        EXPECT_EQ(r.rt->machine().state, vrrp::State::Fault) << source;
        EXPECT_EQ(r.sys.count("verdict pass"), 0u) << source;
        EXPECT_EQ(r.sys.count("add "), 0u) << source;
    }
}

// keepalived 2.2.7 starting with a weight-0 tracker already down (a track_bfd, whose
// session starts down; a track_interface on a down link), measured: "(VI_1) entering FAULT
// state", then "(VI_1) removing VIPs." (what a predecessor left goes, as for a start in
// BACKUP). xvrrpd logged "Entering FAULT STATE" and removed nothing.
TEST(InstanceRuntime, AFaultBeforeStartupLogsAndClearsAsKeepalived) {
    auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    auto before = spdlog::default_logger();
    spdlog::set_default_logger(logger);
    Rig r(kV3);
    r.rt->setFault("track", true, "bfd b1 DOWN", at(0s));
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Fault);
    EXPECT_EQ(r.sys.count("del 192.0.2.100/24 if2"), 1u);
    EXPECT_EQ(r.sys.count("route del 198.51.100.0/24"), 1u);
    r.rt->handle(vrrp::Startup{}, at(1ms));
    EXPECT_EQ(r.sys.count("del 192.0.2.100/24 if2"), 1u);  // once
    spdlog::set_default_logger(before);
    std::vector<std::string> lines;
    for (const auto& l : sink->last_formatted()) {
        const auto p = l.find("(VI_1)");
        if (p != std::string::npos) lines.push_back(l.substr(p, l.find_last_not_of("\r\n") + 1 - p));
    }
    EXPECT_EQ(lines, (std::vector<std::string>{"(VI_1) entering FAULT state", "(VI_1) removing VIPs."}));
}

TEST(InstanceRuntime, StrictMasterDropsIpButNotArp) {
    Rig r(R"(
global_defs { vrrp_strict }
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.1
    version 3
    virtual_ipaddress { 192.0.2.100/24 }
}
)");
    EXPECT_FALSE(r.rt->acceptMode());
    r.rt->handle(vrrp::Startup{}, at(0s));
    r.runUntil(at(1s));
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Master);
    EXPECT_EQ(r.sys.count("verdict drop_ip 192.0.2.100"), 1u);
    EXPECT_EQ(r.sys.count("verdict pass"), 0u);
}

TEST(InstanceRuntime, FaultSourcesCombine) {
    Rig r(kV3);
    r.rt->handle(vrrp::Startup{}, at(0s));
    r.rt->setFault("link", true, "interface eth0 is down", at(1ms));
    r.rt->setFault("fence", true, "fenced", at(2ms));
    EXPECT_EQ(r.rt->machine().state, vrrp::State::Fault);
    r.rt->setFault("link", false, "", at(3ms));
    EXPECT_EQ(r.rt->machine().state, vrrp::State::Fault);  // still fenced
    EXPECT_EQ(r.rt->machine().fault_reason, "fenced");
    r.rt->setFault("fence", false, "", at(4ms));
    EXPECT_EQ(r.rt->machine().state, vrrp::State::Backup);
}

// Status `adverts_from`: the last accepted advert per source, also in FAULT (the arbiter asks
// whether one given peer's adverts reach this node), at most kMaxHeardSources of them.
TEST(HeardSources, AtAndPastTheBound) {
    Rig r(kV3);
    r.rt->handle(vrrp::Startup{}, at(0s));
    r.rt->setFault("fence", true, "fenced", at(1ms));
    auto advert = [&](int host, std::chrono::milliseconds t) {
        vrrp::AdvertReceived a;
        a.received = at(t);
        a.source = *IpAddr::parse("192.0.2." + std::to_string(100 + host));
        a.priority = static_cast<uint8_t>(host);
        r.rt->handle(a, at(t));
    };
    for (int i = 1; i <= static_cast<int>(kMaxHeardSources); ++i)
        advert(i, std::chrono::milliseconds(10 * i));
    advert(1, 500ms);  // source 1 heard again: updated, not added
    ASSERT_EQ(r.rt->heard().size(), kMaxHeardSources);
    auto find = [&](const std::string& a) -> const HeardSource* {
        for (const auto& h : r.rt->heard())
            if (h.source.str() == a) return &h;
        return nullptr;
    };
    ASSERT_TRUE(find("192.0.2.101"));
    EXPECT_EQ(find("192.0.2.101")->at, at(500ms));
    // One more source: the one heard longest ago (192.0.2.102, at 20 ms) makes room.
    advert(99, 600ms);
    EXPECT_EQ(r.rt->heard().size(), kMaxHeardSources);
    EXPECT_FALSE(find("192.0.2.102"));
    ASSERT_TRUE(find("192.0.2.199"));
    EXPECT_EQ(find("192.0.2.199")->priority, 99);
    EXPECT_EQ(r.rt->machine().state, vrrp::State::Fault);  // heard, not followed
}

// More VIPs than one advert holds (255 IPv4 on MTU 1500): keepalived advertises the first
// 255 and holds the others; so do we, and the receive check expects the same 255. Before,
// the count byte wrapped to 44 and the advert did not decode.
TEST(InstanceRuntime, OverlongVipListAdvertisesWhatOneAdvertHolds) {
    std::string text = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
                       " priority 100\n version 2\n virtual_ipaddress {\n";
    for (int k = 0; k < 300; ++k)
        text += "  10.90." + std::to_string(k / 250) + "." + std::to_string(k % 250 + 1) + "/32\n";
    Rig r(text + " }\n}\n");
    r.rt->handle(vrrp::Startup{}, at(0s));
    r.runUntil(at(4s));
    ASSERT_EQ(r.rt->machine().state, vrrp::State::Master);
    ASSERT_FALSE(r.sent.empty());
    auto adv = vrrp::decode(r.sent[0].bytes, *IpAddr::parse("192.0.2.1"), r.sent[0].dst,
                            Family::V4);
    ASSERT_TRUE(adv) << vrrp::name(adv.error());
    ASSERT_EQ(adv->addresses.size(), 255u);
    EXPECT_EQ(adv->addresses.back().str(), "10.90.1.5");  // the 255th
    EXPECT_EQ(r.sys.count("add 10.90."), 300u) << "every VIP is held";
    EXPECT_GE(r.sys.count("announce 10.90.1.50 "), 1u) << "the 300th is announced too";

    auto rx = rxContext(r.cfg, *r.rt);
    EXPECT_EQ(rx.vips.size(), 255u);
    vrrp::RxPacket pkt{255, *IpAddr::parse("192.0.2.2"), *IpAddr::parse("224.0.0.18")};
    EXPECT_EQ(vrrp::validate(*adv, pkt, rx), vrrp::RejectReason::Ok);
}

}  // namespace
}  // namespace xvrrp::daemon

namespace xvrrp::daemon {
namespace {

// xvrrp_bfd_failover: the interpreter's words for a PeerLost, in order: ours first, then
// keepalived's "Entering MASTER STATE" unchanged (what log watchers grep); an ignored one
// only at debug level.
TEST(InstanceRuntime, PeerLostLogsTheBfdLineThenKeepalivesState) {
    auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::debug);
    auto before = spdlog::default_logger();
    spdlog::set_default_logger(logger);
    Rig r(kV3);
    r.rt->handle(vrrp::Startup{}, at(0s));
    r.rt->handlePeerLost("b1", *IpAddr::parse("192.0.2.9"), std::nullopt, at(10ms));  // nobody followed yet
    r.rt->handle(vrrp::AdvertReceived{at(20ms), *IpAddr::parse("192.0.2.9"), 150, 10}, at(20ms));
    r.rt->handlePeerLost("b1", *IpAddr::parse("192.0.2.9"), std::nullopt, at(40ms));
    spdlog::set_default_logger(before);
    EXPECT_EQ(r.rt->machine().state, vrrp::State::Master);
    EXPECT_EQ(r.rt->machine().counters.peer_lost_accepted, 1u);
    std::vector<std::string> lines;
    for (const auto& l : sink->last_formatted()) {
        const auto p = l.find("(VI_1)");
        if (p == std::string::npos || l.find("->") != std::string::npos) continue;
        lines.push_back(l.substr(p, l.find_last_not_of("\r\n") + 1 - p));
    }
    EXPECT_EQ(lines, (std::vector<std::string>{
                         "(VI_1) removing VIPs.", "(VI_1) Entering BACKUP STATE (init)",
                         "(VI_1) BFD b1 to 192.0.2.9 down: ignored, no master heard since entering BACKUP",
                         "(VI_1) BFD b1 to 192.0.2.9 down: master lost, taking over",
                         "(VI_1) Entering MASTER STATE", "(VI_1) setting VIPs."}));
}

// An instance that starts afresh (not taken over: renamed, or its predecessor's state was
// not MASTER or BACKUP) follows nobody, so any expectation the kernel holds for its key, a
// predecessor's, goes: absorbed, the master's adverts would never reach the machine, whose
// Master_Down_Timer would then take over beside a live master.
TEST(InstanceRuntime, StartingAfreshDropsAnExpectationTheKernelHolds) {
    for (bool fault : {false, true}) {
        Rig r(kV3);
        StopCounter kernel;
        r.rt->setEffects(&r.sys, &r.sys, &r.sys, &kernel);
        if (fault) r.rt->setFault("link", true, "interface eth0 is down", at(1ms));
        else r.rt->handle(vrrp::Startup{}, at(1ms));
        EXPECT_EQ(kernel.stops, 1) << (fault ? "fault first" : "startup");
        r.rt->handle(vrrp::Startup{}, at(2ms));  // not from Init: nothing more to drop
        EXPECT_EQ(kernel.stops, 1);
    }
}

}  // namespace
}  // namespace xvrrp::daemon
