// AdvertBatch on a veth pair of our own (needs root): instances on one interface and
// source share a socket, a flush sends every queued advert in order, a refused advert is
// counted on the instance that queued it, and an advert queued by an instance that is
// gone (a reload removed it) still leaves.
#include <gtest/gtest.h>

#include <array>

#include "daemon/advert_batch.hpp"
#include "net/netlink.hpp"
#include "net/vrrp_socket.hpp"
#include "../net/test_net.hpp"

namespace xvrrp::daemon {
namespace {

using net::test::Fd;
using net::test::ip;
using net::test::vip;
using net::test::VethPair;
using Frame = std::vector<uint8_t>;

// A VRRPv3 advert for vrid; the batch does not look inside.
std::array<uint8_t, 12> advert(uint8_t vrid) { return {0x31, vrid, 100, 1, 0x00, 0x64, 0, 0, 10, 9, 0, vrid}; }

// VRIDs of the next n VRRP frames seen on fd, in arrival order.
std::vector<uint8_t> vridsSeen(int fd, size_t n) {
    std::vector<uint8_t> out;
    while (out.size() < n) {
        auto f = net::test::waitFrame(fd, [](const Frame& f) {
            return f.size() >= 34 + 12 && f[12] == 0x08 && f[13] == 0x00 && f[23] == net::kIpProtoVrrp;
        });
        if (!f) break;
        out.push_back((*f)[14 + ((*f)[14] & 0x0f) * 4 + 1]);
    }
    return out;
}

class AdvertBatchTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!net::test::isRoot()) GTEST_SKIP() << "needs root to create network namespaces";
        pair_.emplace();
    }
    std::optional<VethPair> pair_;
};

TEST_F(AdvertBatchTest, SharesSocketsFlushesInOrderAndCountsErrorsPerInstance) {
    Fd capB{net::test::packetSocketIn(pair_->b, pair_->ifindex_b)};
    pair_->inA([&] {
        auto nl = net::Netlink::open();
        const int ifx = pair_->ifindex_a;
        nl->addAddress(ifx, vip("10.9.0.1/24"));
        nl->addAddress(ifx, vip("10.9.0.5/24"));
        ASSERT_TRUE(net::test::waitFor([&] { return nl->linkByIndex(ifx)->running(); }));
        const IpAddr group = ip("224.0.0.18");
        AdvertBatch batch;
        auto a = batch.transport("VI_A", Family::V4, ifx, VethPair::kNameA, ip("10.9.0.1"), &group);
        auto b = batch.transport("VI_B", Family::V4, ifx, VethPair::kNameA, ip("10.9.0.1"), &group);
        EXPECT_EQ(batch.sockets(), 1u) << "same interface and source: one socket";
        auto c = batch.transport("VI_C", Family::V4, ifx, VethPair::kNameA, ip("10.9.0.5"), nullptr);
        EXPECT_EQ(batch.sockets(), 2u);

        const auto a1 = advert(1), b2 = advert(2), c3 = advert(3), a4 = advert(4);
        const Frame huge(70000, 0);  // more than IPv4 can carry: refused by the kernel
        a->send(a1, group);
        b->send(b2, group);
        b->send(huge, ip("10.9.0.2"));
        c->send(c3, group);
        a->send(a4, group);
        EXPECT_TRUE(batch.pending());
        // VI_C goes away before the flush, as an instance a reload removes: its advert
        // (the priority 0 one in real life) still leaves, and its socket closes after.
        c.reset();
        batch.flush();
        EXPECT_FALSE(batch.pending());
        EXPECT_EQ(a->errors(), 0u);
        EXPECT_EQ(b->errors(), 1u);
        EXPECT_EQ(batch.sockets(), 1u);

        auto seen = vridsSeen(capB.fd, 4);
        ASSERT_EQ(seen.size(), 4u);
        // One socket's adverts keep the order they were queued in.
        std::vector<uint8_t> shared;
        for (auto v : seen)
            if (v != 3) shared.push_back(v);
        EXPECT_EQ(shared, (std::vector<uint8_t>{1, 2, 4}));
        EXPECT_NE(std::find(seen.begin(), seen.end(), 3), seen.end());
    });
}

}  // namespace
}  // namespace xvrrp::daemon
