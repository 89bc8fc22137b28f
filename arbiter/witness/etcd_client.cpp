#include "witness/etcd_client.hpp"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/printable.hpp"
#include "witness/etcd_json.hpp"

namespace xvrrp::arbiter::witness {

using nlohmann::json;

namespace {

constexpr size_t kMaxAnswer = 1u << 20;  // ownership keys of 1024 instances fit many times

size_t onData(char* p, size_t size, size_t n, void* out) {
    auto* s = static_cast<std::string*>(out);
    if (s->size() + size * n > kMaxAnswer) return 0;  // curl fails the transfer
    s->append(p, size * n);
    return size * n;
}

struct CurlGlobal {
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

int64_t EtcdWitness::nowMs() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

EtcdWitness::EtcdWitness(WitnessConfig cfg, std::string node, int64_t lead_ms,
                         int64_t renew_window_ms, SetWatch set_watch)
    : cfg_(std::move(cfg)),
      node_(std::move(node)),
      set_watch_(std::move(set_watch)),
      model_(node_, int64_t{cfg_.lease_ttl_s} * 1000, lead_ms, renew_window_ms, nowMs()) {
    static CurlGlobal global;
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) throw std::runtime_error(std::string("timerfd_create: ") + strerror(errno));
    multi_ = curl_multi_init();
    if (!multi_) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &EtcdWitness::onCurlSocket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &EtcdWitness::onCurlTimer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    member_state_.assign(cfg_.endpoints.size(), "not asked yet");
    for (const auto& ep : cfg_.endpoints) done_round_.members.push_back({ep});
}

EtcdWitness::~EtcdWitness() {
    for (auto& r : inflight_) {
        curl_multi_remove_handle(multi_, r->easy);
        curl_easy_cleanup(r->easy);
        curl_slist_free_all(r->headers);
    }
    curl_multi_cleanup(multi_);
    ::close(timer_fd_);
}

int EtcdWitness::onCurlSocket(CURL*, curl_socket_t s, int what, void* self, void*) {
    auto* w = static_cast<EtcdWitness*>(self);
    uint32_t ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) ev |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) ev |= EPOLLOUT;
    w->set_watch_(s, what == CURL_POLL_REMOVE ? 0 : ev);
    return 0;
}

int EtcdWitness::onCurlTimer(CURLM*, long ms, void* self) {
    static_cast<EtcdWitness*>(self)->armTimer(ms);
    return 0;
}

void EtcdWitness::armTimer(long ms) {
    itimerspec t{};
    if (ms >= 0) {  // -1: no timeout wanted; 0: at once (a zero it_value would disarm)
        long ns = ms == 0 ? 1 : ms * 1000000L;
        t.it_value.tv_sec = ns / 1000000000L;
        t.it_value.tv_nsec = ns % 1000000000L;
    }
    ::timerfd_settime(timer_fd_, 0, &t, nullptr);
}

void EtcdWitness::onSocket(int fd, uint32_t events) {
    int mask = 0;
    if (events & EPOLLIN) mask |= CURL_CSELECT_IN;
    if (events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
    int running = 0;
    curl_multi_socket_action(multi_, fd, mask, &running);
    drain();
}

void EtcdWitness::onTimer() {
    uint64_t n;
    while (::read(timer_fd_, &n, sizeof(n)) > 0) {
    }
    int running = 0;
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
    drain();
}

void EtcdWitness::send(size_t ep, const std::string& path, const json& body,
                       std::function<void(Request&)> done) {
    auto r = std::make_unique<Request>();
    r->easy = curl_easy_init();
    if (!r->easy) throw std::runtime_error("curl_easy_init failed");
    r->body = body.dump();
    r->endpoint = ep;
    r->done = std::move(done);
    r->headers = curl_slist_append(nullptr, "Content-Type: application/json");
    CURL* e = r->easy;
    std::string url = cfg_.endpoints[ep] + path;
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");  // the witness is reached directly
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(r->body.size()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg_.timeout_ms));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &onData);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->answer);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r.get());
    if (cfg_.tls) {
        curl_easy_setopt(e, CURLOPT_CAINFO, cfg_.ca_file.c_str());
        if (!cfg_.cert_file.empty()) {
            curl_easy_setopt(e, CURLOPT_SSLCERT, cfg_.cert_file.c_str());
            curl_easy_setopt(e, CURLOPT_SSLKEY, cfg_.key_file.c_str());
        }
    }
    r->sent_ms = nowMs();
    r->t0 = std::chrono::steady_clock::now();
    if (curl_multi_add_handle(multi_, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        curl_slist_free_all(r->headers);
        throw std::runtime_error("curl_multi_add_handle failed");
    }
    inflight_.push_back(std::move(r));
}

