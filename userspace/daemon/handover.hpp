#pragma once
// Hitless restart (xvrrpctl restart): the record the running daemon writes for the process
// it execs, which takes over its pin root, maps, programs, addresses and states.
//
// The record travels in an anonymous file (memfd) that survives the execve, named on the
// new command line as --handover /proc/self/fd/N. The pin-root lock is an inherited fd
// too (dataplane::lockPinRoot finds it), so the lock never drops and no other daemon can
// take the pin root in between. A record the new process cannot use (another format, not
// written by this pid, too old) is logged and ignored: it starts as after a crash.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "vrrp/types.hpp"

namespace xvrrp::daemon {

// One instance as the old process left it.
struct InstanceHandover {
    std::string name;
    int vrid = 0;
    std::string interface;
    Family family = Family::V4;
    vrrp::State state = vrrp::State::Init;
    vrrp::Counters counters;
    bool old_unicast_checksum = false;  // learnt from the peer (keepalived's fallback)
};

struct HandoverRecord {
    static constexpr int kFormat = 1;
    int format = kFormat;
    uint32_t abi = 0;         // XV_ABI_VERSION of the old binary: maps compatible?
    std::string bpf;          // Dataplane::programsFingerprint(): programs the same?
    std::string version;      // the old binary's XVRRP_VERSION, for the log
    int64_t pid = 0;          // the same process after execve
    uint64_t written_ns = 0;  // CLOCK_MONOTONIC
    std::string boot_id;      // /proc/sys/kernel/random/boot_id
    std::string pin_root;
    std::vector<std::string> argv;  // the old process's command line, for the way back
    std::vector<InstanceHandover> instances;
    nlohmann::json ledger = nlohmann::json::array();    // Ledger::handoff()
    nlohmann::json scripts = nlohmann::json::object();  // vrrp_script counters by name
    nlohmann::json bfd = nlohmann::json::array();       // BfdTable::handoff(): sessions go on
    // The old binary (an fd of its file, which an upgrade may have deleted): where the new
    // process goes back to if it cannot start. -1 in a record that is already the way back.
    int fallback_exe_fd = -1;
    std::string fallback_reason;  // why the new binary gave up (set on the way back)
    uint64_t restarts = 0;        // handovers before this one, for status
    uint64_t attempt = 0;         // the xvrrpctl restart request this record answers
    std::vector<int64_t> children;  // scripts still running: the new image reaps them

    const InstanceHandover* find(const std::string& name) const;
};

nlohmann::json toJson(const HandoverRecord& r);
// Throws std::runtime_error naming the field that is missing or wrong.
HandoverRecord recordFromJson(const nlohmann::json& j);

// A record older than this is not adopted: the peers have long taken over.
inline constexpr uint64_t kMaxRecordAgeNs = 10'000'000'000;

struct LoadedRecord {
    std::optional<HandoverRecord> record;
    std::string error;  // why it cannot be used
};
// Reads the record at PATH and checks that it was written for this process: format, pid,
// boot, age and pin root.
LoadedRecord loadRecord(const std::string& path, const std::string& pin_root, uint64_t now_ns);

// A memfd holding the record, not close-on-exec; throws naming the call that failed.
int writeRecordFd(const HandoverRecord& r);

// `xvrrpd -t --handover check:FORMAT`: the old process asks its successor whether it can
// take a record of FORMAT over. Returns the error text, empty when it can; nullopt when
// TEXT is not such a question.
std::optional<std::string> handoverCheck(const std::string& text);

std::string bootId();

}  // namespace xvrrp::daemon
