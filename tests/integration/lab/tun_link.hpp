#pragma once
// A point-to-point L3 tunnel between two namespaces, shaped like WireGuard: in each a
// tun device (ARPHRD_NONE, IFF_POINTOPOINT | IFF_NOARP, no Ethernet header) whose
// packets a relay thread carries as UDP datagrams between the namespaces' underlay
// addresses. Used because this kernel has no ipip, GRE or wireguard (only CONFIG_TUN).
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/ip.hpp"

namespace xvrrp::lab {

class Netns;

struct TunEnd {
    const Netns* ns = nullptr;
    IpAddr underlay;   // an address the namespace already has (the UDP endpoint)
    std::string addr;  // the tunnel address with prefix, e.g. "10.0.0.1/24"
};

struct TunOptions {
    std::string ifname = "tun0";
    // WireGuard clears IFF_MULTICAST; a plain tun device keeps it.
    bool multicast = false;
    uint16_t port = 51820;
};

class TunLink {
  public:
    // Creates both devices, addresses them and brings them up, then starts the relay.
    // Throws std::runtime_error (or std::system_error) naming the failed call.
    TunLink(const TunEnd& a, const TunEnd& b, TunOptions opts = {});
    // Stops the relay and closes the devices, which removes them. Never throws.
    ~TunLink();
    TunLink(const TunLink&) = delete;
    TunLink& operator=(const TunLink&) = delete;

    const std::string& ifname() const { return opts_.ifname; }
    // Packets carried through the tunnel so far (both directions).
    uint64_t relayed() const { return relayed_.load(); }

  private:
    struct End {
        int tun = -1;
        int udp = -1;
    };
    void relay();
    void closeAll();

    TunOptions opts_;
    End ends_[2];
    int stop_fd_ = -1;
    std::atomic<uint64_t> relayed_{0};
    std::thread thread_;
};

// One packet a namespace's interface sent (AF_PACKET, PACKET_OUTGOING).
struct SentPacket {
    uint16_t ethertype = 0;     // ETH_P_IP, ETH_P_IPV6, ETH_P_ARP, ...
    std::vector<uint8_t> data;  // from the network header on (no link header on tun)
};

// Records what leaves one interface of a namespace from construction on; read with
// drain(). The socket is made in the namespace by a thread that joined it.
class TxCapture {
  public:
    TxCapture(const Netns& ns, const std::string& ifname);
    ~TxCapture();
    TxCapture(const TxCapture&) = delete;
    TxCapture& operator=(const TxCapture&) = delete;
    // Everything queued since the last call (never blocks).
    std::vector<SentPacket> drain();

  private:
    int fd_ = -1;
    std::string ifname_;
};

}  // namespace xvrrp::lab
