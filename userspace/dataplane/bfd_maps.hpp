#pragma once
// xv_rx's BFD maps (docs/bfd.md) as the BFD thread uses them: xv_bfd_expect (written only
// here), xv_bfd_seen (the kernel's stamps, mapped read-only) and xv_bfd_stats. The object
// holds its own copies of the map fds and its own mapping, so it lives on the BFD thread
// apart from the Dataplane, which the main loop owns and which is not thread-safe; map
// system calls and loads from a shared mapping are.

#include <array>
#include <cstdint>
#include <memory>

#include "common/ip.hpp"
#include "xvrrp/abi.h"

namespace xvrrp::dataplane {

// The last Control packet an Up session accepted, as it arrived.
struct BfdExpectation {
    IpAddr src;  // the neighbour
    IpAddr dst;  // our address it was sent to
    uint16_t src_port = 0;
    uint8_t ttl = 0;
    std::array<uint8_t, XV_BFD_CTL_LEN> control{};
    uint32_t slot = XV_BFD_SEEN_NONE;  // its xv_bfd_seen entry
    bool operator==(const BfdExpectation&) const = default;
};

class BfdMaps {
  public:
    // Takes copies of the fds (the caller keeps its own). Throws DataplaneError naming the call.
    BfdMaps(int expect_fd, int seen_fd, int stats_fd);
    ~BfdMaps();
    BfdMaps(const BfdMaps&) = delete;
    BfdMaps& operator=(const BfdMaps&) = delete;

    // One element replaced whole (XDP never sees half of it); key LOCAL_DISC.
    void expect(uint32_t local_disc, const BfdExpectation& e);
    void forget(uint32_t local_disc);
    // Deletes every expectation (a start: what a process before left names its slots).
    void clear();
    // Plain loads from the mapping; SLOT out of range: zero.
    xv_bfd_seen seen(uint32_t slot) const;
    // xv_bfd_stats summed over CPUs.
    xv_bfd_stats stats() const;

  private:
    int expect_fd_ = -1;
    int stats_fd_ = -1;
    const volatile xv_bfd_seen* seen_ = nullptr;
    size_t seen_len_ = 0;
};

}  // namespace xvrrp::dataplane
