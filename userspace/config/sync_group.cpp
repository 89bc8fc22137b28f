// vrrp_sync_group blocks (keepalived.conf(5) "VRRP synchronization group(s)").
#include "config/parse_util.hpp"

namespace xvrrp::config {
namespace {

// notify* SCRIPT [USER [GROUP]], read as a command line (parse_util.hpp commandNode).
void notify(const Node& line, std::string& out, SyncGroup& g, Context& c) {
    const auto cmd = commandNode(line, c);
    if (!cmd) return;
    const Node& n = *cmd;
    if (!expectArgs(n, 1, 3, c, "SCRIPT [USER [GROUP]]")) return;
    out = n.args[0].text;
    g.notify_run_as.erase(n.key.text);
    if (auto r = runAsArgs(n)) g.notify_run_as[n.key.text] = *r;
    c.notify_scripts.push_back({n.args[0].where, out, n.key.text + " of vrrp_sync_group " + g.name,
                               n.args.size() > 1 ? n.args[1].text : "", n.args.size() > 2 ? n.args[2].text : ""});
}

const KeywordTable<SyncGroup>& table() {
    static const KeywordTable<SyncGroup> t{
        "vrrp_sync_group",
        {
            {"group",
             [](const Node& n, SyncGroup& g, Context& c) {
                 if (!expectValueBlock(n, c)) return;
                 for (const auto& m : n.children) {
                     // Members may also be written several to a line.
                     g.members.emplace_back(m.key.where, m.key.text);
                     for (const auto& a : m.args) g.members.emplace_back(a.where, a.text);
                 }
             }},
            {"track_interface",
             [](const Node& n, SyncGroup& g, Context& c) { parseTrackList(n, g.track_interfaces, -254, 254, c); }},
            {"track_script",
             [](const Node& n, SyncGroup& g, Context& c) { parseTrackList(n, g.track_scripts, -253, 253, c); }},
            {"track_file",
             [](const Node& n, SyncGroup& g, Context& c) { parseTrackList(n, g.track_files, -254, 254, c); }},
            {"track_process",
             [](const Node& n, SyncGroup& g, Context& c) { parseTrackList(n, g.track_processes, -254, 254, c); }},
            {"track_bfd", [](const Node& n, SyncGroup& g, Context& c) { parseTrackBfd(n, g.name, g.track_bfds, c); }},
            {"notify", [](const Node& n, SyncGroup& g, Context& c) { notify(n, g.notify, g, c); }},
            {"notify_master", [](const Node& n, SyncGroup& g, Context& c) { notify(n, g.notify_master, g, c); }},
            {"notify_backup", [](const Node& n, SyncGroup& g, Context& c) { notify(n, g.notify_backup, g, c); }},
            {"notify_fault", [](const Node& n, SyncGroup& g, Context& c) { notify(n, g.notify_fault, g, c); }},
            {"notify_stop", [](const Node& n, SyncGroup& g, Context& c) { notify(n, g.notify_stop, g, c); }},
            {"smtp_alert",
             [](const Node& n, SyncGroup& g, Context& c) {
                 if (auto b = parseBoolArg(n, c)) g.smtp_alert = *b;
             }},
        },
        {"notify_deleted", "notify_priority_changes", "global_tracking",
         "sync_group_tracking_weight"}};
    return t;
}

}  // namespace

void parseSyncGroup(const Node& n, Context& ctx) {
    if (!expectBlock(n, ctx)) return;
    if (n.args.size() != 1) {
        ctx.diags.error(n.key.where, "vrrp_sync_group expects exactly one NAME before '{'");
        return;
    }
    for (const auto& g : ctx.cfg.sync_groups) {
        if (g.name == n.args[0].text) {
            ctx.diags.error(n.args[0].where, "vrrp_sync_group '" + g.name + "' is already defined at " +
                                                 locationStr(g.where));
            return;
        }
    }
    SyncGroup g;
    g.where = n.args[0].where;
    g.name = n.args[0].text;
    dispatch(n.children, g, &g.other, table(), ctx);
    resolveTrackRefs(g.name, g.track_scripts, g.track_files, g.track_processes, ctx);
    // keepalived runs without such a group.
    if (g.members.empty()) {
        ctx.diags.warning(n.args[0].where, "Sync group " + g.name + " has no virtual router(s). removing");
        return;
    }
    g.tracking_weight = std::any_of(g.other.begin(), g.other.end(),
                                    [](const Directive& d) { return d.keyword == "sync_group_tracking_weight"; });
    ctx.cfg.sync_groups.push_back(std::move(g));
}

}  // namespace xvrrp::config
