// Issue 9 item 8: "the ND-target check is skipped after more than 4 IPv6 extension
// headers, so an NS for a fenced VIP passes". n2, the backup, holds the VIP as an address
// it must not answer for (added by hand, verdict drop_all). The client sends neighbour
// solicitations for the VIP to its solicited-node group: behind four destination options
// headers (XV_MAX_EXTHDR, the target is checked) and behind five (past the walk). Before
// the fix n2's kernel answered the second with an NA, claiming the VIP. The control: n1,
// the master, answers the first.
#include <cstdio>
#include <cstring>

#include "ownership_fixture.hpp"
#include "support/packet_builder.hpp"

namespace xvrrp::itest {
namespace {

constexpr uint8_t kIcmp6 = 58, kNs = 135, kNa = 136, kDstOpts = 60;

class OwnershipNd : public OwnershipFixture {
  protected:
    OwnershipNd() : OwnershipFixture("nd") {}

    // RFC 4861 4.3: an NS for TARGET from the client to its solicited-node group, hop
    // limit 255, with its link-layer address, behind DSTOPTS destination options headers.
    wire::Frame solicit(const IpAddr& target, size_t dstopts) const {
        test::FrameSpec s;
        s.family = 6;
        s.ttl = 255;
        std::copy(client_->mac().begin(), client_->mac().end(), s.src_mac.begin());
        const uint8_t* t = target.data();
        s.dst_mac = {0x33, 0x33, 0xff, t[13], t[14], t[15]};
        const IpAddr src = lab_->v6("client");
        std::copy(src.data(), src.data() + 16, s.saddr.begin());
        s.daddr = test::v6(
            {0xff02, 0, 0, 0, 0, 1, uint16_t(0xff00 | t[13]), uint16_t(t[14] << 8 | t[15])});
        s.proto = kIcmp6;
        s.ext = std::vector<test::Ext6>(dstopts, test::Ext6{kDstOpts});
        test::Bytes icmp = test::ndBody(kNs, test::v6({}));
        std::copy(t, t + 16, icmp.begin() + 8);
        icmp.insert(icmp.end(), {1, 1});  // source link-layer address option
        icmp.insert(icmp.end(), client_->mac().begin(), client_->mac().end());
        // ICMPv6 checksum over the RFC 8200 8.1 pseudo-header.
        test::Bytes ph(s.saddr.begin(), s.saddr.end());
        ph.insert(ph.end(), s.daddr.begin(), s.daddr.end());
        ph.insert(ph.end(), {0, 0, 0, static_cast<uint8_t>(icmp.size()), 0, 0, 0, kIcmp6});
        ph.insert(ph.end(), icmp.begin(), icmp.end());
        const uint16_t c = test::inetChecksum(ph.data(), ph.size());
        icmp[2] = c >> 8;
        icmp[3] = c & 0xff;
        s.payload = icmp;
        return test::buildFrame(s);
    }

    // The MACs that sent an NA for TARGET within WINDOW of sending FRAME three times.
    std::set<wire::Mac> advertisers(const wire::Frame& frame, const IpAddr& target,
                                    Clock::duration window) {
        std::set<wire::Mac> who;
        client_->drain();
        for (int i = 0; i < 3; ++i) client_->send(frame);
        client_->receive(
            [&](const wire::Frame& f) {
                // Ethernet, IPv6 without extension headers, ICMPv6 NA (RFC 4861 4.4).
                if (f.size() < 14 + 40 + 24 || f[12] != 0x86 || f[13] != 0xdd) return false;
                if (f[14 + 6] != kIcmp6 || f[14 + 40] != kNa) return false;
                if (std::memcmp(&f[14 + 40 + 8], target.data(), 16) != 0) return false;
                wire::Mac m;
                std::copy(f.begin() + 6, f.begin() + 12, m.begin());
                who.insert(m);
                return false;
            },
            window);
        return who;
    }
};

TEST_F(OwnershipNd, NsPastTheExtensionHeaderWalkDoesNotReachANonOwner) {
    const Variant v = makeVariant("v3_ipv6", 3, Family::V6, false);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    const IpAddr ip = vip(v);
    n2_->ns().runOk({"ip", "-6", "addr", "add", ip.str() + "/64", "dev", "eth0", "nodad"});
    const uint64_t deep2 = stat(*n2_, "ext_too_deep");

    const auto atBound = advertisers(solicit(ip, 4), ip, seconds(1));
    EXPECT_TRUE(atBound.count(mac1_)) << "control: the master did not answer an NS behind four "
                                         "destination options headers";
    EXPECT_FALSE(atBound.count(mac2_)) << "n2 answered an NS for a VIP it does not own";

    const auto past = advertisers(solicit(ip, 5), ip, seconds(1));
    EXPECT_FALSE(past.count(mac2_)) << "n2 (backup, drop_all) answered an NS for the VIP behind "
                                       "five destination options headers";
    EXPECT_GE(stat(*n2_, "ext_too_deep"), deep2 + 3) << xvStats(*n2_).dump();
    std::printf("[ nd ] four headers: %zu answer(s), five: %zu; n2 ext_too_deep +%llu\n",
                atBound.size(), past.size(),
                static_cast<unsigned long long>(stat(*n2_, "ext_too_deep") - deep2));
}

}  // namespace
}  // namespace xvrrp::itest
