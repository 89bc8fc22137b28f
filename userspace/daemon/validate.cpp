// Builds the RFC 5798 section 7.1 receive context of an instance from its configuration.
#include "daemon/validate.hpp"

#include <algorithm>

namespace xvrrp::daemon {

vrrp::RxContext rxContext(const config::Config& config, const InstanceRuntime& rt) {
    const auto& c = rt.cfg();
    vrrp::RxContext ctx;
    ctx.family = rt.family();
    ctx.version = rt.version();
    ctx.vrid = c.vrid;
    ctx.priority = c.priority;
    ctx.advert_int_cs = static_cast<uint16_t>(c.advert_int_cs);
    if (rt.version() == 2 && c.auth_type == config::AuthType::Pass) {
        ctx.auth_type = vrrp::AuthType::Pass;
        std::copy_n(c.auth_pass.begin(), std::min<size_t>(8, c.auth_pass.size()),
                    ctx.auth_pass.begin());
    } else if (rt.version() == 2 && c.auth_type == config::AuthType::Ah) {
        ctx.auth_type = vrrp::AuthType::Ah;
    }
    for (const auto& v : config::advertisedVips(c)) ctx.vips.push_back(v.prefix.addr);
    ctx.skip_check_adv_addr = c.skip_check_adv_addr || config.global.vrrp_skip_check_adv_addr;
    ctx.current_master = rt.machine().master_addr;
    ctx.unicast = !c.unicast_peers.empty();
    ctx.check_unicast_src = c.check_unicast_src || config.global.vrrp_check_unicast_src;
    for (const auto& p : c.unicast_peers) {
        vrrp::UnicastPeerRx peer;
        peer.addr = p.addr;
        if (p.min_ttl) peer.min_ttl = static_cast<uint8_t>(*p.min_ttl);
        if (p.max_ttl) peer.max_ttl = static_cast<uint8_t>(*p.max_ttl);
        ctx.unicast_peers.push_back(peer);
    }
    return ctx;
}

vrrp::UnicastChecksum unicastChecksumMode(const config::Instance& c) {
    if (!c.old_unicast_checksum) return vrrp::UnicastChecksum::Auto;
    return *c.old_unicast_checksum ? vrrp::UnicastChecksum::Old : vrrp::UnicastChecksum::Standard;
}

std::optional<std::string> linkFault(const config::Instance& c, const net::LinkInfo& link) {
    if (c.unicast_peers.empty() && !link.multicast())
        return "interface " + link.name + " does not support multicast, specify unicast peers";
    return std::nullopt;
}

}  // namespace xvrrp::daemon
