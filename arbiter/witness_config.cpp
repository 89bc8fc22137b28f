// arbiter.conf's `witness etcd { ... }` block (issue 15; docs/arbiter.md, Witness).
#include <algorithm>

#include "common/printable.hpp"
#include "config_grammar.hpp"

namespace xvrrp::arbiter {

using config::Node;
using config::Token;

uint32_t witnessYieldLeadMs(const ArbiterConfig& cfg) {
    uint32_t round = std::max(cfg.probe_interval_ms, cfg.ssh_timeout_ms);
    uint32_t margin = 0;
    if (cfg.witness) {
        // A round waits for the witness: a read, a lease request, the ownership requests.
        round = std::max(round, 3 * cfg.witness->timeout_ms);
        margin = cfg.witness->clock_margin_ms;
    }
    return static_cast<uint32_t>(cfg.fence_rounds + 1) * round + margin;
}

namespace detail {
namespace {

bool hostChar(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '-';
}

// http(s)://HOST:PORT, HOST a name, an IPv4 address or [IPv6]; nothing after the port but
// an optional '/'. Returns the endpoint without the slash, or an explanation.
std::optional<std::string> endpoint(std::string_view u, std::string& why) {
    std::string_view rest = u;
    if (rest.starts_with("https://"))
        rest.remove_prefix(8);
    else if (rest.starts_with("http://"))
        rest.remove_prefix(7);
    else
        return why = "expected http://HOST:PORT or https://HOST:PORT", std::nullopt;
    if (rest.ends_with('/')) rest.remove_suffix(1);
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == rest.size())
        return why = "the port is missing (etcd's client port is usually 2379)", std::nullopt;
    std::string_view host = rest.substr(0, colon), port = rest.substr(colon + 1);
    bool v6 = host.size() > 2 && host.front() == '[' && host.back() == ']' &&
              IpAddr::parse(std::string(host.substr(1, host.size() - 2))).has_value();
    if (!v6 && (host.empty() || !std::all_of(host.begin(), host.end(), hostChar)))
        return why = "the host must be a name, an IPv4 address or [IPv6]", std::nullopt;
    int p = 0;
    for (char ch : port) {
        if (ch < '0' || ch > '9' || p > 65535) return why = "bad port", std::nullopt;
        p = p * 10 + (ch - '0');
    }
    if (p < 1 || p > 65535) return why = "the port must be 1..65535", std::nullopt;
    return std::string(u.substr(0, u.size() - (u.ends_with('/') ? 1 : 0)));
}

Handler absolutePath(std::string& out, Ctx& c) {
    return [&out, &c](const Node& n) {
        if (!noBlock(n, c) || !args(n, 1, 1, c, "one absolute path")) return;
        if (n.args[0].text.starts_with('/'))
            out = n.args[0].text;
        else
            c.diags.error(n.args[0].where, "'" + n.key.text + "' expects an absolute path, got '" +
                                               printable(n.args[0].text) + "'");
    };
}

void parseTls(const Node& block, WitnessConfig& w, Ctx& c) {
    w.tls = true;
    std::map<std::string_view, Handler> t{{"ca_file", absolutePath(w.ca_file, c)},
                                          {"cert_file", absolutePath(w.cert_file, c)},
                                          {"key_file", absolutePath(w.key_file, c)}};
    dispatch(block.children, "tls", t, c);
    if (w.ca_file.empty())
        c.diags.error(block.key.where, "tls: 'ca_file' is required (the etcd members' CA)");
    if (w.cert_file.empty() != w.key_file.empty())
        c.diags.error(block.key.where, "tls: 'cert_file' and 'key_file' go together");
}

void parseEndpoints(const Node& n, WitnessConfig& w, Ctx& c) {
    if (!noBlock(n, c) || !args(n, 1, kMaxWitnessEndpoints, c,
                                "the client URLs of every member (at most " +
                                    std::to_string(kMaxWitnessEndpoints) + ")"))
        return;
    w.endpoints.clear();
    for (const auto& a : n.args) {
        std::string why;
        auto e = endpoint(a.text, why);
        if (!e) {
            c.diags.error(a.where, "endpoints: " + why + ", got '" + printable(a.text) + "'");
        } else if (std::find(w.endpoints.begin(), w.endpoints.end(), *e) != w.endpoints.end()) {
            c.diags.error(a.where, "endpoints: '" + *e + "' listed twice");
        } else {
            w.endpoints.push_back(*e);
        }
    }
}

Handler witnessHandlers(const std::string& key, WitnessConfig& w, const Node*& tls, Ctx& c);

}  // namespace

void parseWitness(const Node& block, Ctx& c) {
    if (!block.has_block || block.args.size() != 1 || block.args[0].text != "etcd") {
        c.diags.error(block.key.where, "'witness' expects a kind and a block: witness etcd { ... }"
                                       " (etcd is the only kind)");
        return;
    }
    if (c.cfg.witness) {
        c.diags.error(block.key.where, "witness defined twice");
        return;
    }
    WitnessConfig w;
    w.where = block.key.where;
    const Node* tls = nullptr;
    std::map<std::string_view, Handler> t;
    for (const char* k : {"endpoints", "prefix", "lease_ttl", "timeout", "clock_margin",
                          "max_election", "on_witness_loss", "tls"})
        t[k] = witnessHandlers(k, w, tls, c);
    dispatch(block.children, "witness", t, c);
    if (tls) parseTls(*tls, w, c);
    if (w.endpoints.empty()) {
        c.diags.error(block.key.where, "witness: 'endpoints' is required");
    } else {
        bool https = w.endpoints.front().starts_with("https://");
        for (const auto& e : w.endpoints)
            if (e.starts_with("https://") != https)
                c.diags.error(block.key.where, "witness: endpoints mix http and https");
        if (https && !w.tls)
            c.diags.error(block.key.where, "witness: https endpoints need a tls { ca_file ... }");
        if (!https && w.tls)
            c.diags.error(block.key.where, "witness: a tls block but http endpoints");
        if (!https)
            c.diags.warning(block.key.where,
                            "witness: plain HTTP: anyone on the path can read and forge the "
                            "ownership keys; use https with client certificates");
        if (w.endpoints.size() < 3)
            c.diags.warning(block.key.where,
                            "witness: fewer than 3 endpoints; list every member of the cluster so "
                            "that a majority can be told from a minority");
    }
    c.cfg.witness = std::move(w);
}

void checkWitness(Ctx& c) {
    if (!c.cfg.witness) return;
    const WitnessConfig& w = *c.cfg.witness;
    // A claim ends lease_ttl - lead after the last majority read: it must outlast one read
    // and an etcd election, or the owner yields whenever etcd changes leader during a split.
    uint64_t lead = witnessYieldLeadMs(c.cfg);
    uint64_t need = lead + w.timeout_ms + w.max_election_ms;
    if (uint64_t{w.lease_ttl_s} * 1000 <= need)
        c.diags.error(w.where, "witness: lease_ttl " + std::to_string(w.lease_ttl_s) +
                                   " s is too short: a node cut from etcd must yield before its "
                                   "lease runs out, which takes (fence_after + 1) rounds of up to " +
                                   std::to_string(std::max({c.cfg.probe_interval_ms,
                                                            c.cfg.ssh_timeout_ms,
                                                            3 * w.timeout_ms})) +
                                   " ms plus clock_margin, and the owner's claim must outlast one "
                                   "request and an etcd election (max_election " +
                                   std::to_string(w.max_election_ms) +
                                   " ms); raise lease_ttl above " + std::to_string(need / 1000) +
                                   " s");
}

namespace {

Handler witnessHandlers(const std::string& key, WitnessConfig& w, const Node*& tls, Ctx& c) {
    if (key == "endpoints") return [&w, &c](const Node& n) { parseEndpoints(n, w, c); };
    if (key == "prefix")
        return [&w, &c](const Node& n) {
            if (!noBlock(n, c) || !args(n, 1, 1, c, "one key prefix")) return;
            const std::string& p = n.args[0].text;
            if (p.empty() || p.size() > 256 || printable(p) != p ||
                p.find_first_of(" \t") != std::string::npos)
                c.diags.error(n.args[0].where, "prefix: expected printable UTF-8 without spaces, "
                                               "at most 256 bytes, got '" + printable(p) + "'");
            else
                w.prefix = p;
        };
    if (key == "lease_ttl")
        return [&w, &c](const Node& n) {
            if (!noBlock(n, c) || !args(n, 1, 1, c, "whole seconds")) return;
            if (auto v = integer(n.args[0], 2, 3600, c, "lease_ttl")) w.lease_ttl_s = *v;
        };
    if (key == "timeout")
        return [&w, &c](const Node& n) {
            if (!noBlock(n, c) || !args(n, 1, 1, c, "a number of seconds")) return;
            if (auto v = seconds(n.args[0], 50, 60000, c, "timeout")) w.timeout_ms = *v;
        };
    if (key == "clock_margin")
        return [&w, &c](const Node& n) {
            if (!noBlock(n, c) || !args(n, 1, 1, c, "a number of seconds")) return;
            if (auto v = seconds(n.args[0], 0, 600000, c, "clock_margin")) w.clock_margin_ms = *v;
        };
    if (key == "max_election")
        return [&w, &c](const Node& n) {
            if (!noBlock(n, c) || !args(n, 1, 1, c, "a number of seconds")) return;
            if (auto v = seconds(n.args[0], 0, 60000, c, "max_election")) w.max_election_ms = *v;
        };
    if (key == "on_witness_loss")
        return [&w, &c](const Node& n) {
            if (!noBlock(n, c) || !args(n, 1, 1, c, "hold or fence")) return;
            if (n.args[0].text == "hold")
                w.on_loss = OnWitnessLoss::Hold;
            else if (n.args[0].text == "fence")
                w.on_loss = OnWitnessLoss::Fence;
            else
                c.diags.error(n.args[0].where, "on_witness_loss: expected hold or fence, got '" +
                                                   printable(n.args[0].text) + "'");
        };
    return [&tls, &c](const Node& n) {  // tls
        if (!n.has_block)
            c.diags.error(n.key.where, "'tls' expects a block: tls { ca_file ... }");
        else
            tls = &n;
    };
}

}  // namespace
}  // namespace detail
}  // namespace xvrrp::arbiter
