// VRRP send socket, GARP/NA and the link monitor on a veth pair between two namespaces
// of our own: what A sends is captured with an AF_PACKET socket on B's end (needs root).
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>

#include <array>
#include <cstdlib>

#include "net/gratuitous.hpp"
#include "net/link_monitor.hpp"
#include "net/netlink.hpp"
#include "net/vrrp_socket.hpp"
#include "test_net.hpp"

namespace xvrrp::net {
namespace {

using test::Fd;
using test::ip;
using test::vip;
using test::VethPair;
using Frame = std::vector<uint8_t>;

uint16_t etherType(const Frame& f) { return f.size() >= 14 ? (f[12] << 8) | f[13] : 0; }
bool sameBytes(const Frame& f, size_t off, const IpAddr& a) {
    return f.size() >= off + a.size() && std::memcmp(&f[off], a.data(), a.size()) == 0;
}

// A fake VRRPv3 advert with a recognisable checksum the kernel must leave alone.
const std::array<uint8_t, 12> kAdvert = {0x31, 7, 100, 1, 0x00, 0x64, 0xab, 0xcd, 10, 9, 0, 100};

class SocketTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::isRoot()) GTEST_SKIP() << "needs root to create network namespaces";
        pair_.emplace();
    }
    // B gets 10.9.0.2/24, A 10.9.0.1/24 and A's link is running: IPv4 between the two.
    void addressBoth() {
        pair_->inB([&] { Netlink::open()->addAddress(pair_->ifindex_b, vip("10.9.0.2/24")); });
        pair_->inA([&] {
            auto nl = Netlink::open();
            nl->addAddress(pair_->ifindex_a, vip("10.9.0.1/24"));
            ASSERT_TRUE(test::waitFor([&] { return nl->linkByIndex(pair_->ifindex_a)->running(); }));
        });
    }
    std::optional<VethPair> pair_;
};

TEST_F(SocketTest, VrrpV4MulticastAndUnicastLeaveWithTtl255Tos0xc0) {
    addressBoth();
    Fd capB{test::packetSocketIn(pair_->b, pair_->ifindex_b)};
    pair_->inA([&] {
        const int ifx = pair_->ifindex_a;
        auto sock = VrrpSocket::open(Family::V4, ifx, VethPair::kNameA, ip("10.9.0.1"));
        sock->joinGroup(ip("224.0.0.18"));
        sock->joinGroup(ip("224.0.0.18"));  // joining twice is fine

        // The group advert is framed by us (packet socket), the unicast one by the kernel
        // (raw socket): their IP headers must agree on everything but the destination.
        EXPECT_TRUE(sock->framesGroupAdverts());
        std::vector<Frame> seen;
        for (const char* dst : {"224.0.0.18", "10.9.0.2"}) {
            SCOPED_TRACE(dst);
            sock->send(kAdvert, ip(dst));
            auto f = test::waitFrame(capB.fd, [&](const Frame& f) {
                return etherType(f) == 0x0800 && f.size() >= 34 && f[23] == kIpProtoVrrp;
            });
            ASSERT_TRUE(f) << "no VRRP frame on the peer";
            const size_t ihl = ((*f)[14] & 0x0f) * 4;
            EXPECT_EQ((*f)[15], kVrrpTos);
            EXPECT_EQ((*f)[22], kVrrpTtl);  // RFC 5798 section 5.1.1.3
            EXPECT_TRUE(sameBytes(*f, 26, ip("10.9.0.1")));
            EXPECT_TRUE(sameBytes(*f, 30, ip(dst)));
            ASSERT_GE(f->size(), 14 + ihl + kAdvert.size());
            EXPECT_EQ(0, std::memcmp(&(*f)[14 + ihl], kAdvert.data(), kAdvert.size()));
            if (std::string(dst) == "224.0.0.18") {
                const std::array<uint8_t, 6> mcastMac = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};
                EXPECT_EQ(0, std::memcmp(f->data(), mcastMac.data(), 6));
            }
            seen.push_back(*f);
        }
        ASSERT_EQ(seen.size(), 2u);
        // version/IHL, TOS, length; flags/fragment, TTL, protocol (the ID of a DF packet
        // is anyone's choice, RFC 6864 section 4.1).
        EXPECT_EQ(Frame(&seen[0][14], &seen[0][18]), Frame(&seen[1][14], &seen[1][18])) << "IP headers differ";
        EXPECT_EQ(Frame(&seen[0][20], &seen[0][24]), Frame(&seen[1][20], &seen[1][24])) << "IP headers differ";
        EXPECT_EQ(0, std::memcmp(&seen[0][6], &seen[1][6], 6)) << "source MACs differ";
    });
}

