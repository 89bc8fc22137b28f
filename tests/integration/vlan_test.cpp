// Issue 9 item 4: a VLAN-tagged advert must not count for the untagged instance. The
// client sends six v2 adverts for the pair's VRID at priority 200 (the pair runs 150/100):
// tagged VLAN 200 in the frame, then tagged the way hardware VLAN insertion does it (a TC
// program on the client puts the tag in skb metadata, so the nodes' veth hands XDP an
// untagged frame and the tag only through bpf_xdp_metadata_rx_vlan_tag). Before the fix
// n1 stepped down to BACKUP. Each case ends with a control: the same advert untagged
// does make n1 step down, so the tagged ones were refused for their tag.
#include <cstdio>
#include <cstring>

#include "ownership_fixture.hpp"
#include "support/packet_builder.hpp"

namespace xvrrp::itest {
namespace {

constexpr int kSent = 6;
constexpr uint16_t kVid = 200;  // what vlan_push.bpf.c pushes too

class VlanTakeover : public OwnershipFixture {
  protected:
    VlanTakeover() : OwnershipFixture("vl") {}

    // The advert: v2, PASS with the pair's password, priority 200, TTL 255.
    wire::Frame advert(const Variant& v, std::vector<std::pair<uint16_t, uint16_t>> tags) const {
        test::FrameSpec s;
        std::copy(client_->mac().begin(), client_->mac().end(), s.src_mac.begin());
        s.vlans = std::move(tags);
        const IpAddr src = clientIp(), group = *IpAddr::parse("224.0.0.18"), ip = vip(v);
        std::copy(src.data(), src.data() + 4, s.saddr.begin());
        std::copy(group.data(), group.data() + 4, s.daddr.begin());
        std::array<uint8_t, 4> vip4{};
        std::copy(ip.data(), ip.data() + 4, vip4.begin());
        s.payload = test::vrrpV2(51, 200, {vip4}, static_cast<uint8_t>(v.advertInt));
        s.payload[4] = 1;  // auth type PASS (RFC 3768 section 5.3.6)
        std::memcpy(&s.payload[12], v.authPass.data(), std::min<size_t>(8, v.authPass.size()));
        test::setVrrpChecksum(s.payload, 4, s.saddr, s.daddr);
        return test::buildFrame(s);
    }

    int released() const {
        auto i = n1_->instance();
        return i ? (*i)["counters"].value("released_master", -1) : -1;
    }

    // Sends kSent tagged adverts: both nodes count them in drop_vlan and nothing moves.
    void expectRefused(const wire::Frame& f, const std::string& what) {
        const uint64_t d1 = stat(*n1_, "drop_vlan"), d2 = stat(*n2_, "drop_vlan");
        const int released1 = released();
        for (int i = 0; i < kSent; ++i) client_->send(f);
        EXPECT_TRUE(waitUntil(
            [&] {
                return stat(*n1_, "drop_vlan") >= d1 + kSent &&
                       stat(*n2_, "drop_vlan") >= d2 + kSent;
            },
            seconds(3), Ms(50)))
            << what << "\nn1 " << xvStats(*n1_).dump() << "\nn2 " << xvStats(*n2_).dump();
        const std::string n1Ip = lab_->v4("n1").str();
        EXPECT_TRUE(holdsFor(
            [&] {
                auto b = n2_->instance();
                return n1_->state() == "MASTER" && b && (*b)["state"] == "BACKUP" &&
                       (*b)["master"].is_object() && (*b)["master"]["address"] == n1Ip &&
                       (*b)["master"]["priority"] == 150;
            },
            seconds(2), Ms(50)))
            << what << ": n1 " << n1_->state() << ", n2 "
            << n2_->instance().value_or(nlohmann::json()).dump();
        EXPECT_EQ(released(), released1) << what;
        std::printf("[ %s ] drop_vlan n1 +%llu n2 +%llu; n1 %s\n", what.c_str(),
                    static_cast<unsigned long long>(stat(*n1_, "drop_vlan") - d1),
                    static_cast<unsigned long long>(stat(*n2_, "drop_vlan") - d2),
                    n1_->state().c_str());
    }

    // Control: the untagged advert outranks n1, which steps down.
    void expectControlMovesMaster(const Variant& v) {
        const int released1 = released();
        client_->send(advert(v, {}));
        EXPECT_TRUE(waitUntil([&] { return released() > released1; }, seconds(3)))
            << "control: an untagged advert at priority 200 did not make n1 step down; n1 "
            << n1_->instance().value_or(nlohmann::json()).dump();
    }
};

TEST_F(VlanTakeover, TagInTheFrameDoesNotMoveTheMaster) {
    const Variant v = makeVariant("v2_ipv4", 2, Family::V4, false);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    expectRefused(advert(v, {{test::kTpid8021Q, kVid}}), "802.1Q 200 in the frame");
    expectRefused(advert(v, {{test::kTpid8021AD, 10}, {test::kTpid8021Q, kVid}}), "QinQ 10/200");
    expectControlMovesMaster(v);
}

TEST_F(VlanTakeover, TagTheDriverMovedOutDoesNotMoveTheMaster) {
    const Variant v = makeVariant("v2_ipv4", 2, Family::V4, false);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    // Only the device-bound xv_rx sees such a tag: native XDP on veth must have it.
    for (auto* n : {n1_.get(), n2_.get()})
        ASSERT_NE(n->log().find("device-bound: sees driver VLAN tags"), std::string::npos)
            << n->name() << " did not attach the device-bound xv_rx:\n"
            << n->log();
    auto& client = lab_->node("client");
    client.runOk({"tc", "qdisc", "add", "dev", "eth0", "clsact"});
    client.runOk({"tc", "filter", "add", "dev", "eth0", "egress", "bpf", "direct-action", "obj",
                  XVT_VLAN_PUSH_OBJ, "sec", "tc"});
    expectRefused(advert(v, {}), "VLAN 200 in skb metadata");
    client.runOk({"tc", "qdisc", "del", "dev", "eth0", "clsact"});
    expectControlMovesMaster(v);
}

}  // namespace
}  // namespace xvrrp::itest
