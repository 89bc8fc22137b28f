#pragma once
// Adverts of every instance leave in batches. An instance's transport only queues; the
// daemon flushes once per pass of its event loop, one sendmmsg(2) per socket, and instances
// that send on the same interface from the same address share that socket. With hundreds of
// VRIDs at 10 ms this turns hundreds of sendto calls per interval into one.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "common/ip.hpp"
#include "daemon/effects.hpp"
#include "net/vrrp_socket.hpp"

namespace xvrrp::daemon {

class AdvertBatch {
public:
    ~AdvertBatch();
    // A transport for `instance` on tx_ifindex (tx_name) from src; opens the socket unless
    // another instance already has it. join: the multicast group this instance sends to,
    // joined once per socket (switches with IGMP/MLD snooping need it). Throws NetError.
    std::unique_ptr<AdvertTransport> transport(const std::string& instance, Family f,
                                               int tx_ifindex, const std::string& tx_name,
                                               const IpAddr& src, const IpAddr* join);
    // Sends everything queued, socket by socket in the order each first queued, every
    // socket's adverts in the order they were queued; errors are counted on the instance
    // that queued the advert and logged (first, then every 1000th, per instance).
    // Allocation-free once the buffers have grown to the largest batch.
    void flush();
    bool pending() const { return !pending_.empty(); }
    size_t sockets() const;

private:
    class Transport;
    struct Errors {
        std::string instance;
        uint64_t count = 0;
    };
    struct Queued {
        Errors* errors;  // null once its transport is gone
        size_t offset, size;  // in arena_
        IpAddr dst;
    };
    // One socket: the adverts queued on it since the last flush. While it has any, `hold`
    // keeps the socket open (a priority 0 queued by an instance that is going away).
    struct Slot {
        std::weak_ptr<net::VrrpSocket> sock;
        std::shared_ptr<net::VrrpSocket> hold;
        std::vector<Queued> queue;
    };
    using Key = std::tuple<Family, int, IpAddr>;
    void enqueue(Slot& slot, const std::shared_ptr<net::VrrpSocket>& sock, Errors* errors,
                 std::span<const uint8_t> vrrp, const IpAddr& dst);
    void forget(const Errors* errors);

    std::map<Key, std::unique_ptr<Slot>> slots_;
    std::vector<Slot*> pending_;     // slots with queued adverts, in first-queued order
    std::vector<uint8_t> arena_;     // queued packet bytes, back to back
    std::vector<net::VrrpSocket::Outgoing> out_;  // flush()'s buffer
};

}  // namespace xvrrp::daemon
