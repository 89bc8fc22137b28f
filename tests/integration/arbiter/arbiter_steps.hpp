#pragma once
// Steps integration.arbiter_pair and integration.arbiter_fullstack share: read a file or an
// arbiter's status over its control socket, and cut/heal VRRP on a node with an
// nftables egress drop (the client network keeps working). The including target
// defines XVRRP_ARBITER_BIN.
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "lab/netns.hpp"
#include "xvrrpd_node.hpp"

namespace xvrrp::itest {

// A whole file (logs, keys); "" when it cannot be read.
inline std::string slurp(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

// `xvrrp-arbiter -s SOCK status --json`; a null json when it does not answer in 3 s.
inline nlohmann::json arbiterStatusAt(const std::string& sock) {
    auto r = lab::runIn("", {XVRRP_ARBITER_BIN, "-s", sock, "status", "--json"},
                        std::chrono::seconds(3));
    return r.ok() ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json();
}

// The rule (R1..R5) behind the first instance's decision; "" before there is one.
inline std::string arbiterRuleAt(const std::string& sock) {
    auto s = arbiterStatusAt(sock);
    if (!s.is_object() || s["instances"].empty()) return "";
    return s["instances"][0]["decision"].value("rule", "");
}

// Drops the node's outgoing VRRP on eth0. A netdev egress hook, not inet output: xvrrpd's
// group adverts leave through a packet socket, which the IP output hooks never see.
inline void cutVrrp(XvrrpdNode& n) {
    n.ns().runOk({"nft", "add", "table", "netdev", "xvtarb"});
    n.ns().runOk({"nft", "add", "chain", "netdev", "xvtarb", "out",
                  "{ type filter hook egress device eth0 priority 0 ; }"});
    n.ns().runOk({"nft", "add", "rule", "netdev", "xvtarb", "out", "ip", "protocol", "vrrp", "drop"});
}

inline void healVrrp(XvrrpdNode& n) { n.ns().runOk({"nft", "delete", "table", "netdev", "xvtarb"}); }

}  // namespace xvrrp::itest
