#include "differential/trace.hpp"

#include <algorithm>
#include <cmath>
#include <regex>
#include <sstream>

namespace xvrrp::diff {
namespace {

// keepalived 2.2.7's and xvrrpd's words for what operators follow (log watchers, runbooks).
const std::vector<std::regex>& watched() {
    static const std::vector<std::regex> w{
        std::regex(R"(^\(\S+\) Entering \w+ STATE.*)"),
        std::regex(R"(^\(\S+\):? entering FAULT state.*)"),
        std::regex(R"(^\(\S+\) Receive advertisement timeout$)"),
        std::regex(R"(^\(\S+\) Master received advert from \S+ with higher priority \d+, ours \d+$)"),
        std::regex(R"(^\(\S+\) Backup received priority 0 advertisement$)"),
        std::regex(R"(^\(\S+\) Changing effective priority from \d+ to \d+$)"),
        std::regex(R"(^\(\S+\) (removing|setting) VIPs\.$)"),
        std::regex(R"(^VRRP_Script\(\S+\) (succeeded|failed).*)"),
        std::regex(R"(^VRRP_Group\(\S+\) Syncing .*)"),
        std::regex(R"(^Netlink reports \S+ (down|up)$)"),
        std::regex(R"(^Stopping$)"),
    };
    return w;
}

// "Fri Dec  4 23:48:00 2026: text" (keepalived) or "Fri Dec 04 23:48:00.637 2026: text".
std::string stripStamp(const std::string& line) {
    static const std::regex kStamp(R"(^\w{3} \w{3} [ 0-9]\d [0-9:.]+ \d{4}: )");
    std::smatch m;
    if (std::regex_search(line, m, kStamp)) return line.substr(m.length(0));
    return line;
}

std::string show(const std::vector<std::string>& v) { return "[" + join(v) + "]"; }

// A node's calls in time order; calls less than 100 ms apart were started by one event (a
// state change runs notify and notify_master in parallel, two instances move together) and
// may be in any order, so they are sorted.
std::vector<std::string> notifyArgs(const std::vector<NotifyCall>& calls, const std::string& node) {
    std::vector<std::string> out;
    size_t group = 0;
    double last = -1;
    for (const auto& c : calls) {
        if (c.node != node) continue;
        if (last >= 0 && c.t - last > 0.1) {
            std::sort(out.begin() + group, out.end());
            group = out.size();
        }
        out.push_back(c.args);
        last = c.t;
    }
    std::sort(out.begin() + group, out.end());
    return out;
}

// Notify calls in time order, cut where 200 ms pass without one: calls inside a group may
// come in either order (two nodes acting on one advert), groups may not.
std::vector<std::string> orderGroups(const std::vector<NotifyCall>& calls) {
    std::vector<std::string> groups;
    std::vector<std::string> cur;
    double last = -1;
    auto flush = [&] {
        std::sort(cur.begin(), cur.end());
        if (!cur.empty()) groups.push_back("{" + join(cur, "; ") + "}");
        cur.clear();
    };
    for (const auto& c : calls) {
        if (last >= 0 && c.t - last > 0.2) flush();
        cur.push_back(c.node + " " + c.args);
        last = c.t;
    }
    flush();
    return groups;
}

template <class Map>
std::set<std::string> keysOf(const Map& a, const Map& b) {
    std::set<std::string> k;
    for (const auto& [key, v] : a) k.insert(key);
    for (const auto& [key, v] : b) k.insert(key);
    return k;
}

template <class V>
V valueOr(const std::map<std::string, V>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? V{} : it->second;
}

void comparePoint(const Checkpoint& r, const Checkpoint& g, std::vector<Difference>& out) {
    const std::string at = "after '" + r.event + "'";
    auto diff = [&](const std::string& aspect, const std::string& where, const std::string& a, const std::string& b) {
        out.push_back({aspect, where, "keepalived pair " + a + ", this run " + b});
    };
    for (const auto& k : keysOf(r.state, g.state))
        if (valueOr(r.state, k) != valueOr(g.state, k)) diff("state", at + " " + k, valueOr(r.state, k), valueOr(g.state, k));
    for (const auto& k : keysOf(r.holders, g.holders))
        if (valueOr(r.holders, k) != valueOr(g.holders, k)) diff("vip", at + " " + k, valueOr(r.holders, k), valueOr(g.holders, k));
    for (const auto& n : keysOf(r.transitions, g.transitions))
        if (valueOr(r.transitions, n) != valueOr(g.transitions, n))
            diff("transitions", at + " on " + n, show(valueOr(r.transitions, n)), show(valueOr(g.transitions, n)));
    std::set<std::string> nodes;
    for (const auto& c : r.notifies) nodes.insert(c.node);
    for (const auto& c : g.notifies) nodes.insert(c.node);
    bool same_notifies = true;
    for (const auto& n : nodes) {
        const auto a = notifyArgs(r.notifies, n), b = notifyArgs(g.notifies, n);
        if (a != b) {
            diff("notify", at + " on " + n, show(a), show(b));
            same_notifies = false;
        }
    }
    if (same_notifies && orderGroups(r.notifies) != orderGroups(g.notifies))
        diff("order", at, show(orderGroups(r.notifies)), show(orderGroups(g.notifies)));
    for (const auto& n : keysOf(r.logs, g.logs))
        if (valueOr(r.logs, n) != valueOr(g.logs, n))
            diff("log", at + " on " + n, show(valueOr(r.logs, n)), show(valueOr(g.logs, n)));
    if (r.adverts != g.adverts)
        diff("adverts", at, show({r.adverts.begin(), r.adverts.end()}), show({g.adverts.begin(), g.adverts.end()}));
    for (const auto& k : keysOf(r.garps, g.garps))
        if (valueOr(r.garps, k) != valueOr(g.garps, k))
            diff("garp", at + " " + k, std::to_string(valueOr(r.garps, k)), std::to_string(valueOr(g.garps, k)));
    if (r.takeover_ms.has_value() != g.takeover_ms.has_value()) {
        diff("takeover", at, r.takeover_ms ? std::to_string(std::lround(*r.takeover_ms)) + " ms" : "none",
             g.takeover_ms ? std::to_string(std::lround(*g.takeover_ms)) + " ms" : "none");
    } else if (r.takeover_ms) {
        const double tolerance = std::max(250.0, 0.25 * *r.takeover_ms);
        if (std::abs(*r.takeover_ms - *g.takeover_ms) > tolerance)
            diff("takeover", at, std::to_string(std::lround(*r.takeover_ms)) + " ms",
                 std::to_string(std::lround(*g.takeover_ms)) + " ms (tolerance " +
                     std::to_string(std::lround(tolerance)) + " ms)");
    }
}

}  // namespace

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
    return s;
}

std::vector<std::string> watchedLines(const std::string& log) {
    std::vector<std::string> out;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
        const std::string text = stripStamp(line);
        const bool keep = std::any_of(watched().begin(), watched().end(),
                                      [&](const std::regex& re) { return std::regex_match(text, re); });
        if (keep && (out.empty() || out.back() != text)) out.push_back(text);
    }
    return out;
}

std::vector<Difference> compare(const Trace& ref, const Trace& got) {
    std::vector<Difference> out;
    if (!ref.failure.empty() || !got.failure.empty()) {
        out.push_back({"run", "", "keepalived pair: " + (ref.failure.empty() ? "completed" : ref.failure) +
                                      "; this run: " + (got.failure.empty() ? "completed" : got.failure)});
        return out;
    }
    const size_t n = std::min(ref.points.size(), got.points.size());
    for (size_t i = 0; i < n; ++i) comparePoint(ref.points[i], got.points[i], out);
    if (ref.points.size() != got.points.size())
        out.push_back({"run", "", std::to_string(ref.points.size()) + " checkpoints vs " +
                                      std::to_string(got.points.size())});
    return out;
}

}  // namespace xvrrp::diff
