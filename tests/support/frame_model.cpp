#include "support/frame_model.hpp"

#include <algorithm>

namespace xvrrp::test {
namespace {

constexpr uint16_t kTpids[] = {kTpid8021Q, kTpid8021AD};
constexpr uint8_t kHopOpts = 0, kRouting = 43, kFragment = 44, kDstOpts = 60;

uint16_t get16(const Bytes& f, size_t at) { return uint16_t(f[at] << 8 | f[at + 1]); }

StackResult fail(std::string why) { return {std::nullopt, std::move(why)}; }

// RFC 791 / RFC 1122 3.2.1: what ip_rcv accepts, and no fragment (a lone fragment waits
// for reassembly that never completes).
StackResult ipv4(const Bytes& f, size_t at, StackView v) {
    if (f.size() < at + 20) return fail("ip_short");
    if ((f[at] >> 4) != 4) return fail("ip_version");
    const size_t hlen = (f[at] & 0x0f) * 4u;
    if (hlen < 20 || f.size() < at + hlen) return fail("ip_ihl");
    if (inetChecksum(&f[at], hlen) != 0) return fail("ip_checksum");
    const size_t total = get16(f, at + 2);
    if (total < hlen || f.size() < at + total) return fail("ip_length");
    if (get16(f, at + 6) & 0x3fff) return fail("ip_fragment");
    if (f[at + 9] != kProtoVrrp) return fail("not_vrrp");
    v.family = Family::V4;
    v.ttl = f[at + 8];
    v.src = IpAddr::fromBytes(Family::V4, &f[at + 12]);
    v.dst = IpAddr::fromBytes(Family::V4, &f[at + 16]);
    v.vrrp.assign(f.begin() + at + hlen, f.begin() + at + total);
    return {v, ""};
}

// RFC 8200 4.2: TLV options; an unknown type whose two high bits are not 00 discards.
bool optionsPass(const Bytes& f, size_t from, size_t to) {
    for (size_t i = from; i < to;) {
        if (f[i] == 0) {  // Pad1
            ++i;
            continue;
        }
        if (i + 2 > to || i + 2 + f[i + 1] > to) return false;
        const uint8_t type = f[i];
        if (type != 1 && (type >> 6) != 0) return false;
        i += 2 + f[i + 1];
    }
    return true;
}

// RFC 8200 4: the header chain as a destination host processes it.
StackResult ipv6(const Bytes& f, size_t at, StackView v) {
    if (f.size() < at + 40) return fail("ip_short");
    if ((f[at] >> 4) != 6) return fail("ip_version");
    const size_t plen = get16(f, at + 4);
    if (plen == 0) return fail("ipv6_jumbo");  // a jumbogram needs its hop-by-hop option
    if (f.size() < at + 40 + plen) return fail("ip_length");
    const size_t end = at + 40 + plen;
    uint8_t nh = f[at + 6];
    size_t p = at + 40;
    for (bool first = true;; first = false) {
        if (nh != kHopOpts && nh != kRouting && nh != kFragment && nh != kDstOpts) break;
        if (nh == kHopOpts && !first) return fail("ipv6_hbh_not_first");  // RFC 8200 4.3
        if (p + 8 > end) return fail("ipv6_ext_short");
        const size_t len = nh == kFragment ? 8 : (size_t(f[p + 1]) + 1) * 8;
        if (p + len > end) return fail("ipv6_ext_short");
        if (nh == kRouting && f[p + 3] != 0) return fail("ipv6_routing_segments");
        if (nh == kFragment && (get16(f, p + 2) & 0xfff9)) return fail("ipv6_fragment");
        if ((nh == kHopOpts || nh == kDstOpts) && !optionsPass(f, p + 2, p + len))
            return fail("ipv6_option_discard");
        v.atomic_fragment |= nh == kFragment;
        ++v.ext_headers;
        nh = f[p];
        p += len;
    }
    if (nh != kProtoVrrp) return fail("not_vrrp");
    v.family = Family::V6;
    v.ttl = f[at + 7];
    v.src = IpAddr::fromBytes(Family::V6, &f[at + 8]);
    v.dst = IpAddr::fromBytes(Family::V6, &f[at + 24]);
    v.vrrp.assign(f.begin() + p, f.begin() + end);
    return {v, ""};
}

vrrp::RxContext rxContext(const ModelInstance& m) {
    vrrp::RxContext ctx;
    ctx.family = m.family;
    ctx.version = m.version;
    ctx.vrid = m.vrid;
    ctx.advert_int_cs = m.advert_int_cs;
    if (m.version == 2 && m.auth_pass) {
        ctx.auth_type = vrrp::AuthType::Pass;
        ctx.auth_pass = *m.auth_pass;
    }
    ctx.vips = m.vips;
    ctx.unicast = !m.peers.empty();
    ctx.check_unicast_src = m.check_unicast_src;
    ctx.unicast_peers = m.peers;
    return ctx;
}

}  // namespace

StackResult stackDelivers(const Bytes& f) {
    if (f.size() < 14) return fail("eth_short");
    StackView v;
    size_t at = 12;
    uint16_t type = get16(f, at);
    // IEEE 802.1Q: tags until the ethertype; VID 0 only carries a priority.
    while (std::find(std::begin(kTpids), std::end(kTpids), type) != std::end(kTpids)) {
        if (f.size() < at + 6) return fail("eth_short");
        const int vid = get16(f, at + 2) & 0x0fff;
        if (!v.vid) v.vid = vid;
        ++v.tags;
        at += 4;
        type = get16(f, at);
    }
    at += 2;
    if (type == kEthIp) return ipv4(f, at, v);
    if (type == kEthIpv6) return ipv6(f, at, v);
    return fail("not_vrrp");
}

// Daemon::onAdvert's order: instance by (interface, family, VRID), own source, decode,
// RFC 5798 7.1 checks. A tagged frame belongs to the VLAN sub-interface.
ModelVerdict daemonTakes(const Bytes& frame, const std::vector<ModelInstance>& instances) {
    ModelVerdict out;
    StackResult s = stackDelivers(frame);
    if (!s.view) {
        out.why = s.why;
        return out;
    }
    out.view = s.view;
    const StackView& v = *s.view;
    if (v.vid != 0) {
        out.why = "vlan";
        return out;
    }
    if (v.vrrp.size() < 2) {
        out.why = "decode_too_short";
        return out;
    }
    auto it = std::find_if(instances.begin(), instances.end(), [&](const ModelInstance& m) {
        return m.family == v.family && m.vrid == v.vrrp[1];
    });
    if (it == instances.end()) {
        out.why = "no_instance";
        return out;
    }
    out.instance = size_t(it - instances.begin());
    if (v.src == it->primary) {
        out.why = "own";
        return out;
    }
    auto decoded = vrrp::decode(v.vrrp, v.src, v.dst, v.family, vrrp::UnicastChecksum::Auto);
    if (!decoded) {
        out.why = std::string("decode_") + vrrp::name(decoded.error());
        return out;
    }
    const auto r = vrrp::validate(*decoded, vrrp::RxPacket{v.ttl, v.src, v.dst}, rxContext(*it));
    if (r != vrrp::RejectReason::Ok) {
        out.why = std::string("reject_") + vrrp::name(r);
        return out;
    }
    out.accepted = true;
    out.why = "ok";
    return out;
}

}  // namespace xvrrp::test
