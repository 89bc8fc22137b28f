#pragma once
// The witness on etcd (issue 15): libcurl's multi interface driven by the arbiter's epoll loop
// (no threads, nothing blocks). A round is three steps, each bounded by `timeout`:
//   1. a linearizable read of every ownership key, sent to every member at once: who answers
//      tells majority / minority / unreachable;
//   2. our lease: granted when needed, else kept alive;
//   3. per instance: campaign (txn on create_revision == 0), refresh or release.
// Only the arbiter's rounds wait for it; VRRP never does.

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config.hpp"
#include "witness/witness_model.hpp"

namespace xvrrp::arbiter::witness {

class EtcdWitness {
  public:
    // setWatch(fd, EPOLLIN|EPOLLOUT...) registers an fd with the loop; events 0 removes it.
    using SetWatch = std::function<void(int fd, uint32_t events)>;
    EtcdWitness(WitnessConfig cfg, std::string node, int64_t lead_ms, int64_t renew_window_ms,
                SetWatch set_watch);
    ~EtcdWitness();
    EtcdWitness(const EtcdWitness&) = delete;
    EtcdWitness& operator=(const EtcdWitness&) = delete;

    // wants: instance -> this node should own it. A round still running is abandoned.
    void start(const std::map<std::string, bool>& wants);
    bool done() const { return step_ == Step::Idle; }
    void onSocket(int fd, uint32_t epoll_events);
    void onTimer();
    int timerFd() const { return timer_fd_; }

    WitnessEvidence evidence(const std::string& instance) const;
    // Witness block of the arbiter's status: members, lease, per instance owner and token.
    nlohmann::json status(const std::vector<std::string>& instances) const;
    // The last finished round, for the metrics.
    const WitnessRound& lastRound() const { return done_round_; }
    static int64_t nowMs();

  private:
    enum class Step { Idle, Read, Lease, Own };
    struct Request {
        CURL* easy = nullptr;
        curl_slist* headers = nullptr;
        std::string body, answer;
        size_t endpoint = 0;
        int64_t sent_ms = 0;
        std::chrono::steady_clock::time_point t0;  // for the answer time in the metrics
        std::function<void(Request&)> done;
        long http = 0;
        CURLcode result = CURLE_OK;
        bool reached = false;  // the member took the connection (and the TLS handshake)
    };
    void send(size_t endpoint, const std::string& path, const nlohmann::json& body,
              std::function<void(Request&)> done);
    void drain();  // finished transfers -> their callbacks
    void armTimer(long ms);
    void afterRead();
    void leaseStep();
    void ownStep();
    void maybeNext();
    void finish();
    void fail(const std::string& what);
    void record(std::string instance, std::string what, std::string result);
    static int onCurlSocket(CURL*, curl_socket_t s, int what, void* self, void*);
    static int onCurlTimer(CURLM*, long ms, void* self);

    WitnessConfig cfg_;
    std::string node_;
    SetWatch set_watch_;
    Model model_;
    CURLM* multi_ = nullptr;
    int timer_fd_ = -1;
    std::vector<std::unique_ptr<Request>> inflight_;
    Step step_ = Step::Idle;
    std::map<std::string, bool> wants_;
    std::map<std::string, KeyInfo> keys_;
    size_t leader_ep_ = 0;  // the member that served this round's read
    int reached_ = 0, majority_ = 0;            // the round in flight
    int done_reached_ = 0, done_majority_ = 0;  // the last finished round
    int64_t read_sent_ = 0;
    std::string last_error_;
    std::vector<std::string> member_state_;  // per endpoint: ok / no majority / unreachable
    WitnessRound round_, done_round_;         // in flight, last finished
    std::chrono::steady_clock::time_point round_t0_;
};

}  // namespace xvrrp::arbiter::witness
