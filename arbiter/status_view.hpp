#pragma once
// Reads xvrrpd's status document (docs/status-json.md) into the few facts the arbiter uses.
// The same parser serves the local control socket and the peer's `xvrrpctl status --json`.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/ip.hpp"
#include "evidence.hpp"

namespace xvrrp::arbiter {

struct InstanceStatus {
    std::string name;
    NodeView view;
    std::string interface;
    int ifindex = 0;
    Family family = Family::V4;
    uint8_t vrid = 0;
    std::vector<IpPrefix> vips;
    std::optional<double> last_advert_age_ms;
    double master_advert_int_ms = 0;  // 0 when not reported
    double advert_int_ms = 0;
};

struct DaemonStatus {
    std::map<std::string, InstanceStatus> instances;
    Tri quorum = Tri::Unknown;  // "arbiter.quorum" if the document carries it
};

// Throws std::invalid_argument naming the field that is missing or of the wrong type.
DaemonStatus parseDaemonStatus(const nlohmann::json& doc);

// RFC 5798 section 6.1: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time; adverts
// younger than that mean the VRRP link still carries them.
Tri hearsAdverts(const InstanceStatus& s);

}  // namespace xvrrp::arbiter
