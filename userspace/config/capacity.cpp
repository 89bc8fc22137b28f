// Checks that need the whole file and what the kernel can hold: VIPs per advert for the
// interface's MTU, and the capacities of the BPF maps (include/xvrrp/abi.h).
#include "config/capacity.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <tuple>

#include "config/parse_util.hpp"
#include "xvrrp/abi.h"

namespace xvrrp::config {
namespace {

constexpr size_t kEthernetHeader = 14;  // keepalived counts it on every interface
constexpr size_t kVrrpHeader = 8;
constexpr size_t kAuthData = 8;  // RFC 3768 section 5.3.10, VRRPv2 over IPv4

size_t addrSize(Family f) { return f == Family::V6 ? 16 : 4; }
size_t authSize(int version, Family f) { return version == 2 && f == Family::V4 ? kAuthData : 0; }

std::string famName(Family f) { return f == Family::V6 ? "IPv6" : "IPv4"; }

}  // namespace

size_t advertCapacity(int version, Family family, uint32_t mtu) {
    const size_t header = kEthernetHeader + (family == Family::V6 ? 40 : 20) + kVrrpHeader +
                          authSize(version, family);
    if (mtu <= header) return 0;
    return std::min(kMaxAdvertAddrs, (mtu - header) / addrSize(family));
}

size_t receiveCapacity(int version, Family family) {
    return std::min(kMaxAdvertAddrs,
                    (XV_VRRP_MAX - kVrrpHeader - authSize(version, family)) / addrSize(family));
}

std::optional<uint32_t> systemInterfaceMtu(const std::string& name) {
    ifreq req{};
    if (name.empty() || name.size() >= sizeof(req.ifr_name)) return std::nullopt;
    std::memcpy(req.ifr_name, name.data(), name.size());
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    int rc = ::ioctl(fd, SIOCGIFMTU, &req);
    ::close(fd);
    if (rc != 0 || req.ifr_mtu <= 0) return std::nullopt;
    return static_cast<uint32_t>(req.ifr_mtu);
}

InterfaceFound systemInterface(const std::string& name) {
    ifreq req{};
    if (name.empty() || name.size() >= sizeof(req.ifr_name)) return InterfaceFound::Missing;
    std::memcpy(req.ifr_name, name.data(), name.size());
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return InterfaceFound::Missing;
    int rc = ::ioctl(fd, SIOCGIFFLAGS, &req);
    ::close(fd);
    if (rc != 0) return InterfaceFound::Missing;
    return (req.ifr_flags & IFF_LOOPBACK) ? InterfaceFound::Loopback : InterfaceFound::Present;
}

void checkAdvertCapacity(Instance& i, Context& ctx) {
    const int version = effectiveVersion(ctx.cfg, i);
    const Family fam = instanceFamily(i);
    auto known = ctx.options.interface_mtu ? ctx.options.interface_mtu(i.interface) : std::nullopt;
    const uint32_t mtu = known.value_or(kDefaultMtu);
    const std::string on = i.interface + " (MTU " + std::to_string(mtu) +
                           (known ? ")" : ", assumed: no such interface here)");
    const size_t cap = advertCapacity(version, fam, mtu);
    if (i.vips.size() > cap) {
        ctx.diags.advice(i.vips[cap].where,
                          "vrrp_instance '" + i.name + "' has " + std::to_string(i.vips.size()) +
                              " virtual addresses but an advert on " + on + " carries " +
                              std::to_string(cap) + ": the first " + std::to_string(cap) +
                              " are advertised, the other " + std::to_string(i.vips.size() - cap) +
                              " are held like virtual_ipaddress_excluded (as keepalived does)");
        i.advert_vips = cap;
    }
    const size_t rx = receiveCapacity(version, fam);
    if (std::min(cap, i.vips.size()) > rx)
        ctx.diags.error(i.vips[rx].where,
                        "vrrp_instance '" + i.name + "' would advertise " +
                            std::to_string(std::min(cap, i.vips.size())) + " " + famName(fam) +
                            " addresses on " + on + ", but xvrrpd receives adverts of at most " +
                            std::to_string(rx) + " (" + std::to_string(XV_VRRP_MAX) +
                            " bytes, XV_VRRP_MAX); list the others under virtual_ipaddress_excluded");
}

// Each limit is reported once, at the first thing that does not fit.
void checkMapCapacities(Context& ctx) {
    const auto& list = ctx.cfg.instances;
    if (list.size() > XV_MAX_INSTANCES)
        ctx.diags.error(list[XV_MAX_INSTANCES].where,
                        "vrrp_instance '" + list[XV_MAX_INSTANCES].name + "' is instance " +
                            std::to_string(XV_MAX_INSTANCES + 1) + " of " + std::to_string(list.size()) +
                            "; the kernel maps hold " + std::to_string(XV_MAX_INSTANCES) +
                            " (XV_MAX_INSTANCES)");
    std::set<std::pair<std::string, IpAddr>> vips;
    std::set<std::string> ifaces;
    size_t peers = 0;
    bool vipsReported = false, ifacesReported = false, peersReported = false;
    auto iface = [&](const std::string& name, const Location& where) {
        if (!ifaces.insert(name).second || ifaces.size() <= XV_MAX_IFACES || ifacesReported) return;
        ifacesReported = true;
        ctx.diags.error(where, "interface " + name + " is interface " + std::to_string(ifaces.size()) +
                                   " to receive on; the kernel's xv_ifcfg map holds " +
                                   std::to_string(XV_MAX_IFACES) + " (XV_MAX_IFACES)");
    };
    for (const auto& i : list) {
        if (!i.interface.empty()) iface(i.interface, i.interface_where.line ? i.interface_where : i.where);
        for (const auto* vl : {&i.vips, &i.vips_excluded})
            for (const auto& v : *vl) {
                const std::string& dev = v.dev.empty() ? i.interface : v.dev;
                if (!v.dev.empty()) iface(v.dev, v.where);
                if (!vips.emplace(dev, v.prefix.addr).second || vips.size() <= XV_MAX_VIPS || vipsReported)
                    continue;
                vipsReported = true;
                ctx.diags.error(v.where, "virtual address " + v.prefix.addr.str() + " on " + dev +
                                             " is VIP " + std::to_string(vips.size()) +
                                             " of the configuration; the kernel's xv_vips map holds " +
                                             std::to_string(XV_MAX_VIPS) + " (XV_MAX_VIPS)");
            }
        std::set<IpAddr> mine;
        for (const auto& p : i.unicast_peers) {
            if (!mine.insert(p.addr).second || ++peers <= XV_MAX_PEERS || peersReported) continue;
            peersReported = true;
            ctx.diags.error(p.where, "unicast peer " + p.addr.str() + " of vrrp_instance '" + i.name +
                                         "' is peer " + std::to_string(peers) +
                                         " of the configuration; the kernel's xv_peers map holds " +
                                         std::to_string(XV_MAX_PEERS) + " (XV_MAX_PEERS)");
        }
    }
}

}  // namespace xvrrp::config
