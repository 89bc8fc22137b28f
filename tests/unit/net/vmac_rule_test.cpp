// VMAC, policy rules and promote_secondaries against a real kernel, inside namespaces of
// our own (needs root).
#include <gtest/gtest.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/rule.h>
#include <netlink/socket.h>

#include <cstdio>
#include <sstream>

#include "net/netlink.hpp"
#include "net/sysctl.hpp"
#include "test_net.hpp"

namespace xvrrp::net {
namespace {

using test::VethPair;

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

int v4(const std::string& ifname, const char* key) {
    return readConfSysctl(Family::V4, ifname, key).value_or(-1);
}

struct MacvlanInfo {
    std::string kind;
    uint32_t mode = 0;
    int link = 0;
};

std::optional<MacvlanInfo> macvlanInfo(const std::string& name) {
    nl_sock* sk = nl_socket_alloc();
    nl_connect(sk, NETLINK_ROUTE);
    rtnl_link* l = nullptr;
    std::optional<MacvlanInfo> out;
    if (rtnl_link_get_kernel(sk, 0, name.c_str(), &l) == 0) {
        MacvlanInfo m;
        if (const char* k = rtnl_link_get_type(l)) m.kind = k;
        if (m.kind == "macvlan") m.mode = rtnl_link_macvlan_get_mode(l);
        m.link = rtnl_link_get_link(l);
        out = m;
        rtnl_link_put(l);
    }
    nl_socket_free(sk);
    return out;
}

// `ip rule show` in the namespace: iproute2 prints every attribute, including those
// libnl-3.7 cannot read back (uidrange, not, suppress_prefixlength).
std::string ipRules(const test::NamedNetns& ns, const char* family) {
    const std::string cmd =
        "nsenter --net=/run/netns/" + ns.name() + " ip " + family + " rule show";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p)) out += buf;
        ::pclose(p);
    }
    return out;
}

size_t count(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
    return n;
}

class VmacRuleTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!test::isRoot()) GTEST_SKIP() << "needs root to create network namespaces";
        pair_.emplace();
    }
    std::optional<VethPair> pair_;
};

TEST_F(VmacRuleTest, Ipv4VmacMacModeSysctlsAndRestore) {
    pair_->inA([&] {
        const std::string base = VethPair::kNameA;
        writeConfSysctl(Family::V4, "all", "rp_filter", 1);
        writeConfSysctl(Family::V4, base, "rp_filter", 0);
        writeConfSysctl(Family::V4, "default", "rp_filter", 0);
        auto nl = Netlink::open();

        Vmac v = nl->createVmac(pair_->ifindex_a, vmacName("", 51), 51, Family::V4);
        EXPECT_EQ(v.name, "vrrp.51");
        EXPECT_FALSE(v.reused);
        auto l = nl->linkByIndex(v.ifindex);
        ASSERT_TRUE(l);
        EXPECT_EQ(l->name, "vrrp.51");
        EXPECT_EQ(l->mac, (MacAddr{0x00, 0x00, 0x5e, 0x00, 0x01, 51}));
        EXPECT_TRUE(l->up());
        auto info = macvlanInfo("vrrp.51");
        ASSERT_TRUE(info);
        EXPECT_EQ(info->kind, "macvlan");
        EXPECT_EQ(info->mode, uint32_t{MACVLAN_MODE_PRIVATE});
        EXPECT_EQ(info->link, pair_->ifindex_a);

        EXPECT_EQ(v4("vrrp.51", "arp_ignore"), 1);
        EXPECT_EQ(v4("vrrp.51", "accept_local"), 1);
        EXPECT_EQ(v4("vrrp.51", "rp_filter"), 0);
        EXPECT_EQ(v4("vrrp.51", "promote_secondaries"), 1);
        EXPECT_EQ(readConfSysctl(Family::V6, "vrrp.51", "disable_ipv6"), 1);
        EXPECT_EQ(v4(base, "arp_ignore"), 1);
        EXPECT_EQ(v4(base, "arp_filter"), 1);
        EXPECT_EQ(v4("all", "rp_filter"), 0);  // cleared so the VMAC's 0 counts
        EXPECT_EQ(v4(base, "rp_filter"), 1);   // raised to all's old value first
        EXPECT_EQ(v4("default", "rp_filter"), 1);

        // A second VMAC on the same base: the base keeps its settings until the last goes.
        Vmac w = nl->createVmac(pair_->ifindex_a, "xvmac52", 52, Family::V4);
        nl->deleteVmac(v);
        EXPECT_FALSE(nl->linkByName("vrrp.51"));
        EXPECT_EQ(v4(base, "arp_ignore"), 1);
        EXPECT_EQ(v4("all", "rp_filter"), 0);
        nl->deleteVmac(w);
        EXPECT_FALSE(nl->linkByName("xvmac52"));
        EXPECT_EQ(v4(base, "arp_ignore"), 0);
        EXPECT_EQ(v4(base, "arp_filter"), 0);
        EXPECT_EQ(v4("all", "rp_filter"), 1);
        EXPECT_EQ(v4(base, "rp_filter"), 0);
        EXPECT_EQ(v4("default", "rp_filter"), 0);
        nl->deleteVmac(w);  // already gone: not an error
    });
}

