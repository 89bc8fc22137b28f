// Netlink against a real kernel, inside namespaces of our own (needs root).
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "net/netlink.hpp"
#include "test_net.hpp"

namespace xvrrp::net {
namespace {

using test::ip;
using test::vip;
using test::VethPair;

// What the kernel reports about one address, read with libnl directly.
struct KernelAddr {
    std::string label;
    int scope = -1;
    std::optional<IpAddr> broadcast, peer;
    unsigned flags = 0;
    int prefixlen = -1;
};

std::optional<KernelAddr> kernelAddr(int ifindex, const IpAddr& a) {
    nl_sock* sk = nl_socket_alloc();
    nl_connect(sk, NETLINK_ROUTE);
    nl_cache* cache = nullptr;
    rtnl_addr_alloc_cache(sk, &cache);
    std::optional<KernelAddr> out;
    for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        auto* ra = reinterpret_cast<rtnl_addr*>(o);
        nl_addr* local = rtnl_addr_get_local(ra);
        if (rtnl_addr_get_ifindex(ra) != ifindex || !local || nl_addr_get_len(local) != a.size() ||
            std::memcmp(nl_addr_get_binary_addr(local), a.data(), a.size()) != 0)
            continue;
        KernelAddr k;
        if (const char* l = rtnl_addr_get_label(ra)) k.label = l;
        k.scope = rtnl_addr_get_scope(ra);
        if (nl_addr* b = rtnl_addr_get_broadcast(ra); b && nl_addr_get_len(b) == 4)
            k.broadcast = IpAddr::fromBytes(Family::V4, static_cast<uint8_t*>(nl_addr_get_binary_addr(b)));
        if (nl_addr* p = rtnl_addr_get_peer(ra); p && nl_addr_get_len(p) == 4)
            k.peer = IpAddr::fromBytes(Family::V4, static_cast<uint8_t*>(nl_addr_get_binary_addr(p)));
        k.flags = rtnl_addr_get_flags(ra);
        k.prefixlen = rtnl_addr_get_prefixlen(ra);
        out = k;
    }
    nl_cache_free(cache);
    nl_socket_free(sk);
    return out;
}

struct KernelRoute {
    int protocol = -1, type = -1, nexthops = 0;
    int oif = 0;  // the first next hop's interface
};

std::optional<KernelRoute> kernelRoute(int af, const IpPrefix& dst, uint32_t table) {
    nl_sock* sk = nl_socket_alloc();
    nl_connect(sk, NETLINK_ROUTE);
    nl_cache* cache = nullptr;
    rtnl_route_alloc_cache(sk, af, 0, &cache);
    std::optional<KernelRoute> out;
    for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        auto* r = reinterpret_cast<rtnl_route*>(o);
        nl_addr* d = rtnl_route_get_dst(r);
        if (rtnl_route_get_table(r) != table || !d || nl_addr_get_prefixlen(d) != dst.len) continue;
        if (dst.len > 0 && std::memcmp(nl_addr_get_binary_addr(d), dst.addr.data(), dst.addr.size()))
            continue;
        rtnl_nexthop* nh = rtnl_route_get_nnexthops(r) ? rtnl_route_nexthop_n(r, 0) : nullptr;
        out = KernelRoute{rtnl_route_get_protocol(r), rtnl_route_get_type(r),
                          rtnl_route_get_nnexthops(r), nh ? rtnl_route_nh_get_ifindex(nh) : 0};
    }
    nl_cache_free(cache);
    nl_socket_free(sk);
    return out;
}

class NetlinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::isRoot()) GTEST_SKIP() << "needs root to create network namespaces";
        pair_.emplace();
    }
    std::optional<VethPair> pair_;
};

TEST_F(NetlinkTest, LinkLookupByNameAndIndex) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        auto l = nl->linkByName(VethPair::kNameA);
        ASSERT_TRUE(l);
        EXPECT_EQ(l->ifindex, pair_->ifindex_a);
        EXPECT_EQ(l->name, VethPair::kNameA);
        EXPECT_TRUE(l->hasMac());
        EXPECT_EQ(l->arptype, ARPHRD_ETHER);
        EXPECT_EQ(l->mtu, 1500u);
        EXPECT_TRUE(l->up());
        EXPECT_FALSE(l->noArp());
        EXPECT_TRUE(test::waitFor([&] { return nl->linkByIndex(pair_->ifindex_a)->running(); }))
            << "xva never got carrier";
        auto byIndex = nl->linkByIndex(pair_->ifindex_a);
        ASSERT_TRUE(byIndex);
        EXPECT_EQ(byIndex->name, VethPair::kNameA);
        EXPECT_EQ(byIndex->mac, l->mac);
        EXPECT_FALSE(nl->linkByName("xv-no-such"));
        EXPECT_FALSE(nl->linkByIndex(999999));
    });
}

