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

struct LoadOptions {
    // Check that vrrp_script and notify programs exist and are executable (and, with
    // enable_script_security, not writable by non-root). Unit tests turn this off.
    bool check_scripts = true;
    // An interface's MTU, for the VIPs one advert carries (nullopt: no such interface;
    // kDefaultMtu is assumed). Unit tests give a fixed one.
    std::function<std::optional<uint32_t>(const std::string&)> interface_mtu = systemInterfaceMtu;
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
    bool ok() const;  // no errors (warnings and notices are fine)
};

LoadResult loadConfigFile(const std::string& path, const LoadOptions& options = {});
LoadResult loadConfigText(std::string_view text, const std::string& name = "<text>",
                          const LoadOptions& options = {});

// `xvrrpd -t`: prints every diagnostic and a summary line; 0 when usable, 1 otherwise.
// With `dump` (-t -d), the configuration after expansion goes there first.
int checkConfig(const std::string& path, std::ostream& out, const LoadOptions& options = {},
                std::ostream* dump = nullptr);

}  // namespace xvrrp::config
