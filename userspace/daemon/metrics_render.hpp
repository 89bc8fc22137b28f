#pragma once
// xvrrpd's /metrics body (docs/metrics.md lists every family). Pure: a snapshot in, the
// Prometheus text format out.

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/snapshot.hpp"
#include "metrics/exposition.hpp"

namespace xvrrp::daemon {

// Writes every family of the daemon into OUT (the HTTP server adds its own after).
void renderMetrics(const DaemonSnapshot& s, metrics::Exposition& out);

// xv_stats fields as metric series: family, label name and value, and the field's offset.
struct XdpCounter {
    const char* family;
    const char* label;  // "" for a family without labels
    const char* value;
    size_t offset;
};
// Every __u64 of xv_stats exactly once (unit.daemon checks the count against sizeof).
extern const XdpCounter kXdpCounters[];
extern const size_t kXdpCounterCount;

}  // namespace xvrrp::daemon
