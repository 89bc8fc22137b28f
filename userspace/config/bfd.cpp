// bfd_instance blocks and track_bfd lists (keepalived.conf(5) BFD CONFIGURATION), with
// keepalived 2.2.7's defaults, ranges and messages (measured with keepalived -t: each of
// its "Configuration error" lines fails the file with status 5, so they are warnings here).
// The daemon runs a session for each enabled instance (daemon/bfd_table.hpp, docs/bfd.md).
#include <charconv>

#include "config/parse_util.hpp"

namespace xvrrp::config {
namespace {

constexpr size_t kNameMax = 31;  // keepalived BFD_INAME_MAX - 1
constexpr uint32_t kIntervalMaxMs = 4294967;  // UINT32_MAX / 1000 (keepalived BFD_*_MAX)

struct BfdCtx {
    BfdInstance& b;
    std::string_view neighbor_word = "neighbor";  // "neighbour" once neighbour_ip is used
    bool events_named = false;  // `vrrp` or `checker` written
};

std::string prefix(const BfdInstance& b) { return "Configuration error: BFD instance " + b.name; }

// keepalived read_decimal_unsigned_strvec(..., 3 decimals): milliseconds in microseconds.
// A fourth decimal draws "has too many decimal places" and rounds on it (3.3125 -> 3313 us).
std::optional<uint64_t> millisToMicros(std::string_view s, bool& too_precise) {
    too_precise = false;
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    uint64_t whole = 0, frac = 0;
    bool round_up = false;
    size_t i = 0, digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
        whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
        if (whole > 10000000000ULL) return std::nullopt;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        uint64_t scale = 100;
        size_t fdigits = 0;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++fdigits) {
            if (fdigits == 3) {
                too_precise = true;
                round_up = s[i] >= '5';
            }
            if (fdigits >= 3) continue;
            frac += static_cast<uint64_t>(s[i] - '0') * scale;
            scale /= 10;
        }
        digits += fdigits;
    }
    if (i != s.size() || digits == 0) return std::nullopt;
    return whole * 1000 + frac + (round_up ? 1 : 0);
}

std::optional<int64_t> integer(std::string_view s) {
    int64_t v = 0;
    const char* b = s.data();
    const char* e = b + s.size();
    if (b != e && *b == '+') ++b;
    auto [end, ec] = std::from_chars(b, e, v);
    if (b == e || ec != std::errc() || end != e) return std::nullopt;
    return v;
}

const Token* oneArg(const Node& n, Context& c) {
    if (!expectNoBlock(n, c) || !expectArgs(n, 1, SIZE_MAX, c)) return nullptr;
    return &n.args[0];
}

void interval(const Node& n, BfdCtx& x, uint32_t& out, uint32_t min_ms, Context& c) {
    const Token* t = oneArg(n, c);
    if (!t) return;
    bool too_precise = false;
    auto v = millisToMicros(t->text, too_precise);
    if (too_precise) c.diags.warning(t->where, "number '" + t->text + "' has too many decimal places");
    if (!v || *v < min_ms * 1000ULL || *v > kIntervalMaxMs * 1000ULL) {
        c.diags.warning(t->where, prefix(x.b) + " " + n.key.text + " value " + t->text +
                                      " is not valid (must be in range [" + std::to_string(min_ms) +
                                      "-" + std::to_string(kIntervalMaxMs) + "]), ignoring");
        return;
    }
    out = static_cast<uint32_t>(*v);
}

void ranged(const Node& n, BfdCtx& x, std::string_view what, int64_t lo, int64_t hi, Context& c,
            auto&& set) {
    const Token* t = oneArg(n, c);
    if (!t) return;
    auto v = integer(t->text);
    if (!v || *v < lo || *v > hi) {
        c.diags.warning(t->where, prefix(x.b) + " " + std::string(what) + " value " + t->text +
                                      " not valid (must be in range [" + std::to_string(lo) + "-" +
                                      std::to_string(hi) + "]), ignoring");
        return;
    }
    set(*v);
}

void address(const Node& n, BfdCtx& x, Context& c) {
    const Token* t = oneArg(n, c);
    if (!t) return;
    auto a = IpAddr::parse(t->text);
    const bool neighbor = n.key.text != "source_ip";
    if (neighbor && n.key.text == "neighbour_ip") x.neighbor_word = "neighbour";
    if (!a) {
        if (neighbor) {
            c.diags.warning(t->where, prefix(x.b) + " has malformed " + std::string(x.neighbor_word) +
                                          " address " + t->text + ", ignoring instance");
            x.b.disabled = "malformed " + std::string(x.neighbor_word) + " address";
        } else {
            c.diags.warning(t->where, prefix(x.b) + " has malformed source address " + t->text +
                                          ", ignoring");
        }
        return;
    }
    (neighbor ? x.b.neighbor : x.b.source) = *a;
}