void EtcdWitness::drain() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
        if (m->msg != CURLMSG_DONE) continue;
        Request* r = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &r);
        r->result = m->data.result;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->http);
        // A member that took the request (a new or a kept-alive connection, TLS done) but did
        // not answer in time is alive and waiting for a quorum it does not have; a failed
        // connect or TLS handshake reaches nobody. (CONNECT_TIME is 0 on a reused connection.)
        curl_off_t pretransfer = 0;
        curl_easy_getinfo(r->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
        r->reached = r->http > 0 || pretransfer > 0;
        curl_multi_remove_handle(multi_, r->easy);
        std::unique_ptr<Request> owned;
        for (auto it = inflight_.begin(); it != inflight_.end(); ++it)
            if (it->get() == r) {
                owned = std::move(*it);
                inflight_.erase(it);
                break;
            }
        try {
            owned->done(*owned);
        } catch (const std::exception& e) {
            fail(cfg_.endpoints[owned->endpoint] + ": " + e.what());
        }
        curl_easy_cleanup(owned->easy);
        curl_slist_free_all(owned->headers);
    }
    maybeNext();
}

void EtcdWitness::record(std::string instance, std::string what, std::string result) {
    round_.requests.push_back({std::move(instance), std::move(what), std::move(result)});
}

void EtcdWitness::fail(const std::string& what) {
    if (what != last_error_) spdlog::warn("witness: {}", printable(what));
    last_error_ = what;
}

namespace {

// The answer of a finished request as JSON, or why not.
json answerOf(CURLcode result, long http, const std::string& answer, std::string& why) {
    if (result != CURLE_OK) {
        why = curl_easy_strerror(result);
        return nullptr;
    }
    json doc = json::parse(answer, nullptr, false);
    if (doc.is_discarded()) {
        why = "HTTP " + std::to_string(http) + ": not JSON";
        return nullptr;
    }
    if (auto e = gatewayError(doc)) {
        why = "HTTP " + std::to_string(http) + ": " + *e;
        return nullptr;
    }
    return doc;
}

}  // namespace

void EtcdWitness::start(const std::map<std::string, bool>& wants) {
    for (auto& r : inflight_) {  // an abandoned round
        curl_multi_remove_handle(multi_, r->easy);
        curl_easy_cleanup(r->easy);
        curl_slist_free_all(r->headers);
    }
    inflight_.clear();
    wants_ = wants;
    keys_.clear();
    reached_ = majority_ = 0;
    step_ = Step::Read;
    read_sent_ = nowMs();
    round_ = WitnessRound{};
    for (const auto& ep : cfg_.endpoints) round_.members.push_back({ep});
    round_t0_ = std::chrono::steady_clock::now();
    for (size_t i = 0; i < cfg_.endpoints.size(); ++i) {
        send(i, "/v3/kv/range", rangeBody(cfg_.prefix), [this](Request& r) {
            std::string why;
            json doc = answerOf(r.result, r.http, r.answer, why);
            reached_ += r.reached ? 1 : 0;
            auto& m = round_.members[r.endpoint];
            if (doc.is_null()) {
                member_state_[r.endpoint] = (r.reached ? "no majority: " : "unreachable: ") + why;
                m.state = r.reached ? WitnessRound::Member::NoMajority
                                    : WitnessRound::Member::Unreachable;
                return;
            }
            auto keys = parseRange(doc, cfg_.prefix);
            member_state_[r.endpoint] = "ok";
            m.state = WitnessRound::Member::Ok;
            m.read_ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - r.t0)
                            .count();
            if (majority_++ == 0) {
                keys_ = std::move(keys);
                leader_ep_ = r.endpoint;
            }
        });
    }
}

void EtcdWitness::maybeNext() {
    if (!inflight_.empty()) return;
    switch (step_) {
        case Step::Idle:
            return;
        case Step::Read:
            afterRead();
            return;
        case Step::Lease:
            ownStep();
            return;
        case Step::Own:
            finish();
            return;
    }
}

void EtcdWitness::afterRead() {
    if (majority_ == 0) {
        finish();  // nothing more to learn: no member can serve a majority
        return;
    }
    model_.sawKeys(keys_, read_sent_, nowMs());
    leaseStep();
}

