#include "support/packet_builder.hpp"

#include <algorithm>

namespace xvrrp::test {

uint16_t inetChecksum(const uint8_t* data, size_t len, uint32_t sum) {
    for (size_t i = 0; i + 1 < len; i += 2) sum += (data[i] << 8) | data[i + 1];
    if (len & 1) sum += data[len - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Bytes vrrpV2(uint8_t vrid, uint8_t prio, const std::vector<std::array<uint8_t, 4>>& addrs,
             uint8_t adver_s) {
    Bytes b{0x21, vrid, prio, static_cast<uint8_t>(addrs.size()), 0, adver_s, 0, 0};
    for (const auto& a : addrs) b.insert(b.end(), a.begin(), a.end());
    b.insert(b.end(), 8, 0);  // authentication data
    uint16_t c = inetChecksum(b.data(), b.size());
    b[6] = c >> 8;
    b[7] = c & 0xff;
    return b;
}

Bytes vrrpV3(uint8_t vrid, uint8_t prio, size_t naddr, size_t addr_len, uint16_t max_adver_cs) {
    Bytes b{0x31, vrid, prio, static_cast<uint8_t>(naddr)};
    put16(b, max_adver_cs & 0x0fff);
    put16(b, 0);
    for (size_t i = 0; i < naddr * addr_len; ++i) b.push_back(static_cast<uint8_t>(i + 1));
    return b;
}

Bytes buildFrame(const FrameSpec& s) {
    Bytes f;
    if (s.eth) {
        f.insert(f.end(), s.dst_mac.begin(), s.dst_mac.end());
        f.insert(f.end(), s.src_mac.begin(), s.src_mac.end());
        // On the wire each tag is TPID then TCI; the last type field is the ethertype.
        for (auto [tpid, id] : s.vlans) {
            put16(f, tpid);
            put16(f, id & 0x0fff);
        }
        put16(f, s.ethertype.value_or(s.family == 6 ? kEthIpv6 : kEthIp));
    }
    if (s.family == 4) {
        size_t hlen = s.ihl * 4u;
        size_t start = f.size();
        uint16_t tot =
            static_cast<uint16_t>(std::max<size_t>(hlen, 20) + s.payload.size() + s.len_delta);
        uint8_t ver = s.version ? s.version : 4;
        f.push_back(static_cast<uint8_t>((ver << 4) | (s.ihl & 0x0f)));
        f.push_back(0xc0);  // DSCP CS6, as VRRP senders use
        put16(f, tot);
        put16(f, 0x1234);
        put16(f, s.frag);
        f.push_back(s.ttl);
        f.push_back(s.proto);
        put16(f, 0);
        f.insert(f.end(), s.saddr.begin(), s.saddr.begin() + 4);
        f.insert(f.end(), s.daddr.begin(), s.daddr.begin() + 4);
        while (f.size() - start < hlen) f.push_back(1);  // NOP options
        uint16_t c = inetChecksum(f.data() + start, f.size() - start);
        f[start + 10] = c >> 8;
        f[start + 11] = c & 0xff;
    } else if (s.family == 6) {
        size_t ext_bytes = 0;
        for (const auto& e : s.ext) ext_bytes += e.len8 * 8;
        uint8_t ver = s.version ? s.version : 6;
        f.push_back(static_cast<uint8_t>(ver << 4));
        f.insert(f.end(), 3, 0);
        put16(f, static_cast<uint16_t>(ext_bytes + s.payload.size() + s.len_delta));
        f.push_back(s.ext.empty() ? s.proto : s.ext.front().type);
        f.push_back(s.ttl);
        f.insert(f.end(), s.saddr.begin(), s.saddr.end());
        f.insert(f.end(), s.daddr.begin(), s.daddr.end());
        for (size_t i = 0; i < s.ext.size(); ++i) {
            f.push_back(i + 1 < s.ext.size() ? s.ext[i + 1].type : s.proto);
            // Fragment headers have a reserved byte where others carry their length.
            f.push_back(s.ext[i].type == 44 ? 0 : static_cast<uint8_t>(s.ext[i].len8 - 1));
            f.insert(f.end(), s.ext[i].len8 * 8 - 2, 0);
        }
    }
    f.insert(f.end(), s.payload.begin(), s.payload.end());
    return f;
}

std::array<uint8_t, 16> v6(std::initializer_list<uint16_t> groups) {
    std::array<uint8_t, 16> a{};
    size_t i = 0;
    for (uint16_t g : groups) {
        a[i++] = g >> 8;
        a[i++] = g & 0xff;
    }
    return a;
}

void setVrrpChecksum(Bytes& msg, int family, const std::array<uint8_t, 16>& src,
                     const std::array<uint8_t, 16>& dst, bool old_unicast) {
    msg[6] = msg[7] = 0;
    Bytes ph;
    const bool v2v4 = family == 4 && (msg[0] >> 4) == 2;
    if (family == 4 && !v2v4) {
        ph.insert(ph.end(), src.begin(), src.begin() + 4);
        if (old_unicast) {
            ph.insert(ph.end(), {224, 0, 0, 18});
        } else {
            ph.insert(ph.end(), dst.begin(), dst.begin() + 4);
        }
        ph.insert(ph.end(), {0, kProtoVrrp});
        put16(ph, static_cast<uint16_t>(msg.size()));
    } else if (family == 6) {
        ph.insert(ph.end(), src.begin(), src.end());
        ph.insert(ph.end(), dst.begin(), dst.end());
        ph.insert(ph.end(), {0, 0});
        put16(ph, static_cast<uint16_t>(msg.size()));
        ph.insert(ph.end(), {0, 0, 0, kProtoVrrp});
    }
    Bytes all = ph;
    all.insert(all.end(), msg.begin(), msg.end());
    const uint16_t c = inetChecksum(all.data(), all.size());
    msg[6] = c >> 8;
    msg[7] = c & 0xff;
}

Bytes arpFrame(uint16_t op, std::array<uint8_t, 4> spa, std::array<uint8_t, 4> tpa) {
    FrameSpec s;
    s.family = 0;
    s.ethertype = kEthArp;
    s.dst_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    Bytes& p = s.payload;
    put16(p, 1);
    put16(p, kEthIp);
    p.push_back(6);
    p.push_back(4);
    put16(p, op);
    p.insert(p.end(), s.src_mac.begin(), s.src_mac.end());
    p.insert(p.end(), spa.begin(), spa.end());
    p.insert(p.end(), 6, 0);
    p.insert(p.end(), tpa.begin(), tpa.end());
    return buildFrame(s);
}

Bytes ndBody(uint8_t type, const std::array<uint8_t, 16>& target) {
    Bytes b{type, 0, 0, 0, 0, 0, 0, 0};
    b.insert(b.end(), target.begin(), target.end());
    return b;
}

}  // namespace xvrrp::test