// Batched sends: every packet leaves in order, and one the kernel refuses (too long) is
// reported by its index while the ones after it still go.
TEST_F(SocketTest, SendManyReportsTheRefusedPacketAndSendsTheRest) {
    addressBoth();
    Fd capB{test::packetSocketIn(pair_->b, pair_->ifindex_b)};
    pair_->inA([&] {
        const int ifx = pair_->ifindex_a;
        auto sock = VrrpSocket::open(Family::V4, ifx, VethPair::kNameA, ip("10.9.0.1"));
        std::array<uint8_t, 12> third = kAdvert;
        third[1] = 9;
        const std::vector<uint8_t> huge(70000, 0);  // more than an IPv4 packet can carry
        std::vector<VrrpSocket::Outgoing> out = {{kAdvert, ip("224.0.0.18")},
                                                 {huge, ip("10.9.0.2")},
                                                 {third, ip("10.9.0.2")}};
        std::vector<std::pair<size_t, std::string>> errors;
        sock->sendMany(out, [&](size_t i, const std::string& e) { errors.emplace_back(i, e); });
        ASSERT_EQ(errors.size(), 1u);
        EXPECT_EQ(errors[0].first, 1u);
        EXPECT_NE(errors[0].second.find(std::strerror(EMSGSIZE)), std::string::npos) << errors[0].second;
        EXPECT_NE(errors[0].second.find(VethPair::kNameA), std::string::npos) << errors[0].second;
        std::vector<uint8_t> vrids;
        while (vrids.size() < 2) {
            auto f = test::waitFrame(capB.fd, [&](const Frame& f) {
                return etherType(f) == 0x0800 && f.size() >= 34 + kAdvert.size() && f[23] == kIpProtoVrrp;
            });
            ASSERT_TRUE(f) << "only " << vrids.size() << " of 2 VRRP frames on the peer";
            vrids.push_back((*f)[14 + ((*f)[14] & 0x0f) * 4 + 1]);
        }
        EXPECT_EQ(vrids, (std::vector<uint8_t>{7, 9}));
    });
}

TEST_F(SocketTest, VrrpSocketNeverQueuesReceivedAdverts) {
    pair_->inB([&] { Netlink::open()->addAddress(pair_->ifindex_b, vip("10.9.0.2/24")); });
    Fd capA{test::packetSocketIn(pair_->a, pair_->ifindex_a)};
    pair_->inA([&] {
        auto nl = Netlink::open();
        nl->addAddress(pair_->ifindex_a, vip("10.9.0.1/24"));
        auto sock = VrrpSocket::open(Family::V4, pair_->ifindex_a, VethPair::kNameA, ip("10.9.0.1"));
        sock->joinGroup(ip("224.0.0.18"));
        pair_->inB([&] {
            auto peer = VrrpSocket::open(Family::V4, pair_->ifindex_b, VethPair::kNameB, ip("10.9.0.2"));
            ASSERT_TRUE(test::waitFor([&] {
                return Netlink::open()->linkByIndex(pair_->ifindex_b)->running();
            }));
            // Unicast to the bound source too: a raw socket bound to 10.9.0.1 would
            // otherwise queue it (multicast alone does not match the bound address).
            for (const char* dst : {"224.0.0.18", "10.9.0.1", "10.9.0.1"}) {
                peer->send(kAdvert, ip(dst));
                ASSERT_TRUE(test::waitFrame(capA.fd, [](const Frame& f) {
                    return etherType(f) == 0x0800 && f.size() >= 34 && f[23] == kIpProtoVrrp;
                })) << "advert to " << dst << " never reached xva";
            }
        });
        uint8_t buf[256];
        EXPECT_LT(::recv(sock->fd(), buf, sizeof(buf), MSG_DONTWAIT), 0);
        EXPECT_EQ(errno, EAGAIN) << "the send socket queued a received advert";
    });
}

