#include "dump_structure.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace xvrrp::interop {
namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(' ');
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

// Values that differ between two daemons with one config: numbers, IPv4 addresses and
// prefixes, fds (words starting with a digit) and IPv6 addresses (words with "::").
std::string maskValues(const std::string& text) {
    std::istringstream in(text);
    std::string w, out;
    while (in >> w) {
        const bool value = std::isdigit(static_cast<unsigned char>(w[0])) ||
                           w.find("::") != std::string::npos;
        out += (out.empty() ? "" : " ") + (value ? std::string("#") : w);
    }
    return out;
}

std::string lineToken(const std::string& line) {
    const size_t indent = line.find_first_not_of(' ');
    const std::string text = trim(line);
    std::string key;
    if (auto eq = text.find(" = "); eq != std::string::npos)
        key = maskValues(text.substr(0, eq));
    else if (auto colon = text.find(':'); colon != std::string::npos)
        key = maskValues(trim(text.substr(0, colon)));
    else
        key = maskValues(text);
    return std::to_string(indent) + "|" + key;
}

const char* typeName(const nlohmann::json& j) {
    if (j.is_number()) return "number";
    if (j.is_string()) return "string";
    if (j.is_boolean()) return "boolean";
    if (j.is_array()) return "array";
    if (j.is_object()) return "object";
    return "null";
}

}  // namespace

DataStructure dataStructure(const std::string& text) {
    DataStructure d;
    std::istringstream in(text);
    std::string current;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("------< ", 0) == 0) {
            current = line.substr(8, line.find(" >") - 8);
            d.order.push_back(current);
            d.sections[current];
        } else if (!trim(line).empty()) {
            d.sections[current].push_back(lineToken(line));
            d.lines[current].push_back(trim(line));
        }
    }
    return d;
}

Tokens statsStructure(const std::string& text) {
    Tokens t;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (trim(line).empty()) continue;
        const size_t indent = line.find_first_not_of(' ');
        t.push_back(std::to_string(indent) + "|" + trim(line.substr(0, line.find(':'))));
    }
    return t;
}

std::vector<Tokens> jsonStructure(const std::string& text) {
    auto j = nlohmann::ordered_json::parse(text);
    if (!j.is_array()) throw std::runtime_error("not a JSON array");
    std::vector<Tokens> out;
    for (const auto& inst : j) {
        Tokens t;
        for (auto it = inst.begin(); it != inst.end(); ++it) {
            if (!it.value().is_object()) {
                t.push_back(it.key() + ":" + typeName(it.value()));
                continue;
            }
            for (auto f = it.value().begin(); f != it.value().end(); ++f)
                t.push_back(it.key() + "." + f.key() + ":" + typeName(f.value()));
        }
        out.push_back(t);
    }
    return out;
}

std::string tokenKey(const std::string& token) { return token.substr(token.find('|') + 1); }

std::string firstDifference(const Tokens& ours, const Tokens& theirs) {
    for (size_t i = 0; i < std::max(ours.size(), theirs.size()); ++i) {
        const std::string a = i < ours.size() ? ours[i] : "(end)";
        const std::string b = i < theirs.size() ? theirs[i] : "(end)";
        if (a != b) return "item " + std::to_string(i) + ": xvrrpd '" + a + "', keepalived '" + b + "'";
    }
    return "";
}

}  // namespace xvrrp::interop
