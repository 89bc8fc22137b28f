#pragma once
// ICMP echo to many targets at once over non-blocking raw sockets (IPv4 and IPv6). Replies
// are matched by our identifier, the sequence number of this round, the source address and
// the echoed payload, which carries a random nonce per round: stale or foreign replies never
// count, and neither does a forged one from someone who guessed identifier and sequence.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/ip.hpp"

namespace xvrrp::arbiter {

class IcmpProber {
  public:
    // Opens both raw sockets; throws std::runtime_error naming the call and errno text.
    IcmpProber();
    ~IcmpProber();
    IcmpProber(const IcmpProber&) = delete;
    IcmpProber& operator=(const IcmpProber&) = delete;

    int fd4() const { return fd4_; }
    int fd6() const { return fd6_; }
    uint16_t ident() const { return ident_; }

    // Forgets the previous round and sends one echo request to each target. A target that
    // cannot be sent to (no route) simply stays unanswered; its error is kept for the log.
    void start(const std::vector<IpAddr>& targets);
    // Drains replies from fd (call when epoll reports it readable).
    void onReadable(int fd);

    bool answered(size_t i) const { return i < answered_.size() && answered_[i]; }
    // What target i's reply must carry (exposed for tests that forge replies).
    uint16_t sequenceOf(size_t i) const;
    static constexpr size_t kPayload = 16;
    const std::array<uint8_t, kPayload>& payload() const { return payload_; }
    bool allAnswered() const;
    const std::vector<std::string>& sendErrors() const { return send_errors_; }

  private:
    void handleReply(const IpAddr& from, const uint8_t* icmp, size_t len);

    int fd4_ = -1;
    int fd6_ = -1;
    uint16_t ident_ = 0;
    uint16_t next_seq_ = 0;
    std::vector<IpAddr> targets_;
    std::vector<bool> answered_;
    std::vector<std::string> send_errors_;
    std::map<uint16_t, size_t> seq_to_target_;
    std::array<uint8_t, kPayload> payload_{};  // "xvrrp-ar" + this round's 8-byte nonce
};

// RFC 1071 Internet checksum (exposed for tests).
uint16_t internetChecksum(const uint8_t* data, size_t len);

}  // namespace xvrrp::arbiter
