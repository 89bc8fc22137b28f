// Interop with Debian's keepalived 2.2.7: VRRPv2, auth_type PASS, advert_int 1.
#include <gtest/gtest.h>

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

class Interop : public ::testing::Test {
  protected:
    void SetUp() override { requireEnvironment(); }
};

TEST_F(Interop, XvrrpdMasterKeepalivedBackup) { runScenario(kScenario, Kind::Xvrrpd); }

TEST_F(Interop, KeepalivedMasterXvrrpdBackup) { runScenario(kScenario, Kind::Keepalived); }

TEST_F(Interop, WrongPasswordIsDetected) { runWrongPasswordControl(kScenario); }

}  // namespace
}  // namespace xvrrp::interop
