// Issue 5: use_vmac. Hosts learn the VRRP virtual MAC (RFC 5798 section 7.3) and keep it
// across a failover; the macvlan goes away with the daemon.
#include <csignal>

#include "ownership_wire.hpp"
#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

using wire::Mac;
using wire::macOf;
using wire::neighbourMac;

std::string vmacConfig(const std::string& router, int priority) {
    return "global_defs {\n  router_id " + router +
           "\n}\nvrrp_instance VI_1 {\n  interface eth0\n  use_vmac\n"
           "  virtual_router_id 51\n  priority " + std::to_string(priority) +
           "\n  version 3\n  advert_int 0.1\n  virtual_ipaddress {\n    10.77.0.100/24\n  }\n}\n";
}

bool hasMacvlan(lab::Netns& ns) {
    auto r = ns.run({"ip", "-o", "link", "show", "type", "macvlan"});
    return r.out.find("vrrp.51@eth0") != std::string::npos;
}

class Vmac : public PairFixture {
  protected:
    Vmac() : PairFixture("vmac") {}
};

TEST_F(Vmac, ClientsLearnTheVirtualMacAndKeepItAcrossFailover) {
    const IpAddr vip = *IpAddr::parse("10.77.0.100");
    const Mac virtual_mac{0x00, 0x00, 0x5e, 0x00, 0x01, 51};  // 00-00-5E-00-01-{VRID}
    n1_->start(vmacConfig("n1", 150));
    n2_->start(vmacConfig("n2", 100));
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(10000))) << n1_->state();
    ASSERT_TRUE(waitState(*n2_, "BACKUP", Ms(5000))) << n2_->state();
    EXPECT_TRUE(hasMacvlan(n1_->ns()));
    EXPECT_EQ(macOf(n1_->ns(), "vrrp.51"), virtual_mac);
    ASSERT_TRUE(clientReaches(vip, Ms(5000)));
    EXPECT_EQ(neighbourMac(lab_->node("client"), vip), virtual_mac);

    lab_->cutLink("n1");
    ASSERT_TRUE(waitState(*n2_, "MASTER", Ms(5000))) << n2_->state();
    ASSERT_TRUE(clientReaches(vip, Ms(5000)));
    // Same MAC from the new master: the client's entry never had to change.
    EXPECT_EQ(neighbourMac(lab_->node("client"), vip), virtual_mac);
    EXPECT_TRUE(lab::hasAddress(n2_->ns(), "vrrp.51", vip));  // on the VMAC, not eth0

    n1_->signal(SIGTERM);
    ASSERT_TRUE(n1_->waitExit(Ms(10000)).has_value());
    EXPECT_FALSE(hasMacvlan(n1_->ns())) << "the VMAC outlived the daemon";
}

}  // namespace
}  // namespace xvrrp::itest
