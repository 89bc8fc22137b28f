#pragma once
// How many addresses one advert carries, and what the kernel maps hold. The config check
// applies both, so a file `xvrrpd -t` accepts also starts, and no VIP list splits a pair.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/ip.hpp"

namespace xvrrp::config {

// RFC 5798 section 5.2.5: Count IPvX Addr is one byte.
inline constexpr size_t kMaxAdvertAddrs = 255;
// The MTU assumed for an interface that does not exist (yet) where the file is checked.
inline constexpr uint32_t kDefaultMtu = 1500;

// Addresses keepalived 2.2.7 puts in one advert on an interface of MTU `mtu` (measured on
// the wire, see docs/bounds.md): (MTU - 14 Ethernet - IP header - 8 VRRP header - 8 v2
// authentication) / address size, at most 255. It moves the others to
// virtual_ipaddress_excluded: held and announced, not advertised.
size_t advertCapacity(int version, Family family, uint32_t mtu);

// Addresses of the longest advert the XDP receive path takes (XV_VRRP_MAX bytes).
size_t receiveCapacity(int version, Family family);

// The MTU of interface `name` in this network namespace (SIOCGIFMTU), nullopt when there
// is no such interface.
std::optional<uint32_t> systemInterfaceMtu(const std::string& name);

}  // namespace xvrrp::config
