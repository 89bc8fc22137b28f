// Interop with Debian's keepalived 2.2.7: VRRPv3 IPv4 unicast (unicast_src_ip/unicast_peer) at advert_int 0.1.
#include "interop/scenario.hpp"

namespace xvrrp::interop {
namespace {

const Scenario kScenario{.name = "v3_unicast",
                         .version = 3,
                         .family = Family::V4,
                         .advertInt = "0.1",
                         .advert = Ms(100),
                         .auth = false,
                         .unicast = true,
                         .vrid = 51};

[[maybe_unused]] const bool kRegistered = registerScenarioTests(kScenario);

}  // namespace
}  // namespace xvrrp::interop
