#pragma once
// ICMP echo to many targets at once over non-blocking raw sockets (IPv4 and IPv6). Replies
// are matched by our identifier, the sequence number of this round and the source address,
// so stale or foreign replies never count.

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
    bool allAnswered() const;
    const std::vector<std::string>& sendErrors() const { return send_errors_; }

  private:
    void handleReply(const IpAddr& from, uint16_t id, uint16_t seq);

    int fd4_ = -1;
    int fd6_ = -1;
    uint16_t ident_ = 0;
    uint16_t next_seq_ = 0;
    std::vector<IpAddr> targets_;
    std::vector<bool> answered_;
    std::vector<std::string> send_errors_;
    std::map<uint16_t, size_t> seq_to_target_;
};

// RFC 1071 Internet checksum (exposed for tests).
uint16_t internetChecksum(const uint8_t* data, size_t len);

}  // namespace xvrrp::arbiter
