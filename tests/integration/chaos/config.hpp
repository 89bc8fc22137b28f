#pragma once
// The keepalived.conf the three chaos nodes run (both daemons take the same file) and how a
// reload edit changes it. Pure. Two instances on eth0: n1 is VI_1's master, n3 VI_2's. The
// priorities sit 50 apart and edits keep each effective priority within [slot - 10, slot + 30],
// so the order, and with it the master every instance must return to, never changes.
#include <array>
#include <string>
#include <vector>

#include "schedule.hpp"

namespace xvrrp::chaos {

inline constexpr int kVrid[kInstances] = {51, 52};
inline constexpr int kBasePriority[kInstances][kNodes] = {{200, 150, 100}, {100, 150, 200}};
inline constexpr int kVipHost[kInstances] = {100, 101};    // 10.77.0.100, .101: probed
inline constexpr int kExtraHost[kInstances] = {110, 111};  // toggled by ExtraVip, not probed
inline constexpr const char* kLanPrefix = "10.77.0";

struct NodeConf {
    std::array<int, kInstances> priorityOffset{};  // -10 .. 10
    int weight = 10;                               // vrrp_script chk (always succeeds)
    bool email = false;                            // notification_email in global_defs
    bool echoNotify = false;                       // notify_master /bin/echo, else /bin/true
    int garpDelay = 5;                             // garp_master_delay
};

struct Conf {
    double advertInt = 0.1;  // seconds, the base
    bool doubled = false;    // AdvertInt edits switch between the base and twice it
    std::array<bool, kInstances> extraVip{};
    std::array<NodeConf, kNodes> nodes{};
};

double advertInt(const Conf& c);
int effectivePriority(const Conf& c, int instance, int node);  // priority + weight
int expectedMaster(const Conf& c, int instance);
// The largest Master_Down_Interval of any backup (RFC 5798 section 6.1: 3 intervals plus
// Skew_Time, which grows as the priority falls), in seconds.
double maxMasterDownInterval(const Conf& c);

struct Applied {
    Conf conf;
    std::vector<int> nodes;  // to reload, in this order
    std::string what;        // "n2 VI_1 priority 150 -> 155"
};
// The configuration after reload fault `f` (Kind::ReloadSame or ReloadWire).
Applied applyEdit(const Conf& c, const Fault& f);

std::string render(const Conf& c, int node);
std::string vip(int instance);  // "10.77.0.100"
std::string nodeName(int node);  // "n1"

}  // namespace xvrrp::chaos
