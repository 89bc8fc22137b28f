// Frames for the differential fuzz: mostly adverts one of the instances would take, each
// with a chance of every field being off (family, version, type, VRID, addresses, auth,
// interval, TTL, source, destination, checksum, tags, IP options, extension headers,
// lengths, fragments), then raw byte mutations.
#include <algorithm>

#include "support/differential.hpp"

namespace xvrrp::test {
namespace {

using Rng = std::mt19937_64;

bool chance(Rng& r, double p) { return std::uniform_real_distribution<double>(0, 1)(r) < p; }
int pick(Rng& r, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(r); }

std::array<uint8_t, 16> bytes16(const IpAddr& a) {
    std::array<uint8_t, 16> b{};
    std::copy(a.data(), a.data() + a.size(), b.begin());
    return b;
}

std::array<uint8_t, 16> randomAddr(Rng& r, int family) {
    std::array<uint8_t, 16> b{};
    if (family == 4) {
        b = {192, 168, 1, static_cast<uint8_t>(pick(r, 1, 4))};
    } else {
        b = v6({0xfe80, 0, 0, 0, 0, 0, 0, static_cast<uint16_t>(pick(r, 1, 4))});
    }
    if (chance(r, 0.05))
        for (auto& x : b) x = static_cast<uint8_t>(pick(r, 0, 255));
    return b;
}

// The VRRP message: header, addresses, v2 auth data; checksum filled by the caller.
Bytes message(Rng& r, const ModelInstance& m, int family, int version) {
    const size_t alen = family == 4 ? 4 : 16;
    std::vector<IpAddr> addrs = m.vips;
    if (chance(r, 0.15)) addrs.erase(addrs.begin());
    if (chance(r, 0.1)) addrs.push_back(m.vips.front());
    Bytes b{static_cast<uint8_t>(version << 4 | (chance(r, 0.05) ? pick(r, 0, 15) : 1)),
            chance(r, 0.1) ? static_cast<uint8_t>(pick(r, 0, 255)) : m.vrid,
            static_cast<uint8_t>(pick(r, 0, 255)),
            static_cast<uint8_t>(chance(r, 0.05) ? pick(r, 0, 255) : addrs.size())};
    if (version == 2) {
        b.push_back(m.auth_pass && !chance(r, 0.05) ? 1 : static_cast<uint8_t>(pick(r, 0, 3)));
        b.push_back(chance(r, 0.1) ? static_cast<uint8_t>(pick(r, 0, 255))
                                   : static_cast<uint8_t>(m.advert_int_cs / 100));
    } else {
        const int cs = chance(r, 0.3) ? pick(r, 0, 0xffff) : m.advert_int_cs;
        put16(b, static_cast<uint16_t>(cs));
    }
    put16(b, 0);
    for (const IpAddr& a : addrs) {
        if (a.size() == alen) {
            b.insert(b.end(), a.data(), a.data() + alen);
        } else {
            for (size_t i = 0; i < alen; ++i) b.push_back(static_cast<uint8_t>(pick(r, 0, 255)));
        }
    }
    if (version == 2 && family == 4) {
        std::array<uint8_t, 8> pw{};
        if (m.auth_pass) pw = *m.auth_pass;
        if (chance(r, 0.1)) pw[static_cast<size_t>(pick(r, 0, 7))] ^= 0x20;
        b.insert(b.end(), pw.begin(), pw.end());
    }
    return b;
}

}  // namespace

Bytes randomFrame(Rng& r, const std::vector<ModelInstance>& instances) {
    const auto& m = instances[static_cast<size_t>(pick(r, 0, int(instances.size()) - 1))];
    FrameSpec s;
    s.family = m.family == Family::V4 ? 4 : 6;
    if (chance(r, 0.05)) s.family = 10 - s.family;
    const int version = chance(r, 0.1) ? pick(r, 0, 15) : m.version;
    const bool unicast = !m.peers.empty() != chance(r, 0.1);
    s.saddr = !m.peers.empty() && chance(r, 0.8) && s.family == (m.family == Family::V4 ? 4 : 6)
                  ? bytes16(m.peers.front().addr)
                  : randomAddr(r, s.family);
    if (unicast) {
        s.daddr = s.family == 4 ? std::array<uint8_t, 16>{192, 168, 1, 1} : bytes16(m.primary);
    } else {
        s.daddr = s.family == 4 ? std::array<uint8_t, 16>{224, 0, 0, 18}
                                : v6({0xff02, 0, 0, 0, 0, 0, 0, 0x12});
    }
    s.ttl = chance(r, 0.8) ? 255 : static_cast<uint8_t>(pick(r, 0, 255));
    s.payload = message(r, m, s.family, version);
    if (!chance(r, 0.05)) setVrrpChecksum(s.payload, s.family, s.saddr, s.daddr, chance(r, 0.2));
    const int tags = chance(r, 0.7) ? 0 : pick(r, 1, 3);
    for (int i = 0; i < tags; ++i)
        s.vlans.push_back({chance(r, 0.5) ? kTpid8021Q : kTpid8021AD,
                           static_cast<uint16_t>(chance(r, 0.4) ? 0 : pick(r, 1, 4095))});
    if (s.family == 4) {
        if (chance(r, 0.1)) s.ihl = static_cast<uint8_t>(pick(r, 5, 15));
        if (chance(r, 0.05))
            s.frag = chance(r, 0.5) ? 0x4000 : static_cast<uint16_t>(pick(r, 0, 0xffff));
    } else if (chance(r, 0.3)) {
        const uint8_t kinds[] = {0, 60, 43, 44};
        for (int i = pick(r, 1, 6); i > 0; --i) {
            const uint8_t k = kinds[pick(r, 0, 3)];
            s.ext.push_back({k, k == 44 ? size_t{1} : static_cast<size_t>(pick(r, 1, 2))});
        }
    }
    if (chance(r, 0.05)) s.len_delta = pick(r, -8, 8);
    Bytes f = buildFrame(s);
    if (chance(r, 0.1)) f.insert(f.end(), static_cast<size_t>(pick(r, 1, 40)), 0);  // padding
    return f;
}

Bytes mutate(Bytes f, Rng& r) {
    for (int i = pick(r, 0, 3); i > 0 && !f.empty(); --i)
        f[static_cast<size_t>(pick(r, 0, int(f.size()) - 1))] ^=
            static_cast<uint8_t>(1 << pick(r, 0, 7));
    if (chance(r, 0.1) && f.size() > 14) f.resize(static_cast<size_t>(pick(r, 14, int(f.size()))));
    if (chance(r, 0.05))
        for (int i = pick(r, 1, 16); i > 0; --i) f.push_back(static_cast<uint8_t>(pick(r, 0, 255)));
    return f;
}

}  // namespace xvrrp::test
