#include "net/netlink.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include <charconv>
#include <cstring>

namespace xvrrp::net {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const {
        if (p) Free(p);
    }
};
using NlAddrPtr = std::unique_ptr<nl_addr, Deleter<nl_addr, nl_addr_put>>;
using CachePtr = std::unique_ptr<nl_cache, Deleter<nl_cache, nl_cache_free>>;
using AddrPtr = std::unique_ptr<rtnl_addr, Deleter<rtnl_addr, rtnl_addr_put>>;
using LinkPtr = std::unique_ptr<rtnl_link, Deleter<rtnl_link, rtnl_link_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Deleter<rtnl_route, rtnl_route_put>>;

int afOf(Family f) { return f == Family::V4 ? AF_INET : AF_INET6; }

NlAddrPtr toNl(const IpAddr& a, int prefixlen) {
    NlAddrPtr p(nl_addr_build(afOf(a.family()), a.data(), a.size()));
    if (!p) throw NetError("nl_addr_build " + a.str() + ": out of memory");
    nl_addr_set_prefixlen(p.get(), prefixlen);
    return p;
}

std::optional<IpAddr> fromNl(nl_addr* a) {
    if (!a) return std::nullopt;
    const int fam = nl_addr_get_family(a);
    const auto* bytes = static_cast<const uint8_t*>(nl_addr_get_binary_addr(a));
    if (fam == AF_INET && nl_addr_get_len(a) == 4) return IpAddr::fromBytes(Family::V4, bytes);
    if (fam == AF_INET6 && nl_addr_get_len(a) == 16) return IpAddr::fromBytes(Family::V6, bytes);
    return std::nullopt;
}

LinkInfo toLinkInfo(rtnl_link* l) {
    LinkInfo info;
    info.ifindex = rtnl_link_get_ifindex(l);
    if (const char* n = rtnl_link_get_name(l)) info.name = n;
    if (nl_addr* hw = rtnl_link_get_addr(l); hw && nl_addr_get_len(hw) == info.mac.size())
        std::memcpy(info.mac.data(), nl_addr_get_binary_addr(hw), info.mac.size());
    info.flags = rtnl_link_get_flags(l);
    info.arptype = rtnl_link_get_arptype(l);
    info.mtu = rtnl_link_get_mtu(l);
    info.operstate = rtnl_link_get_operstate(l);
    if (rtnl_link_is_vlan(l)) {
        // IFLA_VLAN_PROTOCOL is network order; libnl hands the attribute over as it is.
        const auto raw = static_cast<uint16_t>(rtnl_link_vlan_get_protocol(l));
        uint16_t tpid = ntohs(raw);
        if (tpid != 0x8100 && tpid != 0x88a8 && (raw == 0x8100 || raw == 0x88a8)) tpid = raw;
        info.vlan = LinkInfo::Vlan{rtnl_link_get_link(l), tpid ? tpid : uint16_t(0x8100),
                                   static_cast<uint16_t>(rtnl_link_vlan_get_id(l))};
    }
    return info;
}

bool isMissing(int err) {
    return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV || err == -NLE_NOADDR;
}

}  // namespace

bool LinkInfo::up() const { return flags & IFF_UP; }
bool LinkInfo::running() const { return flags & IFF_RUNNING; }
bool LinkInfo::noArp() const { return flags & IFF_NOARP; }
bool LinkInfo::multicast() const { return flags & IFF_MULTICAST; }
bool LinkInfo::pointToPoint() const { return flags & IFF_POINTOPOINT; }

uint8_t parseScope(const std::string& text) {
    static const std::pair<const char*, uint8_t> kNames[] = {
        {"global", RT_SCOPE_UNIVERSE}, {"universe", RT_SCOPE_UNIVERSE},
        {"site", RT_SCOPE_SITE},       {"link", RT_SCOPE_LINK},
        {"host", RT_SCOPE_HOST},       {"nowhere", RT_SCOPE_NOWHERE},
    };
    for (const auto& [name, value] : kNames)
        if (text == name) return value;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v > 255)
        throw NetError("scope '" + text + "': expected global|site|link|host|nowhere or 0..255");
    return static_cast<uint8_t>(v);
}