TEST_F(VmacRuleTest, VmacLeftByACrashIsReusedOrReplaced) {
    pair_->inA([&] {
        int first = 0;
        {
            auto crashed = Netlink::open();  // never deletes: a daemon that died
            first = crashed->createVmac(pair_->ifindex_a, "vrrp.7", 7, Family::V4).ifindex;
        }
        auto nl = Netlink::open();
        Vmac same = nl->createVmac(pair_->ifindex_a, "vrrp.7", 7, Family::V4);
        EXPECT_TRUE(same.reused);
        EXPECT_EQ(same.ifindex, first);

        // Same name, other VRID: the stale macvlan is replaced with the right MAC.
        Vmac other = nl->createVmac(pair_->ifindex_a, "vrrp.7", 8, Family::V4);
        EXPECT_FALSE(other.reused);
        EXPECT_NE(other.ifindex, first);
        EXPECT_EQ(nl->linkByName("vrrp.7")->mac, vmacAddress(8, Family::V4));

        // A name that belongs to something else is refused, never deleted.
        try {
            nl->createVmac(pair_->ifindex_a, "lo", 9, Family::V4);
            ADD_FAILURE() << "createVmac took over lo";
        } catch (const NetError& e) {
            EXPECT_NE(std::string(e.what()).find(
                          "VMAC lo: an interface of that name exists and is not a macvlan"),
                      std::string::npos)
                << e.what();
        }
        EXPECT_TRUE(nl->linkByName("lo"));
        nl->deleteVmac(other);
        EXPECT_FALSE(nl->linkByName("vrrp.7"));
    });
}

TEST_F(VmacRuleTest, Ipv6VmacHasOnlyTheBaseLinkLocal) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        ASSERT_TRUE(test::waitFor(
            [&] { return nl->primaryAddress(pair_->ifindex_a, Family::V6).has_value(); }));
        const IpAddr base_ll = *nl->primaryAddress(pair_->ifindex_a, Family::V6);
        Vmac v = nl->createVmac(pair_->ifindex_a, "vrrp6.51", 51, Family::V6);
        EXPECT_EQ(nl->linkByIndex(v.ifindex)->mac, (MacAddr{0x00, 0x00, 0x5e, 0x00, 0x02, 51}));
        // Up and settled: no EUI-64 address of the VMAC MAC appears (addr_gen_mode none).
        auto addrs = nl->addresses(v.ifindex, Family::V6);
        ASSERT_EQ(addrs.size(), 1u);
        EXPECT_EQ(addrs[0], (IpPrefix{base_ll, 64}));
        EXPECT_EQ(nl->primaryAddress(v.ifindex, Family::V6), base_ll);
        nl->deleteVmac(v);
    });
}

