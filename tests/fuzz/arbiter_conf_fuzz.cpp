// arbiter.conf on arbitrary bytes (arbiter/config.cpp over config::Lexer). Whatever the file
// holds, loading returns diagnostics or a config, and every name a usable config carries into
// the audit log and status JSON dumps as valid UTF-8. `include` is left to the keepalived.conf
// target: here it would read the fuzzing machine's files.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config.hpp"

using namespace xvrrp::arbiter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (text.find("clude") != std::string_view::npos) return 0;
    ArbiterLoad r = loadArbiterText(text, "/nonexistent-xvrrp-fuzz/arbiter.conf");
    for (const auto& d : r.diagnostics) (void)d.str();
    if (!r.ok()) return 0;
    const auto& c = r.config;
    nlohmann::json j = {{"node", c.node_name}, {"instances", c.instances}};
    for (const auto& p : c.peers) {
        j["peers"].push_back({{"name", p.name}, {"address", p.address.str()}});
        if (p.has_ssh && (p.ssh.user.empty() || p.ssh.known_hosts.empty())) std::abort();
    }
    for (const auto& g : c.gateways) j["gateways"].push_back(g.str());
    (void)j.dump();  // throws (and so aborts) on a name that is not UTF-8
    if (!c.gateways.empty() && (c.quorum < 1 || c.quorum > static_cast<int>(c.gateways.size())))
        std::abort();
    if (c.ping_timeout_ms >= c.probe_interval_ms) std::abort();
    return 0;
}