TEST_F(NetlinkTest, AddressWithLabelBroadcastScopeIsIdempotent) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        const int ifx = pair_->ifindex_a;
        auto va = vip("10.9.0.10/24");
        va.label = "xva:vip";
        va.broadcast_auto = true;
        va.scope = "link";
        nl->addAddress(ifx, va);
        nl->addAddress(ifx, va);  // EEXIST is fine
        EXPECT_TRUE(nl->hasAddress(ifx, ip("10.9.0.10")));
        EXPECT_FALSE(nl->hasAddress(ifx, ip("10.9.0.11")));
        auto all = nl->addresses(ifx, Family::V4);
        ASSERT_EQ(all.size(), 1u);
        EXPECT_EQ(all[0], *IpPrefix::parse("10.9.0.10/24"));
        auto k = kernelAddr(ifx, ip("10.9.0.10"));
        ASSERT_TRUE(k);
        EXPECT_EQ(k->label, "xva:vip");
        EXPECT_EQ(k->scope, RT_SCOPE_LINK);
        EXPECT_EQ(k->broadcast, ip("10.9.0.255"));

        auto explicitBrd = vip("10.9.1.10/24");
        explicitBrd.broadcast = ip("10.9.1.200");
        nl->addAddress(ifx, explicitBrd);
        EXPECT_EQ(kernelAddr(ifx, ip("10.9.1.10"))->broadcast, ip("10.9.1.200"));
        EXPECT_EQ(kernelAddr(ifx, ip("10.9.1.10"))->scope, RT_SCOPE_UNIVERSE);

        nl->removeAddress(ifx, va);
        nl->removeAddress(ifx, va);  // already gone is fine
        EXPECT_FALSE(nl->hasAddress(ifx, ip("10.9.0.10")));
        EXPECT_TRUE(nl->hasAddress(ifx, ip("10.9.1.10")));
    });
}

TEST_F(NetlinkTest, PointToPointPeerAddress) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        const int ifx = pair_->ifindex_a;
        auto va = vip("10.9.5.1/32");
        va.peer = ip("10.9.5.2");
        nl->addAddress(ifx, va);
        nl->addAddress(ifx, va);
        auto k = kernelAddr(ifx, ip("10.9.5.1"));
        ASSERT_TRUE(k);
        EXPECT_EQ(k->peer, ip("10.9.5.2"));
        EXPECT_EQ(k->prefixlen, 32);
        nl->removeAddress(ifx, va);
        EXPECT_FALSE(nl->hasAddress(ifx, ip("10.9.5.1")));
    });
}

TEST_F(NetlinkTest, Ipv6AddressFlagsNodadNoprefixroute) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        const int ifx = pair_->ifindex_a;
        auto va = vip("2001:db8:9::10/64");
        va.nodad = true;
        va.noprefixroute = true;
        nl->addAddress(ifx, va);
        nl->addAddress(ifx, va);
        auto k = kernelAddr(ifx, ip("2001:db8:9::10"));
        ASSERT_TRUE(k);
        EXPECT_EQ(k->prefixlen, 64);
        EXPECT_TRUE(k->flags & IFA_F_NODAD);
        EXPECT_TRUE(k->flags & IFA_F_NOPREFIXROUTE);
        EXPECT_FALSE(kernelRoute(AF_INET6, *IpPrefix::parse("2001:db8:9::/64"), RT_TABLE_MAIN))
            << "noprefixroute still added the prefix route";
        nl->removeAddress(ifx, va);
        nl->removeAddress(ifx, va);
        EXPECT_FALSE(nl->hasAddress(ifx, ip("2001:db8:9::10")));
    });
}

