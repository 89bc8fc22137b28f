#pragma once
// Per-interface sysctls under /proc/sys/net/{ipv4,ipv6}/conf/IF/, written directly like
// keepalived's set_sysctl. /proc/sys/net belongs to the network namespace of the thread
// that opens the file, so these act in the caller's namespace.

#include <optional>
#include <string>

#include "common/ip.hpp"
#include "net/error.hpp"

namespace xvrrp::net {

// "/proc/sys/net/ipv4/conf/eth0/arp_ignore"; ifname may also be "all" or "default".
std::string confSysctlPath(Family f, const std::string& ifname, const std::string& key);

// None when the file does not exist (no such interface, IPv6 disabled, old kernel).
// Throws NetError when it exists but cannot be read or does not hold a number.
std::optional<int> readConfSysctl(Family f, const std::string& ifname, const std::string& key);

// Throws NetError "write /proc/sys/net/...: strerror(errno)".
void writeConfSysctl(Family f, const std::string& ifname, const std::string& key, int value);

// promote_secondaries (keepalived.conf(5)): removing one address of a subnet promotes
// the next one instead of deleting every secondary with it. Returns the previous value so
// the daemon can put it back at stop, as keepalived resets only what it changed.
bool setPromoteSecondaries(const std::string& ifname, bool on);

}  // namespace xvrrp::net
