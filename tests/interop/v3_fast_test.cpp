// Interop with Debian's keepalived 2.2.7: VRRPv3 IPv4 multicast at advert_int 0.01.
#include "interop/scenario.hpp"

namespace xvrrp::interop {
namespace {

const Scenario kScenario{.name = "v3_fast",
                         .version = 3,
                         .family = Family::V4,
                         .advertInt = "0.01",
                         .advert = Ms(10),
                         .auth = false,
                         .unicast = false,
                         .vrid = 31};

[[maybe_unused]] const bool kRegistered = registerScenarioTests(kScenario);

}  // namespace
}  // namespace xvrrp::interop
