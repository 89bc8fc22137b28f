#pragma once
// arbiter.conf: the keepalived block grammar (config/lexer.hpp) with the arbiter's keywords.
// See docs/arbiter.md for the file format.

#include <cstdint>
#include <optional>
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

// The witness (issue 15): an etcd v3 cluster reached through its JSON gateway.
inline constexpr size_t kMaxWitnessEndpoints = 9;

// What the rules do when no etcd member answers at all (docs/arbiter.md, Witness).
enum class OnWitnessLoss { Hold, Fence };

struct WitnessConfig {
    config::Location where;              // the `witness` keyword, for later diagnostics
    std::vector<std::string> endpoints;  // http(s)://HOST:PORT of every member
    std::string prefix = "/xvrrp/";      // ownership keys: PREFIX + instance name
    uint32_t lease_ttl_s = 20;
    uint32_t timeout_ms = 1000;       // one request to one member
    uint32_t clock_margin_ms = 500;   // our monotonic clock against etcd's lease clock
    // The longest etcd leader election to ride out without yielding: raft waits a random
    // 1-2 election timeouts (etcd's default 1 s) before it campaigns.
    uint32_t max_election_ms = 2000;
    OnWitnessLoss on_loss = OnWitnessLoss::Hold;
    bool tls = false;  // https endpoints: CA and client certificate below
    std::string ca_file, cert_file, key_file;
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

    std::optional<WitnessConfig> witness;

    std::vector<std::string> files;  // every file read, for diagnostics
};

struct ArbiterLoad {
    ArbiterConfig config;
    std::vector<config::Diagnostic> diagnostics;
    bool ok() const;
};

ArbiterLoad loadArbiterFile(const std::string& path);
ArbiterLoad loadArbiterText(std::string_view text, const std::string& name = "<text>");

// How long before etcd may let another node own a key of ours the arbiter must start yielding:
// fence_after + 1 rounds (each as long as its slowest query) plus the clock margin. The lease
// is held until acked_send + lease_ttl - this (docs/arbiter.md, Witness).
uint32_t witnessYieldLeadMs(const ArbiterConfig& cfg);

// `xvrrp-arbiter -t`: prints every diagnostic and a summary; 0 when usable, 1 otherwise.
int checkArbiterConfig(const std::string& path, std::ostream& out);

// Words that reach the remote shell (ssh joins the command with spaces) must be plain.
bool isShellSafeWord(std::string_view w);

}  // namespace xvrrp::arbiter