std::optional<IpAddr> autoBroadcast(const IpPrefix& p) {
    if (!p.addr.isV4() || p.len > 30) return std::nullopt;
    in_addr a = p.addr.toV4();
    const uint32_t host = p.len == 0 ? 0xffffffffu : (0xffffffffu >> p.len);
    a.s_addr |= htonl(host);
    return IpAddr::v4(a);
}

std::unique_ptr<Netlink> Netlink::open() {
    nl_sock* sk = nl_socket_alloc();
    if (!sk) throw NetError("nl_socket_alloc: out of memory");
    if (int err = nl_connect(sk, NETLINK_ROUTE); err < 0) {
        nl_socket_free(sk);
        throwNl("nl_connect", "NETLINK_ROUTE", err);
    }
    return std::unique_ptr<Netlink>(new Netlink(sk));
}

Netlink::~Netlink() { nl_socket_free(sock_); }

std::optional<LinkInfo> Netlink::linkByName(const std::string& name) {
    rtnl_link* raw = nullptr;
    int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw);
    LinkPtr link(raw);
    if (isMissing(err)) return std::nullopt;
    if (err < 0) throwNl("rtnl_link_get_kernel", "interface " + name, err);
    return toLinkInfo(link.get());
}

std::optional<LinkInfo> Netlink::linkByIndex(int ifindex) {
    rtnl_link* raw = nullptr;
    int err = rtnl_link_get_kernel(sock_, ifindex, nullptr, &raw);
    LinkPtr link(raw);
    if (isMissing(err)) return std::nullopt;
    if (err < 0) throwNl("rtnl_link_get_kernel", "ifindex " + std::to_string(ifindex), err);
    return toLinkInfo(link.get());
}

void Netlink::setLinkUp(int ifindex, bool up) {
    rtnl_link* raw = nullptr;
    int err = rtnl_link_get_kernel(sock_, ifindex, nullptr, &raw);
    LinkPtr orig(raw);
    if (err < 0) throwNl("rtnl_link_get_kernel", "ifindex " + std::to_string(ifindex), err);
    LinkPtr change(rtnl_link_alloc());
    if (!change) throw NetError("rtnl_link_alloc: out of memory");
    if (up)
        rtnl_link_set_flags(change.get(), IFF_UP);
    else
        rtnl_link_unset_flags(change.get(), IFF_UP);
    err = rtnl_link_change(sock_, orig.get(), change.get(), 0);
    if (err < 0) throwNl("rtnl_link_change", std::string(up ? "up " : "down ") + ifDesc(ifindex), err);
}

std::string Netlink::ifDesc(int ifindex) {
    std::string name;
    try {
        if (auto l = linkByIndex(ifindex)) name = l->name + " ";
    } catch (const NetError&) {
        // only for a message; the original error matters more
    }
    return "on " + name + "(ifindex " + std::to_string(ifindex) + ")";
}

namespace {

// Calls fn(rtnl_addr*) for every address of ifindex in family f, from a fresh dump.
template <typename Fn>
void forEachAddress(nl_sock* sk, int ifindex, Family f, Fn&& fn) {
    nl_cache* raw = nullptr;
    if (int err = rtnl_addr_alloc_cache(sk, &raw); err < 0)
        throwNl("rtnl_addr_alloc_cache", "ifindex " + std::to_string(ifindex), err);
    CachePtr cache(raw);
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
        auto* a = reinterpret_cast<rtnl_addr*>(o);
        if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != afOf(f)) continue;
        if (!fn(a)) break;
    }
}

}  // namespace

std::optional<IpAddr> Netlink::primaryAddress(int ifindex, Family f) {
    std::optional<IpAddr> found;
    forEachAddress(sock_, ifindex, f, [&](rtnl_addr* a) {
        auto local = fromNl(rtnl_addr_get_local(a));
        const unsigned flags = rtnl_addr_get_flags(a);
        if (!local) return true;
        if (f == Family::V4 && (flags & IFA_F_SECONDARY)) return true;
        if (f == Family::V6 &&
            (!local->isLinkLocal() || (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))))
            return true;
        found = local;
        return false;
    });
    return found;
}

