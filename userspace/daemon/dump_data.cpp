// /tmp/keepalived.data in keepalived 2.2.7's layout (see dump_render.hpp).
#include <grp.h>
#include <pwd.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "daemon/dump_render.hpp"
#include "vrrp/timers.hpp"

namespace xvrrp::daemon {

const std::vector<std::string_view> kOmittedGlobals = {
    "Network namespace ipvs", "Default smtp_alert", "Default smtp_alert_vrrp",
    "Default smtp_alert_checker", "Checkers log all failures", "No test config before reload",
    "Dynamic interfaces", "Default interface", "Disable local IGMP", "LVS flush",
    "LVS flush on stop", "FIFO write vrrp states on reload", "VRRP notify priority changes",
    "Gratuitous ARP for each secondary VMAC", "nftables without counters", "libnftnl version",
    "Max auto priority", "Min auto priority delay", "VRRP process priority",
    "VRRP don't swap", "VRRP realtime priority", "VRRP realtime limit",
    "Checker process priority", "Checker don't swap", "Checker realtime priority",
    "Checker realtime limit", "BFD process priority", "BFD don't swap", "BFD realtime priority",
    "BFD realtime limit", "SNMP vrrp", "SNMP checker", "SNMP RFCv2", "SNMP RFCv3",
    "SNMP traps", "SNMP socket", "DBus", "DBus service name", "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force", "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force", "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force", "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force", "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force", "rs_init_notifies", "no_checker_emails",
    "rx_bufs_multiples", "umask"};

namespace {

constexpr uint32_t kGarpDelay = 5, kGarpRepeat = 5, kGarpRefreshRepeat = 1;

const char* boolText(bool b) { return b ? "true" : "false"; }
const char* enabled(bool b) { return b ? "enabled" : "disabled"; }

uint32_t garp(const std::optional<uint32_t>& inst, const std::optional<uint32_t>& global,
              uint32_t dflt) {
    return inst ? *inst : global ? *global : dflt;
}

std::string quoted(const std::string& line) { return quotedWords(line); }

// keepalived prints the numeric ids; a name nobody has stays a name.
std::string uidGid(const std::string& user, const std::string& group) {
    if (user.empty()) return "0:0";  // keepalived's default script user is root here
    std::string uid = user, gid = group.empty() ? user : group;
    if (const passwd* pw = ::getpwnam(user.c_str())) {
        uid = std::to_string(pw->pw_uid);
        if (group.empty()) gid = std::to_string(pw->pw_gid);
    }
    if (!group.empty())
        if (const struct group* gr = ::getgrnam(group.c_str())) gid = std::to_string(gr->gr_gid);
    return uid + ":" + gid;
}

std::string scriptUser(const config::Global& g) { return uidGid(g.script_user, g.script_group); }

class Writer {
public:
    explicit Writer(const DaemonSnapshot& s) : s_(s), g_(s.config->global) {}
    std::string run();

private:
    void section(const char* name) { o_ << "------< " << name << " >------\n"; }
    void globals();
    void instance(const InstanceSnapshot& i);
    void instanceTiming(const InstanceSnapshot& i);
    void instanceAddresses(const InstanceSnapshot& i);
    void instanceTracking(const InstanceSnapshot& i);
    void notifyScripts(const config::Instance& c);
    void sockpool();
    void syncGroups();
    void scripts();
    void trackFiles();
    const InstanceSnapshot* find(const std::string& name) const {
        for (const auto& i : s_.instances)
            if (i.cfg->name == name) return &i;
        return nullptr;
    }

