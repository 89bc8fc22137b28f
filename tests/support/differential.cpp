#include "support/differential.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace xvrrp::test {
namespace {

using Counter = __u64 xv_stats::*;

// Counters that name why xv_rx did not hand a frame to the daemon, most specific first.
const std::pair<const char*, Counter> kReasons[] = {
    {"drop_vlan", &xv_stats::drop_vlan},
    {"vlan_passed", &xv_stats::vlan_passed},
    {"drop_vrid", &xv_stats::drop_vrid},
    {"drop_ttl", &xv_stats::drop_ttl},
    {"drop_version", &xv_stats::drop_version},
    {"drop_length", &xv_stats::drop_length},
    {"drop_csum", &xv_stats::drop_csum},
    {"drop_auth", &xv_stats::drop_auth},
    {"drop_peer", &xv_stats::drop_peer},
    {"drop_rate", &xv_stats::drop_rate},
    {"vrid_shared", &xv_stats::vrid_shared},
    {"too_long", &xv_stats::too_long},
    {"bad_ip", &xv_stats::bad_ip},
    {"ext_too_deep", &xv_stats::ext_too_deep},
    {"drop_cast", &xv_stats::drop_cast},
    {"drop_interval", &xv_stats::drop_interval},
    {"truncated", &xv_stats::truncated},
    {"ring_full", &xv_stats::ring_full},
    {"rx_passed", &xv_stats::rx_passed},
};

std::string xdpReason(const xv_stats& before, const xv_stats& after) {
    for (const auto& [name, c] : kReasons)
        if (after.*c != before.*c) return name;
    return "none";
}

bool sameContent(const xv_advert& r, const StackView& v) {
    const size_t alen = v.family == Family::V4 ? 4 : 16;
    return r.family == (v.family == Family::V4 ? XV_FAMILY_V4 : XV_FAMILY_V6) && r.ttl == v.ttl &&
           std::memcmp(r.saddr, v.src.data(), alen) == 0 &&
           std::memcmp(r.daddr, v.dst.data(), alen) == 0 && r.vrrp_len == v.vrrp.size() &&
           std::memcmp(r.vrrp, v.vrrp.data(), v.vrrp.size()) == 0;
}

IpAddr ip(const char* text) { return *IpAddr::parse(text); }

constexpr size_t kMaxVlanTags = 2;    // XV_MAX_VLAN (bpf/xv_parse.h)
constexpr size_t kMaxExtHeaders = 4;  // XV_MAX_EXTHDR

}  // namespace

XdpDifferential::XdpDifferential(dataplane::Dataplane& dp, int ifindex,
                                 std::vector<ModelInstance> instances)
    : dp_(dp), ifindex_(ifindex), instances_(std::move(instances)) {
    for (const ModelInstance& m : instances_) {
        dataplane::InstanceFilter f;
        f.version = m.version;
        f.interval_cs = m.advert_int_cs;
        if (m.version == 2) f.auth_pass = m.auth_pass;
        f.unicast = !m.peers.empty();
        for (const auto& p : m.peers) f.peers.push_back({p.addr, p.min_ttl, p.max_ttl});
        f.rate_limit = false;
        dp_.configureInstance({ifindex_, m.family, m.vrid}, f);
    }
    dp_.consume([](const xv_advert&) {});
}

XdpDifferential::~XdpDifferential() {
    for (const ModelInstance& m : instances_) {
        try {
            dp_.removeInstance({ifindex_, m.family, m.vrid});
        } catch (const std::exception&) {
        }
    }
}

DiffResult XdpDifferential::run(const Bytes& frame) {
    if (frame.size() < 14) return {"skip_short", true};  // test_run needs an Ethernet header
    const xv_stats before = dp_.stats();
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<uint32_t>(frame.size()), .repeat = 1);
    if (bpf_prog_test_run_opts(dp_.progFd(), &opts) != 0)
        throw std::runtime_error(std::string("bpf_prog_test_run_opts: ") + std::strerror(errno));
    const xv_stats after = dp_.stats();
    std::vector<xv_advert> records;
    dp_.consume([&](const xv_advert& r) { records.push_back(r); });

    const ModelVerdict m = daemonTakes(frame, instances_);
    const bool xdp = !records.empty();
    if (xdp && records.size() != 1) return {"xdp_records_many", false};
    if (xdp && static_cast<int>(records[0].ifindex) != ifindex_) return {"xdp_ifindex", false};
    if (xdp && m.accepted) {
        if (!sameContent(records[0], *m.view)) return {"content_mismatch", false};
        return {"agree_accept", true};
    }
    if (!xdp && !m.accepted) return {"agree_reject", true};
    if (xdp) return {"xdp_accepts:" + m.why, false};
    // Frames past a documented bound or shape are named by it, whatever xv_rx counted.
    std::string why = xdpReason(before, after);
    if (m.view->tags > kMaxVlanTags)
        why = "tags_over_bound";
    else if (m.view->ext_headers > kMaxExtHeaders)
        why = "ext_over_bound";
    else if (m.view->atomic_fragment)
        why = "atomic_fragment";
    return {"user_accepts:" + why, false};
}

