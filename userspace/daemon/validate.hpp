#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"
#include "daemon/instance_runtime.hpp"
#include "net/netlink.hpp"
#include "vrrp/packet.hpp"

namespace xvrrp::daemon {

// The local side of the RFC 5798 section 7.1 checks for one instance.
vrrp::RxContext rxContext(const config::Config& config, const InstanceRuntime& rt);
// keepalived's old_unicast_checksum: unset = try both, "never" = standard only.
vrrp::UnicastChecksum unicastChecksumMode(const config::Instance& c);
// Why the instance cannot run on `link`, or nullopt. As keepalived 2.2.7
// (vrrp_complete_instance): multicast adverts need IFF_MULTICAST, which WireGuard and
// ipip/GRE tunnels lack, so such an instance without unicast_peer is disabled (FAULT).
std::optional<std::string> linkFault(const config::Instance& c, const net::LinkInfo& link);

}  // namespace xvrrp::daemon
