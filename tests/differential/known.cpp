#include "differential/known.hpp"

#include <fnmatch.h>

#include <fstream>
#include <regex>
#include <stdexcept>

namespace xvrrp::diff {

std::vector<Known> loadKnown(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot read");
    static const std::regex kRow(R"(^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*(.*?)\s*\|\s*$)");
    std::vector<Known> out;
    int n = 0;
    std::smatch m;
    for (std::string line; std::getline(in, line);) {
        ++n;
        if (std::regex_match(line, m, kRow)) out.push_back({m[1], m[2], m[3], m[4], n});
    }
    return out;
}

const Known* findKnown(const std::vector<Known>& known, const std::string& scenario, const std::string& aspect,
                       const std::string& variant) {
    for (const auto& k : known)
        if (::fnmatch(k.scenario.c_str(), scenario.c_str(), 0) == 0 &&
            ::fnmatch(k.aspect.c_str(), aspect.c_str(), 0) == 0 &&
            ::fnmatch(k.variants.c_str(), variant.c_str(), 0) == 0)
            return &k;
    return nullptr;
}

}  // namespace xvrrp::diff
