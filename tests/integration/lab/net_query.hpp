#pragma once
// Questions a test asks about a namespace: is this address here, does this host answer.
#include <chrono>
#include <optional>
#include <string>

#include "common/ip.hpp"

namespace xvrrp::lab {

class Netns;

// True when `ip` is configured on `ifname` inside `ns` (`ip -j addr` through
// fork + setns). A tentative (DAD) IPv6 address counts as present.
bool hasAddress(const Netns& ns, const std::string& ifname, const IpAddr& ip);

// True when `ifname` in `ns` is oper-up with carrier. Asks netlink through
// `ip -j link`: /sys inside a setns child still shows the caller's namespace.
bool hasCarrier(const Netns& ns, const std::string& ifname);

// One ICMP echo (v4 or v6 by the address family) sent from inside `ns` by a
// thread that joined it with setns. Returns the round-trip time, or nullopt
// when no reply came before `timeout`. Throws std::system_error on socket errors.
std::optional<std::chrono::microseconds> ping(
    const Netns& ns, const IpAddr& dst,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

}  // namespace xvrrp::lab
