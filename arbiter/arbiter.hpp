#pragma once
// xvrrp-arbiter's event loop: one epoll over a round timer, a deadline timer, a signalfd,
// the ICMP sockets, the SSH children (pipes and pidfds), xvrrpd's control socket and our own.
// Nothing in here decides; decide() does, and this carries out what it says.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "arbiter_metrics.hpp"
#include "audit.hpp"
#include "config.hpp"
#include "decision.hpp"
#include "fencing.hpp"
#include "metrics/http_server.hpp"
#include "probes/control_query.hpp"
#include "probes/icmp.hpp"
#include "probes/ssh.hpp"
#include "round.hpp"
#include "witness/etcd_client.hpp"

namespace xvrrp::control {
class Server;
}
namespace xvrrp::net {
class Netlink;
}

namespace xvrrp::arbiter {

class Arbiter {
  public:
    // Opens sockets, the audit log and the control socket; throws std::runtime_error.
    Arbiter(ArbiterConfig cfg, std::string config_path, std::unique_ptr<Fencer> fencer);
    ~Arbiter();
    Arbiter(const Arbiter&) = delete;
    Arbiter& operator=(const Arbiter&) = delete;

    // Runs until SIGTERM or SIGINT; the fence state is left as it is.
    int run();
    nlohmann::json status() const;
    // --metrics [ADDR:]PORT: served there whatever arbiter.conf says, over reloads too.
    void overrideMetrics(std::string listen) { metrics_cli_ = std::move(listen); }

  private:
    using Clock = std::chrono::steady_clock;
    struct Pending {  // a fence/unfence request on xvrrpd's control socket
        std::unique_ptr<ControlQuery> query;
        std::string what;
    };
    struct InstanceState {
        History history;
        std::optional<InstanceRef> ref;  // from the last status that named it
        std::vector<IpPrefix> vips;
        std::vector<VipDevice> vip_devices;
        std::optional<Decision> last;
        std::optional<InstanceEvidence> evidence;
        bool wants_ownership = false;  // for the witness: master, holds the VIP, not fenced
    };

    struct Handler {
        std::string what;  // context for a failure ("ssh of peer b", "round timer")
        std::function<void(uint32_t)> fn;
    };
    void watch(int fd, std::string what, std::function<void(uint32_t)> fn,
               uint32_t events = 1 /* EPOLLIN */);
    void openWitness();   // (re)creates the etcd client when the witness block changed
    void watchWitness(int fd, uint32_t events);
    void unwatch(int fd);
    void dispatch(int fd, uint32_t events);
    // A handler threw: logged with its context and counted; the loop keeps serving.
    void failed(const std::string& what, const char* error);
    void dropRoundQueries();
    void onSignal();
    void onTick();
    void onDeadline();
    void armDeadline();
    void startRound();
    void beginRound();
    bool roundComplete() const;
    void maybeFinish();
    void finishRound();
    void judgeInstance(const std::string& name, const RoundResult& r, const Policy& policy);
    void watchChild(SshQuery& q);
    void unwatchChild(SshQuery& q);
    void act(const std::string& name, InstanceState& st, const Decision& d);
    void sendControl(nlohmann::json req, std::string what);
    void startFence();
    void reload();
    void openServer();
    void applyConfig(ArbiterConfig cfg);
    Tri kernelHolds(const InstanceState& st);
    FenceOwner fenceOwner(const InstanceState& st);
    void learn(const DaemonStatus& s);
    void openMetrics();  // (re)binds when the address changed; throws std::runtime_error
    // On the loop for each scrape: the job that renders a copy of the counters.
    metrics::HttpServer::Job captureMetrics(const metrics::HttpServer::Stats& st) const;

    ArbiterConfig cfg_;
    std::optional<ArbiterConfig> next_cfg_;  // a reload waits for the round in flight
    std::string config_path_;
    std::unique_ptr<Fencer> fencer_;
    std::unique_ptr<net::Netlink> netlink_;
    std::unique_ptr<control::Server> server_;
    AuditLog audit_;
    IcmpProber icmp_;
    int epfd_ = -1, tick_fd_ = -1, deadline_fd_ = -1, sig_fd_ = -1;
    std::unordered_map<int, Handler> handlers_;
    bool stop_ = false;
    uint64_t handler_errors_ = 0;  // exceptions caught in the loop (status: errors)
    std::string last_error_;

    // The round in flight.
    bool in_round_ = false;
    bool tick_missed_ = false;
    uint64_t round_no_ = 0;
    Clock::time_point round_start_;
    Clock::time_point ping_deadline_;
    std::string round_started_iso_;
    std::vector<IpAddr> ping_targets_;  // peers first, then gateways
    std::unique_ptr<ControlQuery> local_;
    std::vector<std::unique_ptr<SshQuery>> ssh_;  // parallel to cfg_.peers (null: no ssh)
    std::vector<Pending> pending_;
    std::optional<RoundResult> last_round_;
    std::string local_error_;  // xvrrpd's last failure, to log changes only
    std::map<std::string, InstanceState> instances_;

    std::unique_ptr<witness::EtcdWitness> witness_;
    std::optional<WitnessConfig> witness_cfg_;  // what witness_ was made from
    std::string witness_node_;

    // --metrics (arbiter_metrics.cpp): fed from finishRound, served in this loop.
    ArbiterMetrics metrics_;
    std::unique_ptr<metrics::HttpServer> http_;
    std::string metrics_cli_;  // from the command line; wins over metrics_listen
    std::string metrics_on_;   // the address http_ serves
};

}  // namespace xvrrp::arbiter
