#pragma once
// Reads xvrrpd's status document (docs/status-json.md) into the few facts the arbiter uses.
// The same parser serves the local control socket and the peer's `xvrrpctl status --json`.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

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
    // kernel.last_seen_ns: CLOCK_MONOTONIC of the last advert XDP absorbed without waking
    // xvrrpd (it keeps counting while the instance is in FAULT; last_advert does not).
    std::optional<uint64_t> kernel_last_seen_ns;
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
// younger than that mean the VRRP link still carries them. now_mono_ns (this host's
// CLOCK_MONOTONIC) lets the kernel's timestamp count; only meaningful for the local xvrrpd.
Tri hearsAdverts(const InstanceStatus& s, std::optional<uint64_t> now_mono_ns = std::nullopt);

}  // namespace xvrrp::arbiter
