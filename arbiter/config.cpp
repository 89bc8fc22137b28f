#include "config.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <functional>
#include <map>

#include "common/printable.hpp"
#include "config/lexer.hpp"
#include "config_grammar.hpp"
#include "metrics/http_server.hpp"

namespace xvrrp::arbiter {

using config::Diagnostics;
using config::Location;
using config::Node;
using config::Token;

bool ArbiterLoad::ok() const {
    return std::none_of(diagnostics.begin(), diagnostics.end(),
                        [](const auto& d) { return d.severity == config::Severity::Error; });
}

// No '=': a first word NAME=value is an environment assignment for the peer's shell.
bool isShellSafeWord(std::string_view w) {
    if (w.empty()) return false;
    return std::all_of(w.begin(), w.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.' || c == '/' || c == '+' || c == ':' || c == '@' ||
               c == ',';
    });
}

// ssh expands % tokens and ~ in IdentityFile and UserKnownHostsFile and splits the latter on
// whitespace: only an absolute path of plain characters reaches it.
bool isSshPath(std::string_view w) { return w.size() > 1 && w[0] == '/' && isShellSafeWord(w); }

namespace detail {

bool args(const Node& n, size_t lo, size_t hi, Ctx& c, std::string_view usage) {
    if (n.args.size() >= lo && n.args.size() <= hi) return true;
    c.diags.error(n.key.where, "'" + n.key.text + "' expects " + std::string(usage));
    return false;
}

bool noBlock(const Node& n, Ctx& c) {
    if (!n.has_block) return true;
    c.diags.error(n.key.where, "'" + n.key.text + "' does not take a block");
    return false;
}

std::optional<int64_t> integer(const Token& t, int64_t lo, int64_t hi, Ctx& c,
                               std::string_view what) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc() || p != t.text.data() + t.text.size() || v < lo || v > hi) {
        c.diags.error(t.where, std::string(what) + ": expected an integer " + std::to_string(lo) +
                                   ".." + std::to_string(hi) + ", got '" + t.text + "'");
        return std::nullopt;
    }
    return v;
}

// Decimal seconds ("0.5", "2") to milliseconds.
std::optional<uint32_t> seconds(const Token& t, uint32_t lo_ms, uint32_t hi_ms, Ctx& c,
                                std::string_view what) {
    const std::string& s = t.text;
    uint64_t ms = 0;
    size_t i = 0, frac = 0;
    bool digits = false, dot = false, bad = false;
    for (; i < s.size() && !bad; ++i) {
        char ch = s[i];
        if (ch == '.' && !dot) {
            dot = true;
        } else if (ch >= '0' && ch <= '9') {
            digits = true;
            if (!dot) {
                ms = ms * 10 + static_cast<uint64_t>(ch - '0') * 1;
                if (ms > UINT32_MAX) bad = true;
            } else if (frac < 3) {
                ++frac;
                ms = ms * 10 + static_cast<uint64_t>(ch - '0');
            }
        } else {
            bad = true;
        }
    }
    if (!bad && digits) {
        for (; frac < 3; ++frac) ms *= 10;
        if (ms >= lo_ms && ms <= hi_ms) return static_cast<uint32_t>(ms);
    }
    c.diags.error(t.where, std::string(what) + ": expected seconds between " +
                               std::to_string(lo_ms / 1000.0).substr(0, 5) + " and " +
                               std::to_string(hi_ms / 1000) + ", got '" + s + "'");
    return std::nullopt;
}

std::optional<bool> boolArg(const Node& n, Ctx& c) {
    if (n.args.empty()) return true;
    const std::string& w = n.args[0].text;
    if (w == "on" || w == "true" || w == "yes") return true;
    if (w == "off" || w == "false" || w == "no") return false;
    c.diags.error(n.args[0].where,
                  "'" + n.key.text + "': expected on|off|true|false|yes|no, got '" + w + "'");
    return std::nullopt;
}

void dispatch(const std::vector<Node>& nodes, std::string_view block,
              const std::map<std::string_view, Handler>& table, Ctx& c) {
    for (const auto& n : nodes) {
        auto it = table.find(n.key.text);
        if (it != table.end()) {
            it->second(n);
            continue;
        }
        std::vector<std::string_view> known;
        for (const auto& [k, _] : table) known.push_back(k);
        std::string msg = "unknown keyword '" + n.key.text + "' in " + std::string(block);
        std::string near = config::nearestWord(n.key.text, known);
        if (!near.empty()) msg += "; did you mean '" + near + "'?";
        c.diags.error(n.key.where, msg);
    }
}

}  // namespace detail

