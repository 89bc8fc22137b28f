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

// The last advert the node accepted from one source (status `adverts_from`).
struct HeardFrom {
    std::vector<uint8_t> addr_key;  // network-order bytes of the source
    double age_ms = 0;
};

// Where a VIP lives on the node (status `vip_devices`).
struct VipDevice {
    IpPrefix prefix;
    std::string dev;
    int ifindex = 0;  // 0: the device does not exist
};

struct InstanceStatus {
    std::string name;
    NodeView view;
    std::string interface;
    int ifindex = 0;
    Family family = Family::V4;
    uint8_t vrid = 0;
    std::vector<IpPrefix> vips;
    std::vector<VipDevice> vip_devices;  // empty from an xvrrpd that does not report them
    std::optional<double> last_advert_age_ms;
    // Per source; nullopt from an xvrrpd that does not report `adverts_from`.
    std::optional<std::vector<HeardFrom>> adverts_from;
    // kernel.last_seen_ns: CLOCK_MONOTONIC of the last advert XDP absorbed without waking
    // xvrrpd (it keeps counting while the instance is in FAULT; last_advert does not).
    std::optional<uint64_t> kernel_last_seen_ns;
    std::vector<uint8_t> kernel_master_key;  // whose adverts kernel_last_seen_ns counts
    double master_advert_int_ms = 0;  // 0 when not reported
    double advert_int_ms = 0;
};

// The largest status document the arbiter reads, from a peer over ssh or from xvrrpd's
// control socket: 1024 instances and 4096 VIPs (the kernel maps' capacity) come to about
// 3 MB, so twice that leaves room. Larger answers are UNKNOWN / no answer (docs/bounds.md).
inline constexpr size_t kMaxStatusBytes = 8u << 20;

struct DaemonStatus {
    std::map<std::string, InstanceStatus> instances;
    Tri quorum = Tri::Unknown;  // "arbiter.quorum" if the document carries it
};

// Throws std::invalid_argument naming the field that is missing or of the wrong type.
DaemonStatus parseDaemonStatus(const nlohmann::json& doc);

// RFC 5798 section 6.1: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time; adverts
// of `source` (a peer's primary address, network-order bytes) younger than four intervals
// mean the VRRP link carries that peer's adverts to this node. Unknown when the source or the
// node's per-source record (`adverts_from`) is not known. now_mono_ns (this host's
// CLOCK_MONOTONIC) lets the kernel's timestamp count; only meaningful for the local xvrrpd.
Tri hearsAdvertsFrom(const InstanceStatus& s, const std::vector<uint8_t>& source,
                     std::optional<uint64_t> now_mono_ns = std::nullopt);

}  // namespace xvrrp::arbiter
