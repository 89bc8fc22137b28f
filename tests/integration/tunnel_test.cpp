// Issue 5 (interfaces without ARP) and issue 3 (no Ethernet header): VRRP over a
// point-to-point L3 tunnel. This kernel has no ipip, GRE or wireguard (CONFIG_NET_IPIP,
// CONFIG_NET_IPGRE_DEMUX and CONFIG_WIREGUARD are off, and there are no modules), so the
// tunnel is lab::TunLink: a tun device per node shaped like WireGuard (ARPHRD_NONE,
// POINTOPOINT | NOARP, no MULTICAST, frames start at the IP header) carried as UDP over
// the lab's veth underlay (eth0). Seed s000 (two sites over wg0) runs on it unchanged but
// for wg0 -> tun0 and its script paths.
#include <linux/if_ether.h>
#include <netinet/in.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <set>

#include "lab/netns.hpp"
#include "lab/tun_link.hpp"
#include "seed_fixture.hpp"

namespace xvrrp::itest {
namespace {

constexpr uint8_t kVrrpProto = 112;  // RFC 5798 section 5.1.1.4

// What left one tunnel end: adverts to the peer, and anything that must not be there.
struct TxReport {
    int adverts = 0;               // IPv4 protocol 112 to the unicast peer
    int kernelV6 = 0;              // the kernel's own RS/MLD on a link-local address
    // ICMP protocol unreachable quoting a VRRP packet: after kill -9 the dead daemon's xv_rx
    // passes adverts to the stack (for a keepalived started there) and, until something
    // listens for protocol 112, Linux answers unicast ones so, as any host without VRRP does.
    int protoUnreachable = 0;
    std::vector<std::string> bad;  // ARP, NA, other IPv4, VRRP to a non-peer
};

TxReport classify(const std::vector<lab::SentPacket>& pkts, const IpAddr& peer) {
    TxReport r;
    for (const auto& p : pkts) {
        const auto& d = p.data;
        if (p.ethertype == ETH_P_IP && d.size() >= 20) {
            IpAddr dst = IpAddr::fromBytes(Family::V4, &d[16]);
            const size_t ihl = (d[0] & 0x0f) * 4u;
            if (d[9] == kVrrpProto && dst == peer)
                ++r.adverts;
            else if (d[9] == IPPROTO_ICMP && d.size() >= ihl + 8 + 20 && d[ihl] == 3 &&
                     d[ihl + 1] == 2 && d[ihl + 8 + 9] == kVrrpProto)
                ++r.protoUnreachable;
            else
                r.bad.push_back("IPv4 protocol " + std::to_string(d[9]) + " to " + dst.str());
        } else if (p.ethertype == ETH_P_IPV6 && d.size() >= 41 && d[6] == IPPROTO_ICMPV6 &&
                   (d[40] == 133 || d[40] == 143)) {
            ++r.kernelV6;  // router solicitation, MLDv2 report: not ours, not announcements
        } else {
            r.bad.push_back("ethertype " + std::to_string(p.ethertype) + ", " +
                            std::to_string(d.size()) + " bytes" +
                            (p.ethertype == ETH_P_IPV6 && d.size() >= 41 && d[6] == IPPROTO_ICMPV6
                                 ? " ICMPv6 type " + std::to_string(d[40])
                                 : ""));
        }
    }
    return r;
}

std::string listed(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += "  " + x + "\n";
    return s;
}

class Tunnel : public SeedFixture {
  protected:
    Tunnel() : SeedFixture("tunnel") {}

    void SetUp() override {
        SeedFixture::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        tun_ = std::make_unique<lab::TunLink>(
            lab::TunEnd{&lab_->node("n1"), lab_->v4("n1"), "10.0.0.1/24"},
            lab::TunEnd{&lab_->node("n2"), lab_->v4("n2"), "10.0.0.2/24"});
        // From before the first daemon starts, so every announcement would be seen.
        cap1_ = std::make_unique<lab::TxCapture>(lab_->node("n1"), "tun0");
        cap2_ = std::make_unique<lab::TxCapture>(lab_->node("n2"), "tun0");
    }

    void TearDown() override {
        if (HasFailure())
            for (auto* n : {n1_.get(), n2_.get()})
                if (n) std::cerr << "---- " << n->name() << " log (tail) ----\n" << tail(n->log(), 40);
        n1_.reset();  // daemons first: they detach XDP from tun0 while it exists
        n2_.reset();
        cap1_.reset();
        cap2_.reset();
        tun_.reset();
        PairFixture::TearDown();
    }

