// BFD Control packets through the real xv_rx (docs/bfd.md): an exact repeat of the packet
// an Up session accepted (xv_bfd_expect) is stamped in xv_bfd_seen and dropped; a change, a
// Poll or Final, an unknown discriminator, another TTL, source, port or checksum, a
// malformed or fragmented datagram pass to the stack untouched, each counted in
// xv_bfd_stats; with the daemon's heartbeat stale a repeat is stamped and passed.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <functional>
#include <string>
#include <vector>

#include "bfd/packet.hpp"
#include "bpf_test_util.hpp"

namespace xvrrp::test {
namespace {

using dataplane::BfdExpectation;
using dataplane::BfdMaps;
using dataplane::Dataplane;
using dataplane::DataplaneOptions;
using Counter = __u64 xv_bfd_stats::*;

constexpr uint32_t kLocalDisc = 0x1234abcd;
constexpr uint32_t kSlot = 3;
constexpr uint16_t kPeerPort = 49200;
const std::array<uint8_t, 16> kPeer4{10, 0, 0, 1};
const std::array<uint8_t, 16> kSelf4{10, 0, 0, 2};
const std::array<uint8_t, 16> kPeer6 = v6({0xfd00, 0, 0, 0, 0, 0, 0, 1});
const std::array<uint8_t, 16> kSelf6 = v6({0xfd00, 0, 0, 0, 0, 0, 0, 2});

bfd::Control upPacket() {
    bfd::Control c;
    c.state = bfd::State::Up;
    c.detect_mult = 3;
    c.my_disc = 0x0badcafe;
    c.your_disc = kLocalDisc;
    c.desired_min_tx_us = 10000;
    c.required_min_rx_us = 10000;
    return c;
}

// A BFD datagram as the wire carries it.
struct Datagram {
    int family = 4;
    std::array<uint8_t, 16> src = kPeer4, dst = kSelf4;
    uint16_t sport = kPeerPort, dport = bfd::kControlPort;
    uint8_t ttl = 255;
    Bytes payload;
    bool zero_check = false;   // IPv4: no checksum
    bool wrong_check = false;  // one bit off
    uint16_t frag = 0;
    int len_delta = 0;  // IP length field
    size_t cut = 0;     // bytes taken off the end of the frame
};

Bytes frame(const Datagram& d) {
    Bytes udp;
    put16(udp, d.sport);
    put16(udp, d.dport);
    put16(udp, static_cast<uint16_t>(8 + d.payload.size()));
    put16(udp, 0);
    udp.insert(udp.end(), d.payload.begin(), d.payload.end());
    const size_t alen = d.family == 4 ? 4 : 16;
    Bytes pseudo(d.src.begin(), d.src.begin() + alen);
    pseudo.insert(pseudo.end(), d.dst.begin(), d.dst.begin() + alen);
    pseudo.push_back(0);
    pseudo.push_back(17);
    put16(pseudo, static_cast<uint16_t>(udp.size()));
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < pseudo.size(); i += 2) sum += uint32_t{pseudo[i]} << 8 | pseudo[i + 1];
    uint16_t c = inetChecksum(udp.data(), udp.size(), sum);
    if (c == 0) c = 0xffff;
    if (d.zero_check) c = 0;
    if (d.wrong_check) c ^= 1;
    udp[6] = c >> 8;
    udp[7] = c & 0xff;
    FrameSpec s;
    s.family = d.family;
    s.saddr = d.src;
    s.daddr = d.dst;
    s.ttl = d.ttl;
    s.proto = 17;
    s.frag = d.frag;
    s.len_delta = d.len_delta;
    s.dst_mac = {0x02, 0, 0, 0, 0, 2};
    s.payload = udp;
    Bytes f = buildFrame(s);
    f.resize(f.size() - d.cut);
    return f;
}

Bytes encoded(const bfd::Control& c) {
    const auto a = bfd::encode(c);
    return Bytes(a.begin(), a.end());
}

class BfdXdp : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (geteuid() == 0) dp_ = Dataplane::open(DataplaneOptions{.pin_root = ""});
    }
    static void TearDownTestSuite() { dp_.reset(); }
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root";
        ASSERT_TRUE(dp_);
        maps_ = dp_->bfdMaps();
        dp_->heartbeat(monoNs());
    }
    void TearDown() override {
        if (maps_) maps_->clear();
    }

    void expect(int family, uint8_t ttl = 255) {
        BfdExpectation e;
        const bool v4 = family == 4;
        e.src = IpAddr::fromBytes(v4 ? Family::V4 : Family::V6, (v4 ? kPeer4 : kPeer6).data());
        e.dst = IpAddr::fromBytes(v4 ? Family::V4 : Family::V6, (v4 ? kSelf4 : kSelf6).data());
        e.src_port = kPeerPort;
        e.ttl = ttl;
        e.control = bfd::encode(upPacket());
        e.slot = kSlot;
        maps_->expect(kLocalDisc, e);
    }

    struct Result {
        int verdict = -1;
        uint64_t counted = 0;
        bool stamped = false;
        uint64_t absorbed = 0;
    };
    Result run(const Bytes& f, Counter counter) {
        const xv_bfd_stats before = maps_->stats();
        const xv_bfd_seen seen_before = maps_->seen(kSlot);
        const uint64_t t0 = monoNs();
        Result r;
        r.verdict = testRun(dp_->progFd(), f);
        const uint64_t t1 = monoNs();
        const xv_bfd_seen seen = maps_->seen(kSlot);
        r.counted = maps_->stats().*counter - before.*counter;
        r.stamped = seen.last_seen_ns != seen_before.last_seen_ns && seen.last_seen_ns >= t0 &&
                    seen.last_seen_ns <= t1;
        r.absorbed = seen.absorbed - seen_before.absorbed;
        return r;
    }

    static inline std::unique_ptr<Dataplane> dp_;
    std::unique_ptr<BfdMaps> maps_;
};

