#pragma once
// keepalived 2.2.7's log text for an advert it refuses, so the lines operators grep for
// ("wrong version. Received 2 and expect 3", "received an invalid passwd!") appear for the
// same adverts, whether userspace or the XDP program refused them. The "(instance) " prefix
// is the caller's. Texts keepalived does not have (it drops those silently) are ours.
#include <cstdint>
#include <span>
#include <string>

#include "vrrp/packet.hpp"

namespace xvrrp::vrrp {

// For a message decode() refused; VRRP, as received, and the instance's settings.
std::string decodeErrorText(DecodeError e, std::span<const uint8_t> vrrp, const RxPacket& pkt,
                            const RxContext& ctx);

// For an advert validate() refused with R (not Ok).
std::string rejectText(RejectReason r, const Advert& a, const RxPacket& pkt, const RxContext& ctx);

// For an advert the XDP program dropped that validate() would take: only the unicast peer
// list and its TTL range are checked in the kernel alone (xv_peers). Empty when neither
// explains it.
std::string peerRejectText(const RxPacket& pkt, const RxContext& ctx);

}  // namespace xvrrp::vrrp
