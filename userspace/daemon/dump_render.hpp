#pragma once
// keepalived 2.2.7's state dumps, from a snapshot (pure). The layouts were taken from
// keepalived 2.2.7 run here and signalled (interop.dumps compares the structure live):
//   renderData   /tmp/keepalived.data  (SIGUSR1): the VRRP sections - Global definitions
//                (the VRRP settings xvrrp has), VRRP Topology, VRRP Sockpool, VRRP Sync
//                groups, VRRP Scripts, VRRP Track files. keepalived's own internals are left
//                out (kOmittedGlobals, its Interfaces section and keepalived_parent.data).
//   renderStats  /tmp/keepalived.stats (SIGUSR2, and STATS_CLEAR): per-instance counters.
//   renderJson   /tmp/keepalived.json  (SIGRTMIN+2): [{"data": {...}, "stats": {...}}].

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/keepalived_stats.hpp"
#include "daemon/snapshot.hpp"

namespace xvrrp::daemon {

std::string renderData(const DaemonSnapshot& s);
// BASELINE: each instance's counters when STATS_CLEAR last cleared them (subtracted).
std::string renderStats(const DaemonSnapshot& s,
                        const std::map<std::string, KeepalivedStats>& baseline = {});
std::string renderJson(const DaemonSnapshot& s,
                       const std::map<std::string, KeepalivedStats>& baseline = {});

// Lines of keepalived's "Global definitions" that describe parts of keepalived xvrrp does
// not have (LVS, SNMP, D-Bus, checker and BFD processes, its netlink buffers, SMTP):
// renderData leaves them out; interop.dumps expects exactly these to be missing.
extern const std::vector<std::string_view> kOmittedGlobals;

// Shared by the data and JSON dumps: a script line with each word quoted ('/bin/x' 'arg'),
// an instance's VMAC name, a VIP as keepalived lists it ("ADDR/LEN dev DEV scope global
// [label L] [preferred_lft forever] [set]"; set while installed).
std::string quotedWords(const std::string& line);
std::string vmacName(const config::Instance& c);
std::string vipText(const config::Instance& c, const config::VirtualAddress& v, bool set);

// keepalived's "%ld.%06ld (%a %b %e %H:%M:%S.%06ld %Y)" rendering of a wall-clock time.
std::string keepalivedTime(double wall_s);

}  // namespace xvrrp::daemon
