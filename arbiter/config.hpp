#pragma once
// arbiter.conf: the keepalived block grammar (config/lexer.hpp) with the arbiter's keywords.
// See docs/arbiter.md for the file format.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip.hpp"
#include "config/diagnostic.hpp"

namespace xvrrp::arbiter {

inline constexpr std::string_view kDefaultConfig = "/etc/xvrrp/arbiter.conf";
inline constexpr std::string_view kDefaultControlSocket = "/run/xvrrp/arbiter.sock";

// Every peer costs an ssh child per round and every gateway an echo; a round must fit in its
// interval (docs/bounds.md).
inline constexpr size_t kMaxPeers = 32;
inline constexpr size_t kMaxGateways = 64;

struct SshTarget {
    std::string user;
    std::string host;
    int port = 22;
    std::string identity_file;
    std::string known_hosts;
};

struct Peer {
    std::string name;
    config::Location where;
    IpAddr address;  // pinged each round
    bool has_ssh = false;
    SshTarget ssh;
};

struct ArbiterConfig {
    std::string node_name;
    std::vector<std::string> instances;  // empty: every instance of the local xvrrpd
    std::string xvrrpd_socket = "/run/xvrrp/xvrrpd.sock";
    std::string pin_root = "/sys/fs/bpf/xvrrp";
    std::string control_socket{kDefaultControlSocket};
    std::string audit_log = "/var/log/xvrrp/arbiter.log";
    std::string ssh_program = "/usr/bin/ssh";
    std::string remote_xvrrpctl = "xvrrpctl";  // run on the peer as: XVRRPCTL status --json
    std::string metrics_listen;  // [ADDR:]PORT of /metrics; empty: not served

    uint32_t probe_interval_ms = 1000;
    uint32_t ping_timeout_ms = 500;
    uint32_t control_timeout_ms = 500;
    uint32_t ssh_connect_timeout_s = 2;  // OpenSSH ConnectTimeout is whole seconds
    uint32_t ssh_timeout_ms = 4000;      // the child is killed after this
    int fence_rounds = 2;
    int unfence_rounds = 3;
    bool start_fenced = false;

    std::vector<Peer> peers;
    std::vector<IpAddr> gateways;
    int quorum = 0;  // k of gateways.size(); defaults to a majority

    std::vector<std::string> files;  // every file read, for diagnostics
};

struct ArbiterLoad {
    ArbiterConfig config;
    std::vector<config::Diagnostic> diagnostics;
    bool ok() const;
};

ArbiterLoad loadArbiterFile(const std::string& path);
ArbiterLoad loadArbiterText(std::string_view text, const std::string& name = "<text>");

// `xvrrp-arbiter -t`: prints every diagnostic and a summary; 0 when usable, 1 otherwise.
int checkArbiterConfig(const std::string& path, std::ostream& out);

// Words that reach the remote shell (ssh joins the command with spaces) must be plain.
bool isShellSafeWord(std::string_view w);

}  // namespace xvrrp::arbiter
