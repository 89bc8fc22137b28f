// xv_rx fed through bpf_prog_test_run_opts: verdict, ring record and counters per frame.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "dataplane/dataplane.hpp"
#include "support/packet_builder.hpp"

namespace xvrrp::test {
namespace {

using dataplane::Dataplane;
using dataplane::DataplaneOptions;

enum class Counter {
    kAdverts, kPassed, kRingFull, kTooLong, kTruncated, kBadIp, kDropVlan, kTooDeep
};

uint64_t counter(const xv_stats& s, Counter c) {
    switch (c) {
        case Counter::kAdverts:
            return s.rx_adverts;
        case Counter::kPassed:
            return s.rx_passed;
        case Counter::kRingFull:
            return s.ring_full;
        case Counter::kTooLong:
            return s.too_long;
        case Counter::kTruncated:
            return s.truncated;
        case Counter::kBadIp:
            return s.bad_ip;
        case Counter::kDropVlan:
            return s.drop_vlan;
        case Counter::kTooDeep:
            return s.ext_too_deep;
    }
    return 0;
}

constexpr Counter kAllCounters[] = {Counter::kAdverts,   Counter::kPassed, Counter::kRingFull,
                                    Counter::kTooLong,   Counter::kTruncated, Counter::kBadIp,
                                    Counter::kDropVlan, Counter::kTooDeep};

uint64_t monoNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

struct RunResult {
    int verdict = -1;
    std::vector<xv_advert> records;
    xv_stats before{}, after{};
    uint64_t t0 = 0, t1 = 0;
    uint64_t delta(Counter c) const { return counter(after, c) - counter(before, c); }
};

class XdpRx : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (geteuid() == 0) dp_ = Dataplane::open(DataplaneOptions{.pin_root = ""});
    }
    static void TearDownTestSuite() { dp_.reset(); }
    void SetUp() override {
        // Root is part of the contract of this suite: not being root is a failure.
        ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root";
        ASSERT_TRUE(dp_);
        lo_ = if_nametoindex("lo");
        ASSERT_NE(lo_, 0u);
    }
    void TearDown() override {
        if (dp_) dp_->clearInterfaceFlags(static_cast<int>(lo_));
    }

    // test_run reports frames as arriving on the loopback device of the caller's netns.
    RunResult run(const Bytes& frame, uint32_t repeat = 1) {
        RunResult r;
        r.before = dp_->stats();
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                    .data_size_in = static_cast<uint32_t>(frame.size()),
                    .repeat = static_cast<int>(repeat));
        dp_->heartbeat(monoNs());  // a live daemon: VRRP is consumed, not passed
        r.t0 = monoNs();
        int err = bpf_prog_test_run_opts(dp_->progFd(), &opts);
        r.t1 = monoNs();
        EXPECT_EQ(err, 0) << "bpf_prog_test_run_opts: " << std::strerror(errno);
        r.verdict = static_cast<int>(opts.retval);
        dp_->consume([&](const xv_advert& ev) { r.records.push_back(ev); });
        r.after = dp_->stats();
        return r;
    }

    static inline std::unique_ptr<Dataplane> dp_;
    unsigned lo_ = 0;
};

