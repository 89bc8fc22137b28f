#include "audit.hpp"

#include "common/utf8.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace xvrrp::arbiter {

using nlohmann::json;

namespace {

json viewJson(const NodeView& v) {
    return {{"state", v.state},
            {"priority", v.priority},
            {"address", v.address},
            {"vips_installed", v.vips_installed},
            {"fenced", v.fenced}};
}

}  // namespace

json toJson(const InstanceEvidence& ev) {
    json local = {{"daemon_answered", ev.local.daemon_answered},
                  {"kernel_holds_vip", triName(ev.local.kernel_holds_vip)},
                  {"fence", fenceOwnerName(ev.local.fence)},
                  {"view", ev.local.view ? viewJson(*ev.local.view) : json(nullptr)}};
    json peers = json::array();
    for (const auto& p : ev.peers) {
        json j = {{"name", p.name}, {"pings", triName(p.pings)}, {"known", p.known}};
        if (p.known) {
            j["has_instance"] = p.has_instance;
            j["view"] = p.view ? viewJson(*p.view) : json(nullptr);
            j["quorum"] = triName(p.quorum);
            j["adverts_reach_us"] = triName(p.adverts_reach_us);
        } else {
            j["unknown_reason"] = p.unknown_reason;
        }
        peers.push_back(std::move(j));
    }
    json out = {{"quorum",
                 {{"reachable", ev.quorum.reachable},
                  {"total", ev.quorum.total},
                  {"needed", ev.quorum.needed},
                  {"ok", ev.quorum.ok()}}},
                {"local", std::move(local)},
                {"peers", std::move(peers)}};
    const WitnessEvidence& w = ev.witness;
    if (w.state != WitnessState::Off)
        out["witness"] = {{"state", witnessStateName(w.state)},
                          {"owner", w.owner},
                          {"token", w.token},
                          {"owner_renewing", w.owner_renewing},
                          {"past_claim", w.past_claim},
                          {"since_majority_ms", w.since_majority_ms},
                          {"lease_left_ms", w.lease_left_ms},
                          {"members", {{"reached", w.reachable},
                                       {"majority_ok", w.majority_ok},
                                       {"total", w.members}}}};
    return out;
}

json toJson(const Decision& d) {
    return {{"action", actionName(d.action)},
            {"verdict", verdictName(d.verdict)},
            {"rule", d.rule},
            {"reason", d.reason},
            {"fenced_by_us", d.next.fenced_by_us},
            {"fence_streak", d.next.fence_streak},
            {"unfence_streak", d.next.unfence_streak}};
}

AuditLog::AuditLog(std::string path) { reopen(path); }

AuditLog::~AuditLog() {
    if (fd_ >= 0) ::close(fd_);
}

void AuditLog::reopen(const std::string& path) {
    int fd = -1;
    if (!path.empty()) {
        // Like the control socket: create the directory (one level) when it is missing.
        auto slash = path.rfind('/');
        if (slash != std::string::npos && slash > 0) ::mkdir(path.substr(0, slash).c_str(), 0750);
        fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
            throw std::runtime_error("open audit log " + path + ": " + std::strerror(errno));
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    path_ = path;
}

std::string dumpLine(const json& line) {
    // Evidence is made printable where it enters; should a byte slip through anyway, it is
    // escaped as everywhere else (common/utf8.hpp) rather than the arbiter stopping.
    json escaped = line;
    escapeInvalidUtf8(escaped);
    return escaped.dump();
}

bool AuditLog::write(const json& line) {
    if (fd_ < 0) return false;
    std::string s = dumpLine(line) + "\n";
    // One write() per line: O_APPEND keeps lines whole even with a second writer.
    return ::write(fd_, s.data(), s.size()) == static_cast<ssize_t>(s.size());
}

std::string isoNow() {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

}  // namespace xvrrp::arbiter