    std::string config(const std::string& node, const std::string& file) const {
        const std::string s = "/www/server/keepalived/scripts/";
        return rewrite(seed(file), {{"wg0", "tun0"},
                                    {s + "chk_wireguard.py", check(node, "chk_wg")},
                                    {s + "chk_network.py", check(node, "chk_network")},
                                    {s + "notify_backup.py", notify(node, "state", "backup")},
                                    {s + "notify_master.py", notify(node, "state", "master")},
                                    {s + "notify.sh", notify(node, "notify", "")}});
    }

    // status.xdp.interfaces entry for tun0, or null.
    static nlohmann::json xdpOnTun(const XvrrpdNode& n) {
        auto s = n.status();
        if (!s) return nullptr;
        for (const auto& i : (*s)["xdp"]["interfaces"])
            if (i.value("name", "") == "tun0") return i;
        return nullptr;
    }

    // `xvrrpctl bpf --json` of the node's pin root.
    static nlohmann::json bpfDump(const XvrrpdNode& n) {
        auto r = lab::runIn("", {xvrrpctlBin(), "--pin-root", n.pinRoot(), "bpf", "--json"});
        if (!r.ok()) return nullptr;
        return nlohmann::json::parse(r.out, nullptr, false);
    }

    // Checks one end's traffic so far: adverts only, unicast to the peer.
    void expectOnlyUnicastAdverts(lab::TxCapture& cap, const std::string& node,
                                  const IpAddr& peer, bool wantAdverts) {
        auto r = classify(cap.drain(), peer);
        EXPECT_TRUE(r.bad.empty()) << node << " sent on tun0:\n" << listed(r.bad);
        if (wantAdverts) {
            EXPECT_GT(r.adverts, 0) << node << " sent no advert to " << peer.str();
        }
        std::cout << node << " tun0: " << r.adverts << " adverts to " << peer.str() << ", "
                  << r.kernelV6 << " kernel IPv6 (RS/MLD), " << r.protoUnreachable
                  << " ICMP protocol unreachable for VRRP, " << r.bad.size() << " other\n";
    }

    // The daemon said nothing about announcing (a failed GARP/NA is logged as
    // "announcing <vip>: ...") and said why it sends none.
    static void expectNoAnnouncementTried(const XvrrpdNode& n) {
        const auto log = n.log();
        EXPECT_EQ(log.find("announcing"), std::string::npos) << n.name();
        EXPECT_EQ(log.find("gratuitous ARP for"), std::string::npos) << n.name();
        EXPECT_NE(log.find("(VI_1) tun0 is NOARP: no gratuitous ARP or unsolicited NA on it"),
                  std::string::npos)
            << n.name();
    }

