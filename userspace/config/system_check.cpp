// Checks against the node the file is read on, as keepalived 2.2.7 makes them while
// reading: every interface named must exist (unless dynamic_interfaces) and every script is
// judged before it may run. Both go through LoadOptions, so unit tests of other parts stay
// independent of the host.
#include "config/parse_util.hpp"

namespace xvrrp::config {
namespace {

std::string joined(const std::vector<std::string>& messages) {
    std::string out;
    for (const auto& m : messages) out += (out.empty() ? "" : "; ") + m;
    return out;
}

// keepalived refuses to start ("Non-existent interface specified in configuration") when
// one is missing, so each is an error, in keepalived's words.
void requireInterface(const std::string& name, const Location& where, const std::string& what, Context& ctx) {
    if (name.empty() || ctx.options.find_interface(name) != InterfaceFound::Missing) return;
    ctx.diags.error(where, what + " doesn't exist (keepalived and xvrrpd refuse to start without it unless "
                                  "global_defs has dynamic_interfaces)");
}

void requireAddressDevs(const std::vector<VirtualAddress>& list, Context& ctx) {
    for (const auto& a : list)
        requireInterface(a.dev, a.where, "interface " + a.dev + " for ip address " + a.prefix.str(), ctx);
}

void requireRouteDevs(const std::vector<Route>& list, Context& ctx) {
    for (const auto& r : list) requireInterface(r.dev, r.where, "interface " + r.dev + " for VROUTE nexthop", ctx);
}

}  // namespace

void checkInterfaces(Context& ctx) {
    if (!ctx.options.find_interface) return;
    for (const auto& i : ctx.cfg.instances)
        if (!i.interface.empty() && ctx.options.find_interface(i.interface) == InterfaceFound::Loopback)
            ctx.diags.error(i.interface_where, "(" + i.name + ") cannot use a loopback interface (" + i.interface +
                                                   ") for vrrp");
    if (ctx.cfg.global.dynamic_interfaces) return;
    requireAddressDevs(ctx.cfg.static_addresses, ctx);
    requireRouteDevs(ctx.cfg.static_routes, ctx);
    for (const auto& i : ctx.cfg.instances) {
        requireInterface(i.interface, i.interface_where,
                         "interface " + i.interface + " for vrrp_instance " + i.name, ctx);
        for (const auto& t : i.track_interfaces)
            requireInterface(t.name, t.where, "(" + i.name + ") tracked interface " + t.name, ctx);
        requireAddressDevs(i.vips, ctx);
        requireAddressDevs(i.vips_excluded, ctx);
        requireRouteDevs(i.routes, ctx);
    }
    for (const auto& g : ctx.cfg.sync_groups)
        for (const auto& t : g.track_interfaces)
            requireInterface(t.name, t.where, "(" + g.name + ") tracked interface " + t.name, ctx);
}

// A vrrp_script keepalived disables fails keepalived -t; a notify script it cannot run only
// fails when it is run, which keepalived -t does not report (measured), so that is advice.
void checkScripts(Context& ctx) {
    const ScriptChecker& judge = ctx.options.check_script;
    if (!judge) return;
    const Global& g = ctx.cfg.global;
    bool exec = false, insecure = false;
    FileName file;  // keepalived names no line for its summary: the file of the first one
    auto note = [&](const ScriptVerdict& v, const Location& where) {
        if (!v.runs || !v.exec) return;
        if (!exec) file = where.file;
        exec = true;
    };
    for (const auto& [name, s] : ctx.cfg.scripts) {
        ScriptVerdict v = judge(s.script, s.user, s.group, g, "vrrp script " + name);
        note(v, s.where);
        insecure = insecure || v.insecure;
        if (v.runs) continue;
        v.messages.push_back("Disabling track script " + name +
                             (v.insecure ? " due to insecure" : " since not found/accessible"));
        ctx.diags.warning(s.where, "vrrp_script '" + name + "': " + joined(v.messages));
    }
    for (const auto& u : ctx.notify_scripts) {
        ScriptVerdict v = judge(u.command, u.user, u.group, g, u.what);
        note(v, u.where);
        insecure = insecure || v.insecure;
        if (!v.runs) ctx.diags.advice(u.where, u.what + ": " + joined(v.messages) + "; it will not be run");
    }
    if (exec && !g.enable_script_security)
        ctx.diags.warning(Location(file),
                          std::string("SECURITY VIOLATION - scripts are being executed but script_security not "
                                      "enabled.") + (insecure ? " There are insecure scripts." : "") +
                              " (global_defs enable_script_security)");
}

}  // namespace xvrrp::config
