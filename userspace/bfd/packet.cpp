#include "bfd/packet.hpp"

namespace xvrrp::bfd {
namespace {

void put32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

uint32_t get32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// RFC 5880 section 4.1, byte 1: Sta(2) P F C A D M.
constexpr uint8_t kPoll = 0x20, kFinal = 0x10, kCpi = 0x08, kAuth = 0x04, kDemand = 0x02,
                  kMultipoint = 0x01;

}  // namespace

const char* name(State s) {
    switch (s) {
        case State::AdminDown: return "AdminDown";
        case State::Down: return "Down";
        case State::Init: return "Init";
        case State::Up: return "Up";
    }
    return "?";
}

const char* name(Diag d) {
    switch (d) {
        case Diag::None: return "No Diagnostic";
        case Diag::ControlDetectionExpired: return "Control Detection Time Expired";
        case Diag::EchoFailed: return "Echo Function Failed";
        case Diag::NeighborSignaledDown: return "Neighbor Signaled Session Down";
        case Diag::ForwardingPlaneReset: return "Forwarding Plane Reset";
        case Diag::PathDown: return "Path Down";
        case Diag::ConcatenatedPathDown: return "Concatenated Path Down";
        case Diag::AdministrativelyDown: return "Administratively Down";
        case Diag::ReverseConcatenatedPathDown: return "Reverse Concatenated Path Down";
    }
    return "Reserved";
}

const char* name(DecodeError e) {
    switch (e) {
        case DecodeError::TooShort: return "too_short";
        case DecodeError::BadVersion: return "bad_version";
        case DecodeError::BadLength: return "bad_length";
        case DecodeError::LengthExceedsPayload: return "length_exceeds_payload";
        case DecodeError::ZeroDetectMult: return "zero_detect_mult";
        case DecodeError::Multipoint: return "multipoint";
        case DecodeError::ZeroMyDiscriminator: return "zero_my_discriminator";
        case DecodeError::ZeroYourDiscriminator: return "zero_your_discriminator";
        case DecodeError::AuthNotConfigured: return "auth_not_configured";
    }
    return "?";
}

const char* name(RxReject r) {
    switch (r) {
        case RxReject::Ok: return "ok";
        case RxReject::BadTtl: return "bad_ttl";
        case RxReject::DiscriminatorMismatch: return "discriminator_mismatch";
    }
    return "?";
}

std::array<uint8_t, kControlLen> encode(const Control& c) {
    std::array<uint8_t, kControlLen> b{};
    b[0] = static_cast<uint8_t>(c.version << 5 | (static_cast<uint8_t>(c.diag) & 0x1f));
    b[1] = static_cast<uint8_t>(static_cast<uint8_t>(c.state) << 6 | (c.poll ? kPoll : 0) |
                                (c.final ? kFinal : 0) | (c.cpi ? kCpi : 0) |
                                (c.auth ? kAuth : 0) | (c.demand ? kDemand : 0) |
                                (c.multipoint ? kMultipoint : 0));
    b[2] = c.detect_mult;
    b[3] = kControlLen;
    put32(&b[4], c.my_disc);
    put32(&b[8], c.your_disc);
    put32(&b[12], c.desired_min_tx_us);
    put32(&b[16], c.required_min_rx_us);
    put32(&b[20], c.required_min_echo_rx_us);
    return b;
}

Result<Control, DecodeError> decode(std::span<const uint8_t> p) {
    if (p.size() < kControlLen) return DecodeError::TooShort;
    Control c;
    c.version = p[0] >> 5;
    c.diag = static_cast<Diag>(p[0] & 0x1f);
    c.state = static_cast<State>(p[1] >> 6);
    c.poll = p[1] & kPoll;
    c.final = p[1] & kFinal;
    c.cpi = p[1] & kCpi;
    c.auth = p[1] & kAuth;
    c.demand = p[1] & kDemand;
    c.multipoint = p[1] & kMultipoint;
    c.detect_mult = p[2];
    const uint8_t length = p[3];
    c.my_disc = get32(&p[4]);
    c.your_disc = get32(&p[8]);
    c.desired_min_tx_us = get32(&p[12]);
    c.required_min_rx_us = get32(&p[16]);
    c.required_min_echo_rx_us = get32(&p[20]);

    // RFC 5880 section 6.8.6, in its order.
    if (c.version != kVersion) return DecodeError::BadVersion;
    if (length < (c.auth ? kControlLenWithAuth : kControlLen)) return DecodeError::BadLength;
    if (length > p.size()) return DecodeError::LengthExceedsPayload;
    if (c.detect_mult == 0) return DecodeError::ZeroDetectMult;
    if (c.multipoint) return DecodeError::Multipoint;
    if (c.my_disc == 0) return DecodeError::ZeroMyDiscriminator;
    if (c.your_disc == 0 && c.state != State::Down && c.state != State::AdminDown)
        return DecodeError::ZeroYourDiscriminator;
    // (the session lookup by Your Discriminator comes here: checkRx)
    if (c.auth) return DecodeError::AuthNotConfigured;
    return c;
}

RxReject checkRx(const Control& c, uint8_t ttl, const RxRules& rules) {
    if (ttl < rules.min_ttl) return RxReject::BadTtl;
    if (c.your_disc != 0 && c.your_disc != rules.local_disc)
        return RxReject::DiscriminatorMismatch;
    return RxReject::Ok;
}

}  // namespace xvrrp::bfd
