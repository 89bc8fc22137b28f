// Interop with Debian's keepalived 2.2.7: VRRPv2, auth_type PASS, advert_int 1.
#include "interop/scenario.hpp"

namespace xvrrp::interop {
namespace {

const Scenario kScenario{.name = "v2_auth",
                         .version = 2,
                         .family = Family::V4,
                         .advertInt = "1",
                         .advert = Ms(1000),
                         .auth = true,
                         .unicast = false,
                         .vrid = 21};

[[maybe_unused]] const bool kRegistered = registerScenarioTests(kScenario, /*wrongPassword=*/true);

}  // namespace
}  // namespace xvrrp::interop
