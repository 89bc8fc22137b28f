// virtual_ipaddress / static_ipaddress lines, virtual_routes / static_routes, rules and
// track lists. Syntax per keepalived.conf(5) "Static routes/addresses/rules".
#include <array>
#include <charconv>

#include "config/parse_util.hpp"

namespace xvrrp::config {
namespace {

// A list-block line is the node's key followed by its args.
std::vector<Token> lineWords(const Node& n) {
    std::vector<Token> all{n.key};
    all.insert(all.end(), n.args.begin(), n.args.end());
    return all;
}

bool validScope(const std::string& s) {
    static constexpr std::array kNames{"global", "site", "link", "host", "nowhere", "universe"};
    for (auto k : kNames)
        if (s == k) return true;
    if (s.empty() || s.size() > 3) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return std::stoi(s) <= 255;
}

// Reads the value after an option word; reports when it is missing.
const Token* valueAfter(const std::vector<Token>& w, size_t& i, Context& ctx, std::string_view what) {
    if (i + 1 >= w.size()) {
        ctx.diags.error(w[i].where, "'" + w[i].text + "' expects " + std::string(what));
        return nullptr;
    }
    return &w[++i];
}

IpAddr maskHost(const IpAddr& a, unsigned len, bool set) {
    uint8_t b[16];
    for (size_t k = 0; k < a.size(); ++k) {
        unsigned bitsInByte = len >= (k + 1) * 8 ? 8 : (len > k * 8 ? len - k * 8 : 0);
        uint8_t hostMask = static_cast<uint8_t>(0xff >> bitsInByte);
        b[k] = set ? (a.data()[k] | hostMask) : (a.data()[k] & ~hostMask);
    }
    return IpAddr::fromBytes(a.family(), b);
}

// The option words that addresses and routes share. Each reads the value after w[i],
// stores it and returns false when the line is in error (missing or bad value).
bool readDev(const std::vector<Token>& w, size_t& i, Context& ctx, std::string& dev) {
    const Token* v = valueAfter(w, i, ctx, "an interface name");
    if (!v) return false;
    dev = v->text;
    return true;
}

// An invalid scope is still stored (as before) but fails the line.
bool readScope(const std::vector<Token>& w, size_t& i, Context& ctx, std::string& scope) {
    const Token* v = valueAfter(w, i, ctx, "a scope");
    if (!v) return false;
    scope = v->text;
    if (!validScope(v->text)) {
        ctx.diags.error(v->where, "scope must be global|site|link|host|nowhere or 0..255, got '" +
                                      v->text + "'");
        return false;
    }
    return true;
}

// "KEY VALUE" kept verbatim in extra, not acted on.
bool readExtraValue(const std::vector<Token>& w, size_t& i, Context& ctx,
                    std::vector<std::string>& extra) {
    const std::string& k = w[i].text;
    const Token* v = valueAfter(w, i, ctx, "a value");
    if (!v) return false;
    extra.push_back(k);
    extra.push_back(v->text);
    return true;
}

}  // namespace

std::optional<VirtualAddress> parseVirtualAddress(const Node& line, Context& ctx) {
    if (!expectNoBlock(line, ctx)) return std::nullopt;
    auto w = lineWords(line);
    auto prefix = IpPrefix::parse(w[0].text);
    if (!prefix) {
        ctx.diags.error(w[0].where, "expected an address ADDR[/LEN], got '" + w[0].text + "'");
        return std::nullopt;
    }
    VirtualAddress va;
    va.where = w[0].where;
    va.prefix = *prefix;
    bool ok = true;
    for (size_t i = 1; i < w.size() && ok; ++i) {
        const std::string& k = w[i].text;
        if (k == "brd" || k == "broadcast") {
            const Token* v = valueAfter(w, i, ctx, "an address, '+' or '-'");
            if (!v) { ok = false; break; }
            if (!va.prefix.addr.isV4()) {
                ctx.diags.warning(w[i - 1].where, "broadcast is IPv4 only; ignored for " + w[0].text);
            } else if (v->text == "+") {
                va.broadcast_auto = true;
                va.broadcast = maskHost(va.prefix.addr, va.prefix.len, true);
            } else if (v->text == "-") {
                va.broadcast = maskHost(va.prefix.addr, va.prefix.len, false);
            } else if (auto a = parseAddr(*v, ctx, "brd"); a && a->isV4()) {
                va.broadcast = a;
            } else {
                if (a) ctx.diags.error(v->where, "brd must be an IPv4 address, got '" + v->text + "'");
                ok = false;
            }
        } else if (k == "dev") {
            ok = readDev(w, i, ctx, va.dev);
        } else if (k == "scope") {
            ok = readScope(w, i, ctx, va.scope);
        } else if (k == "label") {
            const Token* v = valueAfter(w, i, ctx, "a label");
            if (!v) { ok = false; break; }
            if (!va.prefix.addr.isV4())
                ctx.diags.warning(v->where, "label is IPv4 only; ignored for " + w[0].text);
            else
                va.label = v->text;
        } else if (k == "peer") {
            const Token* v = valueAfter(w, i, ctx, "an address");
            if (!v) { ok = false; break; }
            auto a = parseAddr(*v, ctx, "peer");
            if (a && a->family() != va.prefix.addr.family()) {
                ctx.diags.error(v->where, "peer " + v->text + " is not the same family as " + w[0].text);
                a.reset();
            }
            if (!a) ok = false;
            va.peer = a;
        } else if (k == "home") {
            va.home = true;
        } else if (k == "-nodad" || k == "nodad") {
            va.nodad = true;
        } else if (k == "noprefixroute") {
            va.noprefixroute = true;
        } else if (k == "autojoin") {
            va.autojoin = true;
        } else if (k == "no_track") {
            va.no_track = true;
        } else if (k == "mngtmpaddr" || k == "use_vmac") {
            ctx.diags.advice(w[i].where, "address option '" + k + "' is not acted on by xvrrpd: the address is added without it");
            va.extra.push_back(k);
        } else if (k == "preferred_lft" || k == "track_group") {
            ctx.diags.advice(w[i].where, "address option '" + k + "' is not acted on by xvrrpd: the address is added without it");
            ok = readExtraValue(w, i, ctx, va.extra);
        } else {
            ctx.diags.warning(w[i].where, "unknown option '" + k + "' for address " + w[0].text + "; kept, not acted on");
            va.extra.push_back(k);
        }
    }
    if (!ok) return std::nullopt;
    return va;
}

namespace {

// Route options that take one value and are kept verbatim (ip-route(8) names).
bool routeValueOption(const std::string& k) {
    static constexpr std::array kOpts{"tos", "dsfield", "mtu", "hoplimit", "advmss", "rtt", "rttvar",
                                      "reordering", "window", "cwnd", "ssthresh", "realms", "rto_min",
                                      "initcwnd", "initrwnd", "features", "vrf", "pref", "congctl",
                                      "quickack", "fastopen_no_cookie", "ttl-propagate", "expires",
                                      "track_group", "or", "weight"};
    for (auto o : kOpts)
        if (k == o) return true;
    return false;
}

std::optional<uint32_t> routeTable(const std::string& s) {
    if (s == "main") return 254;
    if (s == "local") return 255;
    if (s == "default") return 253;
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::optional<uint8_t> routeProtocol(const std::string& s) {
    static constexpr std::array<std::pair<const char*, uint8_t>, 8> kNames{{
        {"redirect", 1}, {"kernel", 2}, {"boot", 3}, {"static", 4}, {"ra", 9}, {"dhcp", 16},
        {"keepalived", 18}, {"bird", 12}}};
    for (auto [n, v] : kNames)
        if (s == n) return v;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty() || v > 255) return std::nullopt;
    return static_cast<uint8_t>(v);
}

}  // namespace

std::optional<Route> parseRoute(const Node& line, Context& ctx) {
    if (!expectNoBlock(line, ctx)) return std::nullopt;
    auto w = lineWords(line);
    Route r;
    r.where = w[0].where;
    bool haveTo = false, isDefault = false, inet6 = false, ok = true;
    Location toWhere = w[0].where;
    auto setTo = [&](const Token& t) {
        if (haveTo) {
            ctx.diags.error(t.where, "route has two destinations ('" + t.text + "')");
            ok = false;
            return;
        }
        haveTo = true;
        toWhere = t.where;
        if (t.text == "default") {
            isDefault = true;
        } else if (auto p = IpPrefix::parse(t.text)) {
            r.to = *p;
        } else {
            ctx.diags.error(t.where, "expected a route destination PREFIX or 'default', got '" + t.text + "'");
            ok = false;
        }
    };
    for (size_t i = 0; i < w.size() && ok; ++i) {
        const std::string& k = w[i].text;
        if (k == "gw") ctx.diags.warning(w[i].where, "\"gw\" for routes is deprecated. Please use \"via\"");
        if (k == "or") ctx.diags.warning(w[i].where, "\"or\" for routes is deprecated. Please use \"nexthop\"");
        if (k == "src" || k == "via" || k == "gw") {
            const Token* v = valueAfter(w, i, ctx, "an address");
            if (!v) { ok = false; break; }
            auto a = parseAddr(*v, ctx, k);
            if (!a) { ok = false; break; }
            (k == "src" ? r.src : r.via) = a;
        } else if (k == "to") {
            const Token* v = valueAfter(w, i, ctx, "a destination");
            if (!v) { ok = false; break; }
            setTo(*v);
        } else if (k == "dev" || k == "oif") {
            ok = readDev(w, i, ctx, r.dev);
        } else if (k == "scope") {
            ok = readScope(w, i, ctx, r.scope);
        } else if (k == "table") {
            const Token* v = valueAfter(w, i, ctx, "a table id");
            if (!v) { ok = false; break; }
            r.table = routeTable(v->text);
            if (!r.table) {
                ctx.diags.error(v->where, "table must be a number or main|local|default, got '" + v->text + "'");
                ok = false;
            }
        } else if (k == "metric" || k == "preference" || k == "priority") {
            const Token* v = valueAfter(w, i, ctx, "a number");
            if (!v) { ok = false; break; }
            auto m = parseInt(*v, 0, UINT32_MAX, ctx, k);
            if (!m) { ok = false; break; }
            r.metric = static_cast<uint32_t>(*m);
        } else if (k == "protocol" || k == "proto") {
            const Token* v = valueAfter(w, i, ctx, "a protocol");
            if (!v) { ok = false; break; }
            r.protocol = routeProtocol(v->text);
            if (!r.protocol) {
                ctx.diags.advice(v->where, "route protocol '" + v->text + "' is not known to xvrrpd: the route is added "
                                           "with keepalived's own protocol");
                r.extra.push_back(k);
                r.extra.push_back(v->text);
            }
        } else if (k == "blackhole") {
            r.blackhole = true;
        } else if (k == "unreachable") {
            r.unreachable = true;
        } else if (k == "prohibit") {
            r.prohibit = true;
        } else if (k == "throw") {
            r.throw_ = true;
        } else if (k == "onlink") {
            r.onlink = true;
        } else if (k == "no_track") {
            r.no_track = true;
        } else if (k == "inet6") {
            inet6 = true;
            r.extra.push_back(k);
        } else if (k == "append" || k == "lock" || k == "unicast" || k == "local" || k == "broadcast" ||
                   k == "multicast" || k == "nat" || k == "anycast") {
            ctx.diags.advice(w[i].where, "route option '" + k + "' is not acted on by xvrrpd: the route is added without it");
            r.extra.push_back(k);
        } else if (k == "nexthop" || k == "encap") {
            // Multipath and encapsulation: kept verbatim to the end of the line.
            ctx.diags.advice(w[i].where, "route option '" + k + "' is not acted on by xvrrpd: the route is added "
                                         "without it and what follows on the line");
            for (; i < w.size(); ++i) r.extra.push_back(w[i].text);
        } else if (routeValueOption(k)) {
            const size_t at = i;
            ok = readExtraValue(w, i, ctx, r.extra);
            if (ok) ctx.diags.advice(w[at].where, "route option '" + k + "' is not acted on by xvrrpd: the route is added without it");
        } else if (!haveTo && (k == "default" || IpPrefix::parse(k))) {
            setTo(w[i]);
        } else {
            ctx.diags.warning(w[i].where, "unknown route option '" + k + "'; kept, not acted on");
            r.extra.push_back(k);
        }
    }
    if (!ok) return std::nullopt;
    if (!haveTo) {
        ctx.diags.error(w[0].where, "route has no destination (PREFIX or 'default')");
        return std::nullopt;
    }
    Family fam = isDefault ? (inet6 ? Family::V6 : Family::V4) : r.to.addr.family();
    if (isDefault) {
        if (r.via) fam = r.via->family();
        else if (r.src) fam = r.src->family();
        r.to = *IpPrefix::parse(fam == Family::V6 ? "::/0" : "0.0.0.0/0");
    }
    for (const auto* a : {&r.via, &r.src}) {
        if (*a && (*a)->family() != fam) {
            ctx.diags.error(toWhere, "route mixes IPv4 and IPv6 (" + r.to.str() + " with " + (*a)->str() + ")");
            return std::nullopt;
        }
    }
    return r;
}

// keepalived skips a rule it cannot read and numbers those without a preference.
std::optional<Rule> parseRule(const Node& line, Context& ctx) {
    if (!expectNoBlock(line, ctx)) return std::nullopt;
    Rule r;
    r.where = line.key.where;
    const auto words = lineWords(line);
    for (const auto& t : words) r.words.push_back(t.text);
    if (!ctx.options.check_rule) return r;
    const RuleVerdict v = ctx.options.check_rule(r.words);
    if (v.error) {
        ctx.diags.warning(v.word < words.size() ? words[v.word].where : r.where,
                          "Invalid rule, skipped as keepalived skips it: " + *v.error);
        return std::nullopt;
    }
    if (!v.has_preference) {
        r.preference = ctx.next_rule_preference[v.v6]--;
        ctx.diags.warning(r.where, "Rule has no preference specified - setting to " + std::to_string(*r.preference) +
                                       ". This is probably not what you want.");
    }
    return r;
}

void parseAddressBlock(const Node& n, std::vector<VirtualAddress>& out, Context& ctx) {
    if (!expectValueBlock(n, ctx)) return;
    for (const auto& c : n.children)
        if (auto va = parseVirtualAddress(c, ctx)) out.push_back(std::move(*va));
}

void parseRouteBlock(const Node& n, std::vector<Route>& out, Context& ctx) {
    if (!expectValueBlock(n, ctx)) return;
    for (const auto& c : n.children)
        if (auto r = parseRoute(c, ctx)) out.push_back(std::move(*r));
}

void parseRuleBlock(const Node& n, std::vector<Rule>& out, Context& ctx) {
    if (!expectValueBlock(n, ctx)) return;
    for (const auto& c : n.children)
        if (auto r = parseRule(c, ctx)) out.push_back(std::move(*r));
}

// keepalived 2.2.7 (vrrp_track.c alloc_track_*): NAME [weight N [reverse|noreverse]], by
// position. A second word other than `weight`, or `weight` without a value, drops the entry; a
// fourth word other than reverse/noreverse is reported and the entry kept; words past the
// fourth are ignored. Each is a warning (its -t exits 5), the last advice (it says nothing).
void parseTrackList(const Node& n, std::vector<TrackRef>& out, int weight_lo, int weight_hi,
                    Context& ctx) {
    if (!expectValueBlock(n, ctx)) return;
    for (const auto& c : n.children) {
        if (!expectNoBlock(c, ctx)) continue;
        TrackRef ref;
        ref.where = c.key.where;
        ref.name = c.key.text;
        const auto& a = c.args;
        if (!a.empty() && a[0].text != "weight") {
            ctx.diags.warning(a[0].where, "unknown " + n.key.text + " option '" + a[0].text + "' after " + ref.name +
                                              " (expected 'weight N'); " + ref.name + " not tracked, as keepalived 2.2.7 does");
            continue;
        }
        if (a.size() == 1) {
            ctx.diags.warning(a[0].where, "weight without value specified for " + n.key.text + " " + ref.name +
                                              "; " + ref.name + " not tracked, as keepalived 2.2.7 does");
            continue;
        }
        if (a.size() >= 2) {
            auto v = parseInt(a[1], weight_lo, weight_hi, ctx, "weight");
            if (!v) continue;
            ref.weight = static_cast<int>(*v);
        }
        if (a.size() >= 3) {
            const std::string& k = a[2].text;
            if (k == "reverse") ref.reverse = true;
            else if (k == "noreverse" || k == "no_reverse") ref.reverse = false;
            else
                ctx.diags.warning(a[2].where, "unknown " + n.key.text + " " + ref.name + " weight option " + k +
                                                  " - ignoring (expected reverse or noreverse)");
        }
        if (a.size() >= 4)
            ctx.diags.advice(a[3].where, "'" + a[3].text + "' and the words after it are ignored, as keepalived 2.2.7 "
                                         "ignores them (" + n.key.text + " entries are NAME [weight N [reverse]])");
        out.push_back(std::move(ref));
    }
}

}  // namespace xvrrp::config
