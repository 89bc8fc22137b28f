// The fence bench: drop rate of traffic to N VIPs on a non-owner, three receivers on the
// same veth path, trials interleaved: xv_rx with every VIP DROP_ALL (xvrrpd's backup),
// keepalived's nftables rule, and an XDP drop-all floor.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/packet_builder.hpp"

namespace xvrrp::bench {

struct FenceOptions {
    std::string rx_ns, rx_if;  // the non-owner; the caller has put the VIPs on rx_if
    std::string tx_ns, tx_if;  // the generator's side of the veth pair
    uint32_t saddr = 0;        // host order
    uint32_t vip_base = 0;     // host order; VIPs are vip_base .. vip_base + vips - 1
    uint32_t vips = 256;
    int trials = 5;
    double seconds = 5;
    std::string napi = "threaded";  // how the caller set up the receiver (reported only)
};

nlohmann::json runFenceBench(const FenceOptions& o);

// Ethernet + IPv4 + UDP to the discard port, 64 bytes on the wire without FCS.
std::vector<uint8_t> udpFrame(const test::Mac& src, const test::Mac& dst, uint32_t saddr,
                              uint32_t daddr);

}  // namespace xvrrp::bench
