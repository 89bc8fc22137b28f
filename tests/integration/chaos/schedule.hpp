#pragma once
// The seeded fault schedule of tools/bench/chaos. Pure: the same seed gives the same faults
// on every machine (no std:: distributions, whose output differs between libraries).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xvrrp::chaos {

inline constexpr int kNodes = 3;      // n1, n2, n3
inline constexpr int kInstances = 2;  // VI_1, VI_2

enum class Kind {
    Kill9,       // SIGKILL the daemon, start it again after the hold
    SigStop,     // SIGSTOP, SIGCONT after the hold
    LinkCut,     // the node's eth0 loses carrier, back after the hold
    Partition,   // VRRP (IP protocol 112) dropped in the switch, carrier up; healed after
    ReloadSame,  // reload with an edit that changes nothing on the wire
    ReloadWire,  // reload with an edit that changes the adverts (the master stays master)
    CpuHog,      // stress-ng --cpu W for the hold
    Flood,       // foreign adverts into the segment at a bounded rate for the hold
    Restart,     // xvrrpctl restart (keepalived: stop and start, its nearest equivalent)
};
inline constexpr int kKinds = 9;

const char* kindName(Kind k);
std::optional<Kind> kindFromName(std::string_view name);
std::vector<Kind> allKinds();
// Kinds that may cause transitions and probe loss within their windows; the others must
// cause neither (a reload keeps the master, a hog or a flood is absorbed, a restart is hitless).
bool disruptive(Kind k);

// What a reload changes (config.hpp applies it to the running configuration).
enum class EditKind {
    NotificationEmail,  // global_defs: not used by VRRP
    NotifyScript,       // notify_master of both instances
    GarpDelay,          // garp_master_delay: what happens after a transition, not the adverts
    Priority,           // one instance's priority, within its slot (order kept)
    TrackerWeight,      // vrrp_script weight: the effective priority in the adverts
    AdvertInt,          // advert_int of every node (rolling reload)
    ExtraVip,           // a second VIP on one instance on every node (rolling reload)
};
const char* editName(EditKind e);

struct Fault {
    int index = 0;
    Kind kind = Kind::Kill9;
    int node = 0;              // 0-based target (n1 = 0)
    double gapS = 0;           // steady state before the fault
    double holdS = 0;          // inject -> restore; 0 for reload and restart
    bool isolateAll = false;   // Partition: every node alone, else `node` against the rest
    int hogWorkers = 0;        // CpuHog
    int floodPps = 0;          // Flood
    EditKind edit = EditKind::NotificationEmail;  // Reload*
    int editInstance = 0;      // Priority, ExtraVip: VI_1 (0) or VI_2 (1)
    int editChoice = 0;        // which value; config.cpp steps past the current one
};

// Fault `index` comes from a stream of its own (splitmix64 of seed and index): the i-th
// fault of a seed does not depend on the faults before it or on what the run can do.
Fault drawFault(uint64_t seed, int index);
std::vector<Fault> makeSchedule(uint64_t seed, int count);

nlohmann::json toJson(const Fault& f);

}  // namespace xvrrp::chaos
