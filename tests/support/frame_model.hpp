#pragma once
// The reference side of the differential fuzz (tools/bench/fuzz, bpf.differential): what
// the Linux stack would hand a VRRP speaker from a frame, and whether xvrrpd would take it
// for one of its instances (vrrp::decode + vrrp::validate, as Daemon::onAdvert calls them).
// Written from the RFCs (IPv4: RFC 791/1122, IPv6: RFC 8200, VRRP: RFC 5798 7.1), not from
// bpf/xv_parse.h, so the two can disagree. Test support: never linked by product code.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "support/packet_builder.hpp"
#include "vrrp/packet.hpp"

namespace xvrrp::test {

// One configured instance on the interface under test: drives the kernel's filter and the
// daemon's receive context alike.
struct ModelInstance {
    Family family = Family::V4;
    int version = 3;
    uint8_t vrid = 0;
    uint16_t advert_int_cs = 100;
    std::optional<std::array<uint8_t, 8>> auth_pass;  // v2 PASS, zero padded
    std::vector<IpAddr> vips;
    std::vector<vrrp::UnicastPeerRx> peers;  // non-empty: unicast instance
    bool check_unicast_src = false;
    IpAddr primary;  // the instance's own source: its adverts looped back are ignored
};

// What the stack delivers for an IP protocol 112 packet, or why it delivers nothing.
struct StackView {
    Family family = Family::V4;
    IpAddr src, dst;
    uint8_t ttl = 0;
    Bytes vrrp;   // the IP payload (total/payload length, minus headers)
    int vid = 0;  // first non-zero VLAN id of the frame's tags (0: untagged)
    size_t tags = 0;
    size_t ext_headers = 0;        // IPv6 extension headers walked
    bool atomic_fragment = false;  // IPv6 fragment header with offset 0, M 0 (RFC 6946)
};
struct StackResult {
    std::optional<StackView> view;
    std::string why;  // when !view: not_vrrp, ip_*, ipv6_*
};
StackResult stackDelivers(const Bytes& frame);

// The daemon's decision: "ok" with the instance's index, or the reason it is not taken.
struct ModelVerdict {
    bool accepted = false;
    size_t instance = 0;
    std::string why;  // ok, not_vrrp, ip_*, vlan, no_instance, own, decode_*, reject_*
    std::optional<StackView> view;
};
ModelVerdict daemonTakes(const Bytes& frame, const std::vector<ModelInstance>& instances);

}  // namespace xvrrp::test
