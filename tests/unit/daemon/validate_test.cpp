// linkFault: which instances cannot run on an interface, as keepalived 2.2.7 decides.
#include <gtest/gtest.h>
#include <net/if_arp.h>
#include <net/if.h>

#include "daemon/validate.hpp"

namespace xvrrp::daemon {
namespace {

// What WireGuard and ipip/GRE tunnels report: point-to-point, no ARP, no multicast.
net::LinkInfo wireguardLike() {
    net::LinkInfo l;
    l.ifindex = 7;
    l.name = "wg0";
    l.flags = IFF_UP | IFF_RUNNING | IFF_POINTOPOINT | IFF_NOARP;
    l.arptype = ARPHRD_NONE;
    return l;
}

config::Instance instance(bool unicast) {
    config::Instance c;
    c.name = "VI_1";
    c.interface = "wg0";
    if (unicast) {
        config::UnicastPeer p;
        p.addr = *IpAddr::parse("10.0.0.2");
        c.unicast_peers.push_back(p);
    }
    return c;
}

TEST(LinkFault, MulticastInstanceOnATunnelWithoutMulticastIsDisabled) {
    auto why = linkFault(instance(false), wireguardLike());
    ASSERT_TRUE(why.has_value());
    EXPECT_EQ(*why, "interface wg0 does not support multicast, specify unicast peers");
}

TEST(LinkFault, UnicastInstanceRunsOnANoArpTunnel) {
    EXPECT_EQ(linkFault(instance(true), wireguardLike()), std::nullopt);
}

// A tun device keeps IFF_MULTICAST although it is NOARP: keepalived runs multicast there
// (the group address simply reaches the one peer), so do we.
TEST(LinkFault, MulticastInstanceRunsOnANoArpLinkThatHasMulticast) {
    auto tun = wireguardLike();
    tun.flags |= IFF_MULTICAST;
    EXPECT_EQ(linkFault(instance(false), tun), std::nullopt);
}

TEST(LinkFault, EthernetWithMulticastIsFine) {
    net::LinkInfo eth;
    eth.name = "eth0";
    eth.flags = IFF_UP | IFF_RUNNING | IFF_BROADCAST | IFF_MULTICAST;
    eth.arptype = ARPHRD_ETHER;
    EXPECT_EQ(linkFault(instance(false), eth), std::nullopt);
}

}  // namespace
}  // namespace xvrrp::daemon