struct Case {
    std::string name;
    FrameSpec spec;
    bool no_eth = false;
    int verdict = XDP_DROP;
    Counter counted = Counter::kAdverts;
    uint8_t family = 0;  // expected record family; 0: no record
    int vlan = -1;       // expected outer VLAN id, -1: untagged
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

Bytes v2Payload() { return vrrpV2(7, 100, {{{10, 0, 0, 1}}, {{10, 0, 0, 2}}}); }

FrameSpec v4(Bytes payload) {
    FrameSpec s;
    s.payload = std::move(payload);
    return s;
}

FrameSpec v6Spec(Bytes payload, std::vector<Ext6> ext = {}) {
    FrameSpec s;
    s.family = 6;
    s.saddr = v6({0xfe80, 0, 0, 0, 0x1, 0, 0, 0x2});
    s.daddr = v6({0xff02, 0, 0, 0, 0, 0, 0, 0x12});
    s.ext = std::move(ext);
    s.payload = std::move(payload);
    return s;
}

template <typename F>
FrameSpec with(FrameSpec s, F f) {
    f(s);
    return s;
}

std::vector<Case> cases() {
    const Bytes udp(16, 0xab), tcp(20, 0xcd), icmp{8, 0, 0xf7, 0xff, 0, 0, 0, 0};
    return {
        {"v2_ipv4", v4(v2Payload()), false, XDP_DROP, Counter::kAdverts, 4},
        {"v3_ipv4", v4(vrrpV3(9, 200, 3, 4)), false, XDP_DROP, Counter::kAdverts, 4},
        {"v3_ipv6", v6Spec(vrrpV3(9, 200, 2, 16)), false, XDP_DROP, Counter::kAdverts, 6},
        {"vlan_8021q",
         with(v4(v2Payload()),
              [](FrameSpec& s) {
                  s.vlans = {{kTpid8021Q, 100}};
              }),
         false, XDP_DROP, Counter::kDropVlan},
        {"qinq_not_for_lo",
         with(v6Spec(vrrpV3(1, 50, 1, 16)),
              [](FrameSpec& s) {
                  s.vlans = {{kTpid8021AD, 0xabc}, {kTpid8021Q, 30}};
              }),
         false, XDP_DROP, Counter::kDropVlan},
        {"priority_tags_reported",
         with(v6Spec(vrrpV3(1, 50, 1, 16)),
              [](FrameSpec& s) {
                  s.vlans = {{kTpid8021AD, 0}, {kTpid8021Q, 0}};
              }),
         false, XDP_DROP, Counter::kAdverts, 6, 0},
        {"three_tags_not_parsed",
         with(v4(v2Payload()),
              [](FrameSpec& s) {
                  s.vlans = {{kTpid8021AD, 1}, {kTpid8021Q, 2}, {kTpid8021Q, 3}};
              }),
         false, XDP_PASS, Counter::kPassed},
        {"ipv6_hop_by_hop", v6Spec(vrrpV3(3, 100, 1, 16), {{0, 1}}), false, XDP_DROP,
         Counter::kAdverts, 6},
        {"ipv6_three_ext_headers", v6Spec(vrrpV3(3, 100, 1, 16), {{0, 1}, {43, 3}, {60, 2}}), false,
         XDP_DROP, Counter::kAdverts, 6},
        {"ipv6_four_ext_headers_at_bound",
         v6Spec(vrrpV3(3, 100, 1, 16), {{0, 1}, {60, 1}, {43, 1}, {60, 1}}), false, XDP_DROP,
         Counter::kAdverts, 6},
        {"ipv6_five_ext_headers_too_deep",
         v6Spec(vrrpV3(3, 100, 1, 16), {{0, 1}, {60, 1}, {60, 1}, {60, 1}, {60, 1}}), false,
         XDP_DROP, Counter::kTooDeep},
        {"ipv6_five_ext_headers_hop64_passes",
         with(v6Spec(vrrpV3(3, 100, 1, 16), {{0, 1}, {60, 1}, {60, 1}, {60, 1}, {60, 1}}),
              [](FrameSpec& s) { s.ttl = 64; }),
         false, XDP_PASS, Counter::kPassed},
        {"ipv4_options", with(v4(v2Payload()), [](FrameSpec& s) { s.ihl = 7; }), false, XDP_DROP,
         Counter::kAdverts, 4},
        {"no_eth_ipv4", with(v4(v2Payload()), [](FrameSpec& s) { s.eth = false; }), true, XDP_DROP,
         Counter::kAdverts, 4},
        {"no_eth_ipv6", with(v6Spec(vrrpV3(4, 1, 1, 16)), [](FrameSpec& s) { s.eth = false; }),
         true, XDP_DROP, Counter::kAdverts, 6},
        {"vrrp_max_len_accepted", v6Spec(vrrpV3(5, 100, (XV_VRRP_MAX - 8) / 16, 16)), false,
         XDP_DROP, Counter::kAdverts, 6},
        {"arp",
         with(FrameSpec{},
              [](FrameSpec& s) {
                  s.family = 0;
                  s.ethertype = kEthArp;
                  s.payload = Bytes(28, 0x11);
              }),
         false, XDP_PASS, Counter::kPassed},
        {"icmp", with(v4(icmp), [](FrameSpec& s) { s.proto = 1; }), false, XDP_PASS,
         Counter::kPassed},
        {"tcp", with(v4(tcp), [](FrameSpec& s) { s.proto = 6; }), false, XDP_PASS,
         Counter::kPassed},
        {"ipv6_udp", with(v6Spec(udp), [](FrameSpec& s) { s.proto = 17; }), false, XDP_PASS,
         Counter::kPassed},
        {"no_eth_ipv4_tcp",
         with(v4(tcp),
              [](FrameSpec& s) {
                  s.eth = false;
                  s.proto = 6;
              }),
         true, XDP_PASS, Counter::kPassed},
        {"too_long", v6Spec(vrrpV3(5, 100, (XV_VRRP_MAX - 8) / 16 + 1, 16)), false, XDP_DROP,
         Counter::kTooLong},
        {"ipv4_more_fragments", with(v4(v2Payload()), [](FrameSpec& s) { s.frag = 0x2000; }), false,
         XDP_DROP, Counter::kBadIp},
        {"ipv4_fragment_offset", with(v4(v2Payload()), [](FrameSpec& s) { s.frag = 0x0010; }),
         false, XDP_DROP, Counter::kBadIp},
        {"ipv4_dont_fragment_ok", with(v4(v2Payload()), [](FrameSpec& s) { s.frag = 0x4000; }),
         false, XDP_DROP, Counter::kAdverts, 4},
        {"ipv4_tcp_fragment_passes",
         with(v4(tcp),
              [](FrameSpec& s) {
                  s.proto = 6;
                  s.frag = 0x2000;
              }),
         false, XDP_PASS, Counter::kPassed},
        {"ipv6_fragment_header", v6Spec(vrrpV3(3, 100, 1, 16), {{44, 1}}), false, XDP_DROP,
         Counter::kBadIp},
        {"ipv4_bad_version", with(v4(v2Payload()), [](FrameSpec& s) { s.version = 5; }), false,
         XDP_PASS, Counter::kBadIp},
        {"ipv4_ihl_below_5", with(v4(v2Payload()), [](FrameSpec& s) { s.ihl = 4; }), false,
         XDP_PASS, Counter::kBadIp},
        {"ipv4_tot_len_below_header",
         with(v4(v2Payload()),
              [](FrameSpec& s) { s.len_delta = -static_cast<int>(s.payload.size()) - 1; }),
         false, XDP_PASS, Counter::kBadIp},
        {"ipv6_bad_version", with(v6Spec(vrrpV3(1, 1, 1, 16)), [](FrameSpec& s) { s.version = 4; }),
         false, XDP_PASS, Counter::kBadIp},
        {"ip_length_beyond_frame", with(v4(v2Payload()), [](FrameSpec& s) { s.len_delta = 4; }),
         false, XDP_PASS, Counter::kTruncated},
        {"vrrp_shorter_than_header", v4(Bytes{0x31, 1, 100, 0}), false, XDP_PASS,
         Counter::kTruncated},
    };
}

class XdpRxCase : public XdpRx, public ::testing::WithParamInterface<Case> {};

TEST_P(XdpRxCase, VerdictRecordAndCounters) {
    const Case& c = GetParam();
    const Bytes frame = buildFrame(c.spec);
    if (c.no_eth) dp_->setInterfaceFlags(static_cast<int>(lo_), XV_IF_NO_ETH);

    RunResult r = run(frame);
    EXPECT_EQ(r.verdict, c.verdict);
    for (Counter k : kAllCounters) {
        EXPECT_EQ(r.delta(k), k == c.counted ? 1u : 0u) << "counter " << static_cast<int>(k);
    }
    if (c.family == 0) {
        EXPECT_TRUE(r.records.empty());
        return;
    }
    ASSERT_EQ(r.records.size(), 1u);
    const xv_advert& ev = r.records[0];
    const Bytes& p = c.spec.payload;
    EXPECT_EQ(ev.abi_version, XV_ABI_VERSION);
    EXPECT_EQ(ev.kind, XV_EV_ADVERT);
    EXPECT_GE(ev.ts_ns, r.t0);
    EXPECT_LE(ev.ts_ns, r.t1);
    EXPECT_EQ(ev.ifindex, lo_);
    EXPECT_EQ(ev.family, c.family);
    EXPECT_EQ(ev.ttl, c.spec.ttl);
    EXPECT_EQ(ev.has_vlan, c.vlan >= 0 ? 1 : 0);
    EXPECT_EQ(ev.vlan_id, c.vlan >= 0 ? c.vlan : 0);
    EXPECT_EQ(ev.vrrp_len, p.size());
    EXPECT_EQ(ev.ip_payload_len, p.size());
    const size_t alen = c.family == 4 ? 4 : 16;
    EXPECT_EQ(0, std::memcmp(ev.saddr, c.spec.saddr.data(), alen));
    EXPECT_EQ(0, std::memcmp(ev.daddr, c.spec.daddr.data(), alen));
    const Mac zero{};
    EXPECT_EQ(0, std::memcmp(ev.src_mac, c.no_eth ? zero.data() : c.spec.src_mac.data(), 6));
    EXPECT_EQ(0, std::memcmp(ev.vrrp, p.data(), p.size()));
    for (size_t i = p.size(); i < XV_VRRP_MAX; ++i) ASSERT_EQ(ev.vrrp[i], 0) << "byte " << i;
}

INSTANTIATE_TEST_SUITE_P(Frames, XdpRxCase, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// Every prefix of a valid frame cuts some header or the message: pass, count, no record.
struct TruncCase {
    std::string name;
    FrameSpec spec;
    bool no_eth = false;
};

void PrintTo(const TruncCase& c, std::ostream* os) { *os << c.name; }

class XdpRxTruncated : public XdpRx, public ::testing::WithParamInterface<TruncCase> {};

TEST_P(XdpRxTruncated, EveryPrefixPassesAndCounts) {
    const TruncCase& c = GetParam();
    const Bytes frame = buildFrame(c.spec);
    if (c.no_eth) dp_->setInterfaceFlags(static_cast<int>(lo_), XV_IF_NO_ETH);
    // bpf_prog_test_run refuses XDP input shorter than an Ethernet header.
    for (size_t len = 14; len < frame.size(); ++len) {
        RunResult r = run(Bytes(frame.begin(), frame.begin() + len));
        ASSERT_EQ(r.verdict, XDP_PASS) << "prefix " << len;
        ASSERT_TRUE(r.records.empty()) << "prefix " << len;
        for (Counter k : kAllCounters) {
            ASSERT_EQ(r.delta(k), k == Counter::kTruncated ? 1u : 0u)
                << "prefix " << len << " counter " << static_cast<int>(k);
        }
    }
    RunResult whole = run(frame);
    EXPECT_EQ(whole.verdict, XDP_DROP);
    EXPECT_EQ(whole.records.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Prefixes, XdpRxTruncated,
    ::testing::Values(
        TruncCase{"priority_tags_ipv4_options", with(v4(v2Payload()),
                                            [](FrameSpec& s) {
                                                s.vlans = {{kTpid8021AD, 0}, {kTpid8021Q, 0}};
                                                s.ihl = 6;
                                            })},
        TruncCase{"ipv6_ext_headers", v6Spec(vrrpV3(3, 100, 1, 16), {{0, 1}, {43, 2}, {60, 1}})},
        TruncCase{"no_eth_ipv6",
                  with(v6Spec(vrrpV3(4, 1, 1, 16)), [](FrameSpec& s) { s.eth = false; }), true}),
    [](const auto& info) { return info.param.name; });

TEST_F(XdpRx, RingFullIsCountedAndDropped) {
    // Records are 576 bytes plus an 8-byte header; overfill the ring in one run.
    constexpr uint32_t kRecord = sizeof(xv_advert) + 8;
    constexpr uint32_t kRuns = XV_RING_BYTES / kRecord + 50;
    RunResult r = run(buildFrame(v4(v2Payload())), kRuns);
    EXPECT_EQ(r.verdict, XDP_DROP);
    EXPECT_EQ(r.delta(Counter::kAdverts), XV_RING_BYTES / kRecord);
    EXPECT_EQ(r.delta(Counter::kRingFull), kRuns - XV_RING_BYTES / kRecord);
    EXPECT_EQ(r.records.size(), r.delta(Counter::kAdverts));
    EXPECT_EQ(dp_->badRecords(), 0u);
    // Drained: the next advert fits again.
    RunResult again = run(buildFrame(v4(v2Payload())));
    EXPECT_EQ(again.delta(Counter::kAdverts), 1u);
    EXPECT_EQ(again.records.size(), 1u);
}

}  // namespace
}  // namespace xvrrp::test
