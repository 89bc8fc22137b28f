// use_vmac: the VRRP virtual MAC on a private-mode macvlan, as keepalived 2.2.7 builds it
// (vrrp_vmac.c netlink_link_add_vmac, vrrp_if_config.c set_interface_parameters).
#include <dirent.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/macvlan.h>

#include <cstring>

#include "net/netlink.hpp"
#include "net/sysctl.hpp"

namespace xvrrp::net {

namespace {

struct LinkDeleter {
    void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrDeleter {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct RtAddrDeleter {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;

LinkPtr getLink(nl_sock* sk, int ifindex, const std::string& name) {
    rtnl_link* raw = nullptr;
    int err = rtnl_link_get_kernel(sk, ifindex, ifindex ? nullptr : name.c_str(), &raw);
    LinkPtr l(raw);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return nullptr;
    if (err < 0)
        throwNl("rtnl_link_get_kernel", ifindex ? "ifindex " + std::to_string(ifindex) : name, err);
    return l;
}

MacAddr macOf(rtnl_link* l) {
    MacAddr m{};
    if (nl_addr* a = rtnl_link_get_addr(l); a && nl_addr_get_len(a) == m.size())
        std::memcpy(m.data(), nl_addr_get_binary_addr(a), m.size());
    return m;
}

// fe80::/64 with the modified EUI-64 of mac (RFC 4291 section 2.5.1, appendix A).
IpAddr linkLocalFromMac(const MacAddr& m) {
    uint8_t b[16] = {0xfe, 0x80};
    b[8] = m[0] ^ 0x02;
    b[9] = m[1];
    b[10] = m[2];
    b[11] = 0xff;
    b[12] = 0xfe;
    b[13] = m[3];
    b[14] = m[4];
    b[15] = m[5];
    return IpAddr::fromBytes(Family::V6, b);
}

void setIfSysctl(const std::string& ifname, const char* key, int value) {
    writeConfSysctl(Family::V4, ifname, key, value);
}

}  // namespace

MacAddr vmacAddress(uint8_t vrid, Family f) {
    return {0x00, 0x00, 0x5e, 0x00, static_cast<uint8_t>(f == Family::V4 ? 0x01 : 0x02), vrid};
}

std::string vmacName(const std::string& configured, uint8_t vrid, const std::string& prefix) {
    if (!configured.empty()) return configured;
    const std::string suffix = "." + std::to_string(vrid);
    const size_t room = IFNAMSIZ - 1 - suffix.size();  // keepalived shortens the prefix
    return prefix.substr(0, room) + suffix;
}

int Netlink::ifindexForDev(const std::string& dev, const std::string& call) {
    auto l = linkByName(dev);
    if (!l) throw NetError(call + " " + dev + ": no such interface");
    return l->ifindex;
}

bool Netlink::linkSupportsArp(int ifindex) {
    auto l = linkByIndex(ifindex);
    if (!l)
        throw NetError("linkSupportsArp ifindex " + std::to_string(ifindex) +
                       ": no such interface");
    return !l->noArp() && l->hasMac();
}

void Netlink::deleteLink(int ifindex) {
    LinkPtr l(rtnl_link_alloc());
    if (!l) throw NetError("rtnl_link_alloc: out of memory");
    rtnl_link_set_ifindex(l.get(), ifindex);
    int err = rtnl_link_delete(sock_, l.get());
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return;
    if (err < 0) throwNl("rtnl_link_delete", ifDesc(ifindex), err);
}

std::vector<Vmac> Netlink::virtualMacLinks() {
    nl_cache* raw = nullptr;
    if (int err = rtnl_link_alloc_cache(sock_, AF_UNSPEC, &raw); err < 0)
        throwNl("rtnl_link_alloc_cache", "for VMACs", err);
    std::unique_ptr<nl_cache, void (*)(nl_cache*)> cache(raw, nl_cache_free);
    std::vector<Vmac> out;
    for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
        auto* l = reinterpret_cast<rtnl_link*>(o);
        const char* kind = rtnl_link_get_type(l);
        const MacAddr m = macOf(l);
        // RFC 5798 7.3: 00-00-5E-00-01-{VRID} (IPv4), 00-00-5E-00-02-{VRID} (IPv6).
        if (!kind || std::strcmp(kind, "macvlan") != 0 || m[0] != 0 || m[1] != 0 || m[2] != 0x5e ||
            m[3] != 0 || (m[4] != 1 && m[4] != 2))
            continue;
        Vmac v;
        v.ifindex = rtnl_link_get_ifindex(l);
        v.name = rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "";
        v.mac = m;
        v.base_ifindex = rtnl_link_get_link(l);
        v.family = m[4] == 1 ? Family::V4 : Family::V6;
        out.push_back(v);
    }
    return out;
}

Vmac Netlink::createVmac(int base_ifindex, const std::string& name, uint8_t vrid, Family f) {
    Vmac v;
    v.name = name;
    v.mac = vmacAddress(vrid, f);
    v.base_ifindex = base_ifindex;
    v.family = f;
    const std::string what = "VMAC " + name;
    LinkPtr base = getLink(sock_, base_ifindex, "");
    if (!base)
        throw NetError("createVmac " + what + ": no base interface ifindex " +
                       std::to_string(base_ifindex));
    v.base_name = rtnl_link_get_name(base.get());

    // A VMAC left by a crash is reused when it matches, replaced when it is a stale
    // macvlan, and anything else of that name is never touched.
    if (LinkPtr old = getLink(sock_, 0, name)) {
        const char* kind = rtnl_link_get_type(old.get());
        if (!kind || std::strcmp(kind, "macvlan") != 0)
            throw NetError("createVmac " + what +
                           ": an interface of that name exists and is not a macvlan");
        const bool same = rtnl_link_get_link(old.get()) == base_ifindex &&
                          macOf(old.get()) == v.mac &&
                          rtnl_link_macvlan_get_mode(old.get()) == MACVLAN_MODE_PRIVATE;
        if (same) {
            v.reused = true;
            v.ifindex = rtnl_link_get_ifindex(old.get());
        } else {
            deleteLink(rtnl_link_get_ifindex(old.get()));
        }
    }
    if (!v.reused) {
        LinkPtr l(rtnl_link_macvlan_alloc());
        if (!l) throw NetError("rtnl_link_macvlan_alloc " + what + ": out of memory");
        rtnl_link_set_link(l.get(), base_ifindex);
        rtnl_link_set_name(l.get(), name.c_str());
        std::unique_ptr<nl_addr, AddrDeleter> mac(
            nl_addr_build(AF_LLC, v.mac.data(), v.mac.size()));
        rtnl_link_set_addr(l.get(), mac.get());
        // Private mode: frames from one macvlan are not delivered to its siblings.
        rtnl_link_macvlan_set_mode(l.get(), MACVLAN_MODE_PRIVATE);
        int err = rtnl_link_add(sock_, l.get(), NLM_F_CREATE | NLM_F_EXCL);
        if (err < 0) throwNl("rtnl_link_add", what + " on " + v.base_name, err);
        v.ifindex = ifindexForDev(name, "rtnl_link_add " + what);
    }

    try {
        if (f == Family::V4)
            vmacSysctlsV4(v);
        else
            vmacIpv6(v);
        setLinkUp(v.ifindex, true);
    } catch (...) {
        if (!v.reused) deleteVmac(v);
        throw;
    }
    return v;
}

void Netlink::vmacSysctlsV4(const Vmac& v) {
    clearRpFilter();
    // VMAC: ignore ARP for the base's addresses, hear our own multicast adverts sent by
    // another instance, and receive while the VMAC has no address yet.
    setIfSysctl(v.name, "arp_ignore", 1);
    setIfSysctl(v.name, "accept_local", 1);
    setIfSysctl(v.name, "rp_filter", 0);
    setIfSysctl(v.name, "promote_secondaries", 1);
    // An IPv4 instance wants no IPv6 on its VMAC (missing when IPv6 is off: fine).
    if (readConfSysctl(Family::V6, v.name, "disable_ipv6"))
        writeConfSysctl(Family::V6, v.name, "disable_ipv6", 1);

    // Base: it must not answer ARP for the VIPs that live on the VMAC.
    SavedArp& s = base_arp_[v.base_ifindex];
    if (s.users++ > 0) return;
    s.name = v.base_name;
    for (auto [key, slot] :
         {std::pair{"arp_ignore", &s.arp_ignore}, {"arp_filter", &s.arp_filter}}) {
        auto old = readConfSysctl(Family::V4, v.base_name, key);
        if (old && *old != 1) {
            setIfSysctl(v.base_name, key, 1);
            *slot = *old;
        }
    }
}

void Netlink::vmacIpv6(const Vmac& v) {
    if (readConfSysctl(Family::V6, v.name, "disable_ipv6"))
        writeConfSysctl(Family::V6, v.name, "disable_ipv6", 0);
    // RFC 5798 section 7.4: the VMAC's own EUI-64 link-local must not be used, so no
    // autogenerated address; the base's link-local is the advert source instead.
    LinkPtr orig = getLink(sock_, v.ifindex, "");
    LinkPtr change(rtnl_link_alloc());
    if (!orig || !change) throw NetError("createVmac VMAC " + v.name + ": link vanished");
    rtnl_link_inet6_set_addr_gen_mode(change.get(), IN6_ADDR_GEN_MODE_NONE);
    if (int err = rtnl_link_change(sock_, orig.get(), change.get(), 0); err < 0)
        throwNl("rtnl_link_change addr_gen_mode none", "VMAC " + v.name, err);

    auto ll = primaryAddress(v.base_ifindex, Family::V6);
    if (!ll) ll = linkLocalFromMac(macOf(getLink(sock_, v.base_ifindex, "").get()));
    config::VirtualAddress va;
    va.prefix = IpPrefix{*ll, 64};
    va.nodad = true;  // usable at once; the address is the base's, already checked there
    addAddress(v.ifindex, va);
}

void Netlink::deleteVmac(const Vmac& v) {
    // Only what is still our macvlan: the ifindex may have been reused meanwhile.
    if (LinkPtr l = getLink(sock_, v.ifindex, "")) {
        const char* kind = rtnl_link_get_type(l.get());
        if (v.name == rtnl_link_get_name(l.get()) && kind && std::strcmp(kind, "macvlan") == 0)
            deleteLink(v.ifindex);
    }
    if (v.family != Family::V4) return;
    auto it = base_arp_.find(v.base_ifindex);
    if (it != base_arp_.end() && --it->second.users == 0) {
        const SavedArp s = it->second;
        base_arp_.erase(it);
        if (readConfSysctl(Family::V4, s.name, "arp_ignore")) {
            if (s.arp_ignore) setIfSysctl(s.name, "arp_ignore", *s.arp_ignore);
            if (s.arp_filter) setIfSysctl(s.name, "arp_filter", *s.arp_filter);
        }
    }
    restoreRpFilter();
}

// The kernel uses max(all, IF) for rp_filter, so the VMAC's rp_filter=0 needs all=0.
// Like keepalived (clear_rp_filter), raise every interface and default to all's value
// first so nothing else loses its filter, then clear all; undone with the last VMAC.
void Netlink::clearRpFilter() {
    if (rp_filter_.users++ > 0) return;
    rp_filter_.raised.clear();
    rp_filter_.all = readConfSysctl(Family::V4, "all", "rp_filter").value_or(0);
    if (rp_filter_.all == 0) return;
    std::vector<std::string> names;
    if (DIR* d = ::opendir("/proc/sys/net/ipv4/conf")) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.' && std::strcmp(e->d_name, "all") != 0)
                names.emplace_back(e->d_name);
        ::closedir(d);
    }
    for (const auto& n : names) {
        auto cur = readConfSysctl(Family::V4, n, "rp_filter");
        if (cur && *cur < rp_filter_.all) {
            setIfSysctl(n, "rp_filter", rp_filter_.all);
            rp_filter_.raised[n] = *cur;
        }
    }
    setIfSysctl("all", "rp_filter", 0);
}

void Netlink::restoreRpFilter() {
    if (rp_filter_.users == 0 || --rp_filter_.users > 0 || rp_filter_.all == 0) return;
    // Only values still as we left them; an administrator's later change wins.
    if (readConfSysctl(Family::V4, "all", "rp_filter") == 0)
        setIfSysctl("all", "rp_filter", rp_filter_.all);
    for (const auto& [n, old] : rp_filter_.raised)
        if (readConfSysctl(Family::V4, n, "rp_filter") == rp_filter_.all)
            setIfSysctl(n, "rp_filter", old);
    rp_filter_.raised.clear();
    rp_filter_.all = 0;
}

}  // namespace xvrrp::net
