#include "config/parse_util.hpp"

#include <charconv>

#include "config/words.hpp"

namespace xvrrp::config {

bool expectArgs(const Node& n, size_t min, size_t max, Context& ctx, std::string_view usage) {
    std::string use = usage.empty() ? "" : " (" + std::string(usage) + ")";
    if (n.args.size() < min) {
        ctx.diags.error(n.key.where, "'" + n.key.text + "' expects " +
                                         (min == 1 ? std::string("a value") : std::to_string(min) + " values") +
                                         use);
        return false;
    }
    // keepalived 2.2.7's handlers read the words they take and ignore the rest (measured:
    // router_id ab cd, priority 100 extra, nopreempt extra pass its -t).
    if (n.args.size() > max)
        ctx.diags.advice(n.args[max].where, "'" + n.key.text + "' takes " +
                                                (max == 0 ? std::string("no values")
                                                          : "at most " + std::to_string(max) +
                                                                (max == 1 ? " value" : " values")) +
                                                use + "; '" + n.args[max].text +
                                                "' and the words after it are ignored, as keepalived 2.2.7 ignores them");
    return expectNoBlock(n, ctx);
}

bool expectNoBlock(const Node& n, Context& ctx) {
    if (!n.has_block) return true;
    ctx.diags.error(n.key.where, "'" + n.key.text + "' does not take a { } block");
    return false;
}

bool expectBlock(const Node& n, Context& ctx) {
    if (n.has_block) return true;
    ctx.diags.error(n.key.where, "'" + n.key.text + "' expects a { } block");
    return false;
}

bool expectValueBlock(const Node& n, Context& ctx) {
    if (!expectBlock(n, ctx)) return false;
    if (!n.args.empty())
        ctx.diags.warning(n.args[0].where, "Block " + n.key.text + " has extra parameters " + n.args[0].text +
                                               " ...; ignored (keepalived 2.2.7 says so too and reads the block)");
    return true;
}

std::optional<int64_t> parseInt(const Token& t, int64_t lo, int64_t hi, Context& ctx,
                                std::string_view what) {
    int64_t v = 0;
    const char* b = t.text.data();
    const char* e = b + t.text.size();
    if (b != e && *b == '+') ++b;
    auto [end, ec] = std::from_chars(b, e, v);
    if (b == e || ec != std::errc() || end != e || v < lo || v > hi) {
        ctx.diags.error(t.where, std::string(what) + " must be an integer in " + std::to_string(lo) +
                                     ".." + std::to_string(hi) + ", got '" + t.text + "'");
        return std::nullopt;
    }
    return v;
}

std::optional<uint64_t> secondsToMicros(std::string_view s) {
    if (s.empty()) return std::nullopt;
    uint64_t whole = 0, frac = 0;
    size_t i = 0, digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
        whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
        if (whole > 1000000000ULL) return std::nullopt;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        uint64_t scale = 100000;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
            frac += static_cast<uint64_t>(s[i] - '0') * scale;  // digits past 1 us are dropped
            scale /= 10;
        }
    }
    if (i != s.size() || digits == 0) return std::nullopt;
    return whole * 1000000 + frac;
}

namespace {
std::string secondsStr(uint64_t us) {
    std::string s = std::to_string(us / 1000000);
    if (uint64_t f = us % 1000000) {
        std::string fs = std::to_string(f);
        fs = std::string(6 - fs.size(), '0') + fs;
        while (fs.back() == '0') fs.pop_back();
        s += "." + fs;
    }
    return s;
}
}  // namespace

std::optional<uint64_t> parseSeconds(const Token& t, uint64_t lo_us, uint64_t hi_us, Context& ctx,
                                     std::string_view what) {
    auto v = secondsToMicros(t.text);
    if (!v || *v < lo_us || *v > hi_us) {
        ctx.diags.error(t.where, std::string(what) + " must be a number of seconds in " +
                                     secondsStr(lo_us) + ".." + secondsStr(hi_us) + ", got '" +
                                     t.text + "'");
        return std::nullopt;
    }
    return v;
}

std::optional<bool> parseBoolArg(const Node& n, Context& ctx) {
    if (!expectArgs(n, 0, 1, ctx)) return std::nullopt;
    if (n.args.empty()) return true;
    const std::string& w = n.args[0].text;
    if (w == "on" || w == "true" || w == "yes") return true;
    if (w == "off" || w == "false" || w == "no") return false;
    ctx.diags.error(n.args[0].where, "'" + n.key.text + "' expects on|off|true|false|yes|no, got '" + w + "'");
    return std::nullopt;
}

