// Interop with Debian's keepalived 2.2.7 (issue 9 item 3): VRRPv3 with 100 IPv6 VIPs.
// keepalived advertises the first 89 (MTU 1500: 1432 bytes) and holds the other 11;
// xvrrpd must do the same. Before, xvrrpd sent all 100 (1608 bytes), which keepalived
// rejects, and its XDP dropped adverts of more than 31 addresses as too_long.
#include "interop/scenario.hpp"

namespace xvrrp::interop {
namespace {

const Scenario kScenario{.name = "v3_ipv6_many_vips",
                         .version = 3,
                         .family = Family::V6,
                         .advertInt = "0.5",
                         .advert = Ms(500),
                         .auth = false,
                         .unicast = false,
                         .vrid = 43,
                         .moreVips = 99,
                         .advertLength = 8 + 89 * 16};

[[maybe_unused]] const bool kRegistered = registerScenarioTests(kScenario);

}  // namespace
}  // namespace xvrrp::interop
