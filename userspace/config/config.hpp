#pragma once
// The plain Config value that the keepalived.conf parser produces. No behaviour here:
// the daemon, trackers and notifiers read it. Durations are in microseconds like
// keepalived's timers; advert intervals in centiseconds (RFC 5798 section 5.2.7).

#include <algorithm>
#include <cstdint>
#include <cstddef>
#include <map>
#include <memory>
#include <ostream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/ip.hpp"

namespace xvrrp::config {

// A file's name, shared by every Location in that file: copying one costs no allocation
// (a file at the reader's bounds has millions of words).
class FileName {
public:
    FileName() = default;
    FileName(std::string name) : p_(std::make_shared<const std::string>(std::move(name))) {}
    FileName(const char* name) : FileName(std::string(name)) {}
    const std::string& str() const { return p_ ? *p_ : empty_; }
    operator const std::string&() const { return str(); }
    bool empty() const { return str().empty(); }
    friend bool operator==(const FileName& a, const FileName& b) { return a.str() == b.str(); }
    friend bool operator==(const FileName& a, const std::string& b) { return a.str() == b; }
    friend bool operator==(const FileName& a, const char* b) { return a.str() == b; }
    friend std::ostream& operator<<(std::ostream& o, const FileName& f) { return o << f.str(); }

private:
    std::shared_ptr<const std::string> p_;
    static inline const std::string empty_;
};

// Where something was written, for diagnostics after parsing (dangling references etc.).
struct Location {
    Location() = default;
    Location(FileName f, int l = 0, int c = 0) : file(std::move(f)), line(l), column(c) {}

    FileName file;
    int line = 0;
    int column = 0;
    // The substitutions the text there came through ("from $PRIO at a.conf:8:12"), if any.
    std::shared_ptr<const std::string> via;
    // Where a value was written never makes two values differ: a reload that only moves
    // lines around changes nothing (the defaulted == of the structs below relies on this).
    bool operator==(const Location&) const { return true; }
};

// A keyword we parse and keep but do not act on (yet): its words as written.
struct Directive {
    Location where;
    std::string keyword;
    std::vector<std::string> args;
    std::vector<Directive> children;  // for blocks

    bool operator==(const Directive&) const = default;
};

struct VirtualAddress {
    Location where;
    IpPrefix prefix;                       // prefix length defaults to /32 or /128
    std::optional<IpAddr> broadcast;       // brd ADDR ("brd +" computes it)
    bool broadcast_auto = false;           // brd +
    std::optional<IpAddr> peer;            // peer ADDR
    std::string dev;                       // dev IFNAME; empty = instance interface
    std::string scope;                     // scope global|site|link|host|nowhere or number
    std::string label;                     // label NAME (IPv4 only)
    bool home = false, nodad = false, noprefixroute = false, autojoin = false;
    bool no_track = false;
    std::vector<std::string> extra;        // other words, kept verbatim

    bool operator==(const VirtualAddress&) const = default;
};

struct Route {
    Location where;
    std::optional<IpAddr> src;
    IpPrefix to;                           // "default" becomes 0.0.0.0/0 or ::/0
    bool blackhole = false, unreachable = false, prohibit = false, throw_ = false;
    std::optional<IpAddr> via;             // via|gw
    std::string dev;
    std::string scope;
    std::optional<uint32_t> table;
    std::optional<uint32_t> metric;        // metric|preference
    std::optional<uint8_t> protocol;
    bool onlink = false;
    bool no_track = false;
    std::vector<std::string> extra;

    bool operator==(const Route&) const = default;
};

struct Rule {
    Location where;
    std::vector<std::string> words;        // kept verbatim (from/to/table/iif/oif/fwmark/...)
    // Given when the words have none: keepalived numbers such rules 16384, 16383, ... per
    // family in file order (the validator assigns it when it can parse rules).
    std::optional<uint32_t> preference;

    bool operator==(const Rule&) const = default;
};

// A tracked object in an instance's track_* list, with an optional weight override.
struct TrackRef {
    Location where;
    std::string name;
    std::optional<int> weight;             // weight N overrides the object's weight
    bool reverse = false;

    bool operator==(const TrackRef&) const = default;
};

struct UnicastPeer {
    Location where;
    IpAddr addr;
    std::optional<int> min_ttl, max_ttl;

    bool operator==(const UnicastPeer&) const = default;
};

enum class InitialState { Backup, Master };
enum class AuthType { None, Pass, Ah };

struct Garp {
    // keepalived defaults: master_delay 5 s, master_repeat 5, lower_prio_repeat 5? (see parser)
    std::optional<uint32_t> master_delay_s;
    std::optional<uint32_t> master_repeat;
    std::optional<uint32_t> master_refresh_s;
    std::optional<uint32_t> master_refresh_repeat;
    std::optional<uint32_t> lower_prio_delay_s;
    std::optional<uint32_t> lower_prio_repeat;

    bool operator==(const Garp&) const = default;
};

// `notify* SCRIPT [USER [GROUP]]`, `notify_fifo FIFO [USER [GROUP]]`: who runs the script
// (owns the fifo). Kept only when USER is written; otherwise script_user's default applies.
struct RunAs {
    std::string user, group;

