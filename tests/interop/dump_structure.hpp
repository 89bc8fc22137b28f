#pragma once
// The structure of keepalived's dump files, values left out: what an exporter or a script
// that parses them relies on.
//   data:  per section ("------< X >------"), each line as INDENT|KEY - the text before
//          " = " or ":", else the line with its values (words starting with a digit,
//          IPv6 addresses) replaced by '#'.
//   stats: each line as INDENT|KEY (the text before ':').
//   json:  per instance, "data.KEY:TYPE" and "stats.KEY:TYPE" in order (TYPE: number,
//          string, boolean, array, object, null).
#include <map>
#include <string>
#include <vector>

namespace xvrrp::interop {

using Tokens = std::vector<std::string>;

// Section name -> its tokens, plus the order of the sections.
struct DataStructure {
    std::vector<std::string> order;
    std::map<std::string, Tokens> sections;
    std::map<std::string, std::vector<std::string>> lines;  // the same lines as written
};

DataStructure dataStructure(const std::string& text);
Tokens statsStructure(const std::string& text);
// One Tokens per array element; throws std::runtime_error when TEXT is not a JSON array.
std::vector<Tokens> jsonStructure(const std::string& text);
// The KEY part of a data token ("   |Router ID" -> "Router ID").
std::string tokenKey(const std::string& token);

// "" when equal, else the first difference, for a failure message.
std::string firstDifference(const Tokens& ours, const Tokens& theirs);

}  // namespace xvrrp::interop
