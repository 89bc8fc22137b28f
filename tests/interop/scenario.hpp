#pragma once
// The interop script every scenario runs, once with xvrrpd as the higher
// priority node and once with keepalived there. Uses gtest assertions.
#include <source_location>

#include "interop/harness.hpp"

namespace xvrrp::interop {

inline constexpr int kHighPriority = 150;
inline constexpr int kLowPriority = 100;

// Converge, single master sampled for a while, cut the master's link
// (backup takes over, client reaches the VIP), restore (single master again),
// SIGTERM the master (backup takes over near Skew_Time), restart it (single
// master again). Then: no complaint in keepalived's log, no rejected advert
// in xvrrpd's counters. Measured figures go to stdout and RecordProperty.
void runScenario(const Scenario& s, Kind master);

// Negative control: keepalived gets another auth_pass. A dual master, a
// keepalived complaint and xvrrpd's rejected adverts must all be seen, or the
// checks above could not fail.
void runWrongPasswordControl(const Scenario& s);

// Fails the test when the machine lacks something the suite needs.
void requireEnvironment();

// Registers Interop.XvrrpdMasterKeepalivedBackup and Interop.KeepalivedMasterXvrrpdBackup
// for S (runScenario with each daemon as master), and with wrongPassword also
// Interop.WrongPasswordIsDetected (runWrongPasswordControl); each test first runs
// requireEnvironment(). Call from a namespace-scope initializer, before gtest_main
// runs: `[[maybe_unused]] const bool kRegistered = registerScenarioTests(kScenario);`.
bool registerScenarioTests(const Scenario& s, bool wrongPassword = false,
                           std::source_location where = std::source_location::current());

}  // namespace xvrrp::interop
