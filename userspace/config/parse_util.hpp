#pragma once
// Internal: the state shared by the block parsers and small typed argument readers that
// report what was expected at the offending word.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostic.hpp"
#include "config/ignored.hpp"
#include "config/lexer.hpp"
#include "config/parser.hpp"

namespace xvrrp::config {

// Positions and raw values the validator needs but Config does not keep.
struct InstanceInfo {
    Location vrid_where, advert_where, version_where, state_where, priority_where;
    Location preempt_where, auth_where, strict_where;
    uint64_t advert_us = 1000000;  // as written; rounding depends on the version
    bool advert_given = false;
};

// A command line to check on the filesystem after parsing (notify scripts).
struct ScriptUse {
    Location where;
    std::string command;
    std::string what;  // "notify_master script of vrrp_instance VI_1"
    std::string user;  // USER written after the script; "" = the default script user
    std::string group;
};

struct Context {
    Config& cfg;
    Diagnostics& diags;
    const LoadOptions& options;
    std::vector<InstanceInfo> info;  // parallel to cfg.instances
    bool global_version_given = false;
    std::vector<ScriptUse> notify_scripts;
    uint32_t next_rule_preference[2] = {16384, 16384};  // IPv4, IPv6 (keepalived's numbering)
};

// Argument count checks; they name the keyword and what it expects. Too few is an error;
// words past `max` are ignored, as keepalived ignores them, with advice.
bool expectArgs(const Node& n, size_t min, size_t max, Context& ctx, std::string_view usage = {});
bool expectNoBlock(const Node& n, Context& ctx);
bool expectBlock(const Node& n, Context& ctx);
// A block of values (virtual_ipaddress, track_script, unicast_peer, group...): words before its
// '{' are reported, as keepalived's alloc_value_block reports them, and the block is read.
bool expectValueBlock(const Node& n, Context& ctx);

std::optional<int64_t> parseInt(const Token& t, int64_t lo, int64_t hi, Context& ctx,
                                std::string_view what);
// Decimal seconds ("0.01", "3") to microseconds, within [lo_us, hi_us].
std::optional<uint64_t> parseSeconds(const Token& t, uint64_t lo_us, uint64_t hi_us, Context& ctx,
                                     std::string_view what);
std::optional<uint64_t> secondsToMicros(std::string_view text);
// <BOOL> is on|off|true|false|yes|no; no argument means true.
std::optional<bool> parseBoolArg(const Node& n, Context& ctx);
std::optional<IpAddr> parseAddr(const Token& t, Context& ctx, std::string_view what);
// `KEYWORD SCRIPT USER [GROUP]`: USER and GROUP after the first argument; nullopt without USER.
std::optional<RunAs> runAsArgs(const Node& n);

Directive toDirective(const Node& n);
std::vector<std::string> words(const std::vector<Token>& toks, size_t from = 0);

// A command-line keyword's statement with its words read again as keepalived 2.2.7 reads them
// (words.hpp splitQuotedEscaped: '...' and "..." group, escapes resolved): args[0] is the
// command line, then USER and GROUP. nullopt, reported, when keepalived cannot read the line
// (an unclosed quote, a trailing backslash): a warning where it ignores the line, an error
// where it crashes.
std::optional<Node> commandNode(const Node& n, Context& ctx, bool keepalived_crashes = false);
// First word of a command line, honouring single quotes.
std::string programOf(const std::string& command);

template <class T>
using Handler = void (*)(const Node&, T&, Context&);

template <class T>
struct KeywordTable {
    std::string_view block;  // for messages: "vrrp_instance"
    std::vector<std::pair<std::string_view, Handler<T>>> handlers;
    std::vector<std::string_view> kept;  // parsed into `other`, not acted on yet
};

void unknownKeyword(const Node& n, std::string_view block, const std::vector<std::string_view>& known,
                    Context& ctx);

// Runs the handler for each child; kept keywords go to `other` (if given), others warn.
// Keywords xvrrpd reads but does not act on are reported (config/ignored.hpp).
template <class T>
void dispatch(const std::vector<Node>& children, T& obj, std::vector<Directive>* other,
              const KeywordTable<T>& table, Context& ctx) {
    for (const auto& n : children) {
        reportIgnored(table.block, n, ctx.diags);
        bool done = false;
        for (const auto& [name, fn] : table.handlers) {
            if (n.key.text == name) {
                fn(n, obj, ctx);
                done = true;
                break;
            }
        }
        if (done) continue;
        bool kept = false;
        for (auto name : table.kept) kept = kept || n.key.text == name;
        if (kept && other) {
            other->push_back(toDirective(n));
            continue;
        }
        if (ctx.diags.full()) {  // only counted now: no suggestion search
            ctx.diags.warning(n.key.where, {});
            continue;
        }
        std::vector<std::string_view> known = table.kept;
        for (const auto& h : table.handlers) known.push_back(h.first);
        unknownKeyword(n, table.block, known, ctx);
    }
}

// keepalived resolves an instance's (or sync group's) track_script, track_file and
// track_process names when it reads the block: a name not defined above is "not found,
// ignoring..." and the reference is dropped, even if a later block defines it.
void resolveTrackRefs(const std::string& owner, std::vector<TrackRef>& scripts, std::vector<TrackRef>& files,
                      std::vector<TrackRef>& processes, Context& ctx);

// Checks against this node (system_check.cpp), through LoadOptions.
void checkInterfaces(Context& ctx);
void checkScripts(Context& ctx);

// Block parsers (one file each).
void parseGlobal(const Node& n, Context& ctx);
void parseInstance(const Node& n, Context& ctx);
void parseScript(const Node& n, Context& ctx);
void parseTrackFile(const Node& n, Context& ctx);
void parseTrackProcess(const Node& n, Context& ctx);
void parseSyncGroup(const Node& n, Context& ctx);
// bfd_instance blocks and track_bfd lists (bfd.cpp): parsed and checked, not run.
void parseBfdInstance(const Node& n, Context& ctx);
void parseTrackBfd(const Node& n, const std::string& owner, std::vector<TrackRef>& out, Context& ctx);

// Addresses, routes and rules (shared by virtual_* and static_* blocks).
std::optional<VirtualAddress> parseVirtualAddress(const Node& line, Context& ctx);
std::optional<Route> parseRoute(const Node& line, Context& ctx);
std::optional<Rule> parseRule(const Node& line, Context& ctx);
void parseAddressBlock(const Node& n, std::vector<VirtualAddress>& out, Context& ctx);
void parseRouteBlock(const Node& n, std::vector<Route>& out, Context& ctx);
void parseRuleBlock(const Node& n, std::vector<Rule>& out, Context& ctx);
// Track lists: `NAME [weight N] [reverse|noreverse|no_reverse]` one a line.
void parseTrackList(const Node& n, std::vector<TrackRef>& out, int weight_lo, int weight_hi,
                    Context& ctx);

// Cross-block checks after everything is read: references, families, VRIDs, scripts.
void validate(Context& ctx);
// VIPs one advert carries on the instance's interface (sets advert_vips); capacity.cpp.
void checkAdvertCapacity(Instance& i, Context& ctx);
// What the kernel maps hold: instances, VIPs, unicast peers, interfaces.
void checkMapCapacities(Context& ctx);

}  // namespace xvrrp::config
