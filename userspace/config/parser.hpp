#pragma once
// keepalived.conf (2.2.7 grammar) -> Config, with FILE:LINE:COL diagnostics.

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostic.hpp"

namespace xvrrp::config {

struct LoadOptions {
    // Check that vrrp_script and notify programs exist and are executable (and, with
    // enable_script_security, not writable by non-root). Unit tests turn this off.
    bool check_scripts = true;
};

struct LoadResult {
    Config config;
    std::vector<Diagnostic> diagnostics;
    bool ok() const;  // no errors (warnings and notices are fine)
};

LoadResult loadConfigFile(const std::string& path, const LoadOptions& options = {});
LoadResult loadConfigText(std::string_view text, const std::string& name = "<text>",
                          const LoadOptions& options = {});

// `xvrrpd -t`: prints every diagnostic and a summary line; 0 when usable, 1 otherwise.
int checkConfig(const std::string& path, std::ostream& out);

}  // namespace xvrrp::config