    const DaemonSnapshot& s_;
    const config::Global& g_;
    std::ostringstream o_;
};

std::string Writer::run() {
    globals();
    section("VRRP Topology");
    for (const auto& i : s_.instances) instance(i);
    sockpool();
    section("VRRP Sync groups");
    syncGroups();
    if (!s_.scripts.empty()) {
        section("VRRP Scripts");
        scripts();
    }
    if (!s_.track_files.empty()) {
        section("VRRP Track files");
        trackFiles();
    }
    return o_.str();
}

void Writer::globals() {
    section("Global definitions");
    o_ << " Network namespace = (default)\n";
    o_ << " Router ID = " << g_.router_id << "\n";
    o_ << " VRRP IPv4 mcast group = " << g_.mcast_group4.str() << "\n";
    o_ << " VRRP IPv6 mcast group = " << g_.mcast_group6.str() << "\n";
    const auto& ga = g_.garp;
    o_ << " Gratuitous ARP delay = " << ga.master_delay_s.value_or(kGarpDelay) << "\n";
    o_ << " Gratuitous ARP repeat = " << ga.master_repeat.value_or(kGarpRepeat) << "\n";
    o_ << " Gratuitous ARP refresh timer = " << ga.master_refresh_s.value_or(0) << "\n";
    o_ << " Gratuitous ARP refresh repeat = "
       << ga.master_refresh_repeat.value_or(kGarpRefreshRepeat) << "\n";
    o_ << " Gratuitous ARP lower priority delay = "
       << ga.lower_prio_delay_s.value_or(ga.master_delay_s.value_or(kGarpDelay)) << "\n";
    o_ << " Gratuitous ARP lower priority repeat = "
       << ga.lower_prio_repeat.value_or(ga.master_repeat.value_or(kGarpRepeat)) << "\n";
    o_ << " Num adverts before down = " << vrrp::kDownTimerAdverts << "\n";
    o_ << " Send advert after receive lower priority advert = "
       << boolText(!g_.vrrp_lower_prio_no_advert) << "\n";
    o_ << " Send advert after receive higher priority advert = "
       << boolText(g_.vrrp_higher_prio_send_advert) << "\n";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%f", g_.vrrp_garp_interval_us / 1e6);
    o_ << " Gratuitous ARP interval = " << buf << "\n";
    std::snprintf(buf, sizeof buf, "%f", g_.vrrp_gna_interval_us / 1e6);
    o_ << " Gratuitous NA interval = " << buf << "\n";
    o_ << " VRRP default protocol version = " << g_.vrrp_version << "\n";
    o_ << " VRRP check unicast_src = " << boolText(g_.vrrp_check_unicast_src) << "\n";
    o_ << " VRRP skip check advert addresses = " << boolText(g_.vrrp_skip_check_adv_addr) << "\n";
    o_ << " VRRP strict mode = " << boolText(g_.vrrp_strict) << "\n";
    o_ << " Script security " << enabled(g_.enable_script_security) << "\n";
    o_ << " Default script uid:gid " << scriptUser(g_) << "\n";
}

void Writer::instance(const InstanceSnapshot& i) {
    const auto& c = *i.cfg;
    const auto& m = i.machine;
    const auto* group = s_.config->findSyncGroup(c.name);
    o_ << " VRRP Instance = " << c.name << "\n";
    o_ << "   VRRP Version = " << i.version << "\n";
    if (group) o_ << "   Sync group = " << group->name << "\n";
    if (i.family == Family::V6) o_ << "   Using Native IPv6\n";
    o_ << "   State = " << vrrp::stateName(m.state) << "\n";
    if (m.state == vrrp::State::Backup && m.master_addr) {
        o_ << "   Master router = " << m.master_addr->str() << "\n";
        o_ << "   Master priority = " << int(m.master_priority) << "\n";
        if (i.version == 3) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.2f", m.master_advert_int_cs / 100.0);
            o_ << "   Master advert int = " << buf << " sec\n";
        }
    }
    const bool unicast = !c.unicast_peers.empty();
    o_ << "   Flags:" << (unicast || c.use_vmac ? "\n" : " none\n");
    if (unicast) o_ << "     Using unicast\n";
    o_ << "   Wantstate = " << vrrp::stateName(wantState(i)) << "\n";
    instanceTiming(i);
    instanceAddresses(i);
    instanceTracking(i);
    o_ << "   Using smtp notification = " << (c.smtp_alert ? "yes" : "no") << "\n";
    o_ << "   Notify deleted = " << (c.notify_deleted.empty() ? "Fault" : "Deleted") << "\n";
    notifyScripts(c);
    o_ << "   Notify priority changes = false\n";
}

void Writer::instanceTiming(const InstanceSnapshot& i) {
    const auto& c = *i.cfg;
    const auto& m = i.machine;
    const bool config_fault = i.faults.count("config") != 0;
    int init_scripts = 0;
    if (i.track_report && i.track_report->contains("trackers"))
        for (const auto& t : (*i.track_report)["trackers"])
            if (t["kind"] == "script" && t["state"] == "INIT" && t["weight"] == 0) ++init_scripts;
    o_ << "   Number of config faults = " << (config_fault ? 1 : 0) << "\n";
    o_ << "   Number of interface and track script faults = "
       << i.faults.size() - (config_fault ? 1 : 0) << "\n";
    o_ << "   Number of track scripts init = " << init_scripts << "\n";
    o_ << "   Last transition = "
       << keepalivedTime(i.last_transition_wall.value_or(s_.wall_now_s - s_.uptime_s)) << "\n";
    auto next = m.nextDeadline();
    o_ << "   Read timeout = "
       << (m.state == vrrp::State::Fault || !next ? std::string("DISABLED")
                                                   : keepalivedTime(wallOf(s_, *next)))
       << "\n";
    auto mdi = vrrp::masterDownInterval(m.effective_priority, m.master_advert_int_cs, i.version);
    o_ << "   Master down timer = "
       << std::chrono::duration_cast<std::chrono::microseconds>(mdi).count() << " usecs\n";
    if (c.use_vmac)
        o_ << "   Use VMAC, i/f name " << vmacName(c) << ", is_up = " << boolText(i.bound)
           << ", xmit_base = " << boolText(c.vmac_xmit_base) << "\n";
    o_ << "   Interface = " << (c.use_vmac ? vmacName(c) + ", vmac on " + c.interface : c.interface)
       << "\n";
    o_ << "   Using src_ip = " << (i.primary ? i.primary->str() : std::string("(none)"))
       << (c.src_ip ? " (from configuration)" : "") << "\n";
    if (c.unicast_peers.empty()) {
        o_ << "   Multicast address "
           << (i.family == Family::V4 ? s_.config->global.mcast_group4.str()
                                      : s_.config->global.mcast_group6.str() + ", ifindex " +
                                            std::to_string(i.ifindex))
           << "\n";
    }
    const auto& g = s_.config->global.garp;
    const auto& ig = c.garp;
    const uint32_t delay = garp(ig.master_delay_s, g.master_delay_s, kGarpDelay);
    const uint32_t repeat = garp(ig.master_repeat, g.master_repeat, kGarpRepeat);
    o_ << "   Gratuitous ARP delay = " << delay << "\n";
    o_ << "   Gratuitous ARP repeat = " << repeat << "\n";
    o_ << "   Gratuitous ARP refresh = " << garp(ig.master_refresh_s, g.master_refresh_s, 0) << "\n";
    o_ << "   Gratuitous ARP refresh repeat = "
       << garp(ig.master_refresh_repeat, g.master_refresh_repeat, kGarpRefreshRepeat) << "\n";
    o_ << "   Gratuitous ARP lower priority delay = "
       << garp(ig.lower_prio_delay_s, g.lower_prio_delay_s, delay) << "\n";
    o_ << "   Gratuitous ARP lower priority repeat = "
       << garp(ig.lower_prio_repeat, g.lower_prio_repeat, repeat) << "\n";
    o_ << "   Down timer adverts = " << vrrp::kDownTimerAdverts << "\n";
    o_ << "   Send advert after receive lower priority advert = "
       << boolText(!(c.lower_prio_no_advert || s_.config->global.vrrp_lower_prio_no_advert)) << "\n";
    o_ << "   Send advert after receive higher priority advert = "
       << boolText(c.higher_prio_send_advert || s_.config->global.vrrp_higher_prio_send_advert)
       << "\n";
    o_ << "   Virtual Router ID = " << int(c.vrid) << "\n";
    o_ << "   Priority = " << int(c.priority) << "\n";
    o_ << "   Effective priority = " << int(m.effective_priority) << "\n";
    int total = m.effective_priority;
    if (i.track_report && i.track_report->contains("total")) total = (*i.track_report)["total"];
    o_ << "   Total priority = " << total << "\n";
    if (i.version == 2)
        o_ << "   Advert interval = " << c.advert_int_cs / 100 << " sec\n";
    else
        o_ << "   Advert interval = " << c.advert_int_cs * 10 << " milli-sec\n";
    if (i.version == 3 && m.state == vrrp::State::Backup)
        o_ << "   Master advert interval = " << m.master_advert_int_cs * 10 << " milli-sec\n";
    o_ << "   Accept = " << enabled(i.accept) << "\n";
    o_ << "   Preempt = " << enabled(c.preempt) << "\n";
    if (c.preempt_delay_us)
        o_ << "   Preempt delay = " << std::lround(c.preempt_delay_us / 1e6) << " secs\n";
    o_ << "   Promote_secondaries = " << enabled(c.promote_secondaries) << "\n";
}

void Writer::instanceAddresses(const InstanceSnapshot& i) {
    const auto& c = *i.cfg;
    if (i.version == 2) {
        o_ << "   Authentication type = "
           << (c.auth_type == config::AuthType::Pass ? "SIMPLE_PASSWORD"
               : c.auth_type == config::AuthType::Ah ? "IPSEC_AH"
                                                     : "none")
           << "\n";
        if (c.auth_type == config::AuthType::Pass) o_ << "   Password = " << c.auth_pass << "\n";
    }
    o_ << "   Virtual IP (" << c.vips.size() << "):\n";
    for (const auto& v : c.vips) o_ << "     " << vipText(c, v, i.vips_installed) << "\n";
    if (!c.vips_excluded.empty()) {
        o_ << "   Virtual IP Excluded :\n";
        for (const auto& v : c.vips_excluded)
            o_ << "     " << vipText(c, v, i.vips_installed) << "\n";
    }
    if (!c.unicast_peers.empty()) {
        o_ << "   Unicast TTL = 255\n";
        o_ << "   Check unicast src : " << (c.check_unicast_src ? "yes" : "no") << "\n";
        o_ << "   Unicast Peer :\n";
        for (const auto& p : c.unicast_peers)
            o_ << "     " << p.addr.str() << " min_ttl " << p.min_ttl.value_or(0) << " max_ttl "
               << p.max_ttl.value_or(255) << "\n";
        o_ << "   Unicast checksum compatibility = "
           << (c.old_unicast_checksum.value_or(false) ? "yes" : "no") << "\n";
    }
    o_ << "   fd_in " << i.fd_in << ", fd_out " << i.fd_out << "\n";
    if (!c.routes.empty()) {
        o_ << "   Virtual Routes :\n";
        for (const auto& r : c.routes) {
            o_ << "     " << r.to.str();
            if (r.via) o_ << " via " << r.via->str();
            if (!r.dev.empty()) o_ << " dev " << r.dev;
            o_ << "\n";
        }
    }
}

void Writer::instanceTracking(const InstanceSnapshot& i) {
    const auto& c = *i.cfg;
    auto list = [&](const char* title, const std::vector<config::TrackRef>& refs, bool comma,
                    auto weightOf) {
        if (refs.empty()) return;
        o_ << "   " << title << " :\n";
        for (const auto& r : refs)
            o_ << "     " << r.name << (comma ? ", weight " : " weight ") << weightOf(r)
               << (r.reverse ? " reverse" : "") << "\n";
    };
    list("Tracked interfaces", c.track_interfaces, false,
         [](const config::TrackRef& r) { return r.weight.value_or(0); });
    list("Tracked scripts", c.track_scripts, false, [&](const config::TrackRef& r) {
        auto it = s_.config->scripts.find(r.name);
        return r.weight.value_or(it == s_.config->scripts.end() ? 0 : it->second.weight);
    });
    list("Tracked files", c.track_files, true, [&](const config::TrackRef& r) {
        auto it = s_.config->track_files.find(r.name);
        return r.weight.value_or(it == s_.config->track_files.end() ? 1 : it->second.weight);
    });
    list("Tracked processes", c.track_processes, false, [&](const config::TrackRef& r) {
        auto it = s_.config->track_processes.find(r.name);
        return r.weight.value_or(it == s_.config->track_processes.end() ? 0 : it->second.weight);
    });
}

void Writer::notifyScripts(const config::Instance& c) {
    const std::string uid = scriptUser(g_);
    auto one = [&](const char* what, const std::string& script) {
        if (!script.empty())
            o_ << "   " << what << " state transition script = " << quoted(script)
               << ", uid:gid " << uid << "\n";
    };
    one("Backup", c.notify_backup);
    one("Master", c.notify_master);
    one("Fault", c.notify_fault);
    one("Stop", c.notify_stop);
    one("Generic", c.notify);
}

void Writer::sockpool() {
    section("VRRP Sockpool");
    struct Pool {
        const InstanceSnapshot* first;
        std::vector<const InstanceSnapshot*> members;
    };
    std::vector<Pool> pools;
    auto key = [](const InstanceSnapshot& i) {
        const auto& c = *i.cfg;
        return (c.use_vmac ? vmacName(c) : c.interface) + "|" +
               (i.family == Family::V4 ? "4" : "6") + "|" +
               (c.unicast_peers.empty() ? std::string("m")
                                        : "u" + (i.primary ? i.primary->str() : std::string()));
    };
    for (const auto& i : s_.instances) {
        if (!i.bound) continue;
        auto it = std::find_if(pools.begin(), pools.end(),
                               [&](const Pool& p) { return key(*p.first) == key(i); });
        if (it == pools.end()) pools.push_back({&i, {&i}});
        else it->members.push_back(&i);
    }
    for (const auto& p : pools) {
        const auto& i = *p.first;
        const auto& c = *i.cfg;
        const bool unicast = !c.unicast_peers.empty();
        o_ << " fd_in " << i.fd_in << " fd_out = " << i.fd_out << "\n";
        o_ << "   Interface = " << (c.use_vmac ? vmacName(c) : c.interface) << "\n";
        o_ << "   Family = " << (i.family == Family::V4 ? "IPv4" : "IPv6") << "\n";
        o_ << "   Protocol = VRRP\n";
        o_ << "   Type = " << (unicast ? "Unicast" : "Multicast") << "\n";
        if (unicast) o_ << "   Address = " << (i.primary ? i.primary->str() : std::string()) << "\n";
        o_ << "   Rx buf size = 0\n";
        o_ << "   VRRP instances\n";
        for (const auto* m : p.members) o_ << "     " << m->cfg->name << " vrid " << int(m->cfg->vrid) << "\n";
    }
}

void Writer::syncGroups() {
    const std::string uid = scriptUser(g_);
    for (const auto& g : s_.config->sync_groups) {
        int faults = 0, inits = 0, masters = 0, members = 0;
        for (const auto& [where, name] : g.members) {
            const auto* i = find(name);
            if (!i) continue;
            ++members;
            faults += i->machine.state == vrrp::State::Fault;
            inits += i->machine.state == vrrp::State::Init;
            masters += i->machine.state == vrrp::State::Master;
        }
        const char* state = faults ? "FAULT" : inits ? "INIT" : members && masters == members ? "MASTER" : "BACKUP";
        o_ << " VRRP Sync Group = " << g.name << ", " << state << "\n";
        o_ << "   Num member fault " << faults << ", num member init " << inits << "\n";
        o_ << "   VRRP member instances :\n";
        for (const auto& [where, name] : g.members) o_ << "     " << name << "\n";
        o_ << "   Using smtp notification = " << (g.smtp_alert ? "yes" : "no") << "\n";
        auto list = [&](const char* title, const std::vector<config::TrackRef>& refs) {
            if (refs.empty()) return;
            o_ << "   " << title << " :\n";
            for (const auto& r : refs) o_ << "     " << r.name << " weight " << r.weight.value_or(0) << "\n";
        };
        list("Tracked interfaces", g.track_interfaces);
        list("Tracked scripts", g.track_scripts);
        list("Tracked files", g.track_files);
        list("Tracked processes", g.track_processes);
        auto one = [&](const char* what, const std::string& script) {
            if (!script.empty())
                o_ << "   " << what << " state transition script = " << quoted(script) << ", uid:gid " << uid << "\n";
        };
        one("Backup", g.notify_backup);
        one("Master", g.notify_master);
        one("Fault", g.notify_fault);
        one("Stop", g.notify_stop);
        one("Generic", g.notify);
    }
}

// Instances that track NAME (their own track_* or their sync group's), with the weight.
template <typename Pick>
std::vector<std::pair<std::string, int>> trackers(const config::Config& cfg, const std::string& name,
                                                  int dflt, Pick pick) {
    std::vector<std::pair<std::string, int>> out;
    for (const auto& i : cfg.instances) {
        std::vector<const config::TrackRef*> refs;
        for (const auto& r : pick(i)) refs.push_back(&r);
        if (const auto* g = cfg.findSyncGroup(i.name))
            for (const auto& r : pick(*g)) refs.push_back(&r);
        for (const auto* r : refs)
            if (r->name == name) out.emplace_back(i.name, r->weight.value_or(dflt));
    }
    return out;
}

void Writer::scripts() {
    for (const auto& [name, sc] : s_.scripts) {
        if (!sc.cfg) continue;
        const auto& c = *sc.cfg;
        o_ << " VRRP Script = " << name << "\n";
        o_ << "   Command = " << quoted(c.script) << "\n";
        o_ << "   Interval = " << c.interval_s << " sec\n";
        o_ << "   Timeout = " << c.timeout_s.value_or(0) << " sec\n";
        o_ << "   Weight = " << c.weight << "\n";
        o_ << "   Rise = " << c.rise << "\n";
        o_ << "   Fall = " << c.fall << "\n";
        o_ << "   Result = " << sc.result << "\n";
        o_ << "   Insecure = no\n";
        o_ << "   Init state = " << (c.init_fail ? "failed" : "unknown") << "\n";
        o_ << "   Status = "
           << (sc.state == track::TrackState::Up ? "GOOD" : sc.state == track::TrackState::Down ? "BAD" : "INIT")
           << "\n";
        o_ << "   Script uid:gid = "
           << (c.user.empty() ? scriptUser(g_) : uidGid(c.user, c.group)) << "\n";
        o_ << "   VRRP instances :\n";
        o_ << "   Tracking instances :\n";
        for (const auto& [inst, w] : trackers(*s_.config, name, c.weight, [](const auto& x) -> const auto& {
                 return x.track_scripts;
             }))
            o_ << "     " << inst << ", weight " << w << "\n";
        o_ << "   State = " << (sc.running ? "running" : "idle") << "\n";
    }
}

void Writer::trackFiles() {
    for (const auto& [name, value] : s_.track_files) {
        auto it = s_.config->track_files.find(name);
        if (it == s_.config->track_files.end()) continue;
        o_ << " Track file = " << name << "\n";
        o_ << "   File = " << it->second.file << "\n";
        o_ << "   Status = " << value << "\n";
        o_ << "   Weight = " << it->second.weight << "\n";
        o_ << "   Tracking instances :\n";
        for (const auto& [inst, w] : trackers(*s_.config, name, it->second.weight,
                                              [](const auto& x) -> const auto& { return x.track_files; }))
            o_ << "     " << inst << ", weight " << w << "\n";
    }
}

}  // namespace