    std::unique_ptr<lab::TunLink> tun_;
    std::unique_ptr<lab::TxCapture> cap1_, cap2_;
};

TEST_F(Tunnel, SeedS000OverANoArpTunnelFailsOverAndBackWithUnicastAdvertsOnly) {
    const IpAddr vip = *IpAddr::parse("10.0.0.100");
    const IpAddr a = *IpAddr::parse("10.0.0.1"), b = *IpAddr::parse("10.0.0.2");
    const auto t = std::chrono::seconds(15);  // advert_int 2: Master_Down_Interval ~7.3 s
    n1_->start(config("n1", "s000-site-a-master.conf"));
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "MASTER", t)) << stateOf(*n1_, "VI_1");
    // The second node once the first is master: started together, a first start slower by
    // a few tens of ms (a loaded host) lets the second's Master_Down_Interval end first.
    n2_->start(config("n2", "s000-site-b-backup.conf"));
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "BACKUP", t)) << stateOf(*n2_, "VI_1");
    ASSERT_TRUE(waitHolder(vip, "n1", t, "tun0")) << holder(vip, "tun0");

    // XDP sits on the tunnel, flagged no_eth (frames start at the IP header).
    for (auto* n : {n1_.get(), n2_.get()}) {
        auto x = xdpOnTun(*n);
        ASSERT_FALSE(x.is_null()) << n->name() << ": no XDP on tun0 in status";
        const std::string mode = x.value("mode", "");
        std::cout << n->name() << ": XDP on tun0 in " << mode << " mode\n";
        RecordProperty(n->name() + "_xdp_mode", mode);
        EXPECT_TRUE(mode == "native" || mode == "generic") << mode;
        EXPECT_NE(n->log().find("XDP on tun0 (" + mode + ")"), std::string::npos) << n->name();
    }
    // The backup's XDP program receives and validates site A's adverts.
    nlohmann::json st;
    ASSERT_TRUE(waitUntil(
        [&] {
            st = bpfDump(*n2_);
            if (st.is_null() || !st.contains("maps")) return false;
            const auto& s = st["maps"]["xv_stats"];
            // adv_quiet + adv_woken: adverts that passed every kernel check (quietly
            // confirming the master, or waking the daemon); rx_adverts: ring records.
            return s.value("rx_adverts", 0) >= 1 &&
                   s.value("adv_quiet", 0) + s.value("adv_woken", 0) >= 3;
        },
        t, Ms(200)))
        << st.dump(1);
    const auto& stats = st["maps"]["xv_stats"];
    std::cout << "n2 xv_stats: to the ring " << stats["rx_adverts"] << ", quiet "
              << stats["adv_quiet"] << ", woken " << stats["adv_woken"] << "\n";
    for (const char* drop : {"bad_ip", "drop_ttl", "drop_csum", "drop_peer", "drop_vrid",
                             "drop_length", "drop_version"})
        EXPECT_EQ(stats.value(drop, 0), 0) << drop;
    bool noEth = false;
    for (const auto& i : st["maps"]["xv_ifcfg"])
        for (const auto& f : i["flags"]) noEth = noEth || f == "no_eth";
    EXPECT_TRUE(noEth) << st["maps"]["xv_ifcfg"].dump();

    // Site A dies: site B takes over on the tunnel.
    n1_->signal(SIGKILL);
    ASSERT_TRUE(n1_->waitExit(t).has_value());
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "MASTER", t)) << stateOf(*n2_, "VI_1");
    EXPECT_TRUE(lab::hasAddress(n2_->ns(), "tun0", vip));
    expectOnlyUnicastAdverts(*cap1_, "n1", b, true);

    // Site A comes back: "state MASTER" cleared its nopreempt, 100 > 90, it takes back.
    n1_->start(config("n1", "s000-site-a-master.conf"));
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "MASTER", t)) << stateOf(*n1_, "VI_1");
    ASSERT_TRUE(waitInst(*n2_, "VI_1", "BACKUP", t)) << stateOf(*n2_, "VI_1");
    EXPECT_TRUE(waitHolder(vip, "n1", t, "tun0")) << holder(vip, "tun0");
    EXPECT_TRUE(waitLog(notifyLog("n2", "notify"),
                        {"INSTANCE VI_1 BACKUP 90", "INSTANCE VI_1 MASTER 90", "INSTANCE VI_1 BACKUP 90"}))
        << joined(logLines(notifyLog("n2", "notify")));
    // A master repeats its announcements after garp_master_delay (5 s); stay past it so a
    // second round would show up in the capture.
    EXPECT_TRUE(holdsFor([&] { return stateOf(*n1_, "VI_1") == "MASTER"; }, std::chrono::seconds(6),
                         Ms(200)));
    expectOnlyUnicastAdverts(*cap1_, "n1", b, true);
    expectOnlyUnicastAdverts(*cap2_, "n2", a, true);
    expectNoAnnouncementTried(*n1_);
    expectNoAnnouncementTried(*n2_);

    // The VIP answers through the tunnel from the other site.
    EXPECT_TRUE(waitUntil([&] { return lab::ping(n2_->ns(), vip, Ms(300)).has_value(); },
                          std::chrono::seconds(5)));
}

// keepalived 2.2.7 (vrrp_complete_instance): an instance without unicast_peer on an
// interface without IFF_MULTICAST logs "(VI_1) interface tun0 does not support
// multicast, specify unicast peers - disabling" and stays in FAULT. xvrrpd does the same.
TEST_F(Tunnel, MulticastInstanceOnATunnelWithoutMulticastIsDisabled) {
    InstanceSpec s;
    s.priority = 150;
    s.advertInt = 0.1;
    s.vip = "10.0.0.100/32";
    n1_->start(rewrite(renderConfig("n1", s), {{"interface eth0", "interface tun0"}}));
    ASSERT_TRUE(waitInst(*n1_, "VI_1", "FAULT", std::chrono::seconds(10))) << stateOf(*n1_, "VI_1");
    const std::string msg = "(VI_1) interface tun0 does not support multicast, specify unicast peers - disabling";
    EXPECT_TRUE(waitUntil([&] { return n1_->log().find(msg) != std::string::npos; },
                          std::chrono::seconds(5)))
        << tail(n1_->log());
    auto i = inst(*n1_, "VI_1");
    EXPECT_NE(i.dump().find("does not support multicast"), std::string::npos) << i.dump();
    // It stays there: no VIP, no advert (ten advert intervals).
    EXPECT_TRUE(holdsFor([&] { return stateOf(*n1_, "VI_1") == "FAULT"; }, std::chrono::seconds(1),
                         Ms(100)));
    EXPECT_FALSE(lab::hasAddress(n1_->ns(), "tun0", *IpAddr::parse("10.0.0.100")));
    auto r = classify(cap1_->drain(), *IpAddr::parse("10.0.0.2"));
    EXPECT_EQ(r.adverts, 0);
    EXPECT_TRUE(r.bad.empty()) << listed(r.bad);
}

}  // namespace
}  // namespace xvrrp::itest