TEST_F(SocketTest, VrrpV6MulticastFromLinkLocalHopLimit255ChecksumUntouched) {
    Fd capB{test::packetSocketIn(pair_->b, pair_->ifindex_b)};
    pair_->inA([&] {
        auto nl = Netlink::open();
        const int ifx = pair_->ifindex_a;
        std::optional<IpAddr> ll;
        ASSERT_TRUE(test::waitFor([&] { return (ll = nl->primaryAddress(ifx, Family::V6)).has_value(); }));
        auto sock = VrrpSocket::open(Family::V6, ifx, VethPair::kNameA, *ll);
        sock->joinGroup(ip("ff02::12"));
        sock->send(kAdvert, ip("ff02::12"));
        auto f = test::waitFrame(capB.fd, [](const Frame& f) {
            return etherType(f) == 0x86dd && f.size() >= 54 && f[20] == kIpProtoVrrp;
        });
        ASSERT_TRUE(f) << "no IPv6 VRRP frame on the peer";
        const int tclass = (((*f)[14] & 0x0f) << 4) | ((*f)[15] >> 4);
        EXPECT_EQ(tclass, kVrrpTos);
        EXPECT_EQ((*f)[21], kVrrpTtl);  // RFC 5798 section 5.1.2.3
        EXPECT_TRUE(sameBytes(*f, 22, *ll));
        EXPECT_TRUE(sameBytes(*f, 38, ip("ff02::12")));
        ASSERT_GE(f->size(), 54 + kAdvert.size());
        EXPECT_EQ(0, std::memcmp(&(*f)[54], kAdvert.data(), kAdvert.size()))
            << "payload (checksum bytes 6-7) changed on the way";
    });
}

TEST_F(SocketTest, GratuitousArpReachesPeer) {
    Fd capB{test::packetSocketIn(pair_->b, pair_->ifindex_b)};
    pair_->inA([&] {
        auto link = Netlink::open()->linkByIndex(pair_->ifindex_a).value();
        Announcer ann;
        ASSERT_TRUE(ann.sendGratuitousArp(link, ip("10.9.0.100")));
        auto f = test::waitFrame(capB.fd, [](const Frame& f) { return etherType(f) == 0x0806; });
        ASSERT_TRUE(f) << "no ARP frame on the peer";
        EXPECT_EQ(*f, buildGratuitousArp(link.mac, ip("10.9.0.100")));
        auto noarp = link;
        noarp.flags |= IFF_NOARP;
        EXPECT_FALSE(ann.sendGratuitousArp(noarp, ip("10.9.0.100")));
    });
}

