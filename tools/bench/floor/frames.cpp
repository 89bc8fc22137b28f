#include "frames.hpp"

#include <net/ethernet.h>
#include <net/if_arp.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "config/parser.hpp"
#include "net/netlink.hpp"
#include "net/vrrp_socket.hpp"
#include "vrrp/packet.hpp"

namespace xvrrp::bench {
namespace {

// The advert xvrrpd's InstanceRuntime::sendAdvert encodes for a master at its priority.
vrrp::Advert advertOf(const config::Config& c, const config::Instance& inst) {
    vrrp::Advert adv;
    adv.version = config::effectiveVersion(c, inst);
    adv.family = config::instanceFamily(inst);
    adv.vrid = inst.vrid;
    adv.priority = inst.priority;
    adv.max_advert_int_cs = static_cast<uint16_t>(inst.advert_int_cs);
    if (adv.version == 2 && inst.auth_type == config::AuthType::Pass) {
        adv.auth_type = 1;  // RFC 2338 section 5.3.6.1 simple text password
        std::copy_n(inst.auth_pass.begin(), std::min<size_t>(8, inst.auth_pass.size()),
                    adv.auth_data.begin());
    }
    for (const auto& v : config::advertisedVips(inst)) adv.addresses.push_back(v.prefix.addr);
    adv.old_unicast_checksum = inst.old_unicast_checksum.value_or(false);
    return adv;
}

}  // namespace

std::vector<FloorInterface> buildFloorFrames(const std::string& config_file) {
    auto loaded = config::loadConfigFile(config_file);
    if (!loaded.ok()) throw std::runtime_error(config_file + ": does not load (xvrrpd -t says why)");
    const config::Config& c = loaded.config;
    auto nl = net::Netlink::open();
    std::vector<FloorInterface> out;
    std::map<std::string, size_t> by_name;
    for (const auto& inst : c.instances) {
        const std::string where = "instance " + inst.name + ": ";
        if (!inst.unicast_peers.empty() || inst.use_vmac)
            throw std::runtime_error(where + "the floor sends group adverts only (no unicast_peer, no use_vmac)");
        auto link = nl->linkByName(inst.interface);
        if (!link) throw std::runtime_error(where + "no interface " + inst.interface);
        if (link->arptype != ARPHRD_ETHER) throw std::runtime_error(where + inst.interface + " is not Ethernet");
        const Family fam = config::instanceFamily(inst);
        std::optional<IpAddr> src = inst.src_ip;
        if (!src) src = nl->primaryAddress(link->ifindex, fam);
        if (!src) throw std::runtime_error(where + inst.interface + " has no address of the instance's family");
        const IpAddr group = fam == Family::V4 ? c.global.mcast_group4 : c.global.mcast_group6;

        auto [it, fresh] = by_name.try_emplace(inst.interface, out.size());
        if (fresh) out.push_back({inst.interface, link->ifindex, {}});
        FloorFrame f;
        f.instance = inst.name;
        f.interval_cs = static_cast<uint16_t>(inst.advert_int_cs);
        f.family = fam;
        f.dst_mac = net::multicastMac(group);
        f.ip = net::buildIpPacket(*src, group, vrrp::encode(advertOf(c, inst), *src, group));
        f.frame.assign(f.dst_mac.begin(), f.dst_mac.end());
        f.frame.insert(f.frame.end(), link->mac.begin(), link->mac.end());
        const uint16_t type = fam == Family::V4 ? ETHERTYPE_IP : ETHERTYPE_IPV6;
        f.frame.push_back(static_cast<uint8_t>(type >> 8));
        f.frame.push_back(static_cast<uint8_t>(type));
        f.frame.insert(f.frame.end(), f.ip.begin(), f.ip.end());
        out[it->second].frames.push_back(std::move(f));
    }
    if (out.empty()) throw std::runtime_error(config_file + ": no vrrp_instance");
    return out;
}

}  // namespace xvrrp::bench
