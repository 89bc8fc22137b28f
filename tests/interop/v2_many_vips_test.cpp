// Interop with Debian's keepalived 2.2.7 (issue 9 item 3): VRRPv2 PASS with 300 IPv4 VIPs,
// more than one advert holds. keepalived advertises the first 255 (1036 bytes) and holds
// the other 45; xvrrpd must send the same list and take keepalived's, or both are master.
// Before, xvrrpd wrapped the count to 44 and its XDP dropped keepalived's 1036 bytes.
#include "interop/scenario.hpp"

namespace xvrrp::interop {
namespace {

const Scenario kScenario{.name = "v2_many_vips",
                         .version = 2,
                         .family = Family::V4,
                         .advertInt = "1",
                         .advert = Ms(1000),
                         .auth = true,
                         .unicast = false,
                         .vrid = 23,
                         .moreVips = 299,
                         .advertLength = 8 + 255 * 4 + 8};

[[maybe_unused]] const bool kRegistered = registerScenarioTests(kScenario);

}  // namespace
}  // namespace xvrrp::interop
