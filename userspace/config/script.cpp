// vrrp_script, track_file / vrrp_track_file and track_process / vrrp_track_process blocks.
#include "config/parse_util.hpp"

namespace xvrrp::config {
namespace {

void weightReverse(const Node& n, int& weight, bool& reverse, int64_t lo, int64_t hi, Context& c) {
    if (!expectArgs(n, 1, 2, c, "N [reverse]")) return;
    auto v = parseInt(n.args[0], lo, hi, c, "weight");
    if (!v) return;
    weight = static_cast<int>(*v);
    if (n.args.size() >= 2) {
        if (n.args[1].text == "reverse") reverse = true;
        else if (n.args[1].text == "noreverse" || n.args[1].text == "no_reverse") reverse = false;
        // keepalived 2.2.7: "vrrp_script chk unknown weight option x" (-t exit 5), the weight kept.
        else c.diags.warning(n.args[1].where, "unknown weight option '" + n.args[1].text + "' (expected reverse) - ignoring");
    }
}

void u32(const Node& n, uint32_t& out, int64_t lo, int64_t hi, Context& c) {
    if (!expectArgs(n, 1, 1, c)) return;
    if (auto v = parseInt(n.args[0], lo, hi, c, n.key.text)) out = static_cast<uint32_t>(*v);
}

// Seconds that keepalived accepts with fractions; stored whole (rounded up, never 0 -> 0).
void wholeSeconds(const Node& n, uint32_t& out, uint64_t lo_us, Context& c) {
    if (!expectArgs(n, 1, 1, c)) return;
    if (auto v = parseSeconds(n.args[0], lo_us, 4294967295ULL * 1000000, c, n.key.text))
        out = static_cast<uint32_t>((*v + 999999) / 1000000);
}

const KeywordTable<Script>& scriptTable() {
    static const KeywordTable<Script> t{
        "vrrp_script",
        {
            {"script",
             [](const Node& line, Script& s, Context& c) {
                 const auto cmd = commandNode(line, c, true);
                 if (!cmd) return;
                 const Node& n = *cmd;
                 if (!expectNoBlock(n, c)) return;
                 if (n.args.empty()) {
                     expectArgs(n, 1, 1, c, "COMMAND");
                     return;
                 }
                 // keepalived 2.2.7 runs the first word alone (measured: `script /usr/bin/test
                 // -n x` runs /usr/bin/test and fails) and its -t says nothing of the rest.
                 s.script = n.args[0].text;
                 if (n.args.size() < 2) return;
                 std::string rest;
                 for (size_t i = 1; i < n.args.size(); ++i) {
                     const std::string& w = n.args[i].text;
                     rest += (i > 1 ? " " : "") + (w.find_first_of(" \t") != std::string::npos ? '"' + w + '"' : w);
                 }
                 c.diags.advice(n.args[1].where, "vrrp_script " + s.name + " runs '" + s.script +
                                                     "' only, not the words after it (" + rest +
                                                     "), as keepalived 2.2.7 does (it runs the first word of a "
                                                     "script line); quote the whole command line");
             }},
            {"interval", [](const Node& n, Script& s, Context& c) { wholeSeconds(n, s.interval_s, 1, c); }},
            {"timeout",
             [](const Node& n, Script& s, Context& c) {
                 uint32_t v = 0;
                 wholeSeconds(n, v, 1, c);
                 if (v) s.timeout_s = v;
             }},
            {"weight",
             [](const Node& n, Script& s, Context& c) { weightReverse(n, s.weight, s.weight_reverse, -253, 253, c); }},
            {"rise", [](const Node& n, Script& s, Context& c) { u32(n, s.rise, 1, INT32_MAX, c); }},
            {"fall", [](const Node& n, Script& s, Context& c) { u32(n, s.fall, 1, INT32_MAX, c); }},
            {"user",
             [](const Node& n, Script& s, Context& c) {
                 if (!expectArgs(n, 1, 2, c, "USER [GROUP]")) return;
                 s.user = n.args[0].text;
                 if (n.args.size() > 1) s.group = n.args[1].text;
             }},
            {"init_fail",
             [](const Node& n, Script& s, Context& c) { if (expectArgs(n, 0, 0, c)) s.init_fail = true; }},
        },
        {}};
    return t;
}

const KeywordTable<TrackFile>& fileTable() {
    static const KeywordTable<TrackFile> t{
        "track_file",
        {
            {"file",
             [](const Node& n, TrackFile& f, Context& c) {
                 if (expectArgs(n, 1, 1, c)) f.file = n.args[0].text;
             }},
            {"weight",
             [](const Node& n, TrackFile& f, Context& c) {
                 weightReverse(n, f.weight, f.weight_reverse, -2147483647, 2147483647, c);
             }},
            {"init_file",
             [](const Node& n, TrackFile& f, Context& c) {
                 if (!expectArgs(n, 0, 2, c, "[VALUE] [overwrite]")) return;
                 f.init_file = true;
                 for (size_t k = 0; k < n.args.size() && k < 2; ++k) {
                     const Token& a = n.args[k];
                     if (a.text == "overwrite") f.overwrite = true;
                     else if (auto v = parseInt(a, INT32_MIN, INT32_MAX, c, "init_file value")) f.init_value = static_cast<int>(*v);
                 }
             }},
        },
        {}};
    return t;
}

const KeywordTable<TrackProcess>& processTable() {
    static const KeywordTable<TrackProcess> t{
        "track_process",
        {
            {"process",
             [](const Node& n, TrackProcess& p, Context& c) {
                 if (!expectArgs(n, 1, SIZE_MAX, c, "NAME [PARAMS...]")) return;
                 p.process = n.args[0].text;
                 p.param_match = words(n.args, 1);
             }},
            {"param_match",
             [](const Node& n, TrackProcess& p, Context& c) {
                 if (!expectArgs(n, 0, 1, c, "[initial|partial]")) return;
                 p.param_match_mode = n.args.empty() ? "exact" : n.args[0].text;
                 if (p.param_match_mode != "exact" && p.param_match_mode != "initial" && p.param_match_mode != "partial")
                     c.diags.error(n.args[0].where, "param_match must be initial or partial, got '" + n.args[0].text + "'");
             }},
            {"weight",
             [](const Node& n, TrackProcess& p, Context& c) { weightReverse(n, p.weight, p.weight_reverse, -254, 254, c); }},
            {"quorum", [](const Node& n, TrackProcess& p, Context& c) { u32(n, p.quorum, 1, 65535, c); }},
            {"quorum_max",
             [](const Node& n, TrackProcess& p, Context& c) {
                 if (!expectArgs(n, 1, 1, c)) return;
                 if (auto q = parseInt(n.args[0], 0, 65535, c, "quorum_max")) p.quorum_max = static_cast<uint32_t>(*q);
             }},
            {"fork_delay", [](const Node& n, TrackProcess& p, Context& c) { wholeSeconds(n, p.fork_delay, 0, c); }},
            {"terminate_delay",
             [](const Node& n, TrackProcess& p, Context& c) { wholeSeconds(n, p.terminate_delay, 0, c); }},
            {"delay",
             [](const Node& n, TrackProcess& p, Context& c) {
                 wholeSeconds(n, p.fork_delay, 0, c);
                 p.terminate_delay = p.fork_delay;
             }},
            {"full_command",
             [](const Node& n, TrackProcess& p, Context& c) { if (expectArgs(n, 0, 0, c)) p.full_command = true; }},
        },
        {}};
    return t;
}

// `KIND NAME { ... }` into a map keyed by name; duplicates are errors.
template <class T>
T* parseNamed(const Node& n, std::map<std::string, T>& out, const KeywordTable<T>& table, Context& ctx) {
    if (!expectBlock(n, ctx)) return nullptr;
    if (n.args.empty()) {
        ctx.diags.error(n.key.where, n.key.text + " expects a NAME before '{'");
        return nullptr;
    }
    // keepalived 2.2.7 names the block by its first word and ignores the rest (measured:
    // `vrrp_script chk extra {` passes -t and chk is tracked).
    if (n.args.size() > 1)
        ctx.diags.advice(n.args[1].where, "'" + n.args[1].text + "' and the words after it are ignored: this " +
                                              n.key.text + " is named " + n.args[0].text + ", as keepalived 2.2.7 names it");
    const std::string& name = n.args[0].text;
    if (auto it = out.find(name); it != out.end()) {
        ctx.diags.error(n.args[0].where, n.key.text + " '" + name + "' is already defined at " +
                                             locationStr(it->second.where));
        return nullptr;
    }
    T obj;
    obj.where = n.args[0].where;
    obj.name = name;
    dispatch(n.children, obj, nullptr, table, ctx);
    return &out.emplace(name, std::move(obj)).first->second;
}

}  // namespace

// keepalived drops a tracker defined without what it tracks (saying so at the closing
// brace); instances naming it later find nothing ("not found, ignoring...").
template <class T>
void dropEmpty(const Node& n, std::map<std::string, T>& out, T* obj, bool empty, const std::string& why,
               Context& ctx) {
    if (!obj || !empty) return;
    ctx.diags.warning(n.end.line ? n.end : n.args[0].where, why);
    out.erase(obj->name);
}

void parseScript(const Node& n, Context& ctx) {
    Script* s = parseNamed(n, ctx.cfg.scripts, scriptTable(), ctx);
    if (s) dropEmpty(n, ctx.cfg.scripts, s, s->script.empty(), "No script set for vrrp_script " + s->name + " - removing", ctx);
}

void parseTrackFile(const Node& n, Context& ctx) {
    TrackFile* f = parseNamed(n, ctx.cfg.track_files, fileTable(), ctx);
    if (f) dropEmpty(n, ctx.cfg.track_files, f, f->file.empty(), "No file set for track_file " + f->name + " - ignoring", ctx);
}

void parseTrackProcess(const Node& n, Context& ctx) {
    TrackProcess* p = parseNamed(n, ctx.cfg.track_processes, processTable(), ctx);
    if (p)
        dropEmpty(n, ctx.cfg.track_processes, p, p->process.empty(),
                  "track process '" + p->name + "' process name not specified", ctx);
}

}  // namespace xvrrp::config
