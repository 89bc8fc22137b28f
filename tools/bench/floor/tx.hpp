#pragma once
// The floor sender's transmit mechanisms: one batch of pre-built frames handed to the
// kernel at once, with nothing computed per frame.
//   mmsg: sendmmsg(2) on an AF_PACKET SOCK_DGRAM socket with a link-layer address per
//         message (exactly xvrrpd's syscall path for group adverts).
//   ring: a PACKET_TX_RING (TPACKET_V2) of SOCK_RAW frames written once; each batch only
//         flips the frames' status words and calls send(2) once.
// qdisc_bypass: PACKET_QDISC_BYPASS, so frames skip the qdisc, TC egress, netfilter's
// netdev egress hook and packet taps (tcpdump on the sender) and go to the driver.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "frames.hpp"

namespace xvrrp::bench {

enum class TxKind { Mmsg, Ring };

class FloorTx {
public:
    virtual ~FloorTx() = default;
    // Hands the whole batch to the kernel; returns how many frames it took. Frames it
    // refused or could not take yet are counted in errors().
    virtual size_t send() = 0;
    uint64_t errors() const { return errors_; }
    size_t size() const { return size_; }

    static std::unique_ptr<FloorTx> open(TxKind kind, bool qdisc_bypass, int ifindex,
                                         const std::string& ifname,
                                         const std::vector<const FloorFrame*>& batch);

protected:
    uint64_t errors_ = 0;
    size_t size_ = 0;
};

}  // namespace xvrrp::bench
