#pragma once
// What a ledger entry hands to the next process on a hitless restart (Ledger::Carry): the
// data each kind of undo needs, as JSON, and the function that turns it back into the
// undo. Kinds: address, route, rule (VIPs, virtual and static ones), vmac, sysctl, clsact,
// xdp. One place knows every kind, so a successor undoes exactly what a recorder would have.

#include "config/config.hpp"
#include "daemon/ledger.hpp"
#include "net/netlink.hpp"

namespace xvrrp::dataplane {
class Dataplane;
}

namespace xvrrp::daemon {

Ledger::Carry carryAddress(int ifindex, const config::VirtualAddress& a);
Ledger::Carry carryRoute(int ifindex, const config::Route& r);
Ledger::Carry carryRule(const config::Rule& r);
Ledger::Carry carryVmac(const net::Vmac& v);
Ledger::Carry carrySysctl(Family f, const std::string& ifname, const std::string& key, int before);
Ledger::Carry carryInterface(const char* kind, int ifindex, const std::string& ifname);

// The undo of a handed-over entry; throws std::runtime_error for an unknown kind or data
// that does not parse (the entry is then dropped with a warning).
Ledger::Rebuild rebuilder(net::Netlink& nl, dataplane::Dataplane& dp);

// The JSON forms, exposed for tests.
nlohmann::json toJson(const config::VirtualAddress& a);
config::VirtualAddress addressFromJson(const nlohmann::json& j);
nlohmann::json toJson(const config::Route& r);
config::Route routeFromJson(const nlohmann::json& j);

}  // namespace xvrrp::daemon
