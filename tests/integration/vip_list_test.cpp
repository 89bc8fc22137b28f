// Issue 9 item 3: an xvrrpd pair whose instance has more VIPs than one advert holds.
// Before, 300 IPv4 VIPs wrapped the count byte and 100 IPv6 VIPs made an advert of 1608
// bytes: the backup's XDP dropped them as too_long and both nodes were MASTER. Now the
// master advertises what keepalived would (the first 255 IPv4 / 89 IPv6 at MTU 1500) and
// holds every VIP; the backup hears it and holds none.
#include "ownership_fixture.hpp"

namespace xvrrp::itest {
namespace {

struct ManyVips {
    std::string name;
    Variant variant;
    int vips = 0;        // configured, the lab VIP first
    size_t advertised;   // what one advert carries at MTU 1500
};

void PrintTo(const ManyVips& m, std::ostream* os) { *os << m.name; }

std::string extraVip(Family f, int k) {
    if (f == Family::V4) return "10.79." + std::to_string(k / 250) + "." + std::to_string(k % 250 + 1);
    std::ostringstream o;
    o << "fd00:79::" << std::hex << k;
    return o.str();
}

class VipList : public OwnershipFixture, public ::testing::WithParamInterface<ManyVips> {
  protected:
    VipList() : OwnershipFixture("vpl") {}

    std::string config(const std::string& node, int priority) const {
        const ManyVips& p = GetParam();
        std::string text = renderConfig(node, spec(node, priority, p.variant));
        std::string more;
        for (int k = 1; k < p.vips; ++k)
            more += "    " + extraVip(p.variant.family, k) + (p.variant.family == Family::V4 ? "/32\n" : "/128\n");
        text.insert(text.find(" dev eth0\n") + 10, more);
        return text;
    }
};

TEST_P(VipList, OneMasterWhateverTheListsLength) {
    const ManyVips& p = GetParam();
    const IpAddr last = *IpAddr::parse(extraVip(p.variant.family, p.vips - 1));
    n1_->start(config("n1", 150));
    n2_->start(config("n2", 100));
    const auto limit = electionLimit(p.variant, 150);
    ASSERT_TRUE(waitState(*n1_, "MASTER", limit)) << "n1 is " << n1_->state();
    ASSERT_TRUE(waitState(*n2_, "BACKUP", limit)) << "n2 is " << n2_->state();
    ASSERT_TRUE(waitUntil([&] { return n1_->holds(last); }, seconds(5)))
        << "the master does not hold the VIPs past what an advert carries";

    // Several Master_Down_Intervals: n2 must stay BACKUP and hold none of the VIPs.
    const auto window = seconds(4 * masterDownInterval(100, p.variant.advertInt));
    EXPECT_TRUE(holdsFor([&] { return n2_->state() == "BACKUP" && !n2_->holds(last); }, window, Ms(100)))
        << "n2 is " << n2_->state();
    EXPECT_EQ(n1_->state(), "MASTER");
    auto st = n2_->instance();
    ASSERT_TRUE(st);
    EXPECT_GT((*st)["counters"].value("adverts_rx", 0), 0) << st->dump();
    EXPECT_EQ((*st)["counters"].value("adverts_rejected", -1), 0) << st->dump();
    EXPECT_EQ((*st)["vips"].size(), size_t(p.vips)) << "status lists every VIP";
    const auto xdp = xvStats(*n2_);
    for (const char* k : {"too_long", "drop_length", "drop_csum"})
        EXPECT_EQ(xdp.value(k, uint64_t{1}), 0u) << k << ": " << xdp.dump();

    // The backup takes everything over when the master stops.
    n1_->signal(SIGTERM);
    ASSERT_TRUE(waitState(*n2_, "MASTER", seconds(5))) << "n2 is " << n2_->state();
    EXPECT_TRUE(waitUntil([&] { return n2_->holds(last); }, seconds(5)));
    std::printf("[ %s ] %d VIPs, %zu advertised: one master, no advert dropped\n", p.name.c_str(),
                p.vips, p.advertised);
}

INSTANTIATE_TEST_SUITE_P(
    Lists, VipList,
    ::testing::Values(ManyVips{"v2_ipv4_300", makeVariant("v2_ipv4", 2, Family::V4, false), 300, 255},
                      ManyVips{"v3_ipv4_300", makeVariant("v3_ipv4", 3, Family::V4, false), 300, 255},
                      ManyVips{"v3_ipv6_100", makeVariant("v3_ipv6", 3, Family::V6, false), 100, 89},
                      ManyVips{"v3_ipv6_32", makeVariant("v3_ipv6", 3, Family::V6, false), 32, 32}),
    [](const auto& i) { return i.param.name; });

}  // namespace
}  // namespace xvrrp::itest
