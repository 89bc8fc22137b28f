// Interop with Debian's keepalived 2.2.7: VRRPv3 IPv6 (VIP fd00:77::100) at advert_int 0.1.
#include "interop/scenario.hpp"

namespace xvrrp::interop {
namespace {

const Scenario kScenario{.name = "v3_ipv6",
                         .version = 3,
                         .family = Family::V6,
                         .advertInt = "0.1",
                         .advert = Ms(100),
                         .auth = false,
                         .unicast = false,
                         .vrid = 41};

[[maybe_unused]] const bool kRegistered = registerScenarioTests(kScenario);

}  // namespace
}  // namespace xvrrp::interop