TEST_F(BfdXdp, ARepeatIsStampedCountedAndDropped) {
    for (int family : {4, 6}) {
        SCOPED_TRACE("IPv" + std::to_string(family));
        expect(family);
        Datagram d;
        d.family = family;
        if (family == 6) d.src = kPeer6, d.dst = kSelf6;
        d.payload = encoded(upPacket());
        const Result r = run(frame(d), &xv_bfd_stats::absorbed);
        EXPECT_EQ(r.verdict, XDP_DROP);
        EXPECT_EQ(r.counted, 1u);
        EXPECT_TRUE(r.stamped);
        EXPECT_EQ(r.absorbed, 1u);
    }
}

TEST_F(BfdXdp, AnIpv4RepeatWithoutAChecksumIsAbsorbed) {
    expect(4);
    Datagram d;
    d.payload = encoded(upPacket());
    d.zero_check = true;
    EXPECT_EQ(run(frame(d), &xv_bfd_stats::absorbed).verdict, XDP_DROP);
}

struct PassCase {
    std::string name;
    std::function<void(Datagram&, bfd::Control&)> change;
    Counter counter;
};

TEST_F(BfdXdp, AnythingElsePassesToTheStackUnstamped) {
    const std::vector<PassCase> cases = {
        {"state Down", [](Datagram&, bfd::Control& c) { c.state = bfd::State::Down; }, &xv_bfd_stats::changed},
        {"diag", [](Datagram&, bfd::Control& c) { c.diag = bfd::Diag::ControlDetectionExpired; },
         &xv_bfd_stats::changed},
        {"Desired Min TX", [](Datagram&, bfd::Control& c) { c.desired_min_tx_us = 20000; },
         &xv_bfd_stats::changed},
        {"Detect Mult", [](Datagram&, bfd::Control& c) { c.detect_mult = 5; }, &xv_bfd_stats::changed},
        {"My Discriminator", [](Datagram&, bfd::Control& c) { c.my_disc = 7; }, &xv_bfd_stats::changed},
        {"A bit", [](Datagram&, bfd::Control& c) { c.auth = true; }, &xv_bfd_stats::changed},
        {"P bit", [](Datagram&, bfd::Control& c) { c.poll = true; }, &xv_bfd_stats::poll_final},
        {"F bit", [](Datagram&, bfd::Control& c) { c.final = true; }, &xv_bfd_stats::poll_final},
        {"unknown Your Discriminator", [](Datagram&, bfd::Control& c) { c.your_disc = kLocalDisc + 1; },
         &xv_bfd_stats::no_expect},
        {"Your Discriminator 0", [](Datagram&, bfd::Control& c) { c.your_disc = 0; }, &xv_bfd_stats::no_expect},
        {"TTL 254", [](Datagram& d, bfd::Control&) { d.ttl = 254; }, &xv_bfd_stats::bad_ttl},
        {"another source", [](Datagram& d, bfd::Control&) { d.src[3] = 9; }, &xv_bfd_stats::bad_addr},
        {"another destination", [](Datagram& d, bfd::Control&) { d.dst[3] = 9; }, &xv_bfd_stats::bad_addr},
        {"another source port", [](Datagram& d, bfd::Control&) { d.sport = kPeerPort + 1; },
         &xv_bfd_stats::bad_addr},
        {"IP length longer than the frame", [](Datagram& d, bfd::Control&) { d.len_delta = 4; },
         &xv_bfd_stats::malformed},
        {"frame cut short", [](Datagram& d, bfd::Control&) { d.cut = 4; }, &xv_bfd_stats::malformed},
        {"a fragment", [](Datagram& d, bfd::Control&) { d.frag = 0x2000; }, &xv_bfd_stats::malformed},
    };
    expect(4);
    for (const PassCase& pc : cases) {
        SCOPED_TRACE(pc.name);
        Datagram d;
        bfd::Control c = upPacket();
        pc.change(d, c);
        d.payload = encoded(c);
        const Result r = run(frame(d), pc.counter);
        EXPECT_EQ(r.verdict, XDP_PASS);
        EXPECT_EQ(r.counted, 1u);
        EXPECT_FALSE(r.stamped);
        EXPECT_EQ(r.absorbed, 0u);
    }
}

