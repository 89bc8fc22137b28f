#pragma once
// keepalived 2.2.7's per-instance statistics (keepalived.stats, keepalived.json "stats",
// mehdy/keepalived-exporter's keepalived_*_total) from what xvrrpd counts. Adverts that XDP
// absorbed as repeats count as received. Receive errors are the adverts the daemon itself
// refused for that instance, by reason:
//   packet_len_err      too_short, bad_length
//   ip_ttl_err          bad_ttl
//   invalid_type_rcvd   bad_type
//   advert_interval_err interval_mismatch
//   addr_list_err       address_count_mismatch, address_list_mismatch
//   invalid_authtype    bad_auth_type, auth_unsupported
//   authtype_mismatch   auth_type_mismatch
//   auth_failure        auth_failure
// The same checks made in XDP drop before an instance is known to userspace; those drops
// are counted per reason for the whole node (xv_stats, xvrrp_xdp_drops_total).

#include <cstdint>

#include "daemon/snapshot.hpp"

namespace xvrrp::daemon {

struct KeepalivedStats {
    uint64_t advert_rcvd = 0;
    uint64_t advert_sent = 0;
    uint64_t become_master = 0;
    uint64_t release_master = 0;
    uint64_t packet_len_err = 0;
    uint64_t advert_interval_err = 0;
    uint64_t ip_ttl_err = 0;
    uint64_t invalid_type_rcvd = 0;
    uint64_t addr_list_err = 0;
    uint64_t invalid_authtype = 0;
    uint64_t authtype_mismatch = 0;
    uint64_t auth_failure = 0;
    uint64_t pri_zero_rcvd = 0;
    uint64_t pri_zero_sent = 0;
};

KeepalivedStats keepalivedStats(const InstanceSnapshot& i);

// keepalived's state numbers (vrrp.h): 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.
int keepalivedState(vrrp::State s);
// keepalived's "wantstate": MASTER while a sync-group member waits to go master.
vrrp::State wantState(const InstanceSnapshot& i);

}  // namespace xvrrp::daemon
