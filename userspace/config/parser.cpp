// Top level of keepalived.conf: which block goes where, and the public entry points.
#include "config/parser.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "config/lexer.hpp"
#include "config/parse_util.hpp"

namespace xvrrp::config {
namespace {

using TopHandler = void (*)(const Node&, Context&);

const std::vector<std::pair<std::string_view, TopHandler>>& topHandlers() {
    static const std::vector<std::pair<std::string_view, TopHandler>> t{
        {"global_defs", parseGlobal},
        {"vrrp_script", parseScript},
        {"vrrp_instance", parseInstance},
        {"vrrp_sync_group", parseSyncGroup},
        {"static_ipaddress", [](const Node& n, Context& c) { parseAddressBlock(n, c.cfg.static_addresses, c); }},
        {"static_routes", [](const Node& n, Context& c) { parseRouteBlock(n, c.cfg.static_routes, c); }},
        {"static_rules", [](const Node& n, Context& c) { parseRuleBlock(n, c.cfg.static_rules, c); }},
        {"track_file", parseTrackFile},
        {"vrrp_track_file", parseTrackFile},
        {"track_process", parseTrackProcess},
        {"vrrp_track_process", parseTrackProcess},
        {"bfd_instance", parseBfdInstance},
    };
    return t;
}

// Top-level keywords kept in Config::other: VRRP-side, not acted on yet.
constexpr std::array<std::string_view, 9> kKeptTop{
    "garp_group", "track_group", "interface_up_down_delays", "net_namespace", "net_namespace_ipvs",
    "namespace_with_ipsets", "instance", "use_pid_dir", "child_wait_time"};

// Blocks xvrrpd skips, with one report each: a notice for other keepalived subsystems, a
// warning where keepalived's VRRP would behave differently.
struct Skipped {
    std::string_view keyword;
    std::string_view why;
    bool vrrp_side = false;
};
constexpr std::array<Skipped, 5> kSkipped{{
    {"virtual_server", "LVS is not part of xvrrp"},
    {"virtual_server_group", "LVS is not part of xvrrp"},
    {"real_server", "LVS is not part of xvrrp"},
    {"SSL", "LVS is not part of xvrrp"},
    {"linkbeat_interfaces", "links are followed by netlink, not polled", true},
}};

// The one LVS problem keepalived -t reports in Debian's samples: it fails the file for it, so
// xvrrpd -t does too though it never reads the block.
void checkSkippedLvs(const Node& n, Context& ctx) {
    if (n.key.text != "virtual_server" || n.args.size() < 2 || n.args[0].text != "fwmark") return;
    for (const auto& c : n.children)
        if (c.key.text == "protocol")
            ctx.diags.warning(c.key.where, "Virtual server FWM " + n.args[1].text +
                                               ": protocol specified for fwmark - protocol will be ignored");
}

void parseTop(const std::vector<Node>& nodes, Context& ctx) {
    for (const auto& n : nodes) {
        const std::string& k = n.key.text;
        bool done = false;
        for (const auto& [name, fn] : topHandlers()) {
            if (k == name) {
                fn(n, ctx);
                done = true;
                break;
            }
        }
        if (done) continue;
        for (const auto& s : kSkipped) {
            if (k == s.keyword) {
                std::string msg = "skipping " + k + " block (" + std::string(s.why) + ")";
                if (s.vrrp_side) ctx.diags.advice(n.key.where, std::move(msg));
                else ctx.diags.notice(n.key.where, std::move(msg));
                checkSkippedLvs(n, ctx);
                done = true;
                break;
            }
        }
        if (done) continue;
        for (auto kept : kKeptTop) {
            if (k == kept) {
                reportIgnored("", n, ctx.diags);
                ctx.cfg.other.push_back(toDirective(n));
                done = true;
                break;
            }
        }
        if (done) continue;
        if (ctx.diags.full()) {  // only counted now: no suggestion search
            ctx.diags.warning(n.key.where, {});
            continue;
        }
        std::vector<std::string_view> known;
        for (const auto& h : topHandlers()) known.push_back(h.first);
        for (const auto& s : kSkipped) known.push_back(s.keyword);
        known.insert(known.end(), kKeptTop.begin(), kKeptTop.end());
        unknownKeyword(n, "the top level", known, ctx);
    }
}

// One answer per interface name for the whole load: 1,000 instances on four interfaces asked
// the kernel about the same four names thousands of times (most of a reload's time).
// FN with one call per name; the answers live as long as the returned function.
template <typename R>
std::function<R(const std::string&)> oncePerName(std::function<R(const std::string&)> fn) {
    if (!fn) return fn;
    auto seen = std::make_shared<std::unordered_map<std::string, R>>();
    return [fn = std::move(fn), seen](const std::string& name) {
        auto it = seen->find(name);
        if (it == seen->end()) it = seen->emplace(name, fn(name)).first;
        return it->second;
    };
}

LoadOptions askOncePerName(const LoadOptions& options) {
    LoadOptions o = options;
    o.find_interface = oncePerName(options.find_interface);
    o.interface_mtu = oncePerName(options.interface_mtu);
    return o;
}

LoadResult finish(std::vector<Token> tokens, Config cfg, Diagnostics& diags, const LoadOptions& given) {
    const LoadOptions options = askOncePerName(given);
    Context ctx{cfg, diags, options, {}, false, {}};
    auto tree = buildTree(std::move(tokens), diags);
    bool exact = true;
    std::string expanded = options.dump ? dumpStatements(tree, &exact) : std::string();
    parseTop(tree, ctx);
    validate(ctx);
    // Validation runs last; sort so the report reads top to bottom, file by file.
    auto list = diags.take();
    auto rank = [&cfg](const Location& w) {
        // One without a place (the count of those left out) comes last.
        if (w.file.empty() && w.line == 0) return std::ptrdiff_t{PTRDIFF_MAX};
        auto it = std::find(cfg.files.begin(), cfg.files.end(), w.file);
        return it - cfg.files.begin();
    };
    std::stable_sort(list.begin(), list.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        return std::make_tuple(rank(a.where), a.where.line, a.where.column) <
               std::make_tuple(rank(b.where), b.where.line, b.where.column);
    });
    return LoadResult{std::move(cfg), std::move(list), std::move(expanded), exact};
}

std::string dirOf(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return "";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

bool LoadResult::ok() const {
    for (const auto& d : diagnostics)
        if (d.severity == Severity::Error) return false;
    return true;
}

static LexerOptions lexerOptions(const LoadOptions& o) {
    return LexerOptions{o.config_id, o.random_seed, o.all_include_checks};
}

LoadResult loadConfigFile(const std::string& path, const LoadOptions& options) {
    Diagnostics diags;
    Config cfg;
    Lexer lexer(diags, cfg.files, lexerOptions(options));
    auto tokens = lexer.lexFile(path);
    return finish(std::move(tokens), std::move(cfg), diags, options);
}

LoadResult loadConfigText(std::string_view text, const std::string& name, const LoadOptions& options) {
    Diagnostics diags;
    Config cfg;
    Lexer lexer(diags, cfg.files, lexerOptions(options));
    auto tokens = lexer.lexText(text, name, dirOf(name));
    return finish(std::move(tokens), std::move(cfg), diags, options);
}

int checkConfig(const std::string& path, std::ostream& out, const LoadOptions& options,
                std::ostream* dump) {
    LoadOptions o = options;
    o.dump = dump != nullptr;
    LoadResult r = loadConfigFile(path, o);
    if (dump) *dump << r.expanded << std::flush;
    size_t counts[3] = {0, 0, 0};
    size_t keepalived_fails = 0;  // warnings keepalived -t reports too (and exits non-zero)
    for (const auto& d : r.diagnostics) {
        out << d.str() << '\n';
        ++counts[static_cast<int>(d.severity)];
        keepalived_fails += d.severity == Severity::Warning && !d.advice;
    }
    auto plural = [](size_t n, const char* word) {
        return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
    };
    std::string tally = plural(counts[0], "error") + ", " + plural(counts[1], "warning") + ", " +
                        plural(counts[2], "notice");
    if (r.ok()) {
        out << path << ": configuration is usable (" << tally << "; " << r.config.instances.size()
            << " vrrp_instance" << (r.config.instances.size() == 1 ? "" : "s") << ")\n";
        if (!keepalived_fails) return 0;
        out << path << ": keepalived -t reports " << keepalived_fails << " of these warnings"
            << " too and fails the file: exit status " << kExitKeepalivedWarnings << " as keepalived's\n";
        return kExitKeepalivedWarnings;
    }
    out << path << ": configuration is NOT usable (" << tally << ")\n";
    return 1;
}

}  // namespace xvrrp::config
