#pragma once
// SSH query of a peer: OpenSSH's client as a child process, argv built here word by word
// (no local shell), answering with the peer's `xvrrpctl status --json`.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"
#include "probes/child.hpp"
#include "status_view.hpp"

namespace xvrrp::arbiter {

// ssh -F none -T -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=K
//     -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=N -o IdentitiesOnly=yes -i KEY
//     -p PORT -l USER -- HOST XVRRPCTL status --json
// ssh joins the remote words with spaces for the peer's shell; the config parser only admits
// shell-safe words for USER, HOST and XVRRPCTL, so nothing is reinterpreted there.
std::vector<std::string> sshArgv(const ArbiterConfig& cfg, const Peer& peer);

// ssh's whole environment: nothing of the arbiter's (no SSH_AUTH_SOCK agent, no
// SSH_ASKPASS, no LD_PRELOAD, no locale to forward), messages in the C locale.
std::vector<std::string> sshEnvironment();

using SteadyClock = std::chrono::steady_clock;

// The outcome of one query: a parsed status, or why the peer is UNKNOWN.
struct SshOutcome {
    std::optional<DaemonStatus> status;
    std::string unknown_reason;
};

// How much of ssh's last stderr line (or a parser's message) an UNKNOWN reason quotes.
inline constexpr size_t kMaxReasonBytes = 512;
// ssh's stderr kept (its last line is the reason).
inline constexpr size_t kMaxStderrBytes = 64u << 10;

// Turns what the child left behind into an outcome (pure: tested without ssh). The reason is
// printable UTF-8 whatever the peer sent.
SshOutcome sshOutcome(bool timed_out, int exit_code, int term_signal, const std::string& out,
                      const std::string& err);

class SshQuery {
  public:
    SshQuery(std::vector<std::string> argv, SteadyClock::time_point deadline);
    bool started() const { return child_ != nullptr; }
    Child& child() { return *child_; }  // only when started()
    SteadyClock::time_point deadline() const { return deadline_; }
    // Kills the child when the deadline has passed (reap follows on the pidfd).
    void expire(SteadyClock::time_point now);
    // Exited (the caller drains both pipes when it reaps: what ssh wrote is in them by then).
    bool done() const { return !child_ || child_->exited(); }
    SshOutcome outcome() const;

  private:
    std::unique_ptr<Child> child_;
    std::string spawn_error_;
    SteadyClock::time_point deadline_;
    bool timed_out_ = false;
};

}  // namespace xvrrp::arbiter
