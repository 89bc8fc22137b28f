#pragma once
// The chaos client: every 10 ms, for every VIP, a broadcast ARP request (RFC 826) and an ICMP
// echo (RFC 792) through the client's own stack, as a real client reaches the VIP. Replies
// are sorted by source MAC (the node that answered) and stamped by the kernel
// (SO_TIMESTAMPNS), so a harness thread that runs late still files them correctly: an echo
// reply by its sequence number, an ARP reply to the last probe of its VIP sent before it.
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "check.hpp"
#include "common/ip.hpp"
#include "lab/netns.hpp"
#include "lab/wait.hpp"

namespace xvrrp::chaos {

using lab::Clock;

class Prober {
  public:
    // `macs[n]`: node n's eth0. `epoch`: zero of the run clock that Probe::t uses.
    Prober(const lab::Netns& client, const IpAddr& self, std::vector<IpAddr> vips,
           std::vector<std::string> macs, Clock::time_point epoch,
           std::chrono::milliseconds interval = std::chrono::milliseconds(10));
    ~Prober();
    Prober(const Prober&) = delete;
    Prober& operator=(const Prober&) = delete;

    // The last `span` seconds of finished probes of `vip` were all answered by `node` alone
    // (and there were some).
    bool steady(int vip, int node, double span) const;
    // What the last finished probe of `vip` saw, for messages.
    std::string last(int vip) const;
    // Stops and returns every finished probe. Throws if the prober thread failed.
    std::vector<Probe> stop();

    static constexpr double kAnswerTimeoutS = 0.1;

  private:
    struct Pending {
        Probe p;
        uint16_t seq;
    };
    void run();
    void loop(int ifindex, int arpFd, int ipFd, int icmpFd);
    void onArp(const uint8_t* f, size_t n, double t);
    void onIp(const uint8_t* f, size_t n, uint16_t identBase);
    void finish(double now);
    uint8_t bitOf(const uint8_t* mac) const;
    double now() const;

    std::string nsPath_;
    IpAddr self_;
    std::vector<IpAddr> vips_;
    std::vector<std::string> macs_;
    Clock::time_point epoch_;
    std::chrono::milliseconds interval_;
    std::atomic<bool> stop_{false};
    std::vector<std::deque<Pending>> pending_;  // prober thread only
    mutable std::mutex mu_;
    std::vector<Probe> done_;                   // guarded by mu_
    std::vector<std::vector<size_t>> doneByVip_;  // indexes into done_, guarded by mu_
    std::string error_;
    std::thread thread_;
};

}  // namespace xvrrp::chaos
