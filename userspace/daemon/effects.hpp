#pragma once
// The small interfaces through which the interpreter touches the system. The daemon wires
// them to libnl, raw sockets and BPF maps; tests replace them with fakes.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/ip.hpp"
#include "config/config.hpp"
#include "dataplane/fence.hpp"

namespace xvrrp::daemon {

// Sends adverts. send() may only queue (the daemon batches adverts of all instances into
// one sendmmsg per socket); flush() pushes out what is queued, and errors() counts adverts
// the kernel refused after send() returned.
class AdvertTransport {
public:
    virtual ~AdvertTransport() = default;
    virtual void send(std::span<const uint8_t> vrrp, const IpAddr& dst) = 0;
    virtual void flush() {}
    virtual uint64_t errors() const { return 0; }
    virtual int fd() const { return -1; }  // the socket, for keepalived's dumps
};

class AddressTable {
public:
    virtual ~AddressTable() = default;
    virtual void addAddress(int ifindex, const config::VirtualAddress& vip) = 0;
    virtual void removeAddress(int ifindex, const config::VirtualAddress& vip) = 0;
    virtual void addRoute(const config::Route& route, int default_ifindex) = 0;
    virtual void removeRoute(const config::Route& route, int default_ifindex) = 0;
    virtual void addRule(const config::Rule& rule) = 0;  // virtual_rules
    virtual void removeRule(const config::Rule& rule) = 0;
    virtual int ifindexOf(const std::string& ifname) = 0;  // 0 when missing
    // The address is on the interface already (left by a daemon that was killed).
    virtual bool holds(int ifindex, const IpAddr& addr) = 0;
};

class Announcer {
public:
    virtual ~Announcer() = default;
    // Gratuitous ARP (IPv4) or unsolicited NA (IPv6) for vip on ifindex; false when the
    // link takes none (NOARP, no link-layer address).
    virtual bool announce(int ifindex, const IpAddr& vip) = 0;
};

// Who may answer for a VIP, enforced by the XDP program (xv_vips) and TC egress.
enum class VipVerdict : uint8_t {
    Pass,     // owner, or master in accept mode
    DropIp,   // master without accept mode (RFC 5798 section 6.4.3): ARP, ND, VRRP only
    DropAll,  // backup, fault, init, fenced: nothing, not even ARP/NS
};

class Ownership {
public:
    virtual ~Ownership() = default;
    // max_age_ns: dead-man switch, the node stops answering when the daemon's heartbeat is
    // older than that (the instance's Master_Down_Interval).
    virtual void setVerdict(int ifindex, const IpAddr& vip, VipVerdict v,
                            const dataplane::InstanceId& inst, uint64_t max_age_ns) = 0;
    virtual void forget(int ifindex, const IpAddr& vip) = 0;
};

// The kernel's side of the quiet fast path: XDP absorbs repeats of the advert a backup
// follows (vrrp::AbsorbAdverts) and remembers when it last saw one.
class KernelAbsorb {
public:
    virtual ~KernelAbsorb() = default;
    // MESSAGE: the accepted VRRP message, byte for byte; repeats must equal it.
    virtual void expect(const dataplane::InstanceId& inst, const IpAddr& master, uint8_t priority,
                        uint16_t interval_cs, std::span<const uint8_t> message) = 0;
    virtual void stop(const dataplane::InstanceId& inst) = 0;
    // CLOCK_MONOTONIC ns of the last absorbed advert; nullopt when none.
    virtual std::optional<uint64_t> lastSeen(const dataplane::InstanceId& inst) = 0;
};

}  // namespace xvrrp::daemon
