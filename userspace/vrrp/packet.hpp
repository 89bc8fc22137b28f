#pragma once
// VRRP message codec (RFC 3768 section 5, RFC 5798 section 5) and the receive checks of
// RFC 5798 section 7.1. Works on the VRRP message only; IP headers are the caller's (the
// XDP program hands over src, dst and TTL in struct xv_advert).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/ip.hpp"

namespace xvrrp::vrrp {

inline constexpr uint8_t kTypeAdvert = 1;         // RFC 5798 section 5.2.2
inline constexpr uint8_t kRequiredTtl = 255;      // RFC 5798 section 5.1.1.3
inline constexpr size_t kHeaderLen = 8;           // fixed part of both versions
inline constexpr size_t kAuthLen = 8;             // RFC 3768 section 5.3.10
inline constexpr uint16_t kMaxAdvertIntCs = 0x0fff;  // 12 bits, RFC 5798 section 5.2.7
inline constexpr size_t kMaxAddresses = 255;      // Count IPvX Addr, RFC 5798 section 5.2.5

// RFC 3768 section 5.3.6 (RFC 2338 names type 1 "simple text password").
enum class AuthType : uint8_t { None = 0, Pass = 1, Ah = 2 };

struct Advert {
    int version = 3;
    uint8_t vrid = 0;
    uint8_t priority = 0;
    uint16_t max_advert_int_cs = 100;  // v2: Adver Int seconds * 100
    uint8_t auth_type = 0;             // v2 only; see AuthType
    std::array<uint8_t, 8> auth_data{};  // v2 IPv4 only (keepalived sends none over IPv6)
    std::vector<IpAddr> addresses;
    Family family = Family::V4;
    // Set by decode when an IPv4 VRRPv3 checksum only matched with the pseudo-header
    // destination 224.0.0.18 instead of the real unicast destination: keepalived before
    // 2.0.x (and `old_unicast_checksum`) computes it that way. Encode honours it too.
    bool old_unicast_checksum = false;
    bool operator==(const Advert&) const = default;
};

enum class DecodeError : uint8_t {
    TooShort,     // fewer bytes than the fixed header
    BadVersion,   // not 2 or 3
    BadType,      // not ADVERTISEMENT
    BadLength,    // length disagrees with Count IPvX Addr
    BadChecksum,
    BadFamily,    // family not V4/V6 or address family mismatch
};
const char* name(DecodeError e);  // "bad_version", ... for counters and logs

// A value or an error; C++20 has no std::expected.
template <class T, class E>
class Result {
public:
    Result(T v) : v_(std::move(v)) {}
    Result(E e) : v_(e) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T& value() const { return std::get<0>(v_); }
    T& value() { return std::get<0>(v_); }
    const T& operator*() const { return value(); }
    const T* operator->() const { return &value(); }
    E error() const { return std::get<1>(v_); }

private:
    std::variant<T, E> v_;
};

// Which IPv4 VRRPv3 pseudo-header destinations decode accepts for unicast adverts.
// keepalived 2.2.7 (vrrp_check_packet): by default it tries the real destination and then
// 224.0.0.18 (switching itself to old mode); `old_unicast_checksum` accepts only the
// group; `old_unicast_checksum never` accepts only the real destination.
enum class UnicastChecksum : uint8_t { Auto, Standard, Old };

// The VRRP message with its checksum filled. v2 over IPv4: checksum over the message
// (RFC 3768 section 5.3.8). v3, and any IPv6 message: with the pseudo-header of RFC 5798
// section 5.2.8 (IPv6 as in RFC 8200 section 8.1, what the kernel's IPV6_CHECKSUM does).
// More than kMaxAddresses addresses throw std::length_error.
std::vector<uint8_t> encode(const Advert& a, const IpAddr& src, const IpAddr& dst);

Result<Advert, DecodeError> decode(std::span<const uint8_t> vrrp, const IpAddr& src,
                                   const IpAddr& dst, Family family,
                                   UnicastChecksum mode = UnicastChecksum::Auto);

// Internet checksum (RFC 1071) of a VRRP message for the given addresses, as encode
// writes it (checksum field taken as zero).
uint16_t checksum(std::span<const uint8_t> vrrp, int version, const IpAddr& src,
                  const IpAddr& dst, bool old_unicast = false);

// ---- RFC 5798 section 7.1 receive checks ------------------------------------

struct UnicastPeerRx {
    IpAddr addr;
    uint8_t min_ttl = 0;
    uint8_t max_ttl = 255;
};

// What the receiver knows of the packet besides the VRRP message.
struct RxPacket {
    uint8_t ttl = 0;  // IPv4 TTL or IPv6 hop limit
    IpAddr src;
    IpAddr dst;
};

// The local instance, as configured.
struct RxContext {
    Family family = Family::V4;
    int version = 3;
    uint8_t vrid = 0;
    uint8_t priority = 100;          // local; 255 = address owner
    uint16_t advert_int_cs = 100;
    AuthType auth_type = AuthType::None;     // v2 only
    std::array<uint8_t, 8> auth_pass{};      // zero padded, as sent
    std::vector<IpAddr> vips;
    bool skip_check_adv_addr = false;
    // The master we last accepted an advert from while Backup; skip_check_adv_addr only
    // skips the address list check for adverts from this same master (keepalived).
    std::optional<IpAddr> current_master;
    bool unicast = false;            // unicast_peer configured
    bool check_unicast_src = false;
    std::vector<UnicastPeerRx> unicast_peers;
};

enum class RejectReason : uint8_t {
    Ok,
    VridMismatch,          // not ours: another instance's (or nobody's) advert
    BadTtl,                // RFC 5798 7.1: TTL/hop limit must be 255 (not for unicast)
    VersionMismatch,
    FamilyMismatch,
    BadAuthType,           // v2: not 0, 1 or 2
    AuthTypeMismatch,      // v2
    AuthFailure,           // v2 PASS differs
    AuthUnsupported,       // v2 AH: not implemented here
    IntervalMismatch,      // v2: Adver Int differs (RFC 3768 7.1); dropped, not an error
    AddressCountMismatch,
    AddressListMismatch,   // a configured VIP missing in the advert
    CastMismatch,          // multicast received when unicast configured or vice versa
    NotUnicastPeer,        // check_unicast_src and source not a configured peer
};
const char* name(RejectReason r);
// keepalived counts these as protocol errors; IntervalMismatch and VridMismatch are
// only dropped (keepalived's VRRP_PACKET_DROP / no instance found).
bool isError(RejectReason r);

RejectReason validate(const Advert& a, const RxPacket& pkt, const RxContext& ctx);

}  // namespace xvrrp::vrrp
