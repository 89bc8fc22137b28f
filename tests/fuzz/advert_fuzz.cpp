// Advert codec plus the RFC 5798 section 7.1 receive checks on arbitrary bytes. The first
// byte picks family and checksum mode, the next 32 the addresses, TTL and a few context
// fields; the rest is the VRRP message. Every accepted advert must encode back to a message
// that decodes to the same value.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vrrp/packet.hpp"

using namespace xvrrp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 36) return 0;
    const uint8_t sel = data[0];
    const Family fam = (sel & 1) ? Family::V6 : Family::V4;
    const auto mode = static_cast<vrrp::UnicastChecksum>((sel >> 1) % 3);
    const size_t alen = fam == Family::V4 ? 4 : 16;
    IpAddr src = IpAddr::fromBytes(fam, data + 1);
    IpAddr dst = IpAddr::fromBytes(fam, data + 1 + alen);
    const uint8_t* ctxb = data + 33;
    std::span<const uint8_t> msg(data + 36, size - 36);

    auto adv = vrrp::decode(msg, src, dst, fam, mode);
    if (!adv) return 0;

    vrrp::RxContext ctx;
    ctx.family = fam;
    ctx.version = (ctxb[0] & 1) ? 3 : 2;
    ctx.vrid = ctxb[1];
    ctx.priority = ctxb[2];
    ctx.unicast = (sel & 0x10) != 0;
    ctx.check_unicast_src = (sel & 0x20) != 0;
    ctx.skip_check_adv_addr = (sel & 0x40) != 0;
    ctx.vips = adv->addresses;
    if (sel & 0x80) ctx.unicast_peers.push_back({src, 0, 255});
    vrrp::RxPacket pkt{ctxb[0], src, dst};
    auto verdict = vrrp::validate(*adv, pkt, ctx);
    (void)vrrp::name(verdict);

    // Round trip: what we accepted, we can say again the same way.
    auto again = vrrp::encode(*adv, src, dst);
    auto back = vrrp::decode(again, src, dst, fam, mode);
    if (!back || !(*back == *adv)) std::abort();
    return 0;
}
