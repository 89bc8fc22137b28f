#pragma once
// Link and address changes from rtnetlink multicast groups (RTNLGRP_LINK,
// RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR). Non-blocking: put fd() in epoll and call
// process() when it is readable. The daemon moves instances to Fault on link down.

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/ip.hpp"
#include "net/error.hpp"

struct nl_sock;
struct nl_msg;
struct nl_cb;

namespace xvrrp::net {

struct LinkEvent {
    enum class Kind {
        Link,            // RTM_NEWLINK: flags below are current
        LinkRemoved,     // RTM_DELLINK
        AddressAdded,    // RTM_NEWADDR (also when DAD completes)
        AddressRemoved,  // RTM_DELADDR
        Overrun,         // the kernel dropped events (ENOBUFS): re-read all state
    };
    Kind kind = Kind::Link;
    int ifindex = 0;
    std::string name;                // link name (Link, LinkRemoved)
    unsigned flags = 0;              // IFF_* (Link)
    bool up = false;                 // IFF_UP
    bool running = false;            // IFF_RUNNING: up and carrier
    bool up_changed = false;         // against the last event for this ifindex;
    bool running_changed = false;    // true on the first event seen for an ifindex
    std::optional<IpPrefix> address; // AddressAdded / AddressRemoved
};

class LinkMonitor {
public:
    using Callback = std::function<void(const LinkEvent&)>;

    static std::unique_ptr<LinkMonitor> open();
    ~LinkMonitor();
    LinkMonitor(const LinkMonitor&) = delete;
    LinkMonitor& operator=(const LinkMonitor&) = delete;

    int fd() const;
    // Reads every queued message and calls cb for each event; returns the event count.
    int process(const Callback& cb);

private:
    explicit LinkMonitor(nl_sock* sock) : sock_(sock) {}
    static int onMessage(nl_msg* msg, void* self);
    void handle(nl_msg* msg);

    nl_sock* sock_;
    nl_cb* handlers_ = nullptr;  // the socket's callbacks, one reference held
    const Callback* cb_ = nullptr;
    int delivered_ = 0;
    std::exception_ptr pending_;  // thrown by cb; must not unwind through libnl
    std::map<int, unsigned> last_flags_;  // ifindex -> IFF_* seen last
};

}  // namespace xvrrp::net
