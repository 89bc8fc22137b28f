// Issue 3, acceptance 2: forged adverts change nothing. The client, not a VRRP
// peer, sends a higher-priority advert for the pair's VRID: with TTL 64 (RFC 5798
// section 7.1 wants 255) to the multicast group, or from a source outside the
// unicast_peer list. The master must stay master, the backup must keep its
// master, and xv_stats must name the reason (drop_ttl, drop_peer). A control
// sends the same frame in its valid form and watches the master step down, so
// the forged frames were refused for the reason tested and not for another. The XDP
// program refuses them, and both daemons log why in keepalived's words.
#include <cstdio>

#include "ownership_fixture.hpp"

namespace xvrrp::itest {
namespace {

constexpr int kForged = 10;
constexpr int kForgedPriority = 254;

class OwnershipForged : public OwnershipFixture {
  protected:
    OwnershipForged() : OwnershipFixture("og") {}

    wire::Advert advert(const IpAddr& src, const IpAddr& dst, const wire::Mac& dstMac, uint8_t ttl,
                        const Variant& v) const {
        wire::Advert a;
        a.src = src;
        a.dst = dst;
        a.dstMac = dstMac;
        a.ttl = ttl;
        a.priority = kForgedPriority;
        a.intervalCs = static_cast<int>(v.advertInt * 100);
        a.vips = {vip(v)};
        return a;
    }

    // Nothing moved: n1 MASTER, n2 BACKUP following n1, for `window`.
    bool unchanged(Clock::duration window) const {
        const std::string n1Ip = lab_->v4("n1").str();
        return holdsFor(
            [&] {
                auto b = n2_->instance();
                return n1_->state() == "MASTER" && b && (*b)["state"] == "BACKUP" &&
                       (*b)["master"].is_object() && (*b)["master"]["address"] == n1Ip &&
                       (*b)["master"]["priority"] == 150;
            },
            window, Ms(50));
    }

    int released(const XvrrpdNode& n) const {
        auto i = n.instance();
        return i ? (*i)["counters"].value("released_master", -1) : -1;
    }

    // Both daemons logged LINE (after "(VI_1) ") for the refused adverts.
    bool loggedOnBoth(const std::string& line) const {
        return waitUntil(
            [&] {
                return n1_->log().find("(VI_1) " + line) != std::string::npos &&
                       n2_->log().find("(VI_1) " + line) != std::string::npos;
            },
            seconds(3), Ms(50));
    }