void EtcdWitness::leaseStep() {
    step_ = Step::Lease;
    bool need = false;
    for (const auto& [name, want] : wants_) need = need || want || model_.owns(name);
    if (!need && !model_.lease().id()) return maybeNext();
    auto& lease = model_.lease();
    if (lease.id()) {
        send(leader_ep_, "/v3/lease/keepalive", keepaliveBody(lease.id()), [this](Request& r) {
            std::string why;
            json doc = answerOf(r.result, r.http, r.answer, why);
            if (doc.is_null()) {
                record("", "lease_keepalive", "failed");
                return fail("lease keep-alive: " + why);
            }
            LeaseAnswer a = parseKeepalive(doc);
            record("", "lease_keepalive", a.ttl_s > 0 ? "ok" : "refused");
            // Counted from the round's majority read, sent before: a deposed etcd leader may
            // still ack a keep-alive, but not a linearizable read (docs/arbiter.md, Witness).
            model_.lease().acked(model_.lease().id(), read_sent_, a.ttl_s);
            if (a.ttl_s <= 0) fail("our lease expired on etcd; a new one is granted");
        });
        return;
    }
    send(leader_ep_, "/v3/lease/grant", grantBody(cfg_.lease_ttl_s), [this](Request& r) {
        std::string why;
        json doc = answerOf(r.result, r.http, r.answer, why);
        if (doc.is_null()) {
            record("", "lease_grant", "failed");
            return fail("lease grant: " + why);
        }
        LeaseAnswer a = parseGrant(doc);
        record("", "lease_grant", "ok");
        model_.lease().acked(a.id, read_sent_, a.ttl_s);
        spdlog::info("witness: lease {:x} granted, TTL {} s", a.id, a.ttl_s);
    });
}

void EtcdWitness::ownStep() {
    step_ = Step::Own;
    const int64_t lease = model_.lease().id();
    for (const Op& op : model_.plan(wants_)) {
        if (op.kind != OpKind::Release && !lease) continue;  // no lease, nothing to bind
        const std::string key = cfg_.prefix + op.instance;
        json body = op.kind == OpKind::Campaign  ? campaignBody(key, node_, lease)
                    : op.kind == OpKind::Refresh ? refreshBody(key, node_, lease, op.token)
                                                 : releaseBody(key, op.token);
        send(leader_ep_, "/v3/kv/txn", body, [this, op, lease](Request& r) {
            std::string why;
            json doc = answerOf(r.result, r.http, r.answer, why);
            if (doc.is_null()) {
                record(op.instance, opName(op.kind), "failed");
                return fail(std::string(opName(op.kind)) + " " + op.instance + ": " + why);
            }
            TxnAnswer t = parseTxn(doc);
            record(op.instance, opName(op.kind), t.succeeded ? "ok" : "refused");
            std::optional<KeyInfo> now = t.key;
            if (t.succeeded && op.kind == OpKind::Release) {
                now.reset();
                spdlog::info("witness: {} released (token {})", op.instance, op.token);
            } else if (t.succeeded) {
                int64_t token = op.kind == OpKind::Campaign ? t.revision : op.token;
                now = KeyInfo{node_, token, t.revision, lease};
                if (op.kind == OpKind::Campaign)
                    spdlog::warn("witness: {} owned by {} now, token {}", op.instance, node_, token);
            }
            model_.sawKey(op.instance, now, nowMs());
        });
    }
    maybeNext();
}

// Evidence and status tell the last finished round, not one whose reads are in flight.
void EtcdWitness::finish() {
    step_ = Step::Idle;
    done_reached_ = reached_;
    done_majority_ = majority_;
    const auto& lease = model_.lease();
    const int64_t now = nowMs();
    round_.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - round_t0_)
            .count();
    round_.lease_id = lease.id();
    round_.lease_left_ms = lease.leftMs(now);
    round_.claim_left_ms = lease.claimUntil() - now;
    round_.since_majority_ms = lease.sinceMajority(now);
    done_round_ = std::move(round_);
    round_ = WitnessRound{};
}

WitnessEvidence EtcdWitness::evidence(const std::string& instance) const {
    return model_.evidence(instance, done_reached_, done_majority_, static_cast<int>(cfg_.endpoints.size()),
                           cfg_.on_loss == OnWitnessLoss::Fence, nowMs());
}

json EtcdWitness::status(const std::vector<std::string>& instances) const {
    json members = json::array();
    for (size_t i = 0; i < cfg_.endpoints.size(); ++i)
        members.push_back({{"endpoint", cfg_.endpoints[i]}, {"state", member_state_[i]}});
    json inst = json::object();
    for (const auto& name : instances) {
        WitnessEvidence w = evidence(name);
        inst[name] = {{"state", witnessStateName(w.state)}, {"owner", w.owner}, {"token", w.token}};
    }
    const auto& lease = model_.lease();
    int64_t now = nowMs();
    return {{"members", std::move(members)},
            {"lease", {{"id", lease.id()}, {"left_ms", lease.leftMs(now)},
                       {"claim_left_ms", lease.claimUntil() - now}}},
            {"since_majority_ms", lease.sinceMajority(now)},
            {"instances", std::move(inst)},
            {"last_error", last_error_}};
}

}  // namespace xvrrp::arbiter::witness