void flag(const Node& n, bool& out, Context& c) {
    if (!expectNoBlock(n, c)) return;
    out = true;  // keepalived ignores words after these
}

using BfdHandler = void (*)(const Node&, BfdCtx&, Context&);

const std::vector<std::pair<std::string_view, BfdHandler>>& handlers() {
    static const std::vector<std::pair<std::string_view, BfdHandler>> t{
        {"neighbor_ip", address},
        {"neighbour_ip", address},
        {"source_ip", address},
        {"min_rx", [](const Node& n, BfdCtx& x, Context& c) { interval(n, x, x.b.min_rx_us, 1, c); }},
        {"min_tx", [](const Node& n, BfdCtx& x, Context& c) { interval(n, x, x.b.min_tx_us, 1, c); }},
        {"idle_tx", [](const Node& n, BfdCtx& x, Context& c) { interval(n, x, x.b.idle_tx_us, 1000, c); }},
        {"multiplier",
         [](const Node& n, BfdCtx& x, Context& c) {
             ranged(n, x, "multiplier", 1, 255, c, [&](int64_t v) { x.b.multiplier = static_cast<uint8_t>(v); });
         }},
        {"passive", [](const Node& n, BfdCtx& x, Context& c) { flag(n, x.b.passive, c); }},
        {"ttl",
         [](const Node& n, BfdCtx& x, Context& c) {
             ranged(n, x, "ttl/hoplimit", 1, 255, c, [&](int64_t v) { x.b.ttl = static_cast<uint8_t>(v); });
         }},
        {"hoplimit",
         [](const Node& n, BfdCtx& x, Context& c) {
             ranged(n, x, "ttl/hoplimit", 1, 255, c, [&](int64_t v) { x.b.ttl = static_cast<uint8_t>(v); });
         }},
        {"max_hops",
         [](const Node& n, BfdCtx& x, Context& c) {
             ranged(n, x, "max_hops", -1, 255, c, [&](int64_t v) { x.b.max_hops = static_cast<int>(v); });
         }},
        {"weight",
         [](const Node& n, BfdCtx& x, Context& c) {
             ranged(n, x, "weight", -253, 253, c, [&](int64_t v) { x.b.weight = static_cast<int>(v); });
             if (n.args.size() >= 2) {
                 if (n.args[1].text == "reverse") x.b.weight_reverse = true;
                 else c.diags.warning(n.args[1].where, prefix(x.b) + " unknown weight option " + n.args[1].text);
             }
         }},
        {"vrrp",
         [](const Node& n, BfdCtx& x, Context& c) {
             flag(n, x.b.vrrp, c);
             x.events_named = true;
         }},
        {"checker",
         [](const Node& n, BfdCtx& x, Context& c) {
             flag(n, x.b.checker, c);
             x.events_named = true;
         }},
    };
    return t;
}

// keepalived bfd_end_handler: checks that need the whole block, said at its closing brace.
void finish(const Node& n, BfdCtx& x, Context& ctx) {
    BfdInstance& b = x.b;
    const Location& at = n.end.line ? n.end : b.where;
    const std::string word(x.neighbor_word);
    if (!x.events_named) b.vrrp = b.checker = true;
    if (!b.disabled.empty()) return;
    if (!b.neighbor) {
        ctx.diags.warning(at, prefix(b) + " has no " + word + " address set, disabling instance");
        b.disabled = "no " + word + " address";
        return;
    }
    if (b.source && b.source->family() != b.neighbor->family()) {
        // (keepalived 2.2.7 prints the neighbour address twice here; we print both)
        ctx.diags.warning(at, prefix(b) + " source address " + b.source->str() + " and " + word +
                                  " address " + b.neighbor->str() +
                                  " are not of the same family, disabling instance");
        b.disabled = "source and " + word + " of different families";
        return;
    }
    // keepalived find_bfd_by_addr: the same neighbour, and either without a source or both
    // with the same one, among the instances still enabled.
    for (const auto& [name, o] : ctx.cfg.bfd_instances) {
        if (!o.disabled.empty() || o.name == b.name || !o.neighbor || *o.neighbor != *b.neighbor) continue;
        if (o.source && b.source && *o.source != *b.source) continue;
        if (b.source)
            ctx.diags.warning(at, prefix(b) + " has duplicate source/" + word + " address " + b.source->str() +
                                      "/" + b.neighbor->str() + ", ignoring instance");
        else
            ctx.diags.warning(at, prefix(b) + " has duplicate " + word + " address " + b.neighbor->str() +
                                      ", ignoring instance");
        b.disabled = "duplicate " + word + " address (bfd_instance " + o.name + ")";
        return;
    }
    if (!b.ttl) b.ttl = b.neighbor->family() == Family::V4 ? 255 : 64;
    if (b.max_hops > b.ttl) {
        ctx.diags.warning(at, "BFD instance " + b.name + ": max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit");
        b.max_hops = b.ttl;
    }
}

}  // namespace