    // Waits until `field` of both nodes grew by at least kForged.
    bool countedOnBoth(const std::string& field, uint64_t base1, uint64_t base2) const {
        return waitUntil(
            [&] {
                return stat(*n1_, field) >= base1 + kForged && stat(*n2_, field) >= base2 + kForged;
            },
            seconds(3), Ms(50));
    }
};

TEST_F(OwnershipForged, Ttl64AdvertWithHigherPriorityChangesNothing) {
    const Variant v = makeVariant("v3_ipv4_multicast", 3, Family::V4, false);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    const IpAddr group = *IpAddr::parse("224.0.0.18");
    const int released1 = released(*n1_);
    const uint64_t ttl1 = stat(*n1_, "drop_ttl"), ttl2 = stat(*n2_, "drop_ttl");

    const auto forged =
        wire::vrrpAdvert(client_->mac(), advert(clientIp(), group, wire::kVrrpMcastMac, 64, v));
    for (int i = 0; i < kForged; ++i) client_->send(forged);
    EXPECT_TRUE(countedOnBoth("drop_ttl", ttl1, ttl2))
        << "n1 " << xvStats(*n1_).dump() << "\nn2 " << xvStats(*n2_).dump();
    EXPECT_TRUE(unchanged(seconds(1)))
        << "n1 " << n1_->state() << ", n2 " << n2_->instance().value_or(nlohmann::json()).dump();
    EXPECT_EQ(released(*n1_), released1);
    EXPECT_TRUE(loggedOnBoth("invalid TTL/HL. Received 64 and expect 255")) << tail(n1_->log());
    std::printf("[ forged ttl ] drop_ttl n1 +%llu n2 +%llu; n1 %s, n2 %s\n",
                static_cast<unsigned long long>(stat(*n1_, "drop_ttl") - ttl1),
                static_cast<unsigned long long>(stat(*n2_, "drop_ttl") - ttl2),
                n1_->state().c_str(), n2_->state().c_str());

    // Control: the same advert with TTL 255 is valid and outranks n1.
    client_->send(
        wire::vrrpAdvert(client_->mac(), advert(clientIp(), group, wire::kVrrpMcastMac, 255, v)));
    EXPECT_TRUE(waitUntil([&] { return released(*n1_) > released1; }, seconds(2)))
        << "control: a TTL 255 advert at priority " << kForgedPriority
        << " did not make n1 step down; n1 " << n1_->instance().value_or(nlohmann::json()).dump();
}

// A VRRPv2 peer against a v3 instance: keepalived logs "wrong version" for each advert,
// which is how operators find the mistake.
TEST_F(OwnershipForged, WrongVersionIsRefusedAndLoggedAsKeepalived) {
    const Variant v = makeVariant("v3_ipv4_multicast", 3, Family::V4, false);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    const IpAddr group = *IpAddr::parse("224.0.0.18");
    const int released1 = released(*n1_);
    const uint64_t ver1 = stat(*n1_, "drop_version"), ver2 = stat(*n2_, "drop_version");
    auto a = advert(clientIp(), group, wire::kVrrpMcastMac, 255, v);
    a.version = 2;
    const auto forged = wire::vrrpAdvert(client_->mac(), a);
    for (int i = 0; i < kForged; ++i) client_->send(forged);
    EXPECT_TRUE(countedOnBoth("drop_version", ver1, ver2))
        << "n1 " << xvStats(*n1_).dump() << "\nn2 " << xvStats(*n2_).dump();
    EXPECT_TRUE(unchanged(seconds(1)));
    EXPECT_EQ(released(*n1_), released1);
    EXPECT_TRUE(loggedOnBoth("wrong version. Received 2 and expect 3")) << tail(n1_->log());
}

TEST_F(OwnershipForged, AdvertFromANonPeerChangesNothing) {
    const Variant v = makeVariant("v3_ipv4_unicast", 3, Family::V4, true);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    const IpAddr n1Ip = lab_->v4("n1"), n2Ip = lab_->v4("n2");
    const int released1 = released(*n1_);
    const uint64_t peer1 = stat(*n1_, "drop_peer"), peer2 = stat(*n2_, "drop_peer");

    const auto toN1 = wire::vrrpAdvert(client_->mac(), advert(clientIp(), n1Ip, mac1_, 255, v));
    const auto toN2 = wire::vrrpAdvert(client_->mac(), advert(clientIp(), n2Ip, mac2_, 255, v));
    for (int i = 0; i < kForged; ++i) {
        client_->send(toN1);
        client_->send(toN2);
    }
    EXPECT_TRUE(countedOnBoth("drop_peer", peer1, peer2))
        << "n1 " << xvStats(*n1_).dump() << "\nn2 " << xvStats(*n2_).dump();
    EXPECT_TRUE(unchanged(seconds(1)))
        << "n1 " << n1_->state() << ", n2 " << n2_->instance().value_or(nlohmann::json()).dump();
    EXPECT_EQ(released(*n1_), released1);
    EXPECT_TRUE(loggedOnBoth("unicast source address " + clientIp().str() + " not a unicast peer"))
        << tail(n1_->log());
    std::printf("[ forged peer ] drop_peer n1 +%llu n2 +%llu; n1 %s, n2 %s\n",
                static_cast<unsigned long long>(stat(*n1_, "drop_peer") - peer1),
                static_cast<unsigned long long>(stat(*n2_, "drop_peer") - peer2),
                n1_->state().c_str(), n2_->state().c_str());

    // Control: the same frame with a peer's source address passes the allow-list
    // (which cannot stop spoofing; that needs authentication) and outranks n1.
    client_->send(wire::vrrpAdvert(client_->mac(), advert(n2Ip, n1Ip, mac1_, 255, v)));
    EXPECT_TRUE(waitUntil([&] { return released(*n1_) > released1; }, seconds(2)))
        << "control: a peer-sourced advert at priority " << kForgedPriority
        << " did not make n1 step down; n1 " << n1_->instance().value_or(nlohmann::json()).dump();
}

}  // namespace
}  // namespace xvrrp::itest
