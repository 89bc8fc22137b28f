// Interop with Debian's keepalived 2.2.7: VRRPv3 IPv4 unicast with old_unicast_checksum
// in both configs (pseudo-header destination 224.0.0.18, keepalived <= 1.3.6 style).
#include "interop/scenario.hpp"

namespace xvrrp::interop {
namespace {

const Scenario kScenario{.name = "v3_unicast_old",
                         .version = 3,
                         .family = Family::V4,
                         .advertInt = "0.1",
                         .advert = Ms(100),
                         .auth = false,
                         .unicast = true,
                         .vrid = 52,
                         .extra = "old_unicast_checksum"};

[[maybe_unused]] const bool kRegistered = registerScenarioTests(kScenario);

}  // namespace
}  // namespace xvrrp::interop
