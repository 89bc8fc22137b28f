// BFD Control decoder (userspace/bfd/packet.cpp) on arbitrary UDP payloads: every accepted
// packet must encode back to the same 24 bytes (Length 24 payloads) and decode to itself,
// and feeding it to a session must not trip anything.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "bfd/packet.hpp"
#include "bfd/session.hpp"

using namespace xvrrp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t ttl = data[0];
    std::span<const uint8_t> payload(data + 1, size - 1);
    auto c = bfd::decode(payload);
    if (!c) {
        (void)bfd::name(c.error());
        return 0;
    }
    const auto again = bfd::encode(*c);
    auto back = bfd::decode(again);
    if (!back || !(*back == *c)) std::abort();
    if (payload[3] == bfd::kControlLen && std::memcmp(again.data(), payload.data(), 24) != 0)
        std::abort();
    (void)bfd::checkRx(*c, ttl, {bfd::kRequiredTtl, 1});

    bfd::Session s = bfd::makeSession({}, 1);
    std::vector<bfd::Action> acts;
    bfd::TimePoint now{};
    bfd::step(s, bfd::Start{}, now, acts);
    bfd::step(s, bfd::PacketReceived{*c, now}, now, acts);
    if (auto d = s.nextDeadline()) bfd::step(s, bfd::TimerFired{}, *d, acts);
    return 0;
}