std::string quotedWords(const std::string& line) {
    std::istringstream in(line);
    std::string w, out;
    while (in >> w) out += (out.empty() ? "'" : " '") + w + "'";
    return out;
}

std::string vmacName(const config::Instance& c) {
    return c.vmac_name.empty() ? "vrrp." + std::to_string(c.vrid) : c.vmac_name;
}

std::string vipText(const config::Instance& c, const config::VirtualAddress& v, bool set) {
    const std::string dev = !v.dev.empty() ? v.dev
                            : c.use_vmac   ? vmacName(c) + "@" + c.interface
                                           : c.interface;
    std::string t = v.prefix.str() + " dev " + dev + " scope " +
                    (v.scope.empty() ? std::string("global") : v.scope);
    if (!v.label.empty()) t += " label " + v.label;
    if (v.prefix.addr.family() == Family::V6) t += " preferred_lft forever";
    if (set) t += " set";
    return t;
}

std::string keepalivedTime(double wall_s) {
    const auto secs = static_cast<time_t>(std::floor(wall_s));
    const auto usecs = static_cast<long>(std::lround((wall_s - std::floor(wall_s)) * 1e6) % 1000000);
    tm t{};
    ::localtime_r(&secs, &t);
    char date[64], out[128];
    std::strftime(date, sizeof date, "%a %b %e %H:%M:%S", &t);
    char year[8];
    std::strftime(year, sizeof year, "%Y", &t);
    std::snprintf(out, sizeof out, "%ld.%06ld (%s.%06ld %s)", static_cast<long>(secs), usecs,
                  date, usecs, year);
    return out;
}

std::string renderData(const DaemonSnapshot& s) { return Writer(s).run(); }

}  // namespace xvrrp::daemon
