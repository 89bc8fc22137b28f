#pragma once
// `xvrrpd --cleanup`: the way back to keepalived. Removes what a stopped or crashed xvrrpd
// left on this node (its pin root, with the same options it ran with):
//  - the XDP programs and TC egress filters that use its pinned maps, and each clsact qdisc
//    it recorded as created by it when nobody else's filter hangs on it;
//  - its map pins (xv_fence too) and the pin root, unmounting the bpffs it mounted there;
//  - its pid file(s) and control socket;
//  - unless a keepalived runs in this network namespace (it then owns them): the VMACs on
//    interfaces it served, its VIPs (from the pinned xv_vips: once XDP is gone they would
//    answer beside the new master) and, with its keepalived.conf, its virtual routes and
//    rules. static_ipaddress/static_routes/static_rules and sysctls are left: keepalived
//    installs the same ones at its start.
// Refuses, changing nothing, while a live xvrrpd holds the pin root, answers on the control
// socket or is named by the pid file. Prints one line per thing removed or kept.

#include <iosfwd>

#include "daemon/options.hpp"

namespace xvrrp::daemon {

// The exit status: 0 when everything found was removed (or there was nothing), 1 when a
// live daemon holds on or something could not be removed (each failure on ERR).
int runCleanup(const Options& o, std::ostream& out, std::ostream& err);

}  // namespace xvrrp::daemon
