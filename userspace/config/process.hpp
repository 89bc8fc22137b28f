#pragma once
// Internal: global_defs handlers for the VRRP process's scheduling (ProcessTuning).

#include "config/parse_util.hpp"

namespace xvrrp::config {

void parseRtPriority(const Node& n, ProcessTuning& p, Context& ctx);    // vrrp_rt_priority
void parseRlimitRttime(const Node& n, ProcessTuning& p, Context& ctx);  // vrrp_rlimit_rttime
void parseNoSwap(const Node& n, ProcessTuning& p, Context& ctx);        // vrrp_no_swap
void parseCpuAffinity(const Node& n, ProcessTuning& p, Context& ctx);   // vrrp_cpu_affinity
void parseNice(const Node& n, ProcessTuning& p, Context& ctx);          // vrrp_priority

}  // namespace xvrrp::config
