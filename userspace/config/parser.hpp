#pragma once
// keepalived.conf (2.2.7 grammar) -> Config, with FILE:LINE:COL diagnostics.

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/capacity.hpp"
#include "config/config.hpp"
#include "config/diagnostic.hpp"

namespace xvrrp::config {

// get_nprocs_conf(): the CPU ids keepalived accepts in vrrp_cpu_affinity are 0..N-1.
unsigned systemCpuCount();

// What keepalived decides about one script line before it runs it: whether it runs at all,
// whether it is a program it execs (those make its SECURITY VIOLATION summary without
// enable_script_security), and its own words for what it found.
struct ScriptVerdict {
    bool runs = true;
    bool exec = false;
    bool insecure = false;
    std::vector<std::string> messages;
};
// `what` names the script for keepalived's messages ("vrrp script chk", "notify_master").
using ScriptChecker = std::function<ScriptVerdict(const std::string& line, const std::string& user,
                                                  const std::string& group, const Global& global,
                                                  const std::string& what)>;

enum class InterfaceFound { Missing, Present, Loopback };
// SIOCGIFFLAGS in this network namespace.
InterfaceFound systemInterface(const std::string& name);

// A policy rule as the daemon reads it (net::parseRule): why it is refused and at which
// word, else its family and whether it names a preference.
struct RuleVerdict {
    std::optional<std::string> error;
    size_t word = 0;
    bool v6 = false;
    bool has_preference = false;
};
using RuleChecker = std::function<RuleVerdict(const std::vector<std::string>& words)>;

struct LoadOptions {
    // Judges vrrp_script and notify lines as keepalived does (the daemon passes
    // track::judgeScript); unset: no script is looked at (unit tests of other parts).
    ScriptChecker check_script;
    // An interface's MTU, for the VIPs one advert carries (nullopt: no such interface;
    // kDefaultMtu is assumed). Unit tests give a fixed one.
    std::function<std::optional<uint32_t>(const std::string&)> interface_mtu = systemInterfaceMtu;
    // Whether interface `name` exists here; unset: interfaces are not looked for (unit tests
    // of other parts). The daemon asks the kernel (systemInterface).
    std::function<InterfaceFound(const std::string&)> find_interface;
    // Reads static_rules and virtual_rules as the daemon will; unset: rules are kept as
    // written and given no preference (unit tests of other parts).
    RuleChecker check_rule;
    // CPUs the host has (vrrp_cpu_affinity takes ids below it). Unit tests give a fixed one.
    std::function<unsigned()> cpu_count = systemCpuCount;
    // -i/--config-id: which `@id` lines are read (empty: the node name up to its first '.').
    std::string config_id;
    // -e/--all-config: every include problem is an error.
    bool all_include_checks = false;
    // Seeds ${_RANDOM} (tests); nullopt: a new seed each load, as keepalived.
    std::optional<uint32_t> random_seed;
    // Fill LoadResult::expanded (`xvrrpd -t -d`).
    bool dump = false;
};

struct LoadResult {
    Config config;
    std::vector<Diagnostic> diagnostics;
    std::string expanded;  // with LoadOptions::dump: the statements after expansion
    // False when some line of `expanded` cannot read back the same (lexer.hpp dumpStatements).
    bool expanded_exact = true;
    bool ok() const;  // no errors (warnings and notices are fine)
};

LoadResult loadConfigFile(const std::string& path, const LoadOptions& options = {});
LoadResult loadConfigText(std::string_view text, const std::string& name = "<text>",
                          const LoadOptions& options = {});

// keepalived -t's exit status for a file it reports problems in and would still run
// (KEEPALIVED_EXIT_CONFIG_TEST).
inline constexpr int kExitKeepalivedWarnings = 5;

// `xvrrpd -t`: prints every diagnostic and a summary line; 1 when not usable (errors),
// kExitKeepalivedWarnings when usable but with warnings keepalived -t reports too (so both
// give the same verdict), 0 otherwise.
// With `dump` (-t -d), the configuration after expansion goes there first.
int checkConfig(const std::string& path, std::ostream& out, const LoadOptions& options = {},
                std::ostream* dump = nullptr);

}  // namespace xvrrp::config
