#pragma once
// Helpers for config tests: load text without filesystem checks, find diagnostics.

#include <gtest/gtest.h>

#include <string>

#include "config/parser.hpp"

namespace xvrrp::config::test {

// No filesystem checks, every interface at MTU 1500, 4 CPUs: results do not depend on the host.
inline LoadOptions testOptions() {
    LoadOptions o;
    o.interface_mtu = [](const std::string&) { return std::optional<uint32_t>(1500); };
    o.cpu_count = [] { return 4u; };
    return o;
}

inline LoadResult load(std::string_view text, const std::string& name = "t.conf") {
    return loadConfigText(text, name, testOptions());
}

inline std::string dump(const LoadResult& r) {
    std::string s;
    for (const auto& d : r.diagnostics) s += "  " + d.str() + "\n";
    return s.empty() ? "  (no diagnostics)\n" : s;
}

inline size_t count(const LoadResult& r, Severity s) {
    size_t n = 0;
    for (const auto& d : r.diagnostics) n += d.severity == s;
    return n;
}

// A diagnostic of this severity at LINE:COL whose message contains `text`.
inline ::testing::AssertionResult has(const LoadResult& r, Severity s, int line, int col, const std::string& text) {
    for (const auto& d : r.diagnostics)
        if (d.severity == s && d.where.line == line && d.where.column == col &&
            d.message.find(text) != std::string::npos)
            return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no " << severityName(s) << " at " << line << ":" << col
                                         << " containing \"" << text << "\"; got:\n"
                                         << dump(r);
}

// Minimal valid instance body pieces.
constexpr const char* kInstance = R"(vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        10.0.0.1/24
    }
}
)";

}  // namespace xvrrp::config::test
