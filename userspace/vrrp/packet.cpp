#include "vrrp/packet.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace xvrrp::vrrp {
namespace {

constexpr uint8_t kMcastGroup4[4] = {224, 0, 0, 18};  // RFC 5798 section 5.1.1.2
constexpr uint8_t kProtoVrrp = 112;

// One's complement sum of 16-bit big-endian words, not yet folded (RFC 1071).
uint32_t sumWords(const uint8_t* p, size_t n, uint32_t acc) {
    for (size_t i = 0; i + 1 < n; i += 2) acc += uint32_t(p[i]) << 8 | p[i + 1];
    if (n & 1) acc += uint32_t(p[n - 1]) << 8;
    return acc;
}

uint16_t fold(uint32_t acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return uint16_t(~acc & 0xffff);
}

size_t addrLen(Family f) { return f == Family::V4 ? 4 : 16; }

// v2 over IPv4 carries 8 bytes of authentication data after the addresses;
// keepalived sends none with IPv6 (vrrp.c expected_vrrp_pkt_len).
bool hasAuthData(int version, Family f) { return version == 2 && f == Family::V4; }

// Pseudo-header sum: RFC 5798 section 5.2.8 (IPv4: RFC 768 layout, IPv6: RFC 8200 8.1).
uint32_t pseudoSum(const IpAddr& src, const IpAddr& dst, size_t len, bool old_unicast) {
    uint32_t acc = sumWords(src.data(), src.size(), 0);
    if (src.isV4()) {
        acc = sumWords(old_unicast ? kMcastGroup4 : dst.data(), 4, acc);
        acc += kProtoVrrp;
        acc += uint32_t(len);
    } else {
        acc = sumWords(dst.data(), 16, acc);
        acc += uint32_t(len >> 16) + uint32_t(len & 0xffff);
        acc += kProtoVrrp;
    }
    return acc;
}

bool usesPseudoHeader(int version, Family f) { return version == 3 || f == Family::V6; }

}  // namespace

const char* name(DecodeError e) {
    switch (e) {
        case DecodeError::TooShort: return "too_short";
        case DecodeError::BadVersion: return "bad_version";
        case DecodeError::BadType: return "bad_type";
        case DecodeError::BadLength: return "bad_length";
        case DecodeError::BadChecksum: return "bad_checksum";
        case DecodeError::BadFamily: return "bad_family";
    }
    return "unknown";
}

uint16_t checksum(std::span<const uint8_t> vrrp, int version, const IpAddr& src,
                  const IpAddr& dst, bool old_unicast) {
    uint32_t acc = usesPseudoHeader(version, src.family())
                       ? pseudoSum(src, dst, vrrp.size(), old_unicast)
                       : 0;
    acc = sumWords(vrrp.data(), std::min<size_t>(vrrp.size(), 6), acc);
    if (vrrp.size() > 8) acc = sumWords(vrrp.data() + 8, vrrp.size() - 8, acc);
    return fold(acc);
}

std::vector<uint8_t> encode(const Advert& a, const IpAddr& src, const IpAddr& dst) {
    // RFC 5798 section 5.2.5: the count is one byte; more would wrap and lie to the peer.
    if (a.addresses.size() > kMaxAddresses)
        throw std::length_error("VRRP advert with " + std::to_string(a.addresses.size()) +
                                " addresses; the count field holds at most 255");
    const size_t alen = addrLen(a.family);
    std::vector<uint8_t> out(kHeaderLen + a.addresses.size() * alen +
                             (hasAuthData(a.version, a.family) ? kAuthLen : 0));
    out[0] = uint8_t(a.version << 4 | kTypeAdvert);
    out[1] = a.vrid;
    out[2] = a.priority;
    out[3] = uint8_t(a.addresses.size());
    if (a.version == 2) {
        out[4] = a.auth_type;
        out[5] = uint8_t(a.max_advert_int_cs / 100);  // whole seconds (RFC 3768 5.3.7)
    } else {
        // 4 reserved bits are zero (RFC 5798 section 5.2.6)
        uint16_t v = a.max_advert_int_cs & kMaxAdvertIntCs;
        out[4] = uint8_t(v >> 8);
        out[5] = uint8_t(v);
    }
    size_t off = kHeaderLen;
    for (const IpAddr& ip : a.addresses) {
        std::memcpy(out.data() + off, ip.data(), alen);
        off += alen;
    }
    if (hasAuthData(a.version, a.family))
        std::memcpy(out.data() + off, a.auth_data.data(), kAuthLen);
    uint16_t c = checksum(out, a.version, src, dst, a.old_unicast_checksum);
    out[6] = uint8_t(c >> 8);
    out[7] = uint8_t(c);
    return out;
}

