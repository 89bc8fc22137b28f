// Checks that need the whole file: references, address families, VRIDs, version rules,
// strict mode, and what system_check.cpp checks on this node. Runs after every block is parsed, so order of
// definitions in the file does not matter.
#include <map>
#include <set>
#include <tuple>

#include "common/utf8.hpp"
#include "config/parse_util.hpp"

namespace xvrrp::config {
namespace {

std::string famName(Family f) { return f == Family::V6 ? "IPv6" : "IPv4"; }

void applyGlobals(Context& ctx) {
    const Global& g = ctx.cfg.global;
    for (auto& i : ctx.cfg.instances) {
        i.strict_mode = i.strict_mode || g.vrrp_strict;
        i.skip_check_adv_addr = i.skip_check_adv_addr || g.vrrp_skip_check_adv_addr;
        i.check_unicast_src = i.check_unicast_src || g.vrrp_check_unicast_src;
        i.lower_prio_no_advert = i.lower_prio_no_advert || g.vrrp_lower_prio_no_advert;
        i.higher_prio_send_advert = i.higher_prio_send_advert || g.vrrp_higher_prio_send_advert;
    }
}

void checkFamilyAndVersion(Instance& i, const InstanceInfo& info, Context& ctx) {
    Family fam = instanceFamily(i);
    for (const auto& v : i.vips) {
        if (v.prefix.addr.family() != fam)
            ctx.diags.error(v.where, "virtual address " + v.prefix.addr.str() + " is " + famName(v.prefix.addr.family()) +
                                         " but vrrp_instance '" + i.name + "' is " + famName(fam) +
                                         " (one family per instance; use a second instance)");
    }
    if (i.src_ip && i.src_ip->family() != fam)
        ctx.diags.error(i.where, "source address " + i.src_ip->str() + " of vrrp_instance '" + i.name +
                                     "' is not " + famName(fam));
    for (const auto& p : i.unicast_peers)
        if (p.addr.family() != fam)
            ctx.diags.error(p.where, "unicast peer " + p.addr.str() + " is not " + famName(fam) +
                                         " like vrrp_instance '" + i.name + "'");
    if (fam != Family::V6) return;
    // RFC 5798 section 1: IPv6 exists only in VRRPv3.
    if (i.version && *i.version == 2) {
        ctx.diags.error(info.version_where, "vrrp_instance '" + i.name + "' has IPv6 addresses, which need version 3");
    } else if (!i.version && ctx.global_version_given && ctx.cfg.global.vrrp_version == 2) {
        Location at = i.vips.empty() ? i.where : i.vips.front().where;
        ctx.diags.error(at, "vrrp_instance '" + i.name + "' has IPv6 addresses, which need version 3 (global vrrp_version is 2)");
    } else {
        i.version = 3;  // keepalived picks v3 for IPv6 instances too
    }
}

void roundAdvertInt(Instance& i, const InstanceInfo& info, Context& ctx) {
    uint64_t us = info.advert_us;
    Location at = info.advert_given ? info.advert_where : i.where;
    if (effectiveVersion(ctx.cfg, i) == 2) {
        // RFC 3768 section 5.3.7: v2 advertisement interval is whole seconds.
        if (us % 1000000) {
            uint64_t s = std::max<uint64_t>(1, (us + 500000) / 1000000);
            ctx.diags.warning(at, "VRRPv2 advert_int must be whole seconds; rounded to " + std::to_string(s) + " s");
            us = s * 1000000;
        }
    } else {
        // RFC 5798 section 5.2.7: 12-bit Max Adver Int in centiseconds.
        if (us > 40950000) {
            ctx.diags.error(at, "VRRPv3 advert_int must be at most 40.95 s");
            return;
        }
        if (us % 10000) {
            uint64_t cs = std::max<uint64_t>(1, (us + 5000) / 10000);
            ctx.diags.warning(at, "VRRPv3 advert_int must be in units of 10 ms; rounded to " +
                                      std::to_string(cs / 100) + "." + (cs % 100 < 10 ? "0" : "") +
                                      std::to_string(cs % 100) + " s");
            us = cs * 10000;
        }
    }
    i.advert_int_cs = static_cast<uint32_t>(us / 10000);
}

// keepalived 2.2.7 (measured): the state MASTER rules come first, so an instance they turn
// into BACKUP keeps its nopreempt.
void checkInitialState(Instance& i, const InstanceInfo& info, Context& ctx) {
    const Location state_at = info.state_where.line ? info.state_where : i.where;
    if (i.state == InitialState::Master && i.strict_mode && i.priority != 255) {
        // RFC 5798 section 6.4.1: only the address owner starts as master.
        ctx.diags.warning(state_at, "(" + i.name + ") State MASTER must match being address owner (strict mode); "
                                    "it starts as BACKUP");
        i.state = InitialState::Backup;
    }
    if (i.state == InitialState::Master && i.auth_type == AuthType::Ah && effectiveVersion(ctx.cfg, i) == 2) {
        ctx.diags.warning(state_at, "(" + i.name + ") Initial state master is incompatible with AH authentication - "
                                    "it starts as BACKUP");
        i.state = InitialState::Backup;
    }
    if (!i.preempt && i.state == InitialState::Master) {
        ctx.diags.warning(info.preempt_where, "nopreempt does not work with initial state MASTER in vrrp_instance '" +
                                                  i.name + "'; cleared as keepalived does");
        i.preempt = true;
    }
}

void checkBehaviour(Instance& i, const InstanceInfo& info, Context& ctx) {
    checkInitialState(i, info, ctx);
    if (i.auth_type != AuthType::None && effectiveVersion(ctx.cfg, i) == 3) {
        ctx.diags.warning(info.auth_where, "VRRPv3 has no authentication (RFC 5798 section 9); ignored in vrrp_instance '" +
                                               i.name + "'");
        i.auth_type = AuthType::None;
    }
    // keepalived (vrrp_complete_instance): "Authentication specified but no password given.
    // Ignoring" - the instance runs without authentication. Strict mode reports it below.
    if (i.auth_type == AuthType::Pass && i.auth_pass.empty() && !i.strict_mode) {
        ctx.diags.warning(info.auth_where, "auth_type PASS without auth_pass in vrrp_instance '" + i.name +
                                               "'; authentication ignored as keepalived does");
        i.auth_type = AuthType::None;
    }
    if (!i.strict_mode) return;
    if (i.auth_type != AuthType::None) {
        ctx.diags.warning(info.auth_where, "strict mode does not support authentication; ignored in vrrp_instance '" +
                                               i.name + "'");
        i.auth_type = AuthType::None;
    }
    if (!i.unicast_peers.empty())
        ctx.diags.error(i.unicast_peers.front().where, "strict mode does not allow unicast peers (vrrp_instance '" + i.name + "')");
    // nopreempt stays: keepalived 2.2.7 honours it in strict mode (differential
    // strict_mode_nopreempt), though RFC 5798 has preemption only.
}

// keepalived follows its virtual routes by interface and says so for one without `dev`.
void checkRouteTracking(const Instance& i, Context& ctx) {
    for (const auto& r : i.routes)
        if (r.dev.empty() && !r.no_track)
            ctx.diags.warning(r.where, "cannot track route " + r.to.str() +
                                           " with no interface specified, not tracking");
}

// xvrrp_bfd_failover: a session must run to the master's address, or the keyword would
// quietly do nothing; so each of these refuses the file.
void checkBfdFailover(const Instance& i, Context& ctx) {
    if (i.bfd_failover.empty()) return;
    const Location& at = i.bfd_failover_where;
    const std::string head = "xvrrp_bfd_failover of vrrp_instance '" + i.name + "': ";
    const auto& defs = ctx.cfg.bfd_instances;
    auto it = defs.find(i.bfd_failover);
    if (it == defs.end()) {
        std::vector<std::string_view> names;
        for (const auto& [name, b] : defs) names.push_back(name);
        const std::string near = nearestWord(i.bfd_failover, names);
        ctx.diags.error(at, head + "no bfd_instance '" + i.bfd_failover + "'" +
                                (near.empty() ? "" : " (did you mean '" + near + "'?)"));
        return;
    }
    const BfdInstance& b = it->second;
    const std::string bname = "bfd_instance '" + b.name + "' (" + locationStr(b.where) + ")";
    if (!b.disabled.empty()) {
        ctx.diags.error(at, head + bname + " runs no session: " + b.disabled);
        return;
    }
    if (!b.vrrp) {
        ctx.diags.error(at, head + bname +
                                " reports to the checker only ('checker' without 'vrrp')");
        return;
    }
    const Family fam = instanceFamily(i);
    if (b.neighbor->family() != fam) {
        ctx.diags.error(at, head + "the neighbour " + b.neighbor->str() + " of " + bname + " is " +
                                famName(b.neighbor->family()) + ", the instance is " +
                                famName(fam));
        return;
    }
    // A weight-0 track_bfd of the same session faults the instance on that very Down.
    for (const auto& r : i.track_bfds)
        if (r.name == b.name && r.weight.value_or(0) == 0 && !r.reverse)
            ctx.diags.warning(at, head + "track_bfd " + b.name + " (" + locationStr(r.where) +
                                      ") has weight 0, so the Down that takes over also faults "
                                      "the instance");
    // VRRPv3 over IPv6 multicast speaks from the link-local address (RFC 5798 5.1.2.1): the
    // master a backup follows is its link-local one, never a global neighbour.
    if (i.unicast_peers.empty() && fam == Family::V6 && !b.neighbor->isLinkLocal())
        ctx.diags.warning(at, head + "the neighbour " + b.neighbor->str() + " of " + bname +
                                  " is not a link-local address, but an IPv6 master advertises "
                                  "from its link-local one, so a Down of that session takes "
                                  "nothing over");
    if (!i.unicast_peers.empty()) {
        bool peer = false;
        for (const auto& p : i.unicast_peers) peer = peer || p.addr == *b.neighbor;
        if (!peer)
            ctx.diags.warning(at, head + "the neighbour " + b.neighbor->str() + " of " + bname +
                                      " is none of its unicast peers, so it is never the master "
                                      "and a Down of that session takes nothing over");
    }
}

void checkSyncGroups(Context& ctx) {
    std::map<std::string, const SyncGroup*> memberOf;
    for (const auto& g : ctx.cfg.sync_groups) {
        for (const auto& [where, name] : g.members) {
            if (!ctx.cfg.findInstance(name)) {
                ctx.diags.error(where, "sync group member '" + name + "' is not a vrrp_instance");
                continue;
            }
            auto [it, fresh] = memberOf.emplace(name, &g);
            if (!fresh)
                ctx.diags.error(where, "vrrp_instance '" + name + "' is already in vrrp_sync_group '" + it->second->name +
                                           "' (" + locationStr(it->second->where) + ")");
        }
        if (g.members.size() == 1)
            ctx.diags.warning(g.where, "Sync group " + g.name + " has only 1 virtual router(s) - this probably isn't what you want");
    }
}

// Members of a sync group move together, so keepalived ignores a weight that would move one
// alone: of a tracked script, interface, file or BFD (not of a process, measured), unless the
// group has sync_group_tracking_weight. The daemon drops the same ones (tracking.cpp).
void checkSyncGroupWeights(Context& ctx) {
    for (auto& i : ctx.cfg.instances) {
        const SyncGroup* g = ctx.cfg.findSyncGroup(i.name);
        if (!g || g->tracking_weight) continue;
        const std::string head = "(" + i.name + ") ignoring ";
        // Such a script is not tracked at all: keepalived does not even run it (no
        // VRRP_Script line in its log, differential sync_group_weights_ignored).
        std::erase_if(i.track_scripts, [&](const TrackRef& r) {
            auto it = ctx.cfg.scripts.find(r.name);
            if (!r.weight.value_or(it != ctx.cfg.scripts.end() ? it->second.weight : 0)) return false;
            ctx.diags.warning(r.where, head + "tracked script " + r.name + " with weights due to SYNC group");
            return true;
        });
        for (const auto& r : i.track_interfaces)
            if (r.weight.value_or(0))
                ctx.diags.warning(r.where, head + r.name + " tracked interface weight due to SYNC group");
        for (const auto& r : i.track_files) {
            auto it = ctx.cfg.track_files.find(r.name);
            int w = r.weight.value_or(it != ctx.cfg.track_files.end() ? it->second.weight : 1);
            if (w)
                ctx.diags.warning(r.where, head + "tracked file " + r.name + " with weight " + std::to_string(w) +
                                               " due to SYNC group");
        }
        // keepalived 2.2.7, measured: no priority change from it; a weight-0 one faults.
        for (const auto& r : i.track_bfds)
            if (r.weight.value_or(0))
                ctx.diags.warning(r.where, head + "tracked bfd " + r.name + " with weight " +
                                               std::to_string(*r.weight) + " due to SYNC group");
    }
}

}  // namespace

void validate(Context& ctx) {
    applyGlobals(ctx);
    std::map<std::tuple<std::string, Family, uint8_t>, size_t> vrids;
    for (size_t k = 0; k < ctx.cfg.instances.size(); ++k) {
        Instance& i = ctx.cfg.instances[k];
        const InstanceInfo& info = ctx.info[k];
        std::string owner = "vrrp_instance '" + i.name + "'";
        if (i.interface.empty()) ctx.diags.error(i.where, owner + " has no 'interface'");
        if (!i.vrid_given) ctx.diags.error(i.where, owner + " has no 'virtual_router_id'");
        if (!isValidUtf8(i.name))
            ctx.diags.advice(i.where, "vrrp_instance name is not valid UTF-8; xvrrpctl status and "
                                       "xvrrp-arbiter show it as '" + escapeInvalidUtf8(i.name) + "'");
        checkFamilyAndVersion(i, info, ctx);
        roundAdvertInt(i, info, ctx);
        checkBehaviour(i, info, ctx);
        checkRouteTracking(i, ctx);
        checkBfdFailover(i, ctx);
        if (!i.interface.empty()) checkAdvertCapacity(i, ctx);
        if (i.interface.empty() || !i.vrid_given) continue;
        // RFC 5798 section 5.2.3: a VRID identifies one router per LAN and address family.
        auto [it, fresh] = vrids.emplace(std::make_tuple(i.interface, instanceFamily(i), i.vrid), k);
        if (!fresh) {
            const Instance& first = ctx.cfg.instances[it->second];
            ctx.diags.error(info.vrid_where, "virtual_router_id " + std::to_string(i.vrid) + " on " + i.interface + " (" +
                                                 famName(instanceFamily(i)) + ") is already used by vrrp_instance '" +
                                                 first.name + "' at " + locationStr(ctx.info[it->second].vrid_where));
        }
    }
    checkSyncGroups(ctx);
    checkSyncGroupWeights(ctx);
    checkMapCapacities(ctx);
    checkInterfaces(ctx);
    checkScripts(ctx);
}

}  // namespace xvrrp::config
