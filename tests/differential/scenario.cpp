#include "differential/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace xvrrp::diff {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Verbs and how many arguments each takes (min, max; -1: any).
const std::map<std::string, std::pair<int, int>>& verbs() {
    static const std::map<std::string, std::pair<int, int>> v{
        {"start", {1, -1}}, {"stop", {1, -1}},  {"kill", {1, -1}},   {"cut", {1, 1}},
        {"restore", {1, 1}}, {"ifdown", {2, 2}}, {"ifup", {2, 2}},   {"flag", {3, 3}},
        {"file", {3, 3}},   {"reload", {1, -1}}, {"delvip", {2, 2}}, {"wait", {1, 1}},
        {"settle", {0, 0}},
    };
    return v;
}

// The smallest advert_int written (seconds), for the default quiet period.
double smallestAdvertInt(const std::string& config) {
    static const std::regex kAdvert(R"(advert_int\s+([0-9.]+))");
    double best = 1.0;
    bool any = false;
    for (std::sregex_iterator it(config.begin(), config.end(), kAdvert), end; it != end; ++it) {
        const double v = std::stod((*it)[1]);
        best = any ? std::min(best, v) : v;
        any = true;
    }
    return best;
}

}  // namespace

std::string Event::text() const {
    std::string s = verb;
    for (const auto& a : args) s += " " + a;
    return s;
}

Scenario loadScenario(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot read");
    Scenario s;
    s.path = path;
    s.name = fs::path(path).stem().string();
    enum class Part { Header, Config, Events } part = Part::Header;
    int n = 0;
    auto fail = [&](const std::string& why) { throw std::runtime_error(path + ":" + std::to_string(n) + ": " + why); };
    for (std::string line; std::getline(in, line);) {
        ++n;
        if (part == Part::Config) {
            if (trim(line) == "end") part = Part::Header;
            else s.config += line + "\n";
            continue;
        }
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        if (part == Part::Events) {
            Event e;
            e.line = n;
            auto words = split(t);
            if (words.back() == "&") {
                e.settle = false;
                words.pop_back();
            }
            e.verb = words.at(0);
            e.args.assign(words.begin() + 1, words.end());
            auto v = verbs().find(e.verb);
            if (v == verbs().end()) fail("unknown event '" + e.verb + "'");
            const int argc = static_cast<int>(e.args.size());
            if (argc < v->second.first || (v->second.second >= 0 && argc > v->second.second))
                fail("wrong number of arguments for '" + e.verb + "'");
            s.events.push_back(std::move(e));
            continue;
        }
        if (t == "config:") {
            part = Part::Config;
            continue;
        }
        if (t == "events:") {
            part = Part::Events;
            continue;
        }
        const auto colon = t.find(':');
        if (colon == std::string::npos) fail("expected 'key: value', 'config:' or 'events:'");
        const std::string key = t.substr(0, colon), value = trim(t.substr(colon + 1));
        if (key == "about") s.about += (s.about.empty() ? "" : " ") + value;
        else if (key == "nodes") s.nodes = split(value);
        else if (key == "mixed") s.mixed = value == "yes";
        else if (key == "mgmt") s.mgmt = value == "yes";
        else if (key == "vips") s.vips = split(value);
        else if (key == "compare") s.compare = split(value);
        else if (key == "quiet") s.quiet_ms = std::stoi(value);
        else fail("unknown key '" + key + "'");
    }
    if (part == Part::Config) fail("config: without 'end'");
    if (s.nodes.size() < 2 || s.nodes.size() > 3) fail("nodes: two or three");
    if (s.config.empty()) fail("no config:");
    if (s.events.empty()) fail("no events:");
    const std::set<std::string> names(s.nodes.begin(), s.nodes.end());
    for (const auto& e : s.events) {
        n = e.line;
        const bool all = e.verb == "start" || e.verb == "stop" || e.verb == "kill";
        const size_t count = all ? e.args.size() : (e.verb == "wait" || e.verb == "settle" ? 0 : 1);
        for (size_t i = 0; i < count; ++i)
            if (!names.count(e.args[i])) fail("'" + e.args[i] + "' is not a node of this scenario");
    }
    if (s.quiet_ms == 0) s.quiet_ms = static_cast<int>(std::lround(smallestAdvertInt(s.config) * 4000)) + 400;
    return s;
}

std::vector<std::string> scenarioFiles(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".scn") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string renderConfig(const std::string& text, const std::string& node, const std::vector<std::string>& nodes,
                         const Placeholders& p) {
    std::map<std::string, std::string> values{
        {"%NODE%", node},
        {"%DIR%", p.dir},
        {"%NOTIFY%", p.dir + "/notify.sh " + p.dir + "/" + node + ".notify"},
        {"%CHECK%", p.dir + "/check.sh " + p.dir + "/" + node},
        {"%SELF%", p.v4.at(node)},
        {"%SELF6%", p.v6.at(node)},
    };
    for (size_t i = 0; i < nodes.size(); ++i) {
        values["%N" + std::to_string(i + 1) + "%"] = p.v4.at(nodes[i]);
        if (nodes.size() == 2 && nodes[i] != node) values["%PEER%"] = p.v4.at(nodes[i]);
    }
    std::string out = text;
    for (const auto& [key, value] : values)
        for (size_t pos = 0; (pos = out.find(key, pos)) != std::string::npos; pos += value.size())
            out.replace(pos, key.size(), value);
    return out;
}

}  // namespace xvrrp::diff
