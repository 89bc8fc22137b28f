// systemd's notify protocol, on a NOTIFY_SOCKET of the test's own (systemd is not PID 1
// here): READY=1 after the bind, WATCHDOG=1 at half of WATCHDOG_USEC from the loop (none
// while SIGSTOPped), RELOADING=1 then READY=1 around SIGHUP and xvrrpctl restart, a STATUS=
// summary, STOPPING=1.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>

#include "lab/lab.hpp"
#include "xvrrpd_node.hpp"

namespace xvrrp::itest {
namespace {

// Collects every datagram sent to the socket, with the moment it arrived.
class NotifyListener {
  public:
    struct Message {
        Clock::time_point at;
        std::string text;
    };
    explicit NotifyListener(std::string path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, path_.c_str(), sizeof(sa.sun_path) - 1);
        ::unlink(path_.c_str());
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
            throw std::runtime_error("bind " + path_ + ": " + std::strerror(errno));
        timeval tv{0, 100000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        thread_ = std::thread([this] {
            char buf[4096];
            while (!stop_) {
                ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
                if (n <= 0) continue;
                std::lock_guard<std::mutex> g(mu_);
                messages_.push_back({Clock::now(), std::string(buf, static_cast<size_t>(n))});
            }
        });
    }
    ~NotifyListener() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    std::vector<Message> messages() const {
        std::lock_guard<std::mutex> g(mu_);
        return messages_;
    }
    // Index of the first message from `from` on that starts with `prefix`, or -1.
    int find(const std::string& prefix, size_t from = 0) const {
        auto m = messages();
        for (size_t i = from; i < m.size(); ++i)
            if (m[i].text.rfind(prefix, 0) == 0) return static_cast<int>(i);
        return -1;
    }
    bool waitFor(const std::string& prefix, size_t from, Clock::duration t) const {
        return waitUntil([&] { return find(prefix, from) >= 0; }, t, Ms(10));
    }
    size_t size() const { return messages().size(); }
    std::vector<Clock::time_point> times(const std::string& prefix) const {
        std::vector<Clock::time_point> out;
        for (const auto& m : messages())
            if (m.text.rfind(prefix, 0) == 0) out.push_back(m.at);
        return out;
    }

  private:
    std::string path_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;
    std::vector<Message> messages_;
    std::thread thread_;
};

TEST(SdNotify, ReadyWatchdogReloadStatusStopping) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces and XDP";
    lab::Lab lab({"n1"}, lab::LabOptions{.tag = "sdnotify"});
    XvrrpdNode n1(lab, "n1");
    NotifyListener listener(lab.logDir() + "/notify.sock");
    ::setenv("NOTIFY_SOCKET", (lab.logDir() + "/notify.sock").c_str(), 1);
    ::setenv("WATCHDOG_USEC", "400000", 1);  // WatchdogSec=0.4: WATCHDOG=1 every 200 ms
    InstanceSpec spec;
    spec.priority = 150;
    spec.vip = "10.77.0.100/24";
    n1.start(renderConfig("n1", spec));
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");

    // READY=1 only once the instance is bound: XDP is on eth0 by then.
    ASSERT_TRUE(listener.waitFor("READY=1", 0, Ms(10000))) << n1.log();
    EXPECT_TRUE(n1.xdpAttached());
    ASSERT_TRUE(waitState(n1, "MASTER", Ms(5000)));
    EXPECT_TRUE(listener.waitFor("STATUS=1 MASTER", 0, Ms(2000)));

    // WATCHDOG=1 at half the interval.
    ASSERT_TRUE(waitUntil([&] { return listener.times("WATCHDOG=1").size() >= 6; }, Ms(5000)));
    auto beats = listener.times("WATCHDOG=1");
    std::vector<double> gaps;
    for (size_t i = 1; i < beats.size(); ++i)
        gaps.push_back(std::chrono::duration<double, std::milli>(beats[i] - beats[i - 1]).count());
    std::sort(gaps.begin(), gaps.end());
    EXPECT_NEAR(gaps[gaps.size() / 2], 200.0, 60.0);

    // Stopped, the loop feeds nobody.
    n1.signal(SIGSTOP);
    std::this_thread::sleep_for(Ms(300));  // a beat sent just before the stop may arrive late
    const size_t during = listener.times("WATCHDOG=1").size();
    std::this_thread::sleep_for(Ms(1000));  // the window a stopped daemon must stay silent in
    EXPECT_EQ(listener.times("WATCHDOG=1").size(), during) << "WATCHDOG=1 while SIGSTOPped";
    n1.signal(SIGCONT);
    EXPECT_TRUE(waitUntil([&] { return listener.times("WATCHDOG=1").size() > during; }, Ms(2000)));

    // Reload: RELOADING=1, then READY=1 again.
    const size_t before = listener.size();
    n1.signal(SIGHUP);
    ASSERT_TRUE(listener.waitFor("RELOADING=1", before, Ms(5000)));
    const int reloading = listener.find("RELOADING=1", before);
    EXPECT_TRUE(listener.waitFor("READY=1", static_cast<size_t>(reloading), Ms(5000)));

    // xvrrpctl restart: a reload to systemd (the exec keeps the main pid), no STOPPING=1,
    // and the new process feeds the watchdog.
    const size_t before_restart = listener.size();
    auto r = n1.ctl({"restart"});
    ASSERT_TRUE(r.ok()) << r.out << r.err;
    ASSERT_TRUE(listener.waitFor("RELOADING=1", before_restart, Ms(5000)));
    const int restarting = listener.find("RELOADING=1", before_restart);
    EXPECT_TRUE(listener.waitFor("READY=1", static_cast<size_t>(restarting), Ms(5000)));
    EXPECT_EQ(listener.find("STOPPING=1", before_restart), -1);
    const size_t beats_before = listener.times("WATCHDOG=1").size();
    EXPECT_TRUE(
        waitUntil([&] { return listener.times("WATCHDOG=1").size() > beats_before + 2; }, Ms(3000)));

    // Stop: STOPPING=1.
    const size_t before_stop = listener.size();
    n1.signal(SIGTERM);
    ASSERT_TRUE(n1.waitExit(Ms(10000)).has_value());
    EXPECT_GE(listener.find("STOPPING=1", before_stop), 0);
}

}  // namespace
}  // namespace xvrrp::itest
