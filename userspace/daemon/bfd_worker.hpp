#pragma once
// The BFD sessions on a thread of their own: its epoll over the port-3784 sockets and one
// timerfd armed from BfdTable::next(). keepalived runs BFD in a process of its own for the
// same reason: the daemon's loop blocks for longer than a 10 ms x 5 Detection Time now and
// then (a reload that loads XDP on a new interface: the verifier), and a peer then sees the
// session expire (measured: 3 of 3 such reloads before this thread).
//
// The main loop talks to it by calls that run on the thread and are waited for
// (reconcile, status, snapshot, all short), and hears of state changes through an eventfd
// (changesFd) and takeChanges(): the thread never waits for the main loop.

#include <sys/types.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/bfd_sockets.hpp"
#include "daemon/bfd_table.hpp"
#include "daemon/snapshot.hpp"

namespace xvrrp::daemon {

class BfdWorker {
public:
    struct Change {
        std::string name;
        bfd::StateChanged change;
        bfd::Diag remote_diag = bfd::Diag::None;
        IpAddr neighbor;  // the session's, when it changed (xvrrp_bfd_failover)
        std::optional<vrrp::TimePoint> last_rx;  // its last packet received, before the change
    };

    // Starts the thread. SEED: BfdTable's discriminator seed. Throws naming the call.
    explicit BfdWorker(uint32_t seed);
    ~BfdWorker();  // stops and joins; nothing is sent (keepalived sends nothing at stop)
    BfdWorker(const BfdWorker&) = delete;
    BfdWorker& operator=(const BfdWorker&) = delete;

    // Readable when state changes wait for takeChanges() (edge: read it empty each time).
    int changesFd() const { return changes_fd_; }
    std::vector<Change> takeChanges();

    // BfdTable::reconcile on the thread, with the receiving sockets CFG needs. Returns
    // every session's Up, by name, as it is now (a new session starts Down).
    // CARRIED: BfdTable::handoff() of the process before (xvrrpctl restart), or null.
    std::map<std::string, bool> reconcile(const config::Config& cfg,
                                          const nlohmann::json& carried = nullptr);
    nlohmann::json handoff();
    // Lets xv_rx absorb the sessions' repeats through MAPS (the dataplane's, a handle of
    // their own): BfdTable::setKernel on the thread. detachKernel removes every expectation
    // (before an exec: the next process reads none of our slots).
    void attachKernel(std::unique_ptr<dataplane::BfdMaps> maps);
    void detachKernel();
    nlohmann::json status();
    std::vector<BfdSnapshot> snapshot();

private:
    void run();
    // Runs F on the thread and waits; exceptions come back here.
    void call(const std::function<void()>& f);
    void listen(Family f, bool wanted);
    void armTimer();
    static vrrp::TimePoint now();

    BfdSockets sockets_;
    std::unique_ptr<BfdKernel> kernel_;  // outlives the table's use of it (the destructor)
    std::unique_ptr<BfdTable> table_;
    std::map<Family, int> rx_fds_;
    int epoll_fd_ = -1;
    int timer_fd_ = -1;
    int wake_fd_ = -1;     // calls queued, or stop
    int changes_fd_ = -1;  // the main loop's
    std::mutex mutex_;
    std::deque<std::function<void()>> calls_;
    std::vector<Change> changes_;
    bool stop_ = false;
    bool dead_ = false;  // the thread ended on an error: calls fail instead of waiting
    std::thread thread_;
};

}  // namespace xvrrp::daemon
