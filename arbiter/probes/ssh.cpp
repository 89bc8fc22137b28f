#include "probes/ssh.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/printable.hpp"

namespace xvrrp::arbiter {

std::vector<std::string> sshArgv(const ArbiterConfig& cfg, const Peer& peer) {
    const SshTarget& s = peer.ssh;
    return {cfg.ssh_program,
            "-F",
            "none",  // the operator's ~/.ssh/config must not change what runs
            "-T",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "UserKnownHostsFile=" + s.known_hosts,
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=" + std::to_string(cfg.ssh_connect_timeout_s),
            "-o",
            "IdentitiesOnly=yes",
            "-i",
            s.identity_file,
            "-p",
            std::to_string(s.port),
            "-l",
            s.user,
            "--",
            s.host,
            cfg.remote_xvrrpctl,
            "status",
            "--json"};
}

std::vector<std::string> sshEnvironment() {
    return {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
}

namespace {

std::string lastLine(const std::string& text) {
    auto end = text.find_last_not_of("\r\n");
    if (end == std::string::npos) return {};
    auto start = text.rfind('\n', end);
    start = start == std::string::npos ? 0 : start + 1;
    return text.substr(start, end - start + 1);
}

}  // namespace

SshOutcome sshOutcome(bool timed_out, int exit_code, int term_signal, const std::string& out,
                      const std::string& err) {
    SshOutcome o;
    // The peer's bytes (a banner, a locale message) go to the audit log and status as JSON
    // strings: only printable UTF-8 may reach them.
    std::string tail = printable(lastLine(err), kMaxReasonBytes);
    if (timed_out) {
        o.unknown_reason = "ssh timed out";
    } else if (term_signal != 0) {
        o.unknown_reason = "ssh killed by signal " + std::to_string(term_signal);
    } else if (exit_code == 255) {
        o.unknown_reason = "ssh failed: " + (tail.empty() ? std::string("exit 255") : tail);
    } else if (exit_code != 0) {
        o.unknown_reason = "remote xvrrpctl exited " + std::to_string(exit_code) +
                           (tail.empty() ? std::string() : ": " + tail);
    } else {
        try {
            o.status = parseDaemonStatus(nlohmann::json::parse(out));
        } catch (const nlohmann::json::exception& e) {
            o.unknown_reason = "peer status is not JSON: " + printable(e.what(), kMaxReasonBytes);
        } catch (const std::invalid_argument& e) {
            o.unknown_reason = "peer status unreadable: " + printable(e.what(), kMaxReasonBytes);
        }
    }
    return o;
}

SshQuery::SshQuery(std::vector<std::string> argv, SteadyClock::time_point deadline)
    : deadline_(deadline) {
    try {
        child_ = std::make_unique<Child>(argv, sshEnvironment(),
                                         CaptureLimits{kMaxStatusBytes, kMaxStderrBytes});
    } catch (const std::exception& e) {
        spawn_error_ = e.what();
    }
}

void SshQuery::expire(SteadyClock::time_point now) {
    if (child_ && !child_->exited() && now >= deadline_) {
        timed_out_ = true;
        child_->kill();
    }
}

SshOutcome SshQuery::outcome() const {
    if (!child_) return {std::nullopt, "cannot start ssh: " + printable(spawn_error_)};
    if (child_->outOverflow())
        return {std::nullopt, "peer status larger than " + std::to_string(kMaxStatusBytes) +
                                  " bytes; not read"};
    return sshOutcome(timed_out_, child_->exitCode(), child_->termSignal(), child_->out(),
                      child_->err());
}

}  // namespace xvrrp::arbiter