// Internet checksum over the IPv6 pseudo-header and the ICMPv6 message: 0xffff if valid.
uint16_t icmp6Sum(const Frame& f, size_t len) {
    uint32_t sum = 0;
    auto add = [&](const uint8_t* p, size_t n) {
        for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
        if (n % 2) sum += p[n - 1] << 8;
    };
    add(&f[22], 32);  // source and destination
    sum += len;
    sum += 58;
    add(&f[54], len);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

TEST_F(SocketTest, UnsolicitedNaReachesPeer) {
    Fd capB{test::packetSocketIn(pair_->b, pair_->ifindex_b)};
    pair_->inA([&] {
        auto nl = Netlink::open();
        auto link = nl->linkByIndex(pair_->ifindex_a).value();
        ASSERT_TRUE(test::waitFor([&] { return nl->primaryAddress(link.ifindex, Family::V6).has_value(); }));
        Announcer ann;
        const auto target = ip("2001:db8:9::100");
        ASSERT_TRUE(ann.sendUnsolicitedNa(link, target));
        auto f = test::waitFrame(capB.fd, [](const Frame& f) {
            return etherType(f) == 0x86dd && f.size() >= 62 && f[20] == 58 && f[54] == 136;
        });
        ASSERT_TRUE(f) << "no Neighbor Advertisement on the peer";
        EXPECT_EQ((*f)[21], 255);  // RFC 4861 section 7.1.2
        EXPECT_TRUE(sameBytes(*f, 38, ip("ff02::1")));
        const std::array<uint8_t, 6> allNodesMac = {0x33, 0x33, 0, 0, 0, 1};
        EXPECT_EQ(0, std::memcmp(f->data(), allNodesMac.data(), 6));
        auto want = buildUnsolicitedNa(link.mac, target, false);
        ASSERT_EQ(f->size(), 54 + want.size());
        EXPECT_EQ(0, std::memcmp(&(*f)[58], &want[4], want.size() - 4));  // after the checksum
        EXPECT_EQ(icmp6Sum(*f, want.size()), 0xffff) << "bad ICMPv6 checksum";
        // From the source the kernel picks for ff02::1 there: the link-local address.
        const auto ll = nl->primaryAddress(link.ifindex, Family::V6).value();
        EXPECT_TRUE(sameBytes(*f, 22, ll)) << "NA not from " << ll.str();
    });
}

// The source is asked once per interface; when that address goes, the next NA asks again
// and leaves from the new one (not an error, not the old address).
TEST_F(SocketTest, UnsolicitedNaFollowsANewLinkLocalAddress) {
    Fd capB{test::packetSocketIn(pair_->b, pair_->ifindex_b)};
    pair_->inA([&] {
        auto nl = Netlink::open();
        auto link = nl->linkByIndex(pair_->ifindex_a).value();
        ASSERT_TRUE(test::waitFor([&] { return nl->primaryAddress(link.ifindex, Family::V6).has_value(); }));
        const auto old_ll = nl->primaryAddress(link.ifindex, Family::V6).value();
        Announcer ann;
        const auto target = ip("2001:db8:9::101");
        auto naFrom = [&](const IpAddr& src) {
            return test::waitFrame(capB.fd, [&](const Frame& f) {
                return etherType(f) == 0x86dd && f.size() >= 62 && f[20] == 58 && f[54] == 136 &&
                       sameBytes(f, 22, src);
            });
        };
        ASSERT_TRUE(ann.sendUnsolicitedNa(link, target));
        ASSERT_TRUE(naFrom(old_ll)) << "first NA not from " << old_ll.str();
        const std::string dev = link.name;
        ASSERT_EQ(0, std::system(("ip -6 addr add fe80::99/64 dev " + dev + " nodad && ip -6 addr del " +
                                  old_ll.str() + "/64 dev " + dev)
                                     .c_str()));
        ASSERT_TRUE(ann.sendUnsolicitedNa(link, target));
        EXPECT_TRUE(naFrom(ip("fe80::99"))) << "no NA from the new link-local address";
    });
}

// Reads monitor events until one matches or the deadline passes.
bool waitEvent(LinkMonitor& mon, const std::function<bool(const LinkEvent&)>& pred) {
    bool hit = false;
    const auto deadline = test::Clock::now() + test::kDeadline;
    while (!hit && test::Clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - test::Clock::now());
        pollfd p{mon.fd(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 1))) <= 0) continue;
        mon.process([&](const LinkEvent& ev) { hit = hit || pred(ev); });
    }
    return hit;
}

TEST_F(SocketTest, LinkMonitorReportsCarrierAndAddresses) {
    pair_->inA([&] {
        auto mon = LinkMonitor::open();
        auto nl = Netlink::open();
        const int ifx = pair_->ifindex_a;
        ASSERT_TRUE(test::waitFor([&] { return nl->linkByIndex(ifx)->running(); }));
        mon->process([](const LinkEvent&) {});  // drain whatever came before

        pair_->inB([&] { Netlink::open()->setLinkUp(pair_->ifindex_b, false); });
        EXPECT_TRUE(waitEvent(*mon, [&](const LinkEvent& e) {
            return e.kind == LinkEvent::Kind::Link && e.ifindex == ifx && e.up && !e.running &&
                   e.running_changed && e.name == VethPair::kNameA;
        })) << "no carrier-down event for xva";

        pair_->inB([&] { Netlink::open()->setLinkUp(pair_->ifindex_b, true); });
        EXPECT_TRUE(waitEvent(*mon, [&](const LinkEvent& e) {
            return e.kind == LinkEvent::Kind::Link && e.ifindex == ifx && e.running && e.running_changed;
        })) << "no carrier-up event for xva";

        nl->addAddress(ifx, vip("10.9.0.1/24"));
        EXPECT_TRUE(waitEvent(*mon, [&](const LinkEvent& e) {
            return e.kind == LinkEvent::Kind::AddressAdded && e.ifindex == ifx &&
                   e.address == IpPrefix::parse("10.9.0.1/24");
        }));
        nl->removeAddress(ifx, vip("10.9.0.1/24"));
        EXPECT_TRUE(waitEvent(*mon, [&](const LinkEvent& e) {
            return e.kind == LinkEvent::Kind::AddressRemoved && e.ifindex == ifx &&
                   e.address == IpPrefix::parse("10.9.0.1/24");
        }));
    });
}

}  // namespace
}  // namespace xvrrp::net
