#pragma once
// The real implementations of the interpreter's interfaces: libnl for addresses and routes,
// GARP / unsolicited NA for announcements.

#include <memory>
#include <optional>
#include <unordered_map>

#include "daemon/carry.hpp"
#include "daemon/effects.hpp"
#include "daemon/ledger.hpp"
#include "dataplane/dataplane.hpp"
#include "net/gratuitous.hpp"
#include "net/netlink.hpp"
#include "net/vrrp_socket.hpp"

namespace xvrrp::daemon {

// Keys of the ledger entries for addresses, routes and rules, shared with static config.
std::string addressKey(const char* kind, int ifindex, const config::VirtualAddress& a);
std::string routeKey(const char* kind, const config::Route& r, int default_ifindex);
std::string ruleKey(const char* kind, const config::Rule& r);

// VIPs, virtual_routes and virtual_rules: each change is recorded in the ledger until the
// instance undoes it itself, so a stop removes whatever a master left.
class NetlinkEffects : public AddressTable, public Announcer {
public:
    NetlinkEffects(net::Netlink& nl, Ledger& ledger) : nl_(nl), ledger_(ledger) {}
    void addAddress(int ifindex, const config::VirtualAddress& vip) override {
        nl_.addAddress(ifindex, vip);
        ledger_.record(addressKey("vip", ifindex, vip), "VIP " + vip.prefix.str(),
                       [this, ifindex, vip] { nl_.removeAddress(ifindex, vip); },
                       carryAddress(ifindex, vip));
    }
    void removeAddress(int ifindex, const config::VirtualAddress& vip) override {
        nl_.removeAddress(ifindex, vip);  // a failure keeps the entry for the stop
        ledger_.forget(addressKey("vip", ifindex, vip));
    }
    void addRoute(const config::Route& r, int ifindex) override {
        nl_.addRoute(r, ifindex);
        ledger_.record(routeKey("vroute", r, ifindex), "virtual route " + r.to.str(),
                       [this, r, ifindex] { nl_.removeRoute(r, ifindex); }, carryRoute(ifindex, r));
    }
    void removeRoute(const config::Route& r, int ifindex) override {
        nl_.removeRoute(r, ifindex);
        ledger_.forget(routeKey("vroute", r, ifindex));
    }
    void addRule(const config::Rule& r) override {
        nl_.addRule(r);
        ledger_.record(ruleKey("vrule", r), "virtual rule", [this, r] { nl_.removeRule(r); },
                       carryRule(r));
    }
    void removeRule(const config::Rule& r) override {
        nl_.removeRule(r);
        ledger_.forget(ruleKey("vrule", r));
    }
    bool holds(int ifindex, const IpAddr& addr) override { return nl_.hasAddress(ifindex, addr); }
    int ifindexOf(const std::string& ifname) override {
        auto l = nl_.linkByName(ifname);
        return l ? l->ifindex : 0;
    }
    bool announce(int ifindex, const IpAddr& vip) override {
        auto link = nl_.linkByIndex(ifindex);
        if (!link) return false;
        // Both calls skip links without ARP or an Ethernet address (tunnels).
        return vip.isV4() ? announcer_.sendGratuitousArp(*link, vip)
                          : announcer_.sendUnsolicitedNa(*link, vip);
    }

private:
    net::Netlink& nl_;
    Ledger& ledger_;
    net::Announcer announcer_;
};

// VIP verdicts (xv_vips) and the quiet fast path (xv_expect) in the BPF maps. Maps are not
// system state: they go with the daemon's pins.
class DataplaneOwnership : public Ownership, public KernelAbsorb {
public:
    explicit DataplaneOwnership(dataplane::Dataplane& dp) : dp_(dp) {}
    void expect(const dataplane::InstanceId& inst, const IpAddr& master, uint8_t priority,
                uint16_t interval_cs, std::span<const uint8_t> message) override {
        dp_.expectMaster(inst, master, priority, interval_cs, message);
    }
    void stop(const dataplane::InstanceId& inst) override { dp_.forgetMaster(inst); }
    std::optional<uint64_t> lastSeen(const dataplane::InstanceId& inst) override;
    // A timer pass (Daemon::onTimer) checks the kernel for many absorbing backups at one
    // `now`: past kLookupsBeforeBatch lookups, the rest of the pass is answered from one
    // whole-map read of xv_vrid_rx, taken after that `now` (so as fresh as a lookup would
    // be for the decision) instead of a syscall per instance.
    void beginPass();
    void endPass();
    void setVerdict(int ifindex, const IpAddr& vip, VipVerdict v, const dataplane::InstanceId& inst,
                    uint64_t max_age_ns) override {
        auto dv = v == VipVerdict::Pass     ? dataplane::Verdict::kPass
                  : v == VipVerdict::DropIp ? dataplane::Verdict::kDropIp
                                            : dataplane::Verdict::kDropAll;
        dp_.setVipVerdict(ifindex, vip, dv, inst, max_age_ns);
    }
    void forget(int ifindex, const IpAddr& vip) override { dp_.removeVip(ifindex, vip); }

private:
    static constexpr unsigned kLookupsBeforeBatch = 16;
    dataplane::Dataplane& dp_;
    bool in_pass_ = false;
    unsigned pass_lookups_ = 0;
    std::optional<std::unordered_map<uint64_t, uint64_t>> pass_seen_;  // packed key -> ns
};

}  // namespace xvrrp::daemon
