// Test support (linked by tests and tools/bench, never by product code). Builds frames:
// Ethernet (+802.1Q/802.1ad tags) or bare IP, IPv4 or IPv6 (+extension headers), carrying
// VRRP v2/v3 or any other payload. Lengths and checksums are filled in unless a field is
// overridden to make the frame lie.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

namespace xvrrp::test {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

inline constexpr uint16_t kEthIp = 0x0800;
inline constexpr uint16_t kEthIpv6 = 0x86dd;
inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kTpid8021Q = 0x8100;
inline constexpr uint16_t kTpid8021AD = 0x88a8;
inline constexpr uint8_t kProtoVrrp = 112;

struct Ext6 {
    uint8_t type;     // 0 hop-by-hop, 43 routing, 60 destination options, 44 fragment
    size_t len8 = 1;  // total length in 8-octet units
};

struct FrameSpec {
    bool eth = true;
    Mac src_mac{0x02, 0x00, 0x5e, 0x00, 0x01, 0x07};
    Mac dst_mac{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};
    std::vector<std::pair<uint16_t, uint16_t>> vlans;  // (tpid, vlan id), outer first
    std::optional<uint16_t> ethertype;                 // default from family
    int family = 4;                                    // 4, 6, or 0 (payload right after L2)
    std::array<uint8_t, 16> saddr{192, 168, 1, 2};
    std::array<uint8_t, 16> daddr{224, 0, 0, 18};
    uint8_t ttl = 255;
    uint8_t proto = kProtoVrrp;
    uint8_t version = 0;  // 0: family
    uint8_t ihl = 5;      // IPv4 header length in words; options are zero-filled
    uint16_t frag = 0;    // IPv4 flags+fragment offset, host order
    int len_delta = 0;    // added to the IP length field
    std::vector<Ext6> ext;
    Bytes payload;
};

// RFC 1071 checksum over DATA, starting from SUM.
uint16_t inetChecksum(const uint8_t* data, size_t len, uint32_t sum = 0);

inline void put16(Bytes& b, uint16_t v) {
    b.push_back(v >> 8);
    b.push_back(v & 0xff);
}

// VRRP v2 (RFC 3768 section 5.1): auth type 0, advert interval in seconds.
Bytes vrrpV2(uint8_t vrid, uint8_t prio, const std::vector<std::array<uint8_t, 4>>& addrs,
             uint8_t adver_s = 1);

// VRRP v3 (RFC 5798 section 5.1); ADDR_LEN is 4 or 16. Checksum left zero: it needs the
// pseudo header, which the XDP program does not look at.
Bytes vrrpV3(uint8_t vrid, uint8_t prio, size_t naddr, size_t addr_len,
             uint16_t max_adver_cs = 100);

// The frame S describes, lengths and IP checksum filled in (less S.len_delta).
Bytes buildFrame(const FrameSpec& s);

// An IPv6 address from its eight 16-bit groups.
std::array<uint8_t, 16> v6(std::initializer_list<uint16_t> groups);

inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoIcmp6 = 58;

// Fills in the VRRP checksum of MSG (RFC 5798 section 5.2.8): with the pseudo-header
// unless v2 over IPv4. OLD_UNICAST: keepalived's unicast variant with 224.0.0.18 as the
// pseudo destination.
void setVrrpChecksum(Bytes& msg, int family, const std::array<uint8_t, 16>& src,
                     const std::array<uint8_t, 16>& dst, bool old_unicast = false);

// An ARP frame (Ethernet/IPv4, RFC 826): OP 1 request, 2 reply.
Bytes arpFrame(uint16_t op, std::array<uint8_t, 4> spa, std::array<uint8_t, 4> tpa);

// ICMPv6 neighbour discovery body (RFC 4861 4.3/4.4): TYPE 135 NS or 136 NA, for TARGET.
Bytes ndBody(uint8_t type, const std::array<uint8_t, 16>& target);

}  // namespace xvrrp::test
