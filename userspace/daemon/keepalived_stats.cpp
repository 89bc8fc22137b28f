#include "daemon/keepalived_stats.hpp"

namespace xvrrp::daemon {

KeepalivedStats keepalivedStats(const InstanceSnapshot& i) {
    const auto& c = i.machine.counters;
    KeepalivedStats k;
    k.advert_rcvd = i.advertsReceived();
    k.advert_sent = c.adverts_tx;
    k.become_master = c.became_master;
    k.release_master = c.released_master;
    k.pri_zero_rcvd = c.priority_zero_rx;
    k.pri_zero_sent = c.priority_zero_tx;
    k.packet_len_err = i.rejected("too_short") + i.rejected("bad_length");
    k.ip_ttl_err = i.rejected("bad_ttl");
    k.invalid_type_rcvd = i.rejected("bad_type");
    k.advert_interval_err = i.rejected("interval_mismatch");
    k.addr_list_err = i.rejected("address_count_mismatch") + i.rejected("address_list_mismatch");
    k.invalid_authtype = i.rejected("bad_auth_type") + i.rejected("auth_unsupported");
    k.authtype_mismatch = i.rejected("auth_type_mismatch");
    k.auth_failure = i.rejected("auth_failure");
    return k;
}

int keepalivedState(vrrp::State s) {
    switch (s) {
        case vrrp::State::Init: return 0;
        case vrrp::State::Backup: return 1;
        case vrrp::State::Master: return 2;
        case vrrp::State::Fault: return 3;
    }
    return 0;
}

vrrp::State wantState(const InstanceSnapshot& i) {
    return i.machine.wants_master ? vrrp::State::Master : i.machine.state;
}

}  // namespace xvrrp::daemon
