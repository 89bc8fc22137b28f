#pragma once
// The real implementations of the interpreter's interfaces: libnl for addresses and routes,
// GARP / unsolicited NA for announcements.

#include <memory>

#include "daemon/effects.hpp"
#include "dataplane/dataplane.hpp"
#include "net/gratuitous.hpp"
#include "net/netlink.hpp"
#include "net/vrrp_socket.hpp"

namespace xvrrp::daemon {

class NetlinkEffects : public AddressTable, public Announcer {
public:
    explicit NetlinkEffects(net::Netlink& nl) : nl_(nl) {}
    void addAddress(int ifindex, const config::VirtualAddress& vip) override {
        nl_.addAddress(ifindex, vip);
    }
    void removeAddress(int ifindex, const config::VirtualAddress& vip) override {
        nl_.removeAddress(ifindex, vip);
    }
    void addRoute(const config::Route& r, int ifindex) override { nl_.addRoute(r, ifindex); }
    void removeRoute(const config::Route& r, int ifindex) override { nl_.removeRoute(r, ifindex); }
    void addRule(const config::Rule& r) override { nl_.addRule(r); }
    void removeRule(const config::Rule& r) override { nl_.removeRule(r); }
    int ifindexOf(const std::string& ifname) override {
        auto l = nl_.linkByName(ifname);
        return l ? l->ifindex : 0;
    }
    void announce(int ifindex, const IpAddr& vip) override {
        auto link = nl_.linkByIndex(ifindex);
        if (!link) return;
        // Both calls skip links without ARP or an Ethernet address (tunnels).
        if (vip.isV4())
            announcer_.sendGratuitousArp(*link, vip);
        else
            announcer_.sendUnsolicitedNa(*link, vip);
    }

private:
    net::Netlink& nl_;
    net::Announcer announcer_;
};

class DataplaneOwnership : public Ownership {
public:
    explicit DataplaneOwnership(dataplane::Dataplane& dp) : dp_(dp) {}
    void setVerdict(int ifindex, const IpAddr& vip, VipVerdict v, const dataplane::InstanceId& inst,
                    uint64_t max_age_ns) override {
        auto dv = v == VipVerdict::Pass     ? dataplane::Verdict::kPass
                  : v == VipVerdict::DropIp ? dataplane::Verdict::kDropIp
                                            : dataplane::Verdict::kDropAll;
        dp_.setVipVerdict(ifindex, vip, dv, inst, max_age_ns);
    }
    void forget(int ifindex, const IpAddr& vip) override { dp_.removeVip(ifindex, vip); }

private:
    dataplane::Dataplane& dp_;
};

}  // namespace xvrrp::daemon
