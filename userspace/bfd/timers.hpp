#pragma once
// BFD timer formulas (RFC 5880 section 6.8.2, 6.8.4, 6.8.7), in microseconds.

#include <algorithm>
#include <cstdint>

namespace xvrrp::bfd {

// 6.8.7: the transmit interval is the larger of bfd.DesiredMinTxInterval and
// bfd.RemoteMinRxInterval; zero means the remote wants no periodic packets.
constexpr uint64_t transmitIntervalUs(uint32_t desired_min_tx_us, uint32_t remote_min_rx_us) {
    return remote_min_rx_us == 0 ? 0 : std::max(desired_min_tx_us, remote_min_rx_us);
}

// 6.8.4, asynchronous mode: Detection Time = remote Detect Mult x max(bfd.RequiredMinRxInterval,
// last received Desired Min TX Interval).
constexpr uint64_t detectionTimeUs(uint8_t remote_detect_mult, uint32_t required_min_rx_us,
                                   uint32_t remote_desired_min_tx_us) {
    return uint64_t{remote_detect_mult} * std::max(required_min_rx_us, remote_desired_min_tx_us);
}

// 6.8.7: each interval is reduced by 0-25% at random (75-100%), and to at most 90% when
// bfd.DetectMult is 1. PICK in [0, jitterSpan(mult)) chooses the percentage.
constexpr uint32_t jitterSpan(uint8_t detect_mult) { return detect_mult == 1 ? 16 : 26; }
constexpr uint64_t jitteredUs(uint64_t interval_us, uint32_t pick) {
    return interval_us * (75 + pick) / 100;
}

static_assert(transmitIntervalUs(10000, 300000) == 300000);
static_assert(transmitIntervalUs(300000, 10000) == 300000);
static_assert(transmitIntervalUs(300000, 0) == 0);
static_assert(detectionTimeUs(3, 10000, 50000) == 150000);
static_assert(jitteredUs(1000000, 0) == 750000);
static_assert(jitteredUs(1000000, jitterSpan(5) - 1) == 1000000);
static_assert(jitteredUs(1000000, jitterSpan(1) - 1) == 900000);

}  // namespace xvrrp::bfd
