#include "vrrp/reject_text.hpp"

#include <algorithm>
#include <string>

namespace xvrrp::vrrp {
namespace {

size_t expectedLength(int version, Family family, size_t count) {
    size_t len = kHeaderLen + count * (family == Family::V4 ? 4 : 16);
    if (version == 2 && family == Family::V4) len += kAuthLen;
    return len;
}

std::string cast(bool multicast) { return multicast ? "mult" : "un"; }

std::string num(size_t v) { return std::to_string(v); }

}  // namespace

std::string decodeErrorText(DecodeError e, std::span<const uint8_t> vrrp, const RxPacket& pkt,
                            const RxContext& ctx) {
    // A message of the other version is read with that version's layout and may fail on
    // its length first; what an operator needs to hear is the version (the kernel checks
    // it before the length, too).
    if (!vrrp.empty() && (vrrp[0] >> 4) != ctx.version && e != DecodeError::BadType &&
        e != DecodeError::BadChecksum)
        return "wrong version. Received " + num(vrrp[0] >> 4) + " and expect " + num(ctx.version);
    switch (e) {
        case DecodeError::TooShort:
            return "vrrp packet too short, length " + num(vrrp.size()) + " and expect " +
                   num(kHeaderLen);
        case DecodeError::BadVersion:
            return "wrong version. Received " + num(vrrp[0] >> 4) + " and expect " +
                   num(ctx.version);
        case DecodeError::BadType:
            return "Invalid packet type. " + num(vrrp[0] & 0x0f) + " and expect " +
                   num(kTypeAdvert);
        case DecodeError::BadLength: {
            const size_t want = expectedLength(vrrp[0] >> 4, ctx.family, vrrp[3]);
            return std::string("vrrp packet too ") + (vrrp.size() < want ? "short" : "long") +
                   ", length " + num(vrrp.size()) + " and expect " + num(want);
        }
        case DecodeError::BadChecksum:
            return "dropped advert from " + pkt.src.str() + ": bad checksum";
        case DecodeError::BadFamily:
            return "dropped advert from " + pkt.src.str() + ": address family mismatch";
    }
    return "dropped advert from " + pkt.src.str();
}

std::string rejectText(RejectReason r, const Advert& a, const RxPacket& pkt, const RxContext& ctx) {
    switch (r) {
        case RejectReason::BadTtl:
            if (ctx.unicast) {
                if (std::string peer = peerRejectText(pkt, ctx); !peer.empty()) return peer;
            }
            return "invalid TTL/HL. Received " + num(pkt.ttl) + " and expect " + num(kRequiredTtl);
        case RejectReason::VersionMismatch:
            return "wrong version. Received " + num(a.version) + " and expect " + num(ctx.version);
        case RejectReason::BadAuthType:
        case RejectReason::AuthTypeMismatch:
            return "received a " + num(a.auth_type) + " auth, expecting " +
                   num(static_cast<size_t>(ctx.auth_type)) + "!";
        case RejectReason::AuthFailure:
            return "received an invalid passwd!";
        case RejectReason::IntervalMismatch:
            return "advertisement interval mismatch mine=" + num(ctx.advert_int_cs / 100) +
                   " sec rcv'd=" + num(a.max_advert_int_cs / 100) + " sec";
        case RejectReason::AddressCountMismatch:
            return "received an unexpected ip number count " + num(a.addresses.size()) +
                   ", expected " + num(ctx.vips.size()) + "!";
        case RejectReason::CastMismatch:
            return "Expected " + cast(!ctx.unicast) + "icast packet but received " +
                   cast(pkt.dst.isMulticast()) + "icast packet";
        case RejectReason::AddressListMismatch:
            for (const IpAddr& vip : ctx.vips)
                if (std::find(a.addresses.begin(), a.addresses.end(), vip) == a.addresses.end())
                    return "ip address associated with VRID " + num(ctx.vrid) +
                           " not present in MASTER advert: " + vip.str();
            break;
        case RejectReason::NotUnicastPeer:
            return "unicast source address " + pkt.src.str() + " not a unicast peer";
        case RejectReason::AuthUnsupported:
        case RejectReason::FamilyMismatch:
        case RejectReason::VridMismatch:
        case RejectReason::Ok:
            break;
    }
    return "dropped advert from " + pkt.src.str() + ": " + name(r);
}

std::string peerRejectText(const RxPacket& pkt, const RxContext& ctx) {
    auto peer = std::find_if(ctx.unicast_peers.begin(), ctx.unicast_peers.end(),
                             [&](const UnicastPeerRx& p) { return p.addr == pkt.src; });
    if (peer == ctx.unicast_peers.end())
        return "unicast source address " + pkt.src.str() + " not a unicast peer";
    if (pkt.ttl < peer->min_ttl || pkt.ttl > peer->max_ttl)
        return "TTL/HL " + num(pkt.ttl) + " not in range " + num(peer->min_ttl) + " - " +
               num(peer->max_ttl);
    return {};
}

}  // namespace xvrrp::vrrp