std::vector<IpPrefix> Netlink::addresses(int ifindex, Family f) {
    std::vector<IpPrefix> out;
    forEachAddress(sock_, ifindex, f, [&](rtnl_addr* a) {
        if (auto local = fromNl(rtnl_addr_get_local(a)))
            out.push_back({*local, static_cast<uint8_t>(rtnl_addr_get_prefixlen(a))});
        return true;
    });
    return out;
}

bool Netlink::hasAddress(int ifindex, const IpAddr& addr) {
    bool found = false;
    forEachAddress(sock_, ifindex, addr.family(), [&](rtnl_addr* a) {
        found = fromNl(rtnl_addr_get_local(a)) == addr;
        return !found;
    });
    return found;
}

namespace {

AddrPtr buildAddr(int ifindex, const config::VirtualAddress& va, bool for_add) {
    const IpPrefix& p = va.prefix;
    const std::string what = p.str();
    AddrPtr a(rtnl_addr_alloc());
    if (!a) throw NetError("rtnl_addr_alloc " + what + ": out of memory");
    rtnl_addr_set_ifindex(a.get(), ifindex);
    rtnl_addr_set_family(a.get(), afOf(p.addr.family()));
    if (int err = rtnl_addr_set_local(a.get(), toNl(p.addr, p.len).get()); err < 0)
        throwNl("rtnl_addr_set_local", what, err);
    if (va.peer) {
        if (int err = rtnl_addr_set_peer(a.get(), toNl(*va.peer, p.len).get()); err < 0)
            throwNl("rtnl_addr_set_peer", what + " peer " + va.peer->str(), err);
    }
    rtnl_addr_set_prefixlen(a.get(), p.len);
    if (!for_add) return a;

    std::optional<IpAddr> brd = va.broadcast;
    if (!brd && va.broadcast_auto) brd = autoBroadcast(p);
    if (brd && p.addr.isV4()) {
        if (int err = rtnl_addr_set_broadcast(a.get(), toNl(*brd, 32).get()); err < 0)
            throwNl("rtnl_addr_set_broadcast", what + " brd " + brd->str(), err);
    }
    if (!va.scope.empty()) rtnl_addr_set_scope(a.get(), parseScope(va.scope));
    if (!va.label.empty() && p.addr.isV4()) {
        if (int err = rtnl_addr_set_label(a.get(), va.label.c_str()); err < 0)
            throwNl("rtnl_addr_set_label", what + " label " + va.label, err);
    }
    unsigned flags = 0;
    if (va.nodad) flags |= IFA_F_NODAD;
    if (va.noprefixroute) flags |= IFA_F_NOPREFIXROUTE;
    if (va.home) flags |= IFA_F_HOMEADDRESS;
    if (va.autojoin) flags |= IFA_F_MCAUTOJOIN;
    if (flags) rtnl_addr_set_flags(a.get(), flags);
    return a;
}

}  // namespace

void Netlink::addAddress(int ifindex, const config::VirtualAddress& va) {
    AddrPtr a = buildAddr(ifindex, va, true);
    int err = rtnl_addr_add(sock_, a.get(), 0);
    if (err == -NLE_EXIST) return;  // already there: adding is idempotent
    if (err < 0) throwNl("rtnl_addr_add", va.prefix.str() + " " + ifDesc(ifindex), err);
}

void Netlink::removeAddress(int ifindex, const config::VirtualAddress& va) {
    AddrPtr a = buildAddr(ifindex, va, false);
    int err = rtnl_addr_delete(sock_, a.get(), 0);
    if (isMissing(err)) return;  // already gone (or the interface is)
    if (err < 0) throwNl("rtnl_addr_delete", va.prefix.str() + " " + ifDesc(ifindex), err);
}

