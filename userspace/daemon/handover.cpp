#include "daemon/handover.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace xvrrp::daemon {
namespace {

using nlohmann::json;

json countersJson(const vrrp::Counters& c) {
    return {{"adverts_rx", c.adverts_rx},
            {"adverts_tx", c.adverts_tx},
            {"became_master", c.became_master},
            {"released_master", c.released_master},
            {"priority_zero_rx", c.priority_zero_rx},
            {"priority_zero_tx", c.priority_zero_tx},
            {"peer_lost_accepted", c.peer_lost_accepted}};
}

vrrp::Counters countersFrom(const json& j) {
    vrrp::Counters c;
    c.adverts_rx = j.value("adverts_rx", uint64_t{0});
    c.adverts_tx = j.value("adverts_tx", uint64_t{0});
    c.became_master = j.value("became_master", uint64_t{0});
    c.released_master = j.value("released_master", uint64_t{0});
    c.priority_zero_rx = j.value("priority_zero_rx", uint64_t{0});
    c.priority_zero_tx = j.value("priority_zero_tx", uint64_t{0});
    c.peer_lost_accepted = j.value("peer_lost_accepted", uint64_t{0});
    return c;
}

vrrp::State stateFrom(const std::string& s) {
    for (auto st :
         {vrrp::State::Init, vrrp::State::Backup, vrrp::State::Master, vrrp::State::Fault})
        if (s == vrrp::stateName(st)) return st;
    throw std::runtime_error("unknown state '" + s + "'");
}

template <class T>
T field(const json& j, const char* key) {
    if (!j.contains(key)) throw std::runtime_error(std::string("no '") + key + "'");
    try {
        return j[key].get<T>();
    } catch (const json::exception&) {
        throw std::runtime_error(std::string("'") + key + "' has the wrong type");
    }
}

}  // namespace

const InstanceHandover* HandoverRecord::find(const std::string& name) const {
    for (const auto& i : instances)
        if (i.name == name) return &i;
    return nullptr;
}

json toJson(const HandoverRecord& r) {
    json inst = json::array();
    for (const auto& i : r.instances)
        inst.push_back({{"name", i.name},
                        {"vrid", i.vrid},
                        {"interface", i.interface},
                        {"family", i.family == Family::V6 ? 6 : 4},
                        {"state", vrrp::stateName(i.state)},
                        {"counters", countersJson(i.counters)},
                        {"old_unicast_checksum", i.old_unicast_checksum}});
    return {{"format", r.format},
            {"abi", r.abi},
            {"bpf", r.bpf},
            {"version", r.version},
            {"pid", r.pid},
            {"written_ns", r.written_ns},
            {"boot_id", r.boot_id},
            {"pin_root", r.pin_root},
            {"argv", r.argv},
            {"instances", inst},
            {"ledger", r.ledger},
            {"scripts", r.scripts},
            {"bfd", r.bfd},
            {"fallback_exe_fd", r.fallback_exe_fd},
            {"fallback_reason", r.fallback_reason},
            {"restarts", r.restarts},
            {"attempt", r.attempt},
            {"children", r.children}};
}

HandoverRecord recordFromJson(const json& j) {
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    HandoverRecord r;
    r.format = field<int>(j, "format");
    if (r.format != HandoverRecord::kFormat)
        throw std::runtime_error("format " + std::to_string(r.format) + ", this build reads " +
                                 std::to_string(HandoverRecord::kFormat));
    r.abi = field<uint32_t>(j, "abi");
    r.bpf = j.value("bpf", "");
    r.version = field<std::string>(j, "version");
    r.pid = field<int64_t>(j, "pid");
    r.written_ns = field<uint64_t>(j, "written_ns");
    r.boot_id = field<std::string>(j, "boot_id");
    r.pin_root = field<std::string>(j, "pin_root");
    r.argv = field<std::vector<std::string>>(j, "argv");
    if (r.argv.empty()) throw std::runtime_error("'argv' is empty");
    for (const auto& i : field<json>(j, "instances")) {
        InstanceHandover h;
        h.name = field<std::string>(i, "name");
        h.vrid = field<int>(i, "vrid");
        h.interface = field<std::string>(i, "interface");
        h.family = field<int>(i, "family") == 6 ? Family::V6 : Family::V4;
        h.state = stateFrom(field<std::string>(i, "state"));
        h.counters = countersFrom(field<json>(i, "counters"));
        h.old_unicast_checksum = i.value("old_unicast_checksum", false);
        r.instances.push_back(std::move(h));
    }
    r.ledger = field<json>(j, "ledger");
    if (!r.ledger.is_array()) throw std::runtime_error("'ledger' is not an array");
    r.scripts = j.value("scripts", json::object());
    r.bfd = j.value("bfd", json::array());  // absent in an older binary's record
    r.fallback_exe_fd = j.value("fallback_exe_fd", -1);
    r.fallback_reason = j.value("fallback_reason", "");
    r.restarts = j.value("restarts", uint64_t{0});
    r.attempt = j.value("attempt", uint64_t{0});
    r.children = j.value("children", std::vector<int64_t>{});
    return r;
}

std::string bootId() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

LoadedRecord loadRecord(const std::string& path, const std::string& pin_root, uint64_t now_ns) {
    LoadedRecord out;
    std::ifstream in(path);
    if (!in) {
        out.error = "cannot read " + path + ": " + std::strerror(errno);
        return out;
    }
    std::stringstream text;
    text << in.rdbuf();
    HandoverRecord r;
    try {
        r = recordFromJson(json::parse(text.str()));
    } catch (const std::exception& e) {
        out.error = path + ": " + e.what();
        return out;
    }
    if (r.pid != ::getpid())
        out.error = "written by pid " + std::to_string(r.pid) + ", not by this process";
    else if (r.boot_id != bootId())
        out.error = "written before the last boot";
    else if (r.written_ns > now_ns)
        out.error = "written in the future (clock " + std::to_string(r.written_ns) + " ns)";
    else if (now_ns - r.written_ns > kMaxRecordAgeNs)
        out.error = "written " + std::to_string((now_ns - r.written_ns) / 1000000) +
                    " ms ago (more than " + std::to_string(kMaxRecordAgeNs / 1000000000) + " s)";
    else if (r.pin_root != pin_root)
        out.error = "for pin root " + r.pin_root + ", not " + pin_root;
    if (out.error.empty()) out.record = std::move(r);
    return out;
}

std::optional<std::string> handoverCheck(const std::string& text) {
    if (text.rfind("check:", 0) != 0) return std::nullopt;
    const std::string format = text.substr(6);
    if (format == std::to_string(HandoverRecord::kFormat)) return std::string();
    return "xvrrpd: cannot take over a handover record of format " + format +
           " (this build reads format " + std::to_string(HandoverRecord::kFormat) + ")";
}

int writeRecordFd(const HandoverRecord& r) {
    int fd = ::memfd_create("xvrrpd-handover", 0);  // no MFD_CLOEXEC: it crosses the exec
    if (fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
    const std::string text = toJson(r).dump();
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            throw std::runtime_error(std::string("write handover record: ") + std::strerror(err));
        }
        done += static_cast<size_t>(n);
    }
    return fd;
}

}  // namespace xvrrp::daemon
