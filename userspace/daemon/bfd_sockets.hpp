#pragma once
// The daemon's BFD transport (RFC 5881): one UDP socket per session to send from (bound to
// the session's source_ip when given, a source port in 49152-65535 kept for the session's
// life, IP_TTL / IPV6_UNICAST_HOPS from ttl/hoplimit) and one receiving socket per family on
// port 3784 with the received TTL / hop limit and destination address.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "daemon/bfd_table.hpp"

namespace xvrrp::daemon {

class BfdSockets : public BfdTransport {
public:
    BfdSockets() = default;
    ~BfdSockets() override;
    BfdSockets(const BfdSockets&) = delete;
    BfdSockets& operator=(const BfdSockets&) = delete;

    uint16_t open(const config::BfdInstance& cfg, uint16_t preferred) override;
    void close(const std::string& name) override;
    bool send(const std::string& name, std::span<const uint8_t> bytes) override;
    void drain(const OnPacket& on_packet) override;

    // Opens the port-3784 socket of family F if not yet open; returns its fd, or -1 when it
    // was open already. Throws naming the call when the port is taken (keepalived's BFD
    // process in the same namespace, say).
    int listen(Family f);
    // Closes the receiving socket of F; returns its fd (for the loop) or -1.
    int unlisten(Family f);
    // Reads every datagram waiting on FD.
    void onReadable(int fd, const OnPacket& on_packet);

private:
    struct Tx {
        int fd = -1;
        IpAddr neighbor;
    };
    std::map<std::string, Tx> tx_;
    std::map<Family, int> rx_;
};

}  // namespace xvrrp::daemon
