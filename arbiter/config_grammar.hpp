#pragma once
// The helpers of arbiter.conf's grammar (config.cpp), shared with the witness block
// (witness_config.cpp). Internal to the arbiter's configuration.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "config/lexer.hpp"

namespace xvrrp::arbiter::detail {

struct Ctx {
    ArbiterConfig& cfg;
    config::Diagnostics& diags;
};

using Handler = std::function<void(const config::Node&)>;

// Each reports a diagnostic at the offending token and returns false / nullopt.
bool args(const config::Node& n, size_t lo, size_t hi, Ctx& c, std::string_view usage);
bool noBlock(const config::Node& n, Ctx& c);
std::optional<int64_t> integer(const config::Token& t, int64_t lo, int64_t hi, Ctx& c,
                               std::string_view what);
// Decimal seconds ("0.5", "2") to milliseconds.
std::optional<uint32_t> seconds(const config::Token& t, uint32_t lo_ms, uint32_t hi_ms, Ctx& c,
                                std::string_view what);
std::optional<bool> boolArg(const config::Node& n, Ctx& c);
// Unknown keywords are errors, with "did you mean".
void dispatch(const std::vector<config::Node>& nodes, std::string_view block,
              const std::map<std::string_view, Handler>& table, Ctx& c);

// witness_config.cpp: `witness etcd { ... }`.
void parseWitness(const config::Node& block, Ctx& c);
// Checks that need the whole file (the lease against the arbiter's timing).
void checkWitness(Ctx& c);

}  // namespace xvrrp::arbiter::detail