std::string Netlink::routeDesc(const config::Route& r) {
    std::string s = "route " + r.to.str();
    if (r.via) s += " via " + r.via->str();
    if (!r.dev.empty()) s += " dev " + r.dev;
    if (r.table) s += " table " + std::to_string(*r.table);
    return s;
}

namespace {

RoutePtr buildRoute(const config::Route& r, int ifindex, const std::string& what) {
    RoutePtr rt(rtnl_route_alloc());
    if (!rt) throw NetError("rtnl_route_alloc " + what + ": out of memory");
    const Family fam = r.to.addr.family();
    rtnl_route_set_family(rt.get(), afOf(fam));
    if (int err = rtnl_route_set_dst(rt.get(), toNl(r.to.addr, r.to.len).get()); err < 0)
        throwNl("rtnl_route_set_dst", what, err);
    rtnl_route_set_table(rt.get(), r.table.value_or(RT_TABLE_MAIN));
    rtnl_route_set_protocol(rt.get(), r.protocol.value_or(RTPROT_KEEPALIVED));
    if (r.metric) rtnl_route_set_priority(rt.get(), *r.metric);
    if (!r.scope.empty()) rtnl_route_set_scope(rt.get(), parseScope(r.scope));
    if (r.src) {
        if (int err = rtnl_route_set_pref_src(rt.get(), toNl(*r.src, r.src->isV4() ? 32 : 128).get());
            err < 0)
            throwNl("rtnl_route_set_pref_src", what, err);
    }

    uint8_t type = RTN_UNICAST;
    if (r.blackhole) type = RTN_BLACKHOLE;
    if (r.unreachable) type = RTN_UNREACHABLE;
    if (r.prohibit) type = RTN_PROHIBIT;
    if (r.throw_) type = RTN_THROW;
    rtnl_route_set_type(rt.get(), type);
    if (type != RTN_UNICAST) return rt;  // no next hop for these route types

    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!nh) throw NetError("rtnl_route_nh_alloc " + what + ": out of memory");
    rtnl_route_nh_set_ifindex(nh, ifindex);
    if (r.via) rtnl_route_nh_set_gateway(nh, toNl(*r.via, r.via->isV4() ? 32 : 128).get());
    if (r.onlink) rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
    rtnl_route_add_nexthop(rt.get(), nh);  // the route owns nh now
    return rt;
}

}  // namespace

// keepalived sends no RTA_OIF for a route without `dev` (vrrp_iproute.c): with a gateway the
// kernel picks the interface that reaches it, which need not be the instance's.
static int defaultRouteIfindex(const config::Route& r, int default_ifindex) {
    return r.via ? 0 : default_ifindex;
}

void Netlink::addRoute(const config::Route& r, int default_ifindex) {
    const std::string what = routeDesc(r);
    int ifindex = defaultRouteIfindex(r, default_ifindex);
    if (!r.dev.empty()) {
        auto l = linkByName(r.dev);
        if (!l) throw NetError("rtnl_route_add " + what + ": no interface " + r.dev);
        ifindex = l->ifindex;
    }
    RoutePtr rt = buildRoute(r, ifindex, what);
    // Without NLM_F_EXCL the kernel answers EEXIST only for an identical route.
    int err = rtnl_route_add(sock_, rt.get(), 0);
    if (err == -NLE_EXIST) return;
    if (err < 0) throwNl("rtnl_route_add", what, err);
}

bool Netlink::removeRoute(const config::Route& r, int default_ifindex) {
    const std::string what = routeDesc(r);
    int ifindex = defaultRouteIfindex(r, default_ifindex);
    if (!r.dev.empty()) {
        auto l = linkByName(r.dev);
        if (!l) return false;  // the interface is gone and its routes with it
        ifindex = l->ifindex;
    }
    RoutePtr rt = buildRoute(r, ifindex, what);
    int err = rtnl_route_delete(sock_, rt.get(), 0);
    if (isMissing(err)) return false;
    if (err < 0) throwNl("rtnl_route_delete", what, err);
    return true;
}

}  // namespace xvrrp::net
