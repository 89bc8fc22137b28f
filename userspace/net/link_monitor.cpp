#include "net/link_monitor.hpp"

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include <utility>

namespace xvrrp::net {

namespace {

// Large enough for a burst of events when many VIPs change at once.
constexpr int kRecvBuffer = 1 << 20;

std::optional<IpPrefix> prefixOf(rtnl_addr* a) {
    nl_addr* local = rtnl_addr_get_local(a);
    if (!local) return std::nullopt;
    const auto* bytes = static_cast<const uint8_t*>(nl_addr_get_binary_addr(local));
    const auto len = static_cast<uint8_t>(rtnl_addr_get_prefixlen(a));
    if (nl_addr_get_family(local) == AF_INET && nl_addr_get_len(local) == 4)
        return IpPrefix{IpAddr::fromBytes(Family::V4, bytes), len};
    if (nl_addr_get_family(local) == AF_INET6 && nl_addr_get_len(local) == 16)
        return IpPrefix{IpAddr::fromBytes(Family::V6, bytes), len};
    return std::nullopt;
}

}  // namespace

std::unique_ptr<LinkMonitor> LinkMonitor::open() {
    nl_sock* sk = nl_socket_alloc();
    if (!sk) throw NetError("nl_socket_alloc: out of memory");
    std::unique_ptr<LinkMonitor> m(new LinkMonitor(sk));
    // Multicast notifications carry no sequence numbers of ours.
    nl_socket_disable_seq_check(sk);
    nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, &LinkMonitor::onMessage, m.get());
    m->handlers_ = nl_socket_get_cb(sk);
    if (int err = nl_connect(sk, NETLINK_ROUTE); err < 0)
        throwNl("nl_connect", "NETLINK_ROUTE (link monitor)", err);
    if (int err = nl_socket_add_memberships(sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                            RTNLGRP_IPV6_IFADDR, 0);
        err < 0)
        throwNl("nl_socket_add_memberships", "RTNLGRP_LINK/IPV4_IFADDR/IPV6_IFADDR", err);
    if (int err = nl_socket_set_buffer_size(sk, kRecvBuffer, 0); err < 0)
        throwNl("nl_socket_set_buffer_size", "link monitor", err);
    if (int err = nl_socket_set_nonblocking(sk); err < 0)
        throwNl("nl_socket_set_nonblocking", "link monitor", err);
    return m;
}

LinkMonitor::~LinkMonitor() {
    if (handlers_) nl_cb_put(handlers_);
    nl_socket_free(sock_);
}

int LinkMonitor::fd() const { return nl_socket_get_fd(sock_); }

int LinkMonitor::process(const Callback& cb) {
    cb_ = &cb;
    delivered_ = 0;
    for (;;) {
        // > 0: messages handled; 0 or -NLE_AGAIN: nothing queued (libnl versions differ).
        int n = nl_recvmsgs_report(sock_, handlers_);
        if (pending_) {
            cb_ = nullptr;
            std::rethrow_exception(std::exchange(pending_, nullptr));
        }
        if (n > 0) continue;
        if (n == 0 || n == -NLE_AGAIN) break;
        if (n == -NLE_NOMEM || n == -NLE_MSG_OVERFLOW) {  // ENOBUFS: events were lost
            last_flags_.clear();
            LinkEvent ev;
            ev.kind = LinkEvent::Kind::Overrun;
            ++delivered_;
            cb(ev);
            continue;
        }
        cb_ = nullptr;
        throwNl("nl_recvmsgs", "link monitor", n);
    }
    cb_ = nullptr;
    return delivered_;
}

int LinkMonitor::onMessage(nl_msg* msg, void* self) {
    auto* m = static_cast<LinkMonitor*>(self);
    try {
        m->handle(msg);
    } catch (...) {
        m->pending_ = std::current_exception();
        return NL_STOP;
    }
    return NL_OK;
}

void LinkMonitor::handle(nl_msg* msg) {
    const int type = nlmsg_hdr(msg)->nlmsg_type;
    LinkEvent ev;
    auto parse = [&](auto fn) {
        // nl_msg_parse hands us the libnl object (rtnl_link or rtnl_addr) of the message.
        nl_msg_parse(msg, [](nl_object* o, void* arg) { (*static_cast<decltype(fn)*>(arg))(o); },
                     &fn);
    };
    bool have = false;
    if (type == RTM_NEWLINK || type == RTM_DELLINK) {
        parse([&](nl_object* o) {
            auto* l = reinterpret_cast<rtnl_link*>(o);
            ev.kind = type == RTM_NEWLINK ? LinkEvent::Kind::Link : LinkEvent::Kind::LinkRemoved;
            ev.ifindex = rtnl_link_get_ifindex(l);
            if (const char* n = rtnl_link_get_name(l)) ev.name = n;
            ev.flags = rtnl_link_get_flags(l);
            have = true;
        });
        if (!have) return;
        ev.up = ev.flags & IFF_UP;
        ev.running = ev.flags & IFF_RUNNING;
        auto it = last_flags_.find(ev.ifindex);
        const bool first = it == last_flags_.end();
        const unsigned prev = first ? 0 : it->second;
        ev.up_changed = first || ((prev ^ ev.flags) & IFF_UP);
        ev.running_changed = first || ((prev ^ ev.flags) & IFF_RUNNING);
        if (type == RTM_DELLINK)
            last_flags_.erase(ev.ifindex);
        else
            last_flags_[ev.ifindex] = ev.flags;
    } else if (type == RTM_NEWADDR || type == RTM_DELADDR) {
        parse([&](nl_object* o) {
            auto* a = reinterpret_cast<rtnl_addr*>(o);
            ev.kind = type == RTM_NEWADDR ? LinkEvent::Kind::AddressAdded
                                          : LinkEvent::Kind::AddressRemoved;
            ev.ifindex = rtnl_addr_get_ifindex(a);
            ev.address = prefixOf(a);
            have = true;
        });
        if (!have) return;
    } else {
        return;
    }
    ++delivered_;
    if (cb_) (*cb_)(ev);
}

}  // namespace xvrrp::net
