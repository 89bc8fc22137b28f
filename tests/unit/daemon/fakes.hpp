#pragma once
// Fakes of the interpreter's effects for the daemon's unit tests: a transport that records
// adverts and a system that records every address, route, verdict and announcement.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/parser.hpp"
#include "daemon/effects.hpp"

namespace xvrrp::daemon {

struct Sent {
    std::vector<uint8_t> bytes;
    IpAddr dst;
};

class FakeTransport : public AdvertTransport {
public:
    explicit FakeTransport(std::vector<Sent>& log) : log_(log) {}
    void send(std::span<const uint8_t> vrrp, const IpAddr& dst) override {
        log_.push_back({{vrrp.begin(), vrrp.end()}, dst});
    }

private:
    std::vector<Sent>& log_;
};

class FakeSystem : public AddressTable, public Announcer, public Ownership {
public:
    std::vector<std::string> ops;
    void setVerdict(int, const IpAddr& vip, VipVerdict v, const dataplane::InstanceId& id,
                    uint64_t max_age_ns) override {
        const char* names[] = {"pass", "drop_ip", "drop_all"};
        ops.push_back(std::string("verdict ") + names[static_cast<int>(v)] + " " + vip.str() +
                      " vrid" + std::to_string(id.vrid) + " age" + std::to_string(max_age_ns));
    }
    void forget(int, const IpAddr& vip) override { ops.push_back("forget " + vip.str()); }
    // Index of the first op starting with prefix (ops.size() when none).
    size_t first(const std::string& prefix) const {
        for (size_t i = 0; i < ops.size(); ++i)
            if (ops[i].rfind(prefix, 0) == 0) return i;
        return ops.size();
    }
    void addAddress(int ifindex, const config::VirtualAddress& v) override {
        ops.push_back("add " + v.prefix.str() + " if" + std::to_string(ifindex) +
                      (v.label.empty() ? "" : " label " + v.label));
    }
    void removeAddress(int ifindex, const config::VirtualAddress& v) override {
        ops.push_back("del " + v.prefix.str() + " if" + std::to_string(ifindex));
    }
    void addRoute(const config::Route& r, int) override { ops.push_back("route add " + r.to.str()); }
    void removeRoute(const config::Route& r, int) override {
        ops.push_back("route del " + r.to.str());
    }
    void addRule(const config::Rule& r) override { ops.push_back("rule add " + r.words.at(0)); }
    void removeRule(const config::Rule& r) override { ops.push_back("rule del " + r.words.at(0)); }
    int ifindexOf(const std::string& name) override { return name == "eth1" ? 3 : 0; }
    std::set<std::string> held;  // "ADDR ifINDEX" already on the node
    bool holds(int ifindex, const IpAddr& a) override {
        return held.count(a.str() + " if" + std::to_string(ifindex)) != 0;
    }
    bool announce(int ifindex, const IpAddr& vip) override {
        ops.push_back("announce " + vip.str() + " if" + std::to_string(ifindex));
        return true;
    }
    size_t count(const std::string& prefix) const {
        size_t n = 0;
        for (const auto& o : ops) n += o.rfind(prefix, 0) == 0;
        return n;
    }
};

inline config::Config load(const std::string& text) {
    config::LoadOptions opts;
    auto r = config::loadConfigText(text, "test.conf", opts);
    EXPECT_TRUE(r.ok());
    for (const auto& d : r.diagnostics)
        if (d.severity == config::Severity::Error) ADD_FAILURE() << d.str();
    return r.config;
}

}  // namespace xvrrp::daemon
