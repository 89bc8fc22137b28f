// The control protocol: one request line through respondLine(), the server's parse/answer
// path, with a fake handler whose answer depends on the request (echoes it, throws, answers a
// non-object, quotes the raw line's bytes). Whatever the bytes, the answer is one line of
// JSON, an object with a boolean "ok", and a failure carries a string "error".
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "control/server.hpp"

using nlohmann::json;

namespace {

json fakeHandler(const json& req, std::string_view raw) {
    const std::string cmd = req["cmd"].get<std::string>();
    if (cmd == "status") return json{{"echo", req}, {"instances", json::array()}};
    if (cmd == "raw") return json{{"raw", std::string(raw)}};  // any bytes, not only UTF-8
    if (cmd == "throw") throw std::invalid_argument("bad " + std::string(raw));
    if (cmd == "int") throw 7;
    if (cmd == "array") return json::array({1, 2});
    if (cmd == "ok") return json{{"ok", req.value("ok", json(false))}};
    throw std::invalid_argument("unknown cmd " + cmd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string_view line = in.substr(0, in.find('\n'));  // what the server hands on
    std::string out = xvrrp::control::respondLine(
        line, [line](const json& req) { return fakeHandler(req, line); });
    if (out.find('\n') != std::string::npos) std::abort();
    json j = json::parse(out);  // throws, so the fuzzer reports it, if not JSON
    if (!j.is_object() || !j.contains("ok")) std::abort();
    if (j["ok"].is_boolean() && !j["ok"].get<bool>() && !j["error"].is_string()) std::abort();
    return 0;
}
