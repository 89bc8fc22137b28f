#pragma once
// rtnetlink through libnl-route-3: look up links and addresses, add and remove the
// virtual addresses and routes of an instance. Synchronous requests on one socket;
// not thread-safe (the daemon uses it from its event loop only).

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "config/config.hpp"
#include "net/error.hpp"

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

    // Out of line: <net/if.h> and <linux/if.h> clash, so this header includes neither.
    bool up() const;
    bool running() const;  // up and carrier (operationally up)
    bool noArp() const;
    bool pointToPoint() const;
    bool hasMac() const { return mac != MacAddr{}; }
};

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

    // route.dev names the interface; otherwise default_ifindex. Routes carry protocol
    // "keepalived" (RTPROT_KEEPALIVED) unless the config says otherwise. Idempotent.
    void addRoute(const config::Route& r, int default_ifindex);
    void removeRoute(const config::Route& r, int default_ifindex);

private:
    explicit Netlink(nl_sock* sock) : sock_(sock) {}
    std::string ifDesc(int ifindex);
    std::string routeDesc(const config::Route& r);

    nl_sock* sock_;
};

}  // namespace xvrrp::net
