#include "differential/observe.hpp"

#include <time.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "lab/lab.hpp"
#include "lab/netns.hpp"

namespace xvrrp::diff {
namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string nodeOf(const std::string& addr, const std::map<std::string, std::string>& names) {
    auto it = names.find(addr);
    return it == names.end() ? addr : it->second;
}

}  // namespace

double realNow() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::vector<WirePacket> parseWire(const std::string& text, const std::map<std::string, std::string>& addrToNode) {
    // -v prints the IP header on the line with the stamp and the payload on the next one.
    static const std::regex kStamp(R"(^(\d+\.\d+) )");
    static const std::regex kVrrp(R"(^\s*(\S+) > (\S+): (VRRPv\d.*))");
    static const std::regex kPrio(R"(prio (\d+))");
    static const std::regex kLength(R"(, length \d+)");
    static const std::regex kArp(R"(ARP, .*Request who-has (\S+) tell (\S+),|ARP, .*Reply (\S+) is-at)");
    static const std::regex kNa(R"(neighbor advertisement.*tgt is (\S+?),)");
    std::vector<WirePacket> out;
    double t = 0;
    std::istringstream in(text);
    std::smatch m;
    for (std::string line; std::getline(in, line);) {
        if (std::regex_search(line, m, kStamp)) t = std::stod(m[1]);
        if (std::regex_search(line, m, kVrrp)) {
            WirePacket p;
            p.t = t;
            // The IP payload length differs with the VIP count, which addrs already shows.
            const std::string body = std::regex_replace(m[3].str(), kLength, "");
            p.text = nodeOf(m[1], addrToNode) + ">" + nodeOf(m[2], addrToNode) + " " + body;
            std::smatch pm;
            if (std::regex_search(body, pm, kPrio)) p.priority = std::stoi(pm[1]);
            out.push_back(std::move(p));
        } else if (std::regex_search(line, m, kArp)) {
            if (m[3].matched) out.push_back({t, "", -1, m[3]});
            else if (m[1] == m[2]) out.push_back({t, "", -1, m[1]});
        } else if (std::regex_search(line, m, kNa)) {
            out.push_back({t, "", -1, m[1]});
        }
    }
    return out;
}

std::string Observer::named(const std::string& line) const {
    std::istringstream in(line);
    std::string out;
    for (std::string w; in >> w;) {
        const bool comma = !w.empty() && w.back() == ',';
        auto it = addr_to_node_.find(comma ? w.substr(0, w.size() - 1) : w);
        out += (out.empty() ? "" : " ") + (it == addr_to_node_.end() ? w : it->second + (comma ? "," : ""));
    }
    return out;
}

Observer::Observer(lab::Lab& lab, std::string dir, std::vector<std::string> nodes, std::vector<std::string> vips)
    : lab_(lab), dir_(std::move(dir)), nodes_(std::move(nodes)), vips_(std::move(vips)), last_t_(realNow()) {}

std::vector<NotifyCall> Observer::notifies(const std::string& node) const {
    std::vector<NotifyCall> out;
    std::istringstream in(readFile(dir_ + "/" + node + ".notify"));
    for (std::string line; std::getline(in, line);) {
        const auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        out.push_back({std::stod(line.substr(0, sp)), node, line.substr(sp + 1)});
    }
    return out;
}

double Observer::checkSaw(const std::string& node, const std::string& name, bool on, double since) const {
    std::istringstream in(readFile(dir_ + "/" + node + ".checks"));
    for (std::string line; std::getline(in, line);) {
        std::istringstream w(line);
        double t = 0;
        std::string n;
        int rc = 0;
        if (w >> t >> n >> rc && t >= since && n == name && (rc != 0) == on) return t;
    }
    return since;
}

std::string Observer::signature(const std::map<std::string, std::string>& logs) const {
    std::string sig;
    for (const auto& n : nodes_) {
        auto it = logs.find(n);
        sig += n + ":" + std::to_string(it == logs.end() ? 0 : watchedLines(it->second).size()) + "/" +
               std::to_string(notifies(n).size()) + " ";
    }
    return sig;
}

std::string Observer::holder(const std::string& vip) const {
    const std::string addr = vip.substr(0, vip.find('/'));
    std::vector<std::string> who;
    for (const auto& n : nodes_) {
        auto r = lab_.node(n).run({"ip", "-o", "addr", "show"}, std::chrono::seconds(5));
        if (r.out.find(" " + addr + "/") != std::string::npos) who.push_back(n);
    }
    return who.empty() ? "none" : join(who, "+");
}

Checkpoint Observer::take(const std::string& event, double event_t, const std::string& started_node,
                          const std::map<std::string, std::string>& logs, const std::map<std::string, bool>& running,
                          double quiet_s, bool garps) {
    static const std::regex kEnter(R"(^\((\S+)\) Entering (\w+) STATE)");
    Checkpoint c;
    c.event = event;
    const double now = realNow();
    static const std::regex kInstance(R"(^\((\S+)\))");
    for (const auto& n : nodes_) {
        auto it = logs.find(n);
        const auto lines = watchedLines(it == logs.end() ? "" : it->second);
        size_t& seen = lines_seen_[n];
        for (size_t i = std::min(seen, lines.size()); i < lines.size(); ++i) {
            // Per instance: the order between instances acted on in one pass is the
            // daemon's own business.
            std::smatch m;
            const std::string key = n + " " + (std::regex_search(lines[i], m, kInstance) ? m[1].str() : "-");
            c.logs[key].push_back(named(lines[i]));
            if (std::regex_search(lines[i], m, kEnter)) {
                c.transitions[n + " " + m[1].str()].push_back(m[2]);
                state_[n + " " + m[1].str()] = m[2];
            }
        }
        seen = lines.size();
        auto calls = notifies(n);
        size_t& done = notifies_seen_[n];
        for (size_t i = std::min(done, calls.size()); i < calls.size(); ++i) c.notifies.push_back(calls[i]);
        done = calls.size();
    }
    for (const auto& [key, st] : state_) {
        const std::string node = key.substr(0, key.find(' '));
        c.state[key] = running.at(node) ? st : "stopped";
    }
    std::sort(c.notifies.begin(), c.notifies.end(), [](const NotifyCall& a, const NotifyCall& b) { return a.t < b.t; });
    for (const auto& v : vips_) c.holders[v] = holder(v);
    // Adverts while settled, and any priority 0 one since the last checkpoint (a stop).
    for (const auto& p : parseWire(readFile(dir_ + "/wire.txt"), addr_to_node_)) {
        if (p.t < last_t_ || p.t > now) continue;
        if (!p.text.empty() && (p.t >= now - quiet_s || p.priority == 0)) c.adverts.insert(p.text);
        if (garps && !p.garp.empty()) ++c.garps[p.garp];
    }
    for (const auto& call : c.notifies) {
        if (call.args.rfind("INSTANCE ", 0) != 0 || call.args.find(" MASTER") == std::string::npos) continue;
        // A daemon's own start-up time is not part of the protocol: count from its first notify.
        double from = event_t;
        for (const auto& first : c.notifies)
            if (first.node == started_node && first.t < call.t) {
                from = std::max(from, first.t);
                break;
            }
        c.takeover_ms = (call.t - from) * 1000.0;
        break;
    }
    last_t_ = now;
    return c;
}

}  // namespace xvrrp::diff