    bool operator==(const RunAs&) const = default;
};
// Keyword as written ("notify_master", "notify_fifo_script") -> its RunAs.
using RunAsMap = std::map<std::string, RunAs>;

struct Instance {
    Location where;
    std::string name;
    InitialState state = InitialState::Backup;
    bool state_given = false;
    std::string interface;
    Location interface_where;
    uint8_t vrid = 0;
    bool vrid_given = false;
    uint8_t priority = 100;                 // keepalived default
    uint32_t advert_int_cs = 100;           // centiseconds; default 1 s
    std::optional<int> version;             // 2 or 3; default from global vrrp_version (2)
    bool native_ipv6 = false;
    bool preempt = true;                    // nopreempt clears it
    uint64_t preempt_delay_us = 0;
    std::optional<bool> accept;             // accept / no_accept
    bool strict_mode = false;               // strict_mode / global vrrp_strict
    bool skip_check_adv_addr = false;
    bool dont_track_primary = false;
    bool use_vmac = false;
    std::string vmac_name;
    bool vmac_xmit_base = false;
    bool promote_secondaries = false;
    bool smtp_alert = false;
    bool debug = false;
    bool lower_prio_no_advert = false;
    bool higher_prio_send_advert = false;
    bool check_unicast_src = false;
    bool unicast_fault_no_peer = false;
    std::optional<bool> old_unicast_checksum;
    std::optional<IpAddr> src_ip;          // mcast_src_ip | unicast_src_ip
    std::vector<UnicastPeer> unicast_peers;
    AuthType auth_type = AuthType::None;
    std::string auth_pass;                  // truncated to 8 bytes as keepalived does
    std::vector<VirtualAddress> vips;
    // How many of `vips`, from the front, adverts carry: the validator lowers it to what one
    // advert holds on the interface, as keepalived does (the rest are held, not advertised).
    size_t advert_vips = SIZE_MAX;
    std::vector<VirtualAddress> vips_excluded;
    std::vector<Route> routes;
    std::vector<Rule> rules;
    std::vector<TrackRef> track_interfaces;
    std::vector<TrackRef> track_scripts;
    std::vector<TrackRef> track_files;
    std::vector<TrackRef> track_processes;
    std::vector<TrackRef> track_bfds;       // weight and reverse resolved
    // xvrrp_bfd_failover BFD_NAME, xvrrpd's own (keepalived refuses it; docs/bfd.md): the
    // bfd_instance whose expiry a backup takes for its master gone. Empty: none.
    std::string bfd_failover;
    Location bfd_failover_where;
    Garp garp;
    std::string notify, notify_master, notify_backup, notify_fault, notify_stop;
    std::string notify_master_rx_lower_pri, notify_deleted;
    RunAsMap notify_run_as;
    std::vector<Directive> other;           // parsed, kept, not acted on yet

    bool operator==(const Instance&) const = default;
};

struct Script {
    Location where;
    std::string name;
    std::string script;                     // command line as written
    uint32_t interval_s = 1;
    std::optional<uint32_t> timeout_s;
    int weight = 0;
    bool weight_reverse = false;
    uint32_t rise = 1, fall = 1;
    bool init_fail = false;
    std::string user, group;                // user USER [GROUP]

    bool operator==(const Script&) const = default;
};

struct TrackFile {
    Location where;
    std::string name;
    std::string file;
    int weight = 1;
    bool weight_reverse = false;
    bool init_file = false;
    std::optional<int> init_value;
    bool overwrite = false;

    bool operator==(const TrackFile&) const = default;
};

struct TrackProcess {
    Location where;
    std::string name;
    std::string process;
    std::vector<std::string> param_match;  // parameters after the process name
    std::string param_match_mode;          // ""|exact|initial|partial (param_match keyword)
    int weight = 0;
    bool weight_reverse = false;
    uint32_t quorum = 1;
    std::optional<uint32_t> quorum_max;
    uint32_t fork_delay = 0, terminate_delay = 0;
    bool full_command = false;

    bool operator==(const TrackProcess&) const = default;
};

// bfd_instance NAME { ... } (keepalived.conf(5) BFD CONFIGURATION), keepalived 2.2.7's
// defaults; intervals in microseconds (written in milliseconds with up to 3 decimals).
// The daemon runs a session for each with an empty `disabled` (docs/bfd.md).
struct BfdInstance {
    Location where;
    std::string name;
    std::optional<IpAddr> neighbor;
    std::optional<IpAddr> source;
    uint32_t min_rx_us = 10000;        // min_rx, 1..4294967 ms
    uint32_t min_tx_us = 10000;        // min_tx, 1..4294967 ms
    uint32_t idle_tx_us = 1000000;     // idle_tx, 1000..4294967 ms
    uint8_t multiplier = 5;            // 1..255
    bool passive = false;
    uint8_t ttl = 0;                   // ttl / hoplimit 1..255; 0: 255 (IPv4), 64 (IPv6)
    int max_hops = 0;                  // -1..255, at most ttl; 255 disables the TTL check
    int weight = 0;                    // -253..253, the default for track_bfd
    bool weight_reverse = false;
    bool vrrp = false, checker = false;  // `vrrp` / `checker`: whom events go to
    // keepalived's BFD process drops an instance with no or a bad neighbour, mixed
    // families or a neighbour already in use, yet its VRRP process still knows the name
    // (track_bfd finds it; the tracked BFD then stays down). Empty: a session would run.
    std::string disabled;