const char* documentedReason(const std::string& cls) {
    static const std::map<std::string, const char*> kDocumented = {
        {"xdp_accepts:reject_address_list_mismatch",
         "the VIP list is checked by the daemon (RFC 5798 7.1 MAY; skip_check_adv_addr "
         "depends on the master the daemon follows)"},
        {"xdp_accepts:reject_address_count_mismatch",
         "the VIP list is checked by the daemon (RFC 5798 7.1 MAY; skip_check_adv_addr "
         "depends on the master the daemon follows)"},
        {"xdp_accepts:own",
         "XDP does not know the instance's source address; the daemon ignores its own "
         "adverts looped back"},
        {"user_accepts:drop_peer",
         "unicast instances take adverts only from unicast_peer addresses in their TTL "
         "range (stricter than keepalived without check_unicast_src)"},
        {"user_accepts:drop_ttl",
         "unicast instances take adverts only from unicast_peer addresses in their TTL "
         "range (stricter than keepalived without check_unicast_src)"},
        {"user_accepts:too_long",
         "the ring carries at most XV_VRRP_MAX bytes of VRRP message (docs/bounds.md)"},
        {"user_accepts:ext_over_bound",
         "XDP walks at most XV_MAX_EXTHDR IPv6 extension headers (docs/bounds.md)"},
        {"user_accepts:atomic_fragment",
         "an IPv6 fragment header counts as a fragment even with offset 0 and M 0 (RFC 6946 "
         "atomic fragment); VRRP adverts are never fragmented and carry none"},
        {"xdp_accepts:ipv6_option_discard",
         "XDP does not act on IPv6 option types; an advert behind an option the stack "
         "discards is checked as it would be without it (nothing a sender gains)"},
        {"xdp_accepts:ipv6_routing_segments",
         "XDP does not act on routing headers; an advert behind one with segments left is "
         "checked as it would be without it (nothing a sender gains)"},
        {"user_accepts:tags_over_bound",
         "XDP looks through at most XV_MAX_VLAN tags (docs/bounds.md): such a frame goes to "
         "the stack, never to an instance"},
    };
    auto it = kDocumented.find(cls);
    return it == kDocumented.end() ? nullptr : it->second;
}

std::vector<ModelInstance> standardInstances() {
    std::vector<ModelInstance> v(6);
    v[0] = {Family::V4,       3, 7, 100, std::nullopt, {ip("10.0.0.1"), ip("10.0.0.2")}, {}, false,
            ip("192.168.1.1")};
    v[1] = {Family::V4,
            2,
            8,
            100,
            std::array<uint8_t, 8>{'s', 'e', 'c', 'r', 'e', 't', 0, 0},
            {ip("10.0.0.1")},
            {},
            false,
            ip("192.168.1.1")};
    v[2] = {Family::V4,
            3,
            9,
            100,
            std::nullopt,
            {ip("10.0.1.1")},
            {{ip("192.168.1.2"), 60, 255}},
            true,
            ip("192.168.1.1")};
    v[3] = {Family::V6, 3, 7, 100, std::nullopt, {ip("2001:db8::1")}, {}, false, ip("fe80::1")};
    v[4] = {Family::V4, 2, 10, 300, std::nullopt, {ip("10.0.2.1")}, {}, false, ip("192.168.1.1")};
    v[5] = {Family::V6,
            3,
            11,
            100,
            std::nullopt,
            {ip("2001:db8::11")},
            {{ip("fe80::2"), 0, 255}},
            false,
            ip("fe80::1")};
    return v;
}

}  // namespace xvrrp::test
