#include "daemon/binder.hpp"

#include <net/if_arp.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>

#include "daemon/carry.hpp"
#include "daemon/validate.hpp"
#include "dataplane/dataplane.hpp"
#include "net/sysctl.hpp"

namespace xvrrp::daemon {

// An instance whose interface is missing or has no usable address waits in Init and is
// retried on link events (keepalived puts such instances in FAULT; status says why).
BindResult Binder::bind(InstanceRuntime& rt) {
    const auto& c = rt.cfg();
    BindResult res;
    auto link = nl_.linkByName(c.interface);
    if (!link) {
        spdlog::warn("({}) interface {} does not exist; waiting for it", c.name, c.interface);
        return res;
    }
    std::optional<IpAddr> src = c.src_ip;
    if (!src) src = nl_.primaryAddress(link->ifindex, rt.family());
    if (!src) {
        spdlog::warn("({}) interface {} has no {} address to send from; waiting", c.name,
                     c.interface, rt.family() == Family::V4 ? "IPv4" : "IPv6 link-local");
        return res;
    }
    res.fault = linkFault(c, *link);
    if (res.fault) spdlog::error("({}) {} - disabling", c.name, *res.fault);
    // keepalived's send_gratuitous_arp/ndisc_send_unsolicited_na skip IFF_NOARP links too.
    if (link->noArp())
        spdlog::info("({}) {} is NOARP: no gratuitous ARP or unsolicited NA on it", c.name,
                     link->name);
    attachXdp(*link);
    // A VIP on another interface (`dev`) is enforced there too: the kernel must drop its
    // traffic on a fenced or hung node whatever interface it arrives on.
    for (const auto* list : {&c.vips, &c.vips_excluded})
        for (const auto& v : *list) {
            if (v.dev.empty() || v.dev == c.interface) continue;
            if (auto other = nl_.linkByName(v.dev)) attachXdp(*other);
        }
    if (c.promote_secondaries) {
        try {
            setConfSysctl(Family::V4, link->name, "promote_secondaries", 1);
        } catch (const std::exception& e) {
            spdlog::warn("({}) promote_secondaries on {}: {}", c.name, link->name, e.what());
        }
    }
    int tx_ifindex = link->ifindex;
    std::string tx_name = link->name;
    if (c.use_vmac) tx_ifindex = useVmac(rt, *link, tx_name);
    const IpAddr* group = nullptr;
    if (!res.fault && rt.destinations().size() == 1 && rt.destinations()[0].isMulticast())
        group = &rt.destinations()[0];
    rt.bind(link->ifindex, *src,
            adverts_.transport(c.name, rt.family(), tx_ifindex, tx_name, *src, group));
    configureKernel(rt);
    res.bound = true;
    res.fenced = dp_.isFenced(rt.id());
    return res;
}

void Binder::checkInterfaces(const config::Config& cfg) {
    // Each interface once: a check asks the kernel for its XDP programs (link dumps), and
    // 1,000 instances on four interfaces made it 1,000 times at every start.
    std::unordered_set<std::string> checked;
    auto check = [&](const std::string& name) {
        if (name.empty() || !checked.insert(name).second) return;
        if (auto link = nl_.linkByName(name)) dp_.checkAttachable(link->ifindex, link->name);
    };
    for (const auto& inst : cfg.instances) {
        check(inst.interface);
        for (const auto* list : {&inst.vips, &inst.vips_excluded})
            for (const auto& v : *list) check(v.dev);
    }
}

// use_vmac: a macvlan with the VRRP virtual MAC (RFC 5798 section 7.3) carries the VIPs
// and, unless vmac_xmit_base, the adverts, so the virtual MAC is what hosts learn. Returns
// the interface adverts leave from.
int Binder::useVmac(InstanceRuntime& rt, const net::LinkInfo& link, std::string& tx_name) {
    const auto& c = rt.cfg();
    const std::string key = "vmac " + c.name;
    net::Vmac vmac = nl_.createVmac(link.ifindex, net::vmacName(c.vmac_name, c.vrid),
                                    c.vrid, rt.family());
    ledger_.record(key, "VMAC " + vmac.name + " of " + c.name,
                   [this, vmac] { nl_.deleteVmac(vmac); }, carryVmac(vmac));
    rt.setVmac(vmac.ifindex, vmac.name);
    // Replies from a VIP leave through the base interface; its ARP requests must not claim
    // the VIP with the base's MAC, or hosts move off the virtual MAC.
    if (rt.family() == Family::V4) {
        try {
            setConfSysctl(Family::V4, link.name, "arp_announce", 2);
        } catch (const std::exception& e) {
            spdlog::warn("({}) arp_announce on {}: {}", c.name, link.name, e.what());
        }
    }
    spdlog::info("({}) VMAC {} on {}", c.name, vmac.name, link.name);
    if (c.vmac_xmit_base) return link.ifindex;
    tx_name = vmac.name;
    return vmac.ifindex;
}

// Sets a conf sysctl and records its first value, so a stop puts back what was there.
void Binder::setConfSysctl(Family f, const std::string& ifname, const std::string& key,
                           int value) {
    const std::string id = "sysctl " + net::confSysctlPath(f, ifname, key);
    const int before = net::readConfSysctl(f, ifname, key).value_or(0);
    // Already at VALUE: by the process this one took over from, whose entry knows the
    // value to put back; or by someone else, and then there is nothing to put back.
    if (before == value) {
        ledger_.claim(id);
        return;
    }
    net::writeConfSysctl(f, ifname, key, value);
    ledger_.record(id, id + " = " + std::to_string(before),
                   [f, ifname, key, before] { net::writeConfSysctl(f, ifname, key, before); },
                   carrySysctl(f, ifname, key, before));
}

void Binder::attachXdp(const net::LinkInfo& link) {
    if (attached_.count(link.ifindex)) return;
    // Tunnels (WireGuard, GRE, tun) hand XDP the IP header; Ethernet and loopback do not.
    bool no_eth = link.arptype != ARPHRD_ETHER && link.arptype != ARPHRD_LOOPBACK;
    const int ifindex = link.ifindex;
    try {
        dp_.attach(ifindex, link.name, no_eth);
    } catch (...) {
        // attach() may have created the clsact qdisc before failing.
        if (dp_.createdClsact(ifindex)) dp_.destroyClsact(ifindex, link.name);
        throw;
    }
    const std::string clsact = "clsact " + std::to_string(ifindex);
    if (dp_.createdClsact(ifindex))
        ledger_.record(clsact, "clsact qdisc on " + link.name,
                       [this, ifindex, name = link.name] { dp_.destroyClsact(ifindex, name); },
                       carryInterface("clsact", ifindex, link.name));
    else if (ledger_.claim(clsact))  // the predecessor created it
        dp_.adoptClsact(ifindex);
    ledger_.record("xdp " + std::to_string(ifindex), "XDP and TC programs on " + link.name,
                   [this, ifindex] {
                       attached_.erase(ifindex);
                       dp_.detach(ifindex);
                   },
                   carryInterface("xdp", ifindex, link.name));
    attached_[ifindex] = link.name;
    spdlog::info("XDP on {} ({})", link.name, dp_.attachModeOf(ifindex));
}

// What the XDP program checks for this instance before an advert reaches us (mirrors
// vrrp::validate).
void Binder::configureKernel(const InstanceRuntime& rt) {
    const auto& c = rt.cfg();
    dataplane::InstanceFilter f;
    f.version = rt.version();
    f.interval_cs = static_cast<uint16_t>(c.advert_int_cs);
    if (rt.version() == 2 && c.auth_type == config::AuthType::Pass) {
        std::array<uint8_t, 8> pass{};
        std::copy_n(c.auth_pass.begin(), std::min<size_t>(8, c.auth_pass.size()), pass.begin());
        f.auth_pass = pass;
    }
    f.unicast = !c.unicast_peers.empty();
    for (const auto& p : c.unicast_peers) {
        dataplane::PeerFilter pf;
        pf.addr = p.addr;
        if (p.min_ttl) pf.min_ttl = static_cast<uint8_t>(*p.min_ttl);
        if (p.max_ttl) pf.max_ttl = static_cast<uint8_t>(*p.max_ttl);
        f.peers.push_back(pf);
    }
    // On a VLAN sub-interface, XDP on the parent lets this VLAN's adverts through.
    if (auto link = nl_.linkByIndex(rt.ifindex()); link && link->vlan)
        f.vlan = dataplane::VlanOf{link->vlan->parent_ifindex, link->vlan->tpid, link->vlan->vid};
    dp_.configureInstance(rt.id(), f);
}

void Binder::unbind(InstanceRuntime& rt) {
    if (rt.bound()) {
        rt.forgetOwnership();
        dp_.removeInstance(rt.id());
    }
    ledger_.undo("vmac " + rt.cfg().name);
}

// Shared (VRRP we do not validate goes to the stack): an interface named by
// --shared-interface, or one with our XDP but no bound instance (it only carries VIPs, so
// any VRRP on it belongs to another speaker). Recomputed whenever instances are bound or
// removed, for every interface we are attached to.
void Binder::refreshSharedFlags(const InstanceTable& table) {
    const auto& named = options_.shared_interfaces;
    for (const auto& [ifindex, name] : attached_) {
        bool shared = std::find(named.begin(), named.end(), name) != named.end();
        if (!shared) {
            shared = true;
            for (const auto& rt : table)
                if (rt->bound() && rt->ifindex() == ifindex) shared = false;
        }
        try {
            dp_.setInterfaceShared(ifindex, shared);
        } catch (const std::exception& e) {
            spdlog::warn("XDP shared flag on {}: {}", name, e.what());
        }
    }
}

void Binder::detachUnused(const InstanceTable& table) {
    std::set<int> used;
    std::unordered_set<std::string> asked;  // each `dev` once, not once per VIP naming it
    for (const auto& rt : table) {
        if (!rt->bound()) continue;
        used.insert(rt->ifindex());
        for (const auto* list : {&rt->cfg().vips, &rt->cfg().vips_excluded})
            for (const auto& v : *list)
                if (!v.dev.empty() && asked.insert(v.dev).second)
                    if (auto l = nl_.linkByName(v.dev)) used.insert(l->ifindex);
    }
    std::vector<std::pair<int, std::string>> unused;
    for (const auto& [ifindex, name] : attached_)
        if (!used.count(ifindex)) unused.emplace_back(ifindex, name);
    for (const auto& [ifindex, name] : unused) {
        ledger_.undo("xdp " + std::to_string(ifindex));
        ledger_.undo("clsact " + std::to_string(ifindex));
        spdlog::info("XDP receive path removed from {}", name);
    }
}

}  // namespace xvrrp::daemon