TEST_F(VmacRuleTest, RulesAddRemoveIdempotent) {
    const std::vector<std::string> texts = {
        "from 192.168.28.0/24 to 192.168.29.0/26 table 100 iif xva oif lo tos 0x10 fwmark 24/0xff "
        "preference 39",
        "not from 10.1.0.0/16 ipproto tcp sport 10-20 dport 80 uidrange 1000-1999 lookup 101 prio "
        "40",
        "to 10.2.0.0/16 table 102 suppress_prefixlength 0 prio 41 no_track",
        "from 10.3.0.0/16 prio 42 goto 100",
        "fwmark 7 blackhole prio 43",
        "inet6 from 2001:db8::/32 table 103 prio 44",
    };
    pair_->inA([&] {
        auto nl = Netlink::open();
        for (int round = 0; round < 2; ++round)
            for (const auto& t : texts) nl->addRule(parseRule(words(t)));
    });
    std::string v4 = ipRules(pair_->a, "-4"), v6 = ipRules(pair_->a, "-6");
    EXPECT_EQ(
        count(
            v4,
            "39:\tfrom 192.168.28.0/24 to 192.168.29.0/26 tos 0x10 fwmark 0x18/0xff iif xva oif lo "
            "lookup 100 proto keepalived"),
        1u)
        << v4;
    EXPECT_EQ(count(v4,
                    "40:\tnot from 10.1.0.0/16 uidrange 1000-1999 ipproto tcp sport 10-20 dport 80 "
                    "lookup 101 "
                    "proto keepalived"),
              1u)
        << v4;
    EXPECT_EQ(count(v4, "41:\tfrom all to 10.2.0.0/16 lookup 102 suppress_prefixlength 0"), 1u)
        << v4;
    EXPECT_EQ(count(v4, "41:\tfrom all to 10.2.0.0/16 lookup 102 suppress_prefixlength 0 proto"),
              0u)
        << v4;
    EXPECT_EQ(count(v4, "42:\tfrom 10.3.0.0/16 goto 100 [unresolved] proto keepalived"), 1u) << v4;
    EXPECT_EQ(count(v4, "43:\tfrom all fwmark 0x7 blackhole"), 1u) << v4;
    EXPECT_EQ(count(v6, "44:\tfrom 2001:db8::/32 lookup 103"), 1u) << v6;

    pair_->inA([&] {
        auto nl = Netlink::open();
        for (int round = 0; round < 2; ++round)
            for (const auto& t : texts) nl->removeRule(config::Rule{{}, words(t), {}});
    });
    v4 = ipRules(pair_->a, "-4");
    v6 = ipRules(pair_->a, "-6");
    for (const char* pref : {"39:", "40:", "41:", "42:", "43:"})
        EXPECT_EQ(count(v4, pref), 0u) << v4;
    EXPECT_EQ(count(v6, "44:"), 0u) << v6;
    EXPECT_EQ(count(v4, "32766:\tfrom all lookup main"), 1u) << v4;  // the kernel's own rules stay
}

TEST_F(VmacRuleTest, RuleTheKernelRefusesIsNamed) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        // tos 1 is an ECN bit, not a TOS/DSCP value: the kernel answers EINVAL.
        try {
            nl->addRule(parseRule(words("from 10.0.0.0/8 tos 1 table 5 prio 100")));
            ADD_FAILURE() << "kernel accepted tos 1";
        } catch (const NetError& e) {
            EXPECT_NE(std::string(e.what()).find(
                          "rtnl_rule_add rule 'from 10.0.0.0/8 tos 1 table 5 prio 100': "),
                      std::string::npos)
                << e.what();
        }
    });
}

TEST_F(VmacRuleTest, PromoteSecondariesToggleAndEffect) {
    pair_->inA([&] {
        const std::string ifn = VethPair::kNameA;
        auto nl = Netlink::open();
        const int ifx = pair_->ifindex_a;
        EXPECT_EQ(v4(ifn, "promote_secondaries"), 0);
        EXPECT_FALSE(setPromoteSecondaries(ifn, true));  // previous value
        EXPECT_EQ(v4(ifn, "promote_secondaries"), 1);
        EXPECT_TRUE(setPromoteSecondaries(ifn, true));

        config::VirtualAddress a, b;
        a.prefix = *IpPrefix::parse("10.7.0.2/24");
        b.prefix = *IpPrefix::parse("10.7.0.3/24");
        nl->addAddress(ifx, a);
        nl->addAddress(ifx, b);
        nl->removeAddress(ifx, a);  // with promote_secondaries the secondary survives
        EXPECT_TRUE(nl->hasAddress(ifx, *IpAddr::parse("10.7.0.3")));

        EXPECT_TRUE(setPromoteSecondaries(ifn, false));
        EXPECT_EQ(v4(ifn, "promote_secondaries"), 0);
        nl->addAddress(ifx, a);     // .3 is primary now, .2 secondary
        nl->removeAddress(ifx, b);  // without it the kernel drops the secondary too
        EXPECT_FALSE(nl->hasAddress(ifx, *IpAddr::parse("10.7.0.2")));

        EXPECT_THROW(setPromoteSecondaries("xv-no-such", true), NetError);
    });
}

TEST_F(VmacRuleTest, DevLookupAndArpCapability) {
    pair_->inA([&] {
        auto nl = Netlink::open();
        EXPECT_EQ(nl->ifindexForDev(VethPair::kNameA), pair_->ifindex_a);
        try {
            nl->ifindexForDev("xv-no-such", "static_ipaddress 10.0.0.1/24");
            ADD_FAILURE();
        } catch (const NetError& e) {
            EXPECT_STREQ(e.what(), "static_ipaddress 10.0.0.1/24 xv-no-such: no such interface");
        }
        EXPECT_TRUE(nl->linkSupportsArp(pair_->ifindex_a));
        EXPECT_FALSE(nl->linkSupportsArp(nl->ifindexForDev("lo")));  // no hardware address
    });
}

}  // namespace
}  // namespace xvrrp::net
