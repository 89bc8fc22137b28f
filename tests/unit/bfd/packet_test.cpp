// BFD Control packet codec and every reception check of RFC 5880 6.8.6 / RFC 5881 5.
#include <gtest/gtest.h>

#include <vector>

#include "bfd/packet.hpp"

using namespace xvrrp::bfd;

namespace {

Control sample() {
    Control c;
    c.diag = Diag::NeighborSignaledDown;
    c.state = State::Up;
    c.poll = true;
    c.detect_mult = 3;
    c.my_disc = 0x11223344;
    c.your_disc = 0x55667788;
    c.desired_min_tx_us = 300000;
    c.required_min_rx_us = 50000;
    c.required_min_echo_rx_us = 0;
    return c;
}

std::vector<uint8_t> bytes(const Control& c) {
    auto a = encode(c);
    return {a.begin(), a.end()};
}

DecodeError rejectOf(std::vector<uint8_t> b) {
    auto r = decode(b);
    EXPECT_FALSE(r.ok());
    return r.ok() ? DecodeError::TooShort : r.error();
}

}  // namespace

TEST(BfdPacket, EncodesTheWireLayoutOfRfc5880Section41) {
    const auto b = encode(sample());
    // Vers 1, Diag 3 | Sta 3, P
    EXPECT_EQ(b[0], 0x23);
    EXPECT_EQ(b[1], 0xe0);
    EXPECT_EQ(b[2], 3);
    EXPECT_EQ(b[3], 24);
    EXPECT_EQ(b[4], 0x11);
    EXPECT_EQ(b[7], 0x44);
    EXPECT_EQ(b[8], 0x55);
    // 300000 = 0x000493e0
    EXPECT_EQ(b[12], 0x00);
    EXPECT_EQ(b[13], 0x04);
    EXPECT_EQ(b[14], 0x93);
    EXPECT_EQ(b[15], 0xe0);
}

TEST(BfdPacket, RoundTripsEveryFlag) {
    for (int bit = 0; bit < 5; ++bit) {
        Control c = sample();
        c.poll = bit == 0;
        c.final = bit == 1;
        c.cpi = bit == 2;
        c.demand = bit == 3;
        auto r = decode(bytes(c));
        ASSERT_TRUE(r.ok()) << name(r.error());
        EXPECT_EQ(*r, c);
    }
}

TEST(BfdPacket, AcceptsALongerPayloadThanLength) {
    auto b = bytes(sample());
    b.resize(40, 0);
    EXPECT_TRUE(decode(b).ok());
}

TEST(BfdPacket, RejectsShortPayload) {
    auto b = bytes(sample());
    b.resize(23);
    EXPECT_EQ(rejectOf(b), DecodeError::TooShort);
}

TEST(BfdPacket, RejectsVersionOtherThanOne) {
    for (uint8_t v : {0, 2, 7}) {
        Control c = sample();
        c.version = v;
        EXPECT_EQ(rejectOf(bytes(c)), DecodeError::BadVersion) << int(v);
    }
}

TEST(BfdPacket, RejectsLengthBelowTheMinimum) {
    auto b = bytes(sample());
    b[3] = 23;
    EXPECT_EQ(rejectOf(b), DecodeError::BadLength);
    // with the A bit, 26 is the minimum: 24 and 25 are too short
    Control c = sample();
    c.auth = true;
    b = bytes(c);
    b.resize(30, 0);
    b[3] = 25;
    EXPECT_EQ(rejectOf(b), DecodeError::BadLength);
}

TEST(BfdPacket, RejectsLengthBeyondThePayload) {
    auto b = bytes(sample());
    b[3] = 25;
    EXPECT_EQ(rejectOf(b), DecodeError::LengthExceedsPayload);
}

TEST(BfdPacket, RejectsZeroDetectMult) {
    Control c = sample();
    c.detect_mult = 0;
    EXPECT_EQ(rejectOf(bytes(c)), DecodeError::ZeroDetectMult);
}

TEST(BfdPacket, RejectsMultipoint) {
    Control c = sample();
    c.multipoint = true;
    EXPECT_EQ(rejectOf(bytes(c)), DecodeError::Multipoint);
}

TEST(BfdPacket, RejectsZeroMyDiscriminator) {
    Control c = sample();
    c.my_disc = 0;
    EXPECT_EQ(rejectOf(bytes(c)), DecodeError::ZeroMyDiscriminator);
}

TEST(BfdPacket, ZeroYourDiscriminatorOnlyInDownOrAdminDown) {
    Control c = sample();
    c.your_disc = 0;
    for (State s : {State::Down, State::AdminDown}) {
        c.state = s;
        EXPECT_TRUE(decode(bytes(c)).ok()) << name(s);
    }
    for (State s : {State::Init, State::Up}) {
        c.state = s;
        EXPECT_EQ(rejectOf(bytes(c)), DecodeError::ZeroYourDiscriminator) << name(s);
    }
}

TEST(BfdPacket, RejectsTheAuthBitWithoutAuthentication) {
    Control c = sample();
    c.auth = true;
    auto b = bytes(c);
    // a Simple Password section (RFC 5880 4.2): type 1, len 6, key id, 3 bytes
    b.insert(b.end(), {1, 6, 1, 'a', 'b', 'c'});
    b[3] = 30;
    EXPECT_EQ(rejectOf(b), DecodeError::AuthNotConfigured);
}

TEST(BfdPacket, EveryDecodeErrorHasAName) {
    for (int e = 0; e <= static_cast<int>(DecodeError::AuthNotConfigured); ++e)
        EXPECT_STRNE(name(static_cast<DecodeError>(e)), "?");
}

TEST(BfdRx, Rfc5881TtlMustBe255) {
    const Control c = sample();
    RxRules rules{kRequiredTtl, c.your_disc};
    EXPECT_EQ(checkRx(c, 255, rules), RxReject::Ok);
    EXPECT_EQ(checkRx(c, 254, rules), RxReject::BadTtl);
    // keepalived max_hops 2: 253 is the floor
    rules.min_ttl = 253;
    EXPECT_EQ(checkRx(c, 253, rules), RxReject::Ok);
    EXPECT_EQ(checkRx(c, 252, rules), RxReject::BadTtl);
}

TEST(BfdRx, YourDiscriminatorMustBeOursWhenNonzero) {
    Control c = sample();
    EXPECT_EQ(checkRx(c, 255, {kRequiredTtl, 1}), RxReject::DiscriminatorMismatch);
    c.your_disc = 0;
    c.state = State::Down;
    EXPECT_EQ(checkRx(c, 255, {kRequiredTtl, 1}), RxReject::Ok);
}

TEST(BfdRx, SourcePortRangeOfRfc5881) {
    EXPECT_EQ(kControlPort, 3784);
    EXPECT_FALSE(validSourcePort(49151));
    EXPECT_TRUE(validSourcePort(49152));
    EXPECT_TRUE(validSourcePort(65535));
}
