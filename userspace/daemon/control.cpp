// Requests on the control socket (xvrrpctl, xvrrp-arbiter); see control/protocol.hpp.
#include <spdlog/spdlog.h>

#include "common/utf8.hpp"
#include "daemon/daemon.hpp"
#include "dataplane/fence.hpp"

namespace xvrrp::daemon {

using nlohmann::json;

namespace {

// Every string and key of `j` with bytes that are not UTF-8 written as \xHH.
void escapeStrings(json& j) {
    if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        if (!isValidUtf8(s)) j = escapeInvalidUtf8(s);
    } else if (j.is_array()) {
        for (auto& e : j) escapeStrings(e);
    } else if (j.is_object()) {
        bool keys = true;
        for (auto& [k, v] : j.items()) {
            escapeStrings(v);
            keys = keys && isValidUtf8(k);
        }
        if (keys) return;
        json fixed = json::object();
        for (auto& [k, v] : j.items()) fixed[escapeInvalidUtf8(k)] = std::move(v);
        j = std::move(fixed);
    }
}

}  // namespace

nlohmann::json Daemon::handleControl(const nlohmann::json& req) {
    const auto cmd = req["cmd"].get<std::string>();
    json out;
    if (cmd == "status")
        out = status();
    else if (cmd == "reload")
        out = reload();
    else if (cmd == "restart")
        out = restartCommand();
    else if (cmd == "fence")
        out = fenceCommand(req, true);
    else if (cmd == "unfence")
        out = fenceCommand(req, false);
    else
        throw std::invalid_argument("unknown command '" + cmd + "'");
    // Names from keepalived.conf may be any bytes (keepalived takes them); JSON needs UTF-8.
    escapeStrings(out);
    return out;
}

// {"cmd":"fence","instance":NAME?,"by":"operator"|"arbiter"}: the kernel drops the VIPs
// (xv_fence) and the instance goes to FAULT until unfenced. No instance: all of them.
nlohmann::json Daemon::fenceCommand(const nlohmann::json& req, bool fence) {
    std::string name;
    if (req.contains("instance")) {
        if (!req["instance"].is_string()) throw std::invalid_argument("'instance' must be a string");
        name = req["instance"].get<std::string>();
    }
    auto by = XV_FENCE_OPERATOR;
    if (req.contains("by")) {
        if (req["by"] == "arbiter")
            by = XV_FENCE_ARBITER;
        else if (req["by"] != "operator")
            throw std::invalid_argument("'by' must be \"operator\" or \"arbiter\"");
    }
    std::vector<InstanceRuntime*> targets;
    for (const auto& rt : table_)
        if (name.empty() || rt->cfg().name == name || escapeInvalidUtf8(rt->cfg().name) == name)
            targets.push_back(rt.get());  // a name that is not UTF-8 as status shows it
    if (targets.empty()) throw std::invalid_argument("no instance named '" + name + "'");
    dataplane::FenceMap map(options_.pin_root);
    auto t = now();
    json done = json::array();
    for (auto* rt : targets) {
        if (!rt->bound()) continue;  // its interface is missing: nothing to fence yet
        if (fence)
            map.fence(rt->id(), by);
        else
            map.unfence(rt->id());
        spdlog::warn("({}) {} by {}", rt->cfg().name, fence ? "fenced" : "unfenced",
                     by == XV_FENCE_ARBITER ? "arbiter" : "operator");
        rt->setFault("fence", fence, "fenced (xv_fence entry)", t);
        done.push_back(rt->cfg().name);
    }
    return {{fence ? "fenced" : "unfenced", done}};
}

}  // namespace xvrrp::daemon
