// global_defs keywords for the VRRP process's scheduling (keepalived.conf(5): vrrp_priority,
// vrrp_no_swap, vrrp_cpu_affinity, vrrp_rt_priority, vrrp_rlimit_rttime). keepalived 2.2.7
// runs with a bad value clamped or the line ignored, so these are warnings, worded as its
// messages (measured with keepalived -t); extra words are ignored as keepalived ignores them
// (its -t says nothing: advice).
#include "config/process.hpp"

#include <sys/sysinfo.h>

#include <charconv>

namespace xvrrp::config {
namespace {

constexpr int kRtMin = 1, kRtMax = 99;  // sched_get_priority_{min,max}(SCHED_RR)

std::optional<int64_t> number(std::string_view text) {
    int64_t v = 0;
    const char* b = text.data();
    const char* e = b + text.size();
    if (b != e && *b == '+') ++b;
    auto [end, ec] = std::from_chars(b, e, v);
    if (b == e || ec != std::errc() || end != e) return std::nullopt;
    return v;
}

// The first argument, or a warning naming what is missing; words after it draw advice.
const Token* firstArg(const Node& n, Context& ctx, const std::string& missing) {
    if (!expectNoBlock(n, ctx)) return nullptr;
    if (n.args.empty()) {
        ctx.diags.warning(n.key.where, missing + "; " + n.key.text + " ignored");
        return nullptr;
    }
    if (n.args.size() > 1)  // keepalived -t says nothing of them (measured): advice
        ctx.diags.advice(n.args[1].where, "words after '" + n.args[0].text + "' ignored (" +
                                               n.key.text + " takes one value)");
    return &n.args[0];
}

}  // namespace

unsigned systemCpuCount() {
    const int n = ::get_nprocs_conf();
    return n > 0 ? static_cast<unsigned>(n) : 1u;
}

void parseRtPriority(const Node& n, ProcessTuning& p, Context& ctx) {
    const Token* t = firstArg(n, ctx, "No vrrp process real-time priority specified");
    if (!t) return;
    auto v = number(t->text);
    if (!v) {
        ctx.diags.warning(t->where, "vrrp process real-time priority '" + t->text +
                                        "' invalid; " + n.key.text + " ignored");
        return;
    }
    int prio = *v < kRtMin ? kRtMin : *v > kRtMax ? kRtMax : static_cast<int>(*v);
    if (*v < kRtMin)
        ctx.diags.warning(t->where, "vrrp process real-time priority " + t->text +
                                        " less than minimum 1 - setting to minimum");
    else if (*v > kRtMax)
        ctx.diags.warning(t->where, "vrrp process real-time priority " + t->text +
                                        " greater than maximum 99 - setting to maximum");
    p.rt_priority = prio;
}

void parseRlimitRttime(const Node& n, ProcessTuning& p, Context& ctx) {
    const Token* t = firstArg(n, ctx, "No vrrp real-time limit specified");
    if (!t) return;
    auto v = number(t->text);
    if (!v || *v < 1 || *v > UINT32_MAX) {
        ctx.diags.warning(t->where, "Invalid vrrp real-time limit - " + t->text +
                                        " (microseconds, 1..4294967295); " + n.key.text +
                                        " ignored");
        return;
    }
    p.rlimit_rttime_us = static_cast<uint32_t>(*v);
}

void parseNoSwap(const Node& n, ProcessTuning& p, Context& ctx) {
    if (!expectNoBlock(n, ctx)) return;
    if (!n.args.empty())
        ctx.diags.advice(n.args[0].where, n.key.text + " takes no value; '" + n.args[0].text +
                                               "' ignored and the process is locked in memory");
    p.no_swap = true;
}

void parseCpuAffinity(const Node& n, ProcessTuning& p, Context& ctx) {
    if (!expectNoBlock(n, ctx)) return;
    if (n.args.empty()) {
        ctx.diags.warning(n.key.where, "No vrrp cpu_id set specified; " + n.key.text + " ignored");
        return;
    }
    const unsigned cpus = ctx.options.cpu_count ? ctx.options.cpu_count() : systemCpuCount();
    std::vector<int> set;
    for (const auto& a : n.args) {
        auto v = number(a.text);
        if (!v || *v < 0 || *v >= static_cast<int64_t>(cpus)) {
            ctx.diags.warning(a.where, "Invalid cpu_id:" + a.text +
                                           " specified for vrrp process (this host has cpu_id 0.." +
                                           std::to_string(cpus - 1) + "); " + n.key.text +
                                           " ignored");
            return;
        }
        set.push_back(static_cast<int>(*v));
    }
    p.cpu_affinity = std::move(set);
}

void parseNice(const Node& n, ProcessTuning& p, Context& ctx) {
    const Token* t = firstArg(n, ctx, "No vrrp process priority specified");
    if (!t) return;
    auto v = number(t->text);
    if (!v || *v < -20 || *v > 19) {
        ctx.diags.warning(t->where, "Invalid vrrp process priority specified ('" + t->text +
                                        "', -20..19); " + n.key.text + " ignored");
        return;
    }
    p.nice = static_cast<int>(*v);
}

}  // namespace xvrrp::config