void parseBfdInstance(const Node& n, Context& ctx) {
    if (!expectBlock(n, ctx)) return;
    if (n.args.size() != 1) {
        ctx.diags.error(n.key.where, "bfd_instance expects exactly one NAME before '{'");
        return;
    }
    const Token& name = n.args[0];
    if (name.text.size() > kNameMax) {
        ctx.diags.warning(name.where, "Configuration error: BFD instance " + name.text +
                                          " name too long (maximum length is 31 characters) - ignoring");
        return;
    }
    if (ctx.cfg.bfd_instances.count(name.text)) {
        ctx.diags.warning(name.where, "Configuration error: BFD instance " + name.text +
                                          " already configured - ignoring (first at " +
                                          locationStr(ctx.cfg.bfd_instances.at(name.text).where) + ")");
        return;
    }
    BfdInstance b;
    b.where = name.where;
    b.name = name.text;
    BfdCtx x{b};
    for (const auto& c : n.children) {
        bool done = false;
        for (const auto& [kw, fn] : handlers()) {
            if (c.key.text == kw) {
                fn(c, x, ctx);
                done = true;
                break;
            }
        }
        if (done) continue;
        std::vector<std::string_view> known;
        for (const auto& h : handlers()) known.push_back(h.first);
        unknownKeyword(c, "bfd_instance", known, ctx);
    }
    finish(n, x, ctx);
    ctx.cfg.bfd_instances.emplace(b.name, std::move(b));
}

// keepalived alloc_track_bfd, line by line: the name must be a bfd_instance above whose
// events go to the VRRP process; `weight N [reverse|noreverse]` overrides its weight.
void parseTrackBfd(const Node& n, const std::string& owner, std::vector<TrackRef>& out, Context& ctx) {
    if (!expectValueBlock(n, ctx)) return;
    const std::string who = "(" + owner + ") ";
    for (const auto& line : n.children) {
        std::vector<const Token*> w{&line.key};
        for (const auto& a : line.args) w.push_back(&a);
        const std::string& name = line.key.text;
        auto it = ctx.cfg.bfd_instances.find(name);
        if (it == ctx.cfg.bfd_instances.end() || !it->second.vrrp) {
            ctx.diags.warning(line.key.where, who + "track bfd " + name + " not found, ignoring...");
            continue;
        }
        bool dup = false;
        for (const auto& r : out) dup = dup || r.name == name;
        if (dup) {
            ctx.diags.warning(line.key.where, who + "duplicate track_bfd " + name + " - ignoring");
            continue;
        }
        TrackRef r{line.key.where, name, it->second.weight, it->second.weight_reverse};
        if (w.size() >= 2) {
            if (w[1]->text != "weight") {
                ctx.diags.warning(w[1]->where, who + "unknown track bfd " + name + " option " + w[1]->text +
                                                   " - ignoring");
                continue;
            }
            if (w.size() == 2) {
                ctx.diags.warning(w[1]->where, who + "weight without value specified for track bfd " + name +
                                                   " - ignoring");
                continue;
            }
            auto v = integer(w[2]->text);
            if (!v || *v < -253 || *v > 253)
                ctx.diags.warning(w[2]->where, who + "weight for track bfd " + name +
                                                   " must be in [-253..253] inclusive. Ignoring...");
            else
                r.weight = static_cast<int>(*v);
            if (w.size() >= 4) {
                if (w[3]->text == "reverse") r.reverse = true;
                else if (w[3]->text == "noreverse") r.reverse = false;
                else {
                    ctx.diags.warning(w[3]->where, who + "unknown track bfd " + name + " weight option " +
                                                       w[3]->text + " - ignoring");
                    continue;
                }
            }
        }
        out.push_back(std::move(r));
    }
}

}  // namespace xvrrp::config
