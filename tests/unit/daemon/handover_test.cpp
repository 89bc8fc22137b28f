// The record a restart hands to the next process, and the data of the ledger's carried
// entries: what round-trips, and why a record is refused.
#include "daemon/handover.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>

#include "daemon/carry.hpp"

namespace xvrrp::daemon {
namespace {

using nlohmann::json;

uint64_t nowNs() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

HandoverRecord sample() {
    HandoverRecord r;
    r.abi = 5;
    r.bpf = "0123456789abcdef";
    r.version = "0.1.0";
    r.pid = ::getpid();
    r.written_ns = nowNs();
    r.boot_id = bootId();
    r.pin_root = "/sys/fs/bpf/x";
    r.argv = {"/usr/sbin/xvrrpd", "-f", "/etc/keepalived/keepalived.conf"};
    InstanceHandover i;
    i.name = "VI_1";
    i.vrid = 51;
    i.interface = "eth0";
    i.family = Family::V6;
    i.state = vrrp::State::Master;
    i.counters.became_master = 3;
    i.counters.adverts_tx = 1234;
    i.old_unicast_checksum = true;
    r.instances.push_back(i);
    r.ledger = json::array({{{"key", "vip 2 10.0.0.1/24"},
                             {"what", "VIP"},
                             {"kind", "address"},
                             {"data", json::object()}}});
    r.fallback_exe_fd = 7;
    r.restarts = 2;
    r.attempt = 3;
    r.children = {4242, 4243};
    return r;
}

std::string writeTemp(const std::string& text) {
    char path[] = "/tmp/xvrrp-handover-test-XXXXXX";
    int fd = ::mkstemp(path);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
    return path;
}

TEST(HandoverRecord, RoundTripsThroughJson) {
    const HandoverRecord r = sample();
    const HandoverRecord back = recordFromJson(json::parse(toJson(r).dump()));
    EXPECT_EQ(back.abi, 5u);
    EXPECT_EQ(back.bpf, r.bpf);
    EXPECT_EQ(back.argv, r.argv);
    ASSERT_EQ(back.instances.size(), 1u);
    const auto* i = back.find("VI_1");
    ASSERT_NE(i, nullptr);
    EXPECT_EQ(i->family, Family::V6);
    EXPECT_EQ(i->state, vrrp::State::Master);
    EXPECT_EQ(i->counters.became_master, 3u);
    EXPECT_EQ(i->counters.adverts_tx, 1234u);
    EXPECT_TRUE(i->old_unicast_checksum);
    EXPECT_EQ(back.ledger, r.ledger);
    EXPECT_EQ(back.fallback_exe_fd, 7);
    EXPECT_EQ(back.restarts, 2u);
    EXPECT_EQ(back.attempt, 3u);
    EXPECT_EQ(back.children, (std::vector<int64_t>{4242, 4243}));
    // A record without the field (an older writer) has none.
    json older = toJson(r);
    older.erase("children");
    EXPECT_TRUE(recordFromJson(older).children.empty());
}

TEST(HandoverRecord, CarriesTheBfdSessions) {
    HandoverRecord r = sample();
    r.bfd = json::array({{{"name", "b1"}, {"local_disc", 77}, {"state", 3}, {"source_port", 50000}}});
    const HandoverRecord back = recordFromJson(json::parse(toJson(r).dump()));
    EXPECT_EQ(back.bfd, r.bfd);
    // An older writer's record has no sessions: they start afresh.
    json older = toJson(r);
    older.erase("bfd");
    EXPECT_EQ(recordFromJson(older).bfd, json::array());
}

TEST(HandoverRecord, ReadFromTheMemfdAnotherImageWrote) {
    const int fd = writeRecordFd(sample());
    auto loaded = loadRecord("/proc/self/fd/" + std::to_string(fd), "/sys/fs/bpf/x", nowNs());
    ::close(fd);
    ASSERT_TRUE(loaded.record) << loaded.error;
    EXPECT_EQ(loaded.record->instances.at(0).name, "VI_1");
}

TEST(HandoverRecord, RefusedWithTheReason) {
    struct Case {
        const char* name;
        std::function<void(json&)> edit;
        std::string why;
    };
    const std::vector<Case> cases = {
        {"other pid", [](json& j) { j["pid"] = 1; }, "written by pid 1, not by this process"},
        {"other format", [](json& j) { j["format"] = 99; }, "format 99, this build reads 1"},
        {"other boot", [](json& j) { j["boot_id"] = "x"; }, "written before the last boot"},
        {"too old",
         [](json& j) { j["written_ns"] = j["written_ns"].get<uint64_t>() - 60'000'000'000ull; },
         "ms ago (more than 10 s)"},
        {"other pin root", [](json& j) { j["pin_root"] = "/sys/fs/bpf/y"; },
         "for pin root /sys/fs/bpf/y, not /sys/fs/bpf/x"},
        {"no state", [](json& j) { j["instances"][0].erase("state"); }, "no 'state'"},
        {"bad state", [](json& j) { j["instances"][0]["state"] = "BOSS"; }, "unknown state 'BOSS'"},
        {"ledger type", [](json& j) { j["ledger"] = 3; }, "'ledger' is not an array"},
    };
    for (const auto& c : cases) {
        json j = toJson(sample());
        c.edit(j);
        const std::string path = writeTemp(j.dump());
        auto loaded = loadRecord(path, "/sys/fs/bpf/x", nowNs());
        ::unlink(path.c_str());
        EXPECT_FALSE(loaded.record) << c.name;
        EXPECT_NE(loaded.error.find(c.why), std::string::npos) << c.name << ": " << loaded.error;
    }
    auto missing = loadRecord("/nonexistent/record", "/sys/fs/bpf/x", nowNs());
    EXPECT_FALSE(missing.record);
    EXPECT_NE(missing.error.find("cannot read /nonexistent/record"), std::string::npos);
    const std::string garbage = writeTemp("{not json");
    auto bad = loadRecord(garbage, "/sys/fs/bpf/x", nowNs());
    ::unlink(garbage.c_str());
    EXPECT_FALSE(bad.record);
    EXPECT_NE(bad.error.find(garbage + ": "), std::string::npos) << bad.error;
}

TEST(HandoverRecord, TheSuccessorSaysWhichFormatsItTakes) {
    EXPECT_EQ(handoverCheck("check:1"), std::string());
    EXPECT_NE(handoverCheck("check:2")->find("format 2 (this build reads format 1)"),
              std::string::npos);
    EXPECT_FALSE(handoverCheck("/proc/self/fd/5"));
}

TEST(Carry, AddressesAndRoutesRoundTrip) {
    config::VirtualAddress a;
    a.prefix = *IpPrefix::parse("192.0.2.10/24");
    a.broadcast = IpAddr::parse("192.0.2.255");
    a.peer = IpAddr::parse("192.0.2.11");
    a.dev = "eth1";
    a.scope = "link";
    a.label = "eth1:vip";
    a.nodad = a.noprefixroute = true;
    a.extra = {"x"};
    EXPECT_EQ(addressFromJson(json::parse(toJson(a).dump())), a);
    config::Route r;
    r.to = *IpPrefix::parse("2001:db8::/64");
    r.via = IpAddr::parse("fe80::1");
    r.src = IpAddr::parse("2001:db8::5");
    r.dev = "eth0";
    r.table = 100;
    r.metric = 20;
    r.protocol = 18;
    r.onlink = true;
    EXPECT_EQ(routeFromJson(json::parse(toJson(r).dump())), r);
    config::Route plain;
    plain.to = *IpPrefix::parse("198.51.100.0/24");
    EXPECT_EQ(routeFromJson(json::parse(toJson(plain).dump())), plain);
    EXPECT_THROW(addressFromJson(json{{"prefix", "not an address"}}), std::runtime_error);
}

}  // namespace
}  // namespace xvrrp::daemon
