// Requests on the control socket (xvrrpctl, xvrrp-arbiter); see control/protocol.hpp.
#include <spdlog/spdlog.h>

#include "common/utf8.hpp"
#include "daemon/daemon.hpp"
#include "dataplane/dataplane.hpp"
#include "daemon/process_tuning.hpp"
#include "dataplane/fence.hpp"

namespace xvrrp::daemon {

using nlohmann::json;

nlohmann::json Daemon::handleControl(const nlohmann::json& req) {
    const auto cmd = req["cmd"].get<std::string>();
    json out;
    if (cmd == "status")
        out = status();
    else if (cmd == "reload")
        out = reloadAndTune();
    else if (cmd == "restart")
        out = restartCommand();
    else if (cmd == "fence")
        out = fenceCommand(req, true);
    else if (cmd == "unfence")
        out = fenceCommand(req, false);
    else if (cmd == "check_fences")
        out = checkFencesCommand();
    else
        throw std::invalid_argument("unknown command '" + cmd + "'");
    // Names from keepalived.conf may be any bytes (keepalived takes them): the control
    // server escapes every answer's strings (control::respondLine).
    tuning_->checkpoint();
    return out;
}

// {"cmd":"fence"|"unfence","instance":NAME} or {..,"all":true}: the operator's fence
// (xvrrpctl), written through the one fence writer (dataplane::FenceMap on our skeleton's
// xv_fence); unfence lifts whatever the operator may lift (the arbiter's entry too). Every
// instance only when asked by name: a request without either is refused. The instance goes
// to FAULT, or leaves it, as soon as the map says so (checkFences).
nlohmann::json Daemon::fenceCommand(const nlohmann::json& req, bool fence) {
    std::string name;
    if (req.contains("instance")) {
        if (!req["instance"].is_string()) throw std::invalid_argument("'instance' must be a string");
        name = req["instance"].get<std::string>();
        if (name.empty()) throw std::invalid_argument("'instance' is empty");
    }
    const bool all = req.contains("all") && req["all"] == true;
    const std::string what = fence ? "fence" : "unfence";
    if (!all && name.empty())
        throw std::invalid_argument(what + " needs \"instance\" or \"all\": true");
    if (all && !name.empty())
        throw std::invalid_argument(what + ": \"instance\" and \"all\" together");
    if (req.contains("by") && req["by"] != "operator")
        throw std::invalid_argument(
            "'by' may only be \"operator\": xvrrp-arbiter writes xv_fence itself and sends "
            "{\"cmd\":\"check_fences\"}");
    std::vector<InstanceRuntime*> targets;
    for (const auto& rt : table_)
        if (name.empty() || rt->cfg().name == name || escapeInvalidUtf8(rt->cfg().name) == name)
            targets.push_back(rt.get());  // a name that is not UTF-8 as status shows it
    if (targets.empty()) throw std::invalid_argument("no instance named '" + name + "'");
    auto& map = dataplane_->fences();
    json done = json::array();
    for (auto* rt : targets) {
        if (!rt->bound()) continue;  // its interface is missing: nothing to fence yet
        if (fence) {
            map.fence(rt->id(), XV_FENCE_OPERATOR);
            spdlog::warn("({}) fenced by the operator", rt->cfg().name);
        } else {
            for (auto owner : map.unfence(rt->id(), XV_FENCE_OPERATOR))
                spdlog::warn("({}) the operator lifted the {}'s fence", rt->cfg().name,
                             owner == XV_FENCE_ARBITER ? "arbiter" : "operator");
        }
        done.push_back(rt->cfg().name);
    }
    checkFences(now());
    return {{fence ? "fenced" : "unfenced", done}};
}

// {"cmd":"check_fences"}: someone wrote xv_fence without us (xvrrp-arbiter, bpftool): look
// now rather than at the next housekeeping turn. Answers the instances fenced after it.
nlohmann::json Daemon::checkFencesCommand() {
    checkFences(now());
    json fenced = json::array();
    for (const auto& rt : table_)
        if (rt->faultActive("fence")) fenced.push_back(rt->cfg().name);
    return {{"fenced", fenced}};
}

}  // namespace xvrrp::daemon
