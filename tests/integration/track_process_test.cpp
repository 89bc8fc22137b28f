// track_process on a real pair: n1 tracks a process with weight 0 (keepalived: FAULT while
// the quorum is lost). Killing the processes moves the VIP to n2; starting them again
// brings it back (preempt), but not before fork_delay.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

constexpr double kForkDelay = 2.0;

// A process named `comm` (prctl, as a daemon renaming itself) that forks one worker with
// the same name, in a process group of their own; both live at most 60 s.
class TrackedPair {
public:
    explicit TrackedPair(const std::string& comm) {
        pid_ = fork();
        if (pid_ == 0) {
            setpgid(0, 0);
            prctl(PR_SET_NAME, comm.c_str());
            alarm(60);
            if (fork() == 0) alarm(60);  // the worker inherits the name through fork
            pause();
            _exit(0);
        }
        if (pid_ > 0) setpgid(pid_, pid_);
    }
    ~TrackedPair() { stop(); }
    TrackedPair(const TrackedPair&) = delete;
    TrackedPair& operator=(const TrackedPair&) = delete;
    void stop() {
        if (pid_ <= 0) return;
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    bool started() const { return pid_ > 0; }

private:
    int pid_ = -1;
};

// The tracked process block and the instance's reference, added to the harness config.
std::string withTrackProcess(std::string conf, const std::string& comm) {
    const std::string block = "vrrp_track_process tp_worker {\n  process " + comm +
                              "\n  quorum 2\n  weight 0\n  fork_delay " +
                              std::to_string(static_cast<int>(kForkDelay)) + "\n}\n";
    const std::string head = "vrrp_instance VI_1 {\n";
    size_t at = conf.find(head);
    if (at == std::string::npos) return conf;
    conf.insert(at + head.size(), "  track_process {\n    tp_worker\n  }\n");
    conf.insert(at, block);
    return conf;
}

// The process tracker's entry in `xvrrpctl status` of `node`, or null.
nlohmann::json processTracker(const XvrrpdNode& node) {
    auto i = node.instance();
    if (!i || !i->contains("tracking")) return nullptr;
    for (const auto& t : (*i)["tracking"].value("trackers", nlohmann::json::array()))
        if (t.value("kind", "") == "process" && t.value("name", "") == "tp_worker") return t;
    return nullptr;
}

class TrackProcess : public PairFixture {
protected:
    TrackProcess() : PairFixture("tp") {}
};

TEST_F(TrackProcess, WeightZeroQuorumLossMovesTheVipAndForkDelayHoldsTheReturn) {
    const Variant v = makeVariant("v3_ipv4_multicast", 3, Family::V4, false);
    const IpAddr ip = vip(v);
    const std::string comm = "xvtp" + std::to_string(getpid() % 1000000);
    auto workers = std::make_unique<TrackedPair>(comm);
    ASSERT_TRUE(workers->started());

    n1_->start(withTrackProcess(renderConfig("n1", spec("n1", 150, v)), comm));
    n2_->start(renderConfig("n2", spec("n2", 100, v)));
    ASSERT_TRUE(waitState(*n1_, "MASTER", electionLimit(v, 150))) << n1_->state();
    ASSERT_TRUE(waitState(*n2_, "BACKUP", seconds(5))) << n2_->state();
    ASSERT_TRUE(waitUntil([&] { return n1_->holds(ip) && !n2_->holds(ip); }, seconds(3)));
    auto t = processTracker(*n1_);
    ASSERT_FALSE(t.is_null()) << n1_->instance().value_or(nullptr).dump();
    EXPECT_EQ(t["state"], "UP") << t.dump();
    EXPECT_EQ(t["weight"], 0);

    // Quorum lost (no terminate_delay): FAULT, and n2 takes the VIP.
    workers->stop();
    ASSERT_TRUE(waitState(*n1_, "FAULT", seconds(5))) << n1_->state();
    EXPECT_EQ(processTracker(*n1_)["state"], "DOWN");
    ASSERT_TRUE(waitState(*n2_, "MASTER", seconds(masterDownInterval(100, v.advertInt) + 3)))
        << n2_->state();
    EXPECT_TRUE(waitUntil([&] { return n2_->holds(ip) && !n1_->holds(ip); }, seconds(3)));
    EXPECT_TRUE(clientReaches(ip, seconds(5)));

    // Started again: the quorum comes back through a fork, so n1 waits fork_delay.
    const auto t0 = Clock::now();
    workers = std::make_unique<TrackedPair>(comm);
    EXPECT_TRUE(holdsFor([&] { return n1_->state() == "FAULT" && n2_->holds(ip); },
                         seconds(kForkDelay - 0.3)))
        << "n1 left FAULT before fork_delay: " << n1_->state();
    ASSERT_TRUE(waitState(*n1_, "MASTER", seconds(kForkDelay + 5))) << n1_->state();
    const double took = secondsSince(t0);
    std::printf("[ track_process ] n1 MASTER again %.3f s after the restart (fork_delay %.1f s)\n",
                took, kForkDelay);
    EXPECT_GE(took, kForkDelay);
    EXPECT_EQ(processTracker(*n1_)["state"], "UP");
    EXPECT_TRUE(waitState(*n2_, "BACKUP", seconds(3))) << n2_->state();
    EXPECT_TRUE(waitUntil([&] { return n1_->holds(ip) && !n2_->holds(ip); }, seconds(3)));
    EXPECT_TRUE(clientReaches(ip, seconds(5)));
}

}  // namespace
}  // namespace xvrrp::itest