std::optional<IpAddr> parseAddr(const Token& t, Context& ctx, std::string_view what) {
    auto a = IpAddr::parse(t.text);
    if (!a) ctx.diags.error(t.where, std::string(what) + " must be an IPv4 or IPv6 address, got '" + t.text + "'");
    return a;
}

Directive toDirective(const Node& n) {
    Directive d;
    d.where = n.key.where;
    d.keyword = n.key.text;
    d.args = words(n.args);
    for (const auto& c : n.children) d.children.push_back(toDirective(c));
    return d;
}

std::vector<std::string> words(const std::vector<Token>& toks, size_t from) {
    std::vector<std::string> out;
    for (size_t i = from; i < toks.size(); ++i) out.push_back(toks[i].text);
    return out;
}

std::optional<Node> commandNode(const Node& n, Context& ctx, bool keepalived_crashes) {
    if (!n.key.line) return n;
    SplitError why;
    auto words = splitQuotedEscaped(n.key.line->str(), &why);
    if (!words) {
        const Location at = n.key.line->locationAt(why.at);
        if (keepalived_crashes)
            ctx.diags.error(at, "'" + n.key.text + "' line cannot be read: " + why.what +
                                    " (keepalived 2.2.7 crashes on this line)");
        else
            ctx.diags.warning(at, "'" + n.key.text + "' ignored: " + why.what + " (keepalived 2.2.7 ignores the line)");
        return std::nullopt;
    }
    Node cmd = n;
    cmd.args.clear();
    for (size_t k = 1; k < words->size(); ++k) {
        Word& w = (*words)[k];
        Token t{TokenKind::Word, std::move(w.text), n.key.line->locationAt(w.at), false, {}};
        if (auto via = n.key.line->viaIn(w.at, w.end)) t.where.via = via->describe();
        cmd.args.push_back(std::move(t));
    }
    return cmd;
}

std::string programOf(const std::string& command) {
    std::string out;
    size_t i = 0;
    while (i < command.size() && (command[i] == ' ' || command[i] == '\t')) ++i;
    bool inQuote = false;
    for (; i < command.size(); ++i) {
        char c = command[i];
        if (c == '\'') { inQuote = !inQuote; continue; }
        if (!inQuote && (c == ' ' || c == '\t')) break;
        out += c;
    }
    return out;
}

void unknownKeyword(const Node& n, std::string_view block, const std::vector<std::string_view>& known,
                    Context& ctx) {
    std::string msg = "unknown keyword '" + n.key.text + "' in " + std::string(block);
    std::string near = nearestWord(n.key.text, known);
    if (!near.empty()) msg += "; did you mean '" + near + "'?";
    // Left as written when no $NAME=VALUE line before it defines it (keepalived.conf(5)).
    if (!n.key.quoted && n.key.text.starts_with('$')) msg += " (no parameter of that name is defined above)";
    ctx.diags.warning(n.key.where, msg);
}

std::optional<RunAs> runAsArgs(const Node& n) {
    if (n.args.size() < 2) return std::nullopt;
    return RunAs{n.args[1].text, n.args.size() > 2 ? n.args[2].text : ""};
}

namespace {

template <class Map>
void dropUndefined(const std::string& owner, std::vector<TrackRef>& refs, const Map& defined, std::string_view kind,
                   Context& ctx) {
    std::erase_if(refs, [&](const TrackRef& r) {
        if (defined.count(r.name)) return false;
        ctx.diags.warning(r.where, "(" + owner + ") track " + std::string(kind) + " " + r.name +
                                       " not found, ignoring... (it must be defined above its use)");
        return true;
    });
}

}  // namespace

void resolveTrackRefs(const std::string& owner, std::vector<TrackRef>& scripts, std::vector<TrackRef>& files,
                      std::vector<TrackRef>& processes, Context& ctx) {
    dropUndefined(owner, scripts, ctx.cfg.scripts, "script", ctx);
    dropUndefined(owner, files, ctx.cfg.track_files, "file", ctx);
    dropUndefined(owner, processes, ctx.cfg.track_processes, "process", ctx);
}

}  // namespace xvrrp::config