// Not compared: a sender on this host (veth) leaves it partial (CHECKSUM_PARTIAL) for XDP.
TEST_F(BfdXdp, TheUdpChecksumIsNotCompared) {
    expect(4);
    Datagram d;
    d.payload = encoded(upPacket());
    d.wrong_check = true;
    EXPECT_EQ(run(frame(d), &xv_bfd_stats::absorbed).verdict, XDP_DROP);
}

// The stack drops a bad IPv4 header checksum: never a proof of life.
TEST_F(BfdXdp, ABadIpv4HeaderChecksumPasses) {
    expect(4);
    Datagram d;
    d.payload = encoded(upPacket());
    Bytes f = frame(d);
    f[14 + 10] ^= 0x01;  // Ethernet header, then the IPv4 checksum
    const Result r = run(f, &xv_bfd_stats::bad_csum);
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.counted, 1u);
    EXPECT_FALSE(r.stamped);
}

TEST_F(BfdXdp, APayloadLongerThanOneControlPacketPasses) {
    expect(4);
    Datagram d;
    d.payload = encoded(upPacket());
    d.payload.resize(28, 0);
    const Result r = run(frame(d), &xv_bfd_stats::malformed);
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.counted, 1u);
    EXPECT_FALSE(r.stamped);
}

TEST_F(BfdXdp, AnIpv6HopLimitOtherThanTheAcceptedOnePasses) {
    expect(6, 64);
    Datagram d;
    d.family = 6;
    d.src = kPeer6;
    d.dst = kSelf6;
    d.ttl = 64;
    d.payload = encoded(upPacket());
    EXPECT_EQ(run(frame(d), &xv_bfd_stats::absorbed).verdict, XDP_DROP);
    d.ttl = 63;
    const Result r = run(frame(d), &xv_bfd_stats::bad_ttl);
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.counted, 1u);
}

TEST_F(BfdXdp, OtherUdpIsNotLookedAt) {
    expect(4);
    Datagram d;
    d.payload = encoded(upPacket());
    d.dport = bfd::kControlPort + 1;
    const xv_bfd_stats before = maps_->stats();
    EXPECT_EQ(testRun(dp_->progFd(), frame(d)), XDP_PASS);
    const xv_bfd_stats after = maps_->stats();
    EXPECT_EQ(std::memcmp(&before, &after, sizeof(before)), 0);
}

// A dead or hung daemon: the repeat still stamps (a daemon that resumes lost nothing) but
// goes to the stack, where a keepalived started on the node hears its peer.
TEST_F(BfdXdp, AStaleHeartbeatPassesTheRepeat) {
    expect(4);
    Datagram d;
    d.payload = encoded(upPacket());
    dp_->heartbeat(monoNs() - 2'000'000'000ull);
    const Result r = run(frame(d), &xv_bfd_stats::stale);
    dp_->heartbeat(monoNs());
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.counted, 1u);
    EXPECT_TRUE(r.stamped);
    EXPECT_EQ(r.absorbed, 1u);
}

TEST_F(BfdXdp, AForgottenExpectationAbsorbsNothing) {
    expect(4);
    maps_->forget(kLocalDisc);
    Datagram d;
    d.payload = encoded(upPacket());
    const Result r = run(frame(d), &xv_bfd_stats::no_expect);
    EXPECT_EQ(r.verdict, XDP_PASS);
    EXPECT_EQ(r.counted, 1u);
}

}  // namespace
}  // namespace xvrrp::test