    bool operator==(const BfdInstance&) const = default;
};

struct SyncGroup {
    Location where;
    std::string name;
    std::vector<std::pair<Location, std::string>> members;
    std::string notify, notify_master, notify_backup, notify_fault, notify_stop;
    RunAsMap notify_run_as;
    std::vector<TrackRef> track_interfaces, track_scripts, track_files, track_processes;
    std::vector<TrackRef> track_bfds;      // weight and reverse resolved
    bool smtp_alert = false;
    bool tracking_weight = false;  // sync_group_tracking_weight: members' weights count
    std::vector<Directive> other;

    bool operator==(const SyncGroup&) const = default;
};

// The VRRP process's scheduling (global_defs vrrp_rt_priority, vrrp_rlimit_rttime,
// vrrp_no_swap, vrrp_cpu_affinity, vrrp_priority; keepalived.conf(5)). Unset: left as the
// daemon was started.
struct ProcessTuning {
    std::optional<int> rt_priority;             // SCHED_RR at 1..99
    std::optional<uint32_t> rlimit_rttime_us;   // RLIMIT_RTTIME hard limit while real-time
    bool no_swap = false;                       // mlockall
    std::vector<int> cpu_affinity;              // CPU ids; empty = not set
    std::optional<int> nice;                    // vrrp_priority, -20..19

    bool operator==(const ProcessTuning&) const = default;
};

struct Global {
    std::string router_id;
    std::string script_user, script_group;
    bool enable_script_security = false;
    bool vrrp_strict = false;
    bool vrrp_skip_check_adv_addr = false;
    bool vrrp_check_unicast_src = false;
    bool dynamic_interfaces = false;        // missing interfaces are waited for, not refused
    int vrrp_version = 2;
    IpAddr mcast_group4 = *IpAddr::parse("224.0.0.18");
    IpAddr mcast_group6 = *IpAddr::parse("ff02::12");
    Garp garp;
    uint64_t vrrp_garp_interval_us = 0;
    uint64_t vrrp_gna_interval_us = 0;
    bool vrrp_min_garp = false;
    bool vrrp_lower_prio_no_advert = false;
    bool vrrp_higher_prio_send_advert = false;
    uint64_t vrrp_startup_delay_us = 0;
    std::string notify_fifo, notify_fifo_script;
    std::string vrrp_notify_fifo, vrrp_notify_fifo_script;
    RunAsMap fifo_run_as;  // notify_fifo, notify_fifo_script, vrrp_notify_fifo(_script)
    std::vector<std::string> notification_email;
    std::string notification_email_from, smtp_server;
    ProcessTuning vrrp_process;
    std::vector<Directive> other;           // parsed, kept, not acted on yet

    bool operator==(const Global&) const = default;
};

struct Config {
    std::vector<std::string> files;         // every file read, includes expanded
    Global global;
    std::vector<Instance> instances;        // in file order
    std::vector<SyncGroup> sync_groups;
    std::map<std::string, Script> scripts;
    std::map<std::string, TrackFile> track_files;
    std::map<std::string, TrackProcess> track_processes;
    std::map<std::string, BfdInstance> bfd_instances;
    std::vector<VirtualAddress> static_addresses;
    std::vector<Route> static_routes;
    std::vector<Rule> static_rules;
    std::vector<Directive> other;           // other top-level blocks kept (not LVS)

    const Instance* findInstance(const std::string& name) const {
        for (const auto& i : instances)
            if (i.name == name) return &i;
        return nullptr;
    }
    // The vrrp_sync_group an instance belongs to (at most one; the parser checks).
    const SyncGroup* findSyncGroup(const std::string& instance) const {
        for (const auto& g : sync_groups)
            for (const auto& m : g.members)
                if (m.second == instance) return &g;
        return nullptr;
    }
};

// The VRRP version an instance speaks: its own `version`, else the global default.
inline int effectiveVersion(const Config& c, const Instance& i) {
    return i.version.value_or(c.global.vrrp_version);
}

// The VIPs an advert of the instance lists (RFC 5798 section 5.2.9), in configuration order.
inline std::span<const VirtualAddress> advertisedVips(const Instance& i) {
    return {i.vips.data(), std::min(i.vips.size(), i.advert_vips)};
}

// IPv6 when any VIP (or native_ipv6) says so; mixing families is a config error.
inline Family instanceFamily(const Instance& i) {
    if (i.native_ipv6) return Family::V6;
    return i.vips.empty() ? Family::V4 : i.vips.front().prefix.addr.family();
}

}  // namespace xvrrp::config
