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
    // A transport for `instance` on tx_ifindex (tx_name) from src; opens the socket unless
    // another instance already has it. join: the multicast group this instance sends to,
    // joined once per socket (switches with IGMP/MLD snooping need it). Throws NetError.
    std::unique_ptr<AdvertTransport> transport(const std::string& instance, Family f,
                                               int tx_ifindex, const std::string& tx_name,
                                               const IpAddr& src, const IpAddr* join);
    // Sends everything queued; errors are counted on the instance that queued the advert
    // and logged (first, then every 1000th, per instance).
    void flush();
    bool pending() const { return !queue_.empty(); }
    size_t sockets() const;

private:
    class Transport;
    struct Errors {
        std::string instance;
        uint64_t count = 0;
    };
    struct Queued {
        std::shared_ptr<net::VrrpSocket> sock;
        std::shared_ptr<Errors> errors;
        size_t offset, size;  // in arena_
        IpAddr dst;
    };
    using Key = std::tuple<Family, int, IpAddr>;
    void enqueue(const std::shared_ptr<net::VrrpSocket>& sock, const std::shared_ptr<Errors>& errors,
                 std::span<const uint8_t> vrrp, const IpAddr& dst);

    std::map<Key, std::weak_ptr<net::VrrpSocket>> sockets_;
    std::vector<Queued> queue_;
    std::vector<uint8_t> arena_;  // queued packet bytes, back to back
};

}  // namespace xvrrp::daemon
