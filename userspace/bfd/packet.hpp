#pragma once
// BFD Control packet codec (RFC 5880 section 4.1) and the reception checks of RFC 5880
// section 6.8.6, plus what RFC 5881 (single hop over UDP) adds. Works on the UDP payload
// only; the caller hands over the IP TTL / hop limit. No authentication: a packet with the
// A bit is recognised and rejected (6.8.6: "If the A bit is set and no authentication is in
// use (bfd.AuthType is zero), the packet MUST be discarded").

#include <array>
#include <cstdint>
#include <span>

#include "vrrp/packet.hpp"  // Result<T, E>

namespace xvrrp::bfd {

using vrrp::Result;

inline constexpr uint16_t kControlPort = 3784;      // RFC 5881 section 4
inline constexpr uint16_t kSourcePortMin = 49152;   // RFC 5881 section 4
inline constexpr uint16_t kSourcePortMax = 65535;
inline constexpr uint8_t kRequiredTtl = 255;        // RFC 5881 section 5 (GTSM)
inline constexpr uint8_t kVersion = 1;              // RFC 5880 section 4.1
inline constexpr size_t kControlLen = 24;           // mandatory section
inline constexpr size_t kControlLenWithAuth = 26;   // 24 + Auth Type and Auth Len

// RFC 5880 section 4.1 "State (Sta)".
enum class State : uint8_t { AdminDown = 0, Down = 1, Init = 2, Up = 3 };
const char* name(State s);  // "AdminDown", "Down", "Init", "Up" (RFC spelling)

// RFC 5880 section 4.1 "Diagnostic (Diag)".
enum class Diag : uint8_t {
    None = 0,
    ControlDetectionExpired = 1,
    EchoFailed = 2,
    NeighborSignaledDown = 3,
    ForwardingPlaneReset = 4,
    PathDown = 5,
    ConcatenatedPathDown = 6,
    AdministrativelyDown = 7,
    ReverseConcatenatedPathDown = 8,
};
const char* name(Diag d);

// The mandatory section; intervals in microseconds as on the wire.
struct Control {
    uint8_t version = kVersion;
    Diag diag = Diag::None;  // 5 bits; decode keeps unknown values (9..31) as they are
    State state = State::Down;
    bool poll = false;
    bool final = false;
    bool cpi = false;         // Control Plane Independent
    bool auth = false;        // A: an Authentication Section follows
    bool demand = false;
    bool multipoint = false;  // M: must be zero (6.8.6)
    uint8_t detect_mult = 0;
    uint32_t my_disc = 0;
    uint32_t your_disc = 0;
    uint32_t desired_min_tx_us = 0;
    uint32_t required_min_rx_us = 0;
    uint32_t required_min_echo_rx_us = 0;
    bool operator==(const Control&) const = default;
};

// 24 bytes, Length 24. An auth flag set here is written as is (tests build rejects with it);
// no Authentication Section is ever appended.
std::array<uint8_t, kControlLen> encode(const Control& c);

// Every check of RFC 5880 section 6.8.6 that needs only the packet, in the RFC's order.
enum class DecodeError : uint8_t {
    TooShort,          // fewer than 24 bytes of payload
    BadVersion,        // "If the version number is not correct (1)"
    BadLength,         // Length < 24, or < 26 with the A bit set
    LengthExceedsPayload,  // "greater than the payload of the encapsulating protocol"
    ZeroDetectMult,
    Multipoint,        // "If the Multipoint (M) bit is nonzero"
    ZeroMyDiscriminator,
    ZeroYourDiscriminator,  // Your Discriminator zero and State not Down or AdminDown
    AuthNotConfigured,      // A bit set, we have no authentication
};
const char* name(DecodeError e);  // "bad_version", ... for counters and logs

Result<Control, DecodeError> decode(std::span<const uint8_t> udp_payload);

// ---- checks that need the receiver's context (6.8.6 demultiplexing, RFC 5881 5) -------

// RFC 5881 section 5: single hop packets arrive with TTL / hop limit 255 (GTSM, RFC 5082).
// keepalived lets max_hops lower the floor (255 - max_hops; 255 disables the check); the
// caller passes that floor, kRequiredTtl for the RFC.
struct RxRules {
    uint8_t min_ttl = kRequiredTtl;
    uint32_t local_disc = 0;  // the session the packet was demultiplexed to
};

enum class RxReject : uint8_t {
    Ok,
    BadTtl,                  // RFC 5881 section 5
    DiscriminatorMismatch,   // Your Discriminator nonzero and not ours (6.8.6)
};
const char* name(RxReject r);

RxReject checkRx(const Control& c, uint8_t ttl, const RxRules& rules);

// RFC 5881 section 4: the source port MUST be in 49152..65535 and the same for the
// session's lifetime; the caller chooses it (e.g. from its local discriminator).
constexpr bool validSourcePort(uint16_t port) { return port >= kSourcePortMin; }

}  // namespace xvrrp::bfd
