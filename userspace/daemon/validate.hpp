#pragma once

#include "config/config.hpp"
#include "daemon/instance_runtime.hpp"
#include "vrrp/packet.hpp"

namespace xvrrp::daemon {

// The local side of the RFC 5798 section 7.1 checks for one instance.
vrrp::RxContext rxContext(const config::Config& config, const InstanceRuntime& rt);
// keepalived's old_unicast_checksum: unset = try both, "never" = standard only.
vrrp::UnicastChecksum unicastChecksumMode(const config::Instance& c);

}  // namespace xvrrp::daemon
