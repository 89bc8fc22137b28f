#pragma once
// rtnetlink through libnl-route-3: look up links and addresses, add and remove the
// virtual addresses and routes of an instance. Synchronous requests on one socket;
// not thread-safe (the daemon uses it from its event loop only).

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "config/config.hpp"
#include "net/error.hpp"
#include "net/rule.hpp"

struct nl_sock;

namespace xvrrp::net {

using MacAddr = std::array<uint8_t, 6>;

struct LinkInfo {
    int ifindex = 0;
    std::string name;
    MacAddr mac{};             // zero when the link has no 6-byte hardware address
    unsigned flags = 0;        // IFF_UP, IFF_RUNNING, IFF_LOWER_UP, IFF_NOARP, ...
    unsigned arptype = 0;      // ARPHRD_ETHER, ARPHRD_NONE (wireguard), ...
    unsigned mtu = 0;
    uint8_t operstate = 0;     // IF_OPER_* (RFC 2863)
    // A VLAN sub-interface: its parent and the tag frames carry there (TPID host order).
    struct Vlan {
        int parent_ifindex = 0;
        uint16_t tpid = 0;
        uint16_t vid = 0;
    };
    std::optional<Vlan> vlan;

    // Out of line: <net/if.h> and <linux/if.h> clash, so this header includes neither.
    bool up() const;
    bool running() const;  // up and carrier (operationally up)
    bool noArp() const;
    bool multicast() const;  // IFF_MULTICAST (WireGuard and ipip/GRE tunnels lack it)
    bool pointToPoint() const;
    bool hasMac() const { return mac != MacAddr{}; }
};

// A VRRP virtual MAC interface (use_vmac): a private-mode macvlan on the instance's
// interface. Adverts and VIPs go on ifindex; with vmac_xmit_base the daemon sends and
// receives adverts on base_ifindex instead.
struct Vmac {
    int ifindex = 0;
    std::string name;
    MacAddr mac{};
    int base_ifindex = 0;
    std::string base_name;
    Family family = Family::V4;
    bool reused = false;  // an identical VMAC was already there (left by a crash)
};

// RFC 5798 section 7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6.
MacAddr vmacAddress(uint8_t vrid, Family f);

// use_vmac's name when one is given, else keepalived's default "vrrp.VRID" (prefix cut so
// the name fits IFNAMSIZ).
std::string vmacName(const std::string& configured, uint8_t vrid, const std::string& prefix = "vrrp");

// "global", "site", "link", "host", "nowhere" or a number 0..255 (iproute2 names).
// Throws NetError for anything else.
uint8_t parseScope(const std::string& text);

// IPv4 broadcast for "brd +": host bits set. None for /31 and /32 (RFC 3021).
std::optional<IpAddr> autoBroadcast(const IpPrefix& p);

class Netlink {
public:
    static std::unique_ptr<Netlink> open();
    ~Netlink();
    Netlink(const Netlink&) = delete;
    Netlink& operator=(const Netlink&) = delete;

    std::optional<LinkInfo> linkByName(const std::string& name);
    std::optional<LinkInfo> linkByIndex(int ifindex);
    void setLinkUp(int ifindex, bool up);

    // IPv4: the first primary (non-secondary) address. IPv6: the first usable link-local
    // address, because RFC 5798 section 5.1.2.1 requires a link-local source; tentative
    // or DAD-failed addresses are skipped since they cannot be bound yet.
    std::optional<IpAddr> primaryAddress(int ifindex, Family f);
    std::vector<IpPrefix> addresses(int ifindex, Family f);
    bool hasAddress(int ifindex, const IpAddr& a);

    // Honours brd / brd +, scope, label (IPv4), peer, nodad, noprefixroute.
    // Adding an address that exists or removing one that does not is not an error.
    void addAddress(int ifindex, const config::VirtualAddress& va);
    void removeAddress(int ifindex, const config::VirtualAddress& va);

    // route.dev names the interface; otherwise the kernel resolves `via` (as keepalived),
    // and a route without either goes on default_ifindex. Routes carry protocol
    // "keepalived" (RTPROT_KEEPALIVED) unless the config says otherwise. Idempotent;
    // removeRoute tells whether there was a route to remove.
    void addRoute(const config::Route& r, int default_ifindex);
    bool removeRoute(const config::Route& r, int default_ifindex);

    // static_ipaddress / static_routes / static_rules, as keepalived 2.2.7's vrrp_daemon.c:
    // at start remove leftovers then add them (addresses, routes, rules); at stop remove
    // them (rules, routes, addresses); at reload remove only those no longer configured.
    // An address or route without dev goes on the default interface (keepalived: eth0).
    // The ifindex of dev, or NetError "<call> dev: no such interface" naming call.
    int ifindexForDev(const std::string& dev, const std::string& call = "ifindexForDev");
    // False for IFF_NOARP links and for links without a 6-byte hardware address (tun,
    // wireguard, ip-in-ip): no GARP there, unicast VRRP only.
    bool linkSupportsArp(int ifindex);

    // Policy rules (rule.hpp). The kernel is asked with NLM_F_EXCL so an identical rule is
    // reported instead of added twice; adding one that exists or removing one that does
    // not is not an error (removeRule then returns false). The config::Rule overloads parse
    // without default priorities.
    void addRule(const RuleSpec& r);
    bool removeRule(const RuleSpec& r);
    void addRule(const config::Rule& r) { addRule(ruleSpec(r)); }
    bool removeRule(const config::Rule& r) { return removeRule(ruleSpec(r)); }

    // Creates (or reuses an identical one, or replaces a stale macvlan of that name) the
    // VMAC of an instance, sets keepalived's sysctls and brings it up. IPv4: on the VMAC
    // arp_ignore=1, accept_local=1, rp_filter=0, promote_secondaries=1, IPv6 off; on the
    // base arp_ignore=1, arp_filter=1; all.rp_filter cleared (raised per interface first).
    // IPv6: no address autogeneration; the base's link-local (or its EUI-64) as /64.
    // Throws NetError when name belongs to an interface that is not a macvlan.
    Vmac createVmac(int base_ifindex, const std::string& name, uint8_t vrid, Family f);
    // Deletes the VMAC and puts back the base's and the global sysctls once the last VMAC
    // that changed them is gone. Missing links are not an error.
    void deleteVmac(const Vmac& v);
    void deleteLink(int ifindex);
    // Every macvlan carrying an RFC 5798 virtual MAC (a VMAC, whoever made it); base_ifindex
    // is the interface it sits on.
    std::vector<Vmac> virtualMacLinks();

private:
    explicit Netlink(nl_sock* sock) : sock_(sock) {}
    std::string ifDesc(int ifindex);
    std::string routeDesc(const config::Route& r);
    bool sendRule(const RuleSpec& r, bool add);
    void vmacSysctlsV4(const Vmac& v);
    void vmacIpv6(const Vmac& v);
    void clearRpFilter();
    void restoreRpFilter();

    // Values keepalived restores at stop: base arp_ignore/arp_filter (refcounted per
    // base), and rp_filter of all/default/each interface while any IPv4 VMAC exists.
    struct SavedArp {
        int users = 0;
        std::string name;
        std::optional<int> arp_ignore, arp_filter;
    };
    struct SavedRpFilter {
        int users = 0;
        int all = 0;
        std::map<std::string, int> raised;  // ifname (or "default") -> value before
    };

    nl_sock* sock_;
    std::map<int, SavedArp> base_arp_;
    SavedRpFilter rp_filter_;
};

}  // namespace xvrrp::net