TEST_F(NetlinkTest, PrimaryAddressV4SkipsSecondariesAndV6IsLinkLocal) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        const int ifx = pair_->ifindex_a;
        EXPECT_FALSE(nl->primaryAddress(ifx, Family::V4));
        nl->addAddress(ifx, vip("10.9.0.1/24"));
        nl->addAddress(ifx, vip("10.9.0.2/24"));  // same subnet: a secondary
        EXPECT_EQ(nl->primaryAddress(ifx, Family::V4), ip("10.9.0.1"));
        nl->addAddress(ifx, vip("2001:db8:9::1/64"));
        std::optional<IpAddr> ll;
        EXPECT_TRUE(test::waitFor([&] { return (ll = nl->primaryAddress(ifx, Family::V6)).has_value(); }))
            << "no usable IPv6 link-local address on xva";
        ASSERT_TRUE(ll);
        EXPECT_TRUE(ll->isLinkLocal()) << ll->str();  // RFC 5798 section 5.1.2.1
    });
}

TEST_F(NetlinkTest, RoutesAddRemoveIdempotent) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        const int ifx = pair_->ifindex_a;
        nl->addAddress(ifx, vip("10.9.0.1/24"));
        ASSERT_TRUE(test::waitFor([&] { return nl->linkByIndex(ifx)->running(); }));

        config::Route via;
        via.to = *IpPrefix::parse("192.0.2.0/24");
        via.via = ip("10.9.0.254");
        nl->addRoute(via, ifx);
        nl->addRoute(via, ifx);  // identical route: EEXIST is fine
        auto k = kernelRoute(AF_INET, via.to, RT_TABLE_MAIN);
        ASSERT_TRUE(k);
        EXPECT_EQ(k->protocol, RTPROT_KEEPALIVED);
        EXPECT_EQ(k->type, RTN_UNICAST);

        config::Route hole;
        hole.to = *IpPrefix::parse("198.51.100.0/24");
        hole.blackhole = true;
        hole.table = 100;
        nl->addRoute(hole, ifx);
        auto kh = kernelRoute(AF_INET, hole.to, 100);
        ASSERT_TRUE(kh);
        EXPECT_EQ(kh->type, RTN_BLACKHOLE);

        config::Route dflt;  // "default dev xva table 101 metric 5"
        dflt.to = *IpPrefix::parse("0.0.0.0/0");
        dflt.dev = VethPair::kNameA;
        dflt.table = 101;
        dflt.metric = 5;
        nl->addRoute(dflt, 0);
        EXPECT_TRUE(kernelRoute(AF_INET, dflt.to, 101));

        // No dev, a gateway on xva and the instance's interface elsewhere (lo): the kernel
        // picks xva from the gateway, as for keepalived; removal finds it the same way.
        config::Route viaOnly;
        viaOnly.to = *IpPrefix::parse("203.0.113.0/24");
        viaOnly.via = ip("10.9.0.254");
        nl->addRoute(viaOnly, 1);
        auto kv = kernelRoute(AF_INET, viaOnly.to, RT_TABLE_MAIN);
        ASSERT_TRUE(kv);
        EXPECT_EQ(kv->oif, ifx);
        nl->removeRoute(viaOnly, 1);
        EXPECT_FALSE(kernelRoute(AF_INET, viaOnly.to, RT_TABLE_MAIN));

        config::Route bad = via;
        bad.dev = "xv-no-such";
        EXPECT_THROW(nl->addRoute(bad, ifx), NetError);

        for (const auto* r : {&via, &hole, &dflt}) {
            nl->removeRoute(*r, ifx);
            nl->removeRoute(*r, ifx);  // already gone is fine
        }
        EXPECT_FALSE(kernelRoute(AF_INET, via.to, RT_TABLE_MAIN));
        EXPECT_FALSE(kernelRoute(AF_INET, hole.to, 100));
        EXPECT_FALSE(kernelRoute(AF_INET, dflt.to, 101));
    });
}

TEST_F(NetlinkTest, ErrorsNameCallAndInterface) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        auto va = vip("10.9.0.10/24");
        try {
            nl->addAddress(999999, va);
            ADD_FAILURE() << "adding to a missing interface did not throw";
        } catch (const NetError& e) {
            std::string what = e.what();
            EXPECT_NE(what.find("rtnl_addr_add"), std::string::npos) << what;
            EXPECT_NE(what.find("10.9.0.10/24"), std::string::npos) << what;
            EXPECT_NE(what.find("999999"), std::string::npos) << what;
        }
    });
}

}  // namespace
}  // namespace xvrrp::net