namespace {

using namespace detail;

Handler sshPathInto(std::string& out, Ctx& c) {
    return [&out, &c](const Node& n) {
        if (!noBlock(n, c) || !args(n, 1, 1, c, "one path")) return;
        if (isSshPath(n.args[0].text))
            out = n.args[0].text;
        else
            c.diags.error(n.args[0].where,
                          "'" + n.key.text + "' reaches ssh, which expands % and ~ and splits on "
                          "spaces: an absolute path of letters, digits and _-./+:@, only, got '" +
                              printable(n.args[0].text) + "'");
    };
}

// Names go into the audit log and status JSON: printable UTF-8 only.
bool printableName(const Token& t, std::string_view what, Ctx& c) {
    if (!t.text.empty() && printable(t.text) == t.text) return true;
    c.diags.error(t.where, std::string(what) + " must be printable UTF-8, got '" +
                               printable(t.text) + "'");
    return false;
}

Handler pathInto(std::string& out, Ctx& c) {
    return [&out, &c](const Node& n) {
        if (noBlock(n, c) && args(n, 1, 1, c, "one path")) out = n.args[0].text;
    };
}

Handler secondsInto(uint32_t& out, uint32_t lo, uint32_t hi, Ctx& c) {
    return [&out, lo, hi, &c](const Node& n) {
        if (!noBlock(n, c) || !args(n, 1, 1, c, "a number of seconds")) return;
        if (auto v = seconds(n.args[0], lo, hi, c, n.key.text)) out = *v;
    };
}

Handler roundsInto(int& out, Ctx& c) {
    return [&out, &c](const Node& n) {
        if (!noBlock(n, c) || !args(n, 1, 1, c, "a number of rounds")) return;
        if (auto v = integer(n.args[0], 1, 1000, c, n.key.text)) out = static_cast<int>(*v);
    };
}

void parseArbiter(const Node& block, Ctx& c) {
    auto& cfg = c.cfg;
    std::map<std::string_view, Handler> t{
        {"node_name",
         [&](const Node& n) {
             if (noBlock(n, c) && args(n, 1, 1, c, "one name") &&
                 printableName(n.args[0], "node_name", c))
                 cfg.node_name = n.args[0].text;
         }},
        {"instances",
         [&](const Node& n) {
             if (!noBlock(n, c) || !args(n, 1, SIZE_MAX, c, "instance names or 'all'")) return;
             cfg.instances.clear();
             if (n.args.size() == 1 && n.args[0].text == "all") return;
             for (const auto& a : n.args)
                 if (printableName(a, "an instance name", c)) cfg.instances.push_back(a.text);
         }},
        {"xvrrpd_socket", pathInto(cfg.xvrrpd_socket, c)},
        {"pin_root", pathInto(cfg.pin_root, c)},
        {"control_socket", pathInto(cfg.control_socket, c)},
        {"audit_log", pathInto(cfg.audit_log, c)},
        {"ssh_program", pathInto(cfg.ssh_program, c)},
        {"remote_xvrrpctl",
         [&](const Node& n) {
             if (!noBlock(n, c) || !args(n, 1, 1, c, "one path")) return;
             if (!isShellSafeWord(n.args[0].text))
                 c.diags.error(n.args[0].where,
                               "remote_xvrrpctl reaches the peer's shell: only letters, digits and "
                               "_-./+:@, are allowed (no '=': NAME=value would set the peer "
                               "shell's environment)");
             else
                 cfg.remote_xvrrpctl = n.args[0].text;
         }},
        {"metrics",
         [&](const Node& n) {
             if (!noBlock(n, c) || !args(n, 1, 1, c, "[ADDR:]PORT")) return;
             try {
                 metrics::parseListen(n.args[0].text);
                 cfg.metrics_listen = n.args[0].text;
             } catch (const std::invalid_argument& e) {
                 c.diags.error(n.args[0].where, std::string("metrics: ") + e.what());
             }
         }},
        {"probe_interval", secondsInto(cfg.probe_interval_ms, 100, 3600000, c)},
        {"ping_timeout", secondsInto(cfg.ping_timeout_ms, 10, 60000, c)},
        {"control_timeout", secondsInto(cfg.control_timeout_ms, 10, 60000, c)},
        {"ssh_timeout", secondsInto(cfg.ssh_timeout_ms, 100, 600000, c)},
        {"ssh_connect_timeout",
         [&](const Node& n) {
             if (!noBlock(n, c) || !args(n, 1, 1, c, "whole seconds")) return;
             if (auto v = integer(n.args[0], 1, 600, c, n.key.text)) cfg.ssh_connect_timeout_s = *v;
         }},
        {"fence_after", roundsInto(cfg.fence_rounds, c)},
        {"unfence_after", roundsInto(cfg.unfence_rounds, c)},
        {"start_fenced",
         [&](const Node& n) {
             if (!noBlock(n, c) || !args(n, 0, 1, c, "nothing or a boolean")) return;
             if (auto v = boolArg(n, c)) cfg.start_fenced = *v;
         }},
    };
    dispatch(block.children, "arbiter", t, c);
}

bool plainWord(const Token& t, std::string_view what, Ctx& c) {
    if (!t.text.empty() && t.text[0] != '-' && isShellSafeWord(t.text)) return true;
    c.diags.error(t.where,
                  std::string(what) + " '" + t.text +
                      "' must not start with '-' and may only hold letters, digits and _-./+:@,");
    return false;
}

void parseSsh(const Node& block, Peer& p, Ctx& c) {
    p.has_ssh = true;
    auto& s = p.ssh;
    std::map<std::string_view, Handler> t{
        {"user",
         [&](const Node& n) {
             if (noBlock(n, c) && args(n, 1, 1, c, "one user name") &&
                 plainWord(n.args[0], "user", c))
                 s.user = n.args[0].text;
         }},
        {"host",
         [&](const Node& n) {
             if (noBlock(n, c) && args(n, 1, 1, c, "one host name or address") &&
                 plainWord(n.args[0], "host", c))
                 s.host = n.args[0].text;
         }},
        {"port",
         [&](const Node& n) {
             if (!noBlock(n, c) || !args(n, 1, 1, c, "a port number")) return;
             if (auto v = integer(n.args[0], 1, 65535, c, "port")) s.port = static_cast<int>(*v);
         }},
        {"identity_file", sshPathInto(s.identity_file, c)},
        {"known_hosts", sshPathInto(s.known_hosts, c)},
    };
    dispatch(block.children, "ssh", t, c);
    if (s.host.empty()) s.host = p.address.str();
    if (s.user.empty())
        c.diags.error(block.key.where, "ssh of peer " + p.name + ": 'user' is required");
    if (s.identity_file.empty())
        c.diags.error(block.key.where, "ssh of peer " + p.name + ": 'identity_file' is required");
    if (s.known_hosts.empty())
        c.diags.error(
            block.key.where,
            "ssh of peer " + p.name + ": 'known_hosts' is required (host keys are always checked)");
}

void parsePeer(const Node& block, Ctx& c) {
    if (!block.has_block || block.args.size() != 1) {
        c.diags.error(block.key.where, "'peer' expects a name and a block: peer NAME { ... }");
        return;
    }
    if (!printableName(block.args[0], "a peer name", c)) return;
    Peer p;
    p.name = block.args[0].text;
    p.where = block.key.where;
    bool have_addr = false;
    const Node* ssh = nullptr;
    std::map<std::string_view, Handler> t{
        {"address",
         [&](const Node& n) {
             if (!noBlock(n, c) || !args(n, 1, 1, c, "one IP address")) return;
             if (auto a = IpAddr::parse(n.args[0].text)) {
                 p.address = *a;
                 have_addr = true;
             } else {
                 c.diags.error(n.args[0].where, "address: expected an IPv4 or IPv6 address, got '" +
                                                    n.args[0].text + "'");
             }
         }},
        {"ssh",
         [&](const Node& n) {
             if (!n.has_block)
                 c.diags.error(n.key.where, "'ssh' expects a block: ssh { ... }");
             else
                 ssh = &n;
         }},
    };
    dispatch(block.children, "peer", t, c);
    if (!have_addr) {
        c.diags.error(block.key.where, "peer " + p.name + ": 'address' is required");
        return;
    }
    if (ssh)
        parseSsh(*ssh, p, c);
    else
        c.diags.warning(block.key.where, "peer " + p.name +
                                             " has no ssh block: it stays UNKNOWN, so the arbiter "
                                             "never unfences while it is configured");
    for (const auto& q : c.cfg.peers)
        if (q.name == p.name)
            c.diags.error(block.args[0].where, "peer " + p.name + " defined twice");
    if (c.cfg.peers.size() == kMaxPeers)
        c.diags.error(block.key.where, "more than " + std::to_string(kMaxPeers) +
                                           " peers: each is an ssh query every round");
    c.cfg.peers.push_back(std::move(p));
}

void parseGateways(const Node& block, Ctx& c, Location& quorum_where) {
    if (!block.has_block) {
        c.diags.error(block.key.where,
                      "'gateways' expects a block: gateways { quorum K  ADDR ... }");
        return;
    }
    for (const auto& n : block.children) {
        if (n.key.text == "quorum") {
            if (noBlock(n, c) && args(n, 1, 1, c, "k, the gateways that must answer"))
                if (auto v = integer(n.args[0], 1, 1000, c, "quorum"))
                    c.cfg.quorum = static_cast<int>(*v);
            quorum_where = n.key.where;
        } else if (auto a = IpAddr::parse(n.key.text); a && n.args.empty() && !n.has_block) {
            if (c.cfg.gateways.size() == kMaxGateways)
                c.diags.error(n.key.where,
                              "more than " + std::to_string(kMaxGateways) + " gateways");
            c.cfg.gateways.push_back(*a);
        } else {
            c.diags.error(
                n.key.where,
                "gateways: expected 'quorum K' or one IP address a line, got '" + n.key.text + "'");
        }
    }
}

void parseTop(const std::vector<Node>& tree, Ctx& c) {
    bool have_arbiter = false;
    Location gw_where, quorum_where;
    for (const auto& n : tree) {
        if (n.key.text == "arbiter" && n.has_block) {
            have_arbiter = true;
            parseArbiter(n, c);
        } else if (n.key.text == "peer") {
            parsePeer(n, c);
        } else if (n.key.text == "gateways") {
            gw_where = n.key.where;
            parseGateways(n, c, quorum_where);
        } else if (n.key.text == "witness") {
            parseWitness(n, c);
        } else {
            std::string msg = "unknown top-level keyword '" + n.key.text + "'";
            std::string near = config::nearestWord(n.key.text, {"arbiter", "peer", "gateways", "witness"});
            if (!near.empty()) msg += "; did you mean '" + near + "'?";
            c.diags.error(n.key.where, msg);
        }
    }
    auto& cfg = c.cfg;
    Location file{cfg.files.empty() ? std::string() : cfg.files.front(), 0, 0};
    if (!have_arbiter) c.diags.error(file, "missing 'arbiter { ... }' block");
    if (cfg.node_name.empty()) {
        char host[256] = {};
        if (::gethostname(host, sizeof(host) - 1) == 0) cfg.node_name = host;
    }
    int n = static_cast<int>(cfg.gateways.size());
    if (n == 0) {
        c.diags.warning(file, "no gateways: the quorum rule (R1) is off");
    } else if (cfg.quorum == 0) {
        cfg.quorum = n / 2 + 1;
    } else if (cfg.quorum > n) {
        c.diags.error(quorum_where, "quorum " + std::to_string(cfg.quorum) + " is more than the " +
                                        std::to_string(n) + " gateways listed");
    }
    if (cfg.ping_timeout_ms >= cfg.probe_interval_ms)
        c.diags.error(file, "ping_timeout must be shorter than probe_interval");
    if (cfg.ssh_timeout_ms < cfg.ssh_connect_timeout_s * 1000)
        c.diags.error(file, "ssh_timeout must be at least ssh_connect_timeout");
    if (cfg.peers.empty())
        c.diags.warning(file, "no peers: only the quorum and xvrrpd rules apply");
    checkWitness(c);
}

ArbiterLoad finish(std::vector<Token> tokens, ArbiterConfig cfg, Diagnostics& diags) {
    Ctx c{cfg, diags};
    auto tree = config::buildTree(tokens, diags);
    parseTop(tree, c);
    ArbiterLoad r;
    r.diagnostics = diags.take();
    std::stable_sort(r.diagnostics.begin(), r.diagnostics.end(), [](const auto& a, const auto& b) {
        if (a.where.file != b.where.file) return false;
        return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
    });
    r.config = std::move(cfg);
    return r;
}

std::string dirOf(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

ArbiterLoad loadArbiterFile(const std::string& path) {
    Diagnostics diags;
    ArbiterConfig cfg;
    config::Lexer lexer(diags, cfg.files);
    auto tokens = lexer.lexFile(path);
    return finish(std::move(tokens), std::move(cfg), diags);
}

ArbiterLoad loadArbiterText(std::string_view text, const std::string& name) {
    Diagnostics diags;
    ArbiterConfig cfg;
    config::Lexer lexer(diags, cfg.files);
    auto tokens = lexer.lexText(text, name, dirOf(name));
    if (cfg.files.empty()) cfg.files.push_back(name);
    return finish(std::move(tokens), std::move(cfg), diags);
}

int checkArbiterConfig(const std::string& path, std::ostream& out) {
    ArbiterLoad r = loadArbiterFile(path);
    size_t errors = 0;
    for (const auto& d : r.diagnostics) {
        out << d.str() << "\n";
        if (d.severity == config::Severity::Error) ++errors;
    }
    const auto& c = r.config;
    if (r.ok())
        out << path << ": ok: node " << c.node_name << ", " << c.peers.size() << " peer(s), "
            << c.gateways.size() << " gateway(s), quorum " << c.quorum
            << (c.witness ? ", witness etcd (" + std::to_string(c.witness->endpoints.size()) +
                                " endpoint(s), lease " + std::to_string(c.witness->lease_ttl_s) +
                                " s)"
                          : std::string())
            << "\n";
    else
        out << path << ": " << errors << " error(s)\n";
    return r.ok() ? 0 : 1;
}

}  // namespace xvrrp::arbiter