Result<Advert, DecodeError> decode(std::span<const uint8_t> p, const IpAddr& src,
                                   const IpAddr& dst, Family family, UnicastChecksum mode) {
    if (family != Family::V4 && family != Family::V6) return DecodeError::BadFamily;
    if (src.family() != family || dst.family() != family) return DecodeError::BadFamily;
    if (p.size() < kHeaderLen) return DecodeError::TooShort;

    Advert a;
    a.family = family;
    a.version = p[0] >> 4;
    if (a.version != 2 && a.version != 3) return DecodeError::BadVersion;
    if ((p[0] & 0x0f) != kTypeAdvert) return DecodeError::BadType;
    a.vrid = p[1];
    a.priority = p[2];
    const size_t naddr = p[3];
    const size_t alen = addrLen(family);
    // RFC 5798 section 7.1: the packet must hold exactly the advertised addresses.
    const size_t want =
        kHeaderLen + naddr * alen + (hasAuthData(a.version, family) ? kAuthLen : 0);
    if (p.size() != want) return DecodeError::BadLength;

    if (a.version == 2) {
        a.auth_type = p[4];
        a.max_advert_int_cs = uint16_t(p[5] * 100);
    } else {
        // reserved bits ignored on receive, as keepalived masks them
        a.max_advert_int_cs = uint16_t((p[4] << 8 | p[5]) & kMaxAdvertIntCs);
    }
    const uint16_t wire = uint16_t(p[6] << 8 | p[7]);

    bool good = false;
    const bool v4unicast = family == Family::V4 && a.version == 3 && !dst.isMulticast();
    if (mode != UnicastChecksum::Old || !v4unicast)
        good = checksum(p, a.version, src, dst, false) == wire;
    if (!good && v4unicast && mode != UnicastChecksum::Standard) {
        good = checksum(p, a.version, src, dst, true) == wire;
        a.old_unicast_checksum = good;
    }
    if (!good) return DecodeError::BadChecksum;

    for (size_t i = 0; i < naddr; ++i)
        a.addresses.push_back(IpAddr::fromBytes(family, p.data() + kHeaderLen + i * alen));
    if (hasAuthData(a.version, family))
        std::memcpy(a.auth_data.data(), p.data() + kHeaderLen + naddr * alen, kAuthLen);
    return a;
}

// ---- receive checks ---------------------------------------------------------

const char* name(RejectReason r) {
    switch (r) {
        case RejectReason::Ok: return "ok";
        case RejectReason::VridMismatch: return "vrid_mismatch";
        case RejectReason::BadTtl: return "bad_ttl";
        case RejectReason::VersionMismatch: return "version_mismatch";
        case RejectReason::FamilyMismatch: return "family_mismatch";
        case RejectReason::BadAuthType: return "bad_auth_type";
        case RejectReason::AuthTypeMismatch: return "auth_type_mismatch";
        case RejectReason::AuthFailure: return "auth_failure";
        case RejectReason::AuthUnsupported: return "auth_unsupported";
        case RejectReason::IntervalMismatch: return "interval_mismatch";
        case RejectReason::AddressCountMismatch: return "address_count_mismatch";
        case RejectReason::AddressListMismatch: return "address_list_mismatch";
        case RejectReason::CastMismatch: return "cast_mismatch";
        case RejectReason::NotUnicastPeer: return "not_unicast_peer";
    }
    return "unknown";
}

bool isError(RejectReason r) {
    return r != RejectReason::Ok && r != RejectReason::VridMismatch &&
           r != RejectReason::IntervalMismatch;
}

// Order follows keepalived 2.2.7 vrrp_check_packet(), so the same packet is blamed for
// the same thing (its counters and ours agree).
RejectReason validate(const Advert& a, const RxPacket& pkt, const RxContext& ctx) {
    // RFC 5798 7.1: "MUST verify that the VRID is configured" - else not ours, dropped.
    if (a.vrid != ctx.vrid) return RejectReason::VridMismatch;
    if (a.family != ctx.family) return RejectReason::FamilyMismatch;
    // RFC 5798 7.1: TTL/hop limit 255. keepalived skips it for unicast, where the
    // per-peer min_ttl/max_ttl range applies instead (below).
    if (!ctx.unicast && pkt.ttl != kRequiredTtl) return RejectReason::BadTtl;
    if (a.version != ctx.version) return RejectReason::VersionMismatch;

    if (a.version == 2) {
        // RFC 3768 7.1: perform the authentication of the Auth Type.
        if (a.auth_type > uint8_t(AuthType::Ah)) return RejectReason::BadAuthType;
        if (a.auth_type != uint8_t(ctx.auth_type)) return RejectReason::AuthTypeMismatch;
        if (ctx.auth_type == AuthType::Pass && a.auth_data != ctx.auth_pass)
            return RejectReason::AuthFailure;
        if (ctx.auth_type == AuthType::Ah) return RejectReason::AuthUnsupported;
        // RFC 3768 7.1: Adver Interval MUST match; keepalived drops without counting
        // "to prevent concurrent VRID running". v3 learns it instead (RFC 5798 6.4.2).
        if (a.max_advert_int_cs != ctx.advert_int_cs) return RejectReason::IntervalMismatch;
    }

    // The address list MAY be checked (RFC 5798 7.1). keepalived checks it unless
    // skip_check_adv_addr is set and the advert comes from the master already known.
    const bool check_addr = !ctx.skip_check_adv_addr || !ctx.current_master ||
                            *ctx.current_master != pkt.src;
    if (check_addr && a.addresses.size() != ctx.vips.size())
        return RejectReason::AddressCountMismatch;

    if (pkt.dst.isMulticast() == ctx.unicast) return RejectReason::CastMismatch;

    if (check_addr) {
        for (const IpAddr& vip : ctx.vips)
            if (std::find(a.addresses.begin(), a.addresses.end(), vip) == a.addresses.end())
                return RejectReason::AddressListMismatch;
        if (ctx.unicast && ctx.check_unicast_src) {
            auto peer = std::find_if(ctx.unicast_peers.begin(), ctx.unicast_peers.end(),
                                     [&](const UnicastPeerRx& p) { return p.addr == pkt.src; });
            if (peer == ctx.unicast_peers.end()) return RejectReason::NotUnicastPeer;
            if (pkt.ttl < peer->min_ttl || pkt.ttl > peer->max_ttl) return RejectReason::BadTtl;
        }
    }
    return RejectReason::Ok;
}

}  // namespace xvrrp::vrrp
