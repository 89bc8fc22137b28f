// track_process: keepalived's matching and quorum/delay rules on a fake clock, then the
// watcher against real processes (proc connector, and the /proc rescan fallback).
#include "track/track_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

namespace xvrrp::track {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

config::TrackProcess proc(std::string process, std::vector<std::string> params = {}) {
    config::TrackProcess p;
    p.name = "tp";
    p.process = std::move(process);
    p.param_match = std::move(params);
    return p;
}

TEST(TrackProcessMatcher, KeepalivedDefaults) {
    auto m = matcherFor(proc("nginx"));
    EXPECT_EQ(m.mode, ParamMatch::None);
    EXPECT_FALSE(m.full_command);
    EXPECT_EQ(m.quorum, 1u);
    EXPECT_EQ(m.quorum_max, UINT32_MAX);

    // Parameters imply an exact match against the command line.
    m = matcherFor(proc("/usr/sbin/nginx", {"-g", "daemon off;"}));
    EXPECT_EQ(m.mode, ParamMatch::Exact);
    EXPECT_TRUE(m.full_command);

    // param_match alone: the command must have no parameters.
    auto p = proc("/bin/sleep");
    p.param_match_mode = "exact";
    m = matcherFor(p);
    EXPECT_TRUE(m.full_command);
    EXPECT_FALSE(processMatches(m, {"sleep", "/bin/sleep\0" "10\0"s, false}));
    EXPECT_TRUE(processMatches(m, {"sleep", "/bin/sleep\0"s, false}));

    p = proc("haproxy");
    p.quorum_max = 0;
    p.fork_delay = 2;
    p.terminate_delay = 3;
    m = matcherFor(p);
    EXPECT_EQ(m.quorum, 0u) << "quorum_max 0 means up while none runs";
    EXPECT_EQ(m.fork_delay, 2000ms);
    EXPECT_EQ(m.terminate_delay, 3000ms);
}

TEST(TrackProcessMatcher, ParamModes) {
    const std::vector<std::string> want{"-c", "conf"};
    struct Row {
        ParamMatch mode;
        std::string actual;
        bool match;
    } rows[] = {
        {ParamMatch::None, "anything\0"s, true},
        {ParamMatch::Exact, "-c\0conf\0"s, true},
        {ParamMatch::Exact, "-c\0conf\0-d\0"s, false},
        {ParamMatch::Exact, "-c\0confx\0"s, false},
        {ParamMatch::Exact, "-c\0"s, false},
        {ParamMatch::Partial, "-c\0conf\0-d\0"s, true},
        {ParamMatch::Partial, "-c\0confx\0"s, false},  // whole words only
        {ParamMatch::Initial, "-c\0confx\0"s, true},   // the last may be longer
        {ParamMatch::Initial, "-c\0con\0"s, false},
        {ParamMatch::Initial, "-x\0conf\0"s, false},
    };
    for (const auto& r : rows)
        EXPECT_EQ(paramsMatch(r.mode, want, r.actual), r.match)
            << static_cast<int>(r.mode) << " " << r.actual;
    EXPECT_TRUE(paramsMatch(ParamMatch::Partial, {}, "x\0"s));
    EXPECT_TRUE(paramsMatch(ParamMatch::Exact, {}, ""));
}

TEST(TrackProcessMatcher, CommOrArgv0ExactlyNoZombies) {
    auto m = matcherFor(proc("ssh"));
    EXPECT_FALSE(processMatches(m, {"sshd", "/usr/sbin/sshd\0"s, false})) << "pgrep ^ssh$";
    EXPECT_TRUE(processMatches(m, {"ssh", "/usr/bin/ssh\0host\0"s, false}));
    EXPECT_FALSE(processMatches(m, {"ssh", "", true})) << "zombies are not running";

    auto p = proc("/usr/bin/ssh");
    p.full_command = true;
    m = matcherFor(p);
    EXPECT_TRUE(processMatches(m, {"ssh", "/usr/bin/ssh\0host\0"s, false}));
    EXPECT_FALSE(processMatches(m, {"/usr/bin/ssh", "ssh\0"s, false})) << "argv[0], not comm";
}

struct FakeClock {
    ProcClock::time_point t{std::chrono::seconds(1000)};
};

ProcessMatcher delays(uint32_t quorum, std::optional<uint32_t> qmax, uint32_t fork, uint32_t term) {
    auto p = proc("w");
    p.quorum = quorum;
    p.quorum_max = qmax;
    p.fork_delay = fork;
    p.terminate_delay = term;
    return matcherFor(p);
}

TEST(ProcessQuorumTest, ExecAndScanApplyAtOnce) {
    FakeClock c;
    ProcessQuorum q(delays(2, std::nullopt, 5, 5));
    EXPECT_FALSE(q.up());
    EXPECT_FALSE(q.setCount(1, CountCause::Scan, c.t));
    EXPECT_TRUE(q.setCount(2, CountCause::Exec, c.t));
    EXPECT_TRUE(q.up());
    EXPECT_FALSE(q.deadline());
    EXPECT_TRUE(q.setCount(1, CountCause::Comm, c.t)) << "a comm change applies at once";
    EXPECT_FALSE(q.up());
}

TEST(ProcessQuorumTest, ForkDelayHoldsUpThenGivesIt) {
    FakeClock c;
    ProcessQuorum q(delays(2, std::nullopt, 3, 0));
    q.setCount(1, CountCause::Exec, c.t);
    EXPECT_FALSE(q.setCount(2, CountCause::Fork, c.t));
    EXPECT_FALSE(q.up());
    ASSERT_TRUE(q.deadline());
    EXPECT_EQ(*q.deadline(), c.t + 3s);
    EXPECT_FALSE(q.onTimer(c.t + 2999ms));
    EXPECT_TRUE(q.onTimer(c.t + 3s));
    EXPECT_TRUE(q.up());
    EXPECT_FALSE(q.deadline());
}

TEST(ProcessQuorumTest, ExitDuringForkDelayCancelsIt) {
    FakeClock c;
    ProcessQuorum q(delays(2, std::nullopt, 3, 0));
    q.setCount(1, CountCause::Exec, c.t);
    q.setCount(2, CountCause::Fork, c.t);
    EXPECT_FALSE(q.setCount(1, CountCause::Exit, c.t + 1s)) << "was never reported up";
    EXPECT_FALSE(q.deadline());
    EXPECT_FALSE(q.onTimer(c.t + 10s));
    EXPECT_FALSE(q.up());
}

TEST(ProcessQuorumTest, TerminateDelayAndRestartWithin) {
    FakeClock c;
    ProcessQuorum q(delays(1, std::nullopt, 0, 2));
    q.setCount(1, CountCause::Scan, c.t);
    ASSERT_TRUE(q.up());
    EXPECT_FALSE(q.setCount(0, CountCause::Exit, c.t));
    EXPECT_TRUE(q.up()) << "still up during terminate_delay";
    // Restarted in time: no down/up bounce.
    EXPECT_FALSE(q.setCount(1, CountCause::Exec, c.t + 1s));
    EXPECT_FALSE(q.deadline());
    EXPECT_TRUE(q.up());
    // Not restarted: down when the delay ends.
    q.setCount(0, CountCause::Exit, c.t + 5s);
    EXPECT_TRUE(q.onTimer(c.t + 7s));
    EXPECT_FALSE(q.up());
}

TEST(ProcessQuorumTest, QuorumMaxAndForksAbove) {
    FakeClock c;
    ProcessQuorum q(delays(1, 1, 2, 0));
    EXPECT_TRUE(q.setCount(1, CountCause::Exec, c.t));
    // A fork above quorum_max is down only after fork_delay (a fork/exec is transient).
    EXPECT_FALSE(q.setCount(2, CountCause::Fork, c.t));
    EXPECT_TRUE(q.up());
    EXPECT_FALSE(q.setCount(1, CountCause::Exit, c.t + 1s)) << "the child exited in time";
    EXPECT_TRUE(q.up());
    EXPECT_TRUE(q.setCount(2, CountCause::Exec, c.t + 2s));
    EXPECT_FALSE(q.up());

    ProcessQuorum none(delays(1, 0, 0, 0));  // up while nothing runs
    EXPECT_TRUE(none.up());
    EXPECT_TRUE(none.setCount(1, CountCause::Exec, c.t));
    EXPECT_FALSE(none.up());
}

TEST(ProcessQuorumTest, RescanUsesBothDelays) {
    FakeClock c;
    ProcessQuorum q(delays(1, std::nullopt, 1, 4));
    EXPECT_FALSE(q.setCount(1, CountCause::Rescan, c.t));
    EXPECT_TRUE(q.onTimer(c.t + 1s));
    EXPECT_FALSE(q.setCount(0, CountCause::Rescan, c.t + 2s));
    EXPECT_FALSE(q.onTimer(c.t + 5s));
    EXPECT_TRUE(q.onTimer(c.t + 6s));
}

// ---- the watcher on this machine's processes ----

// A child named `comm` (prctl) that lives at most 30 s; killed by the destructor.
class NamedChild {
public:
    explicit NamedChild(const std::string& comm, bool fork_twin = false) {
        pid_ = fork();
        if (pid_ == 0) {
            setpgid(0, 0);  // one group with its twin, for the kill below
            prctl(PR_SET_NAME, comm.c_str());
            alarm(30);
            if (fork_twin && fork() == 0) alarm(30);  // the twin inherits comm via fork
            pause();
            _exit(0);
        }
        if (pid_ > 0) setpgid(pid_, pid_);
    }
    ~NamedChild() { stop(); }
    void stop() {
        if (pid_ <= 0) return;
        kill(-pid_, SIGKILL);
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    int pid() const { return pid_; }

private:
    int pid_ = -1;
};

std::string uniqueComm(const char* tag) {
    return std::string("xvtp") + tag + std::to_string(getpid() % 100000);
}

// Drives the watcher until pred() or the deadline; never sleeps blindly.
template <class Pred>
bool drive(ProcessTrackers& pt, Pred pred, std::chrono::milliseconds limit) {
    auto end = ProcClock::now() + limit;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_ADD, pt.fd(), &ev);
    bool ok = pred();
    while (!ok && ProcClock::now() < end) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - ProcClock::now());
        epoll_event out;
        if (epoll_wait(ep, &out, 1, static_cast<int>(left.count()) + 1) > 0) pt.onReadable();
        ok = pred();
    }
    close(ep);
    return ok;
}

config::Config configWith(config::TrackProcess p) {
    config::Config cfg;
    p.name = "tp";
    cfg.track_processes["tp"] = p;
    return cfg;
}

TEST(ProcessTrackersTest, ConnectorFollowsCommAndExit) {
    const std::string comm = uniqueComm("c");
    auto cfg = configWith(proc(comm));
    std::vector<std::pair<std::string, bool>> changes;
    ProcessTrackers pt(cfg, [&](const std::string& n, bool up) { changes.emplace_back(n, up); });
    for (const auto& m : pt.messages()) std::printf("%s\n", m.c_str());
    if (!pt.usingConnector()) GTEST_SKIP() << "proc connector not available here: " << pt.messages().at(0);
    EXPECT_EQ(pt.state("tp"), TrackState::Down);
    NamedChild child(comm);
    ASSERT_TRUE(drive(pt, [&] { return pt.state("tp") == TrackState::Up; }, 5000ms));
    EXPECT_EQ(pt.count("tp"), 1u);
    child.stop();
    ASSERT_TRUE(drive(pt, [&] { return pt.state("tp") == TrackState::Down; }, 5000ms));
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_TRUE(changes[0].second);
    EXPECT_FALSE(changes[1].second);
}

TEST(ProcessTrackersTest, InitialScanAndExecOfFullCommand) {
    const std::string argv0 = uniqueComm("a") + "-argv0";
    auto p = proc(argv0, {"30"});
    auto cfg = configWith(p);
    int pid = fork();
    if (pid == 0) {
        execl("/bin/sleep", argv0.c_str(), "30", static_cast<char*>(nullptr));
        _exit(127);
    }
    struct Reap {
        int pid;
        ~Reap() {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    } reap{pid};
    // Whichever comes first - the scan or the exec event - counts it once.
    ProcessTrackers pt(cfg, nullptr);
    EXPECT_TRUE(drive(pt, [&] { return pt.count("tp") == 1u; }, 5000ms));
    EXPECT_EQ(pt.state("tp"), TrackState::Up);
}

TEST(ProcessTrackersTest, ForkDelayOnARealFork) {
    const std::string comm = uniqueComm("f");
    auto p = proc(comm);
    p.quorum = 2;
    p.fork_delay = 1;
    auto cfg = configWith(p);
    ProcessTrackers pt(cfg, nullptr);
    if (!pt.usingConnector()) GTEST_SKIP() << "proc connector not available here";
    const auto t0 = ProcClock::now();
    NamedChild child(comm, /*fork_twin=*/true);  // comm change (1), then a fork (2)
    ASSERT_TRUE(drive(pt, [&] { return pt.count("tp") == 2u; }, 5000ms));
    EXPECT_EQ(pt.state("tp"), TrackState::Down) << "fork_delay has not passed";
    ASSERT_TRUE(drive(pt, [&] { return pt.state("tp") == TrackState::Up; }, 5000ms));
    EXPECT_GE(ProcClock::now() - t0, 1s);
}

TEST(ProcessTrackersTest, FallbackRescanWithoutConnector) {
    const std::string comm = uniqueComm("r");
    auto cfg = configWith(proc(comm));
    ProcessTrackers::Options o;
    o.use_connector = false;
    o.rescan_interval = 100ms;
    ProcessTrackers pt(cfg, nullptr, {}, o);
    EXPECT_FALSE(pt.usingConnector());
    NamedChild child(comm);
    ASSERT_TRUE(drive(pt, [&] { return pt.state("tp") == TrackState::Up; }, 5000ms));
    child.stop();
    ASSERT_TRUE(drive(pt, [&] { return pt.state("tp") == TrackState::Down; }, 5000ms));
}

TEST(ProcessTrackersTest, ConnectorFromAnotherNetworkNamespace) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to make a network namespace";
    const std::string comm = uniqueComm("n");
    auto cfg = configWith(proc(comm));
    // A thread of its own: unshare(CLONE_NEWNET) moves only the calling thread, and the
    // namespace goes away with it.
    bool connector = false, up = false;
    std::string why;
    std::thread t([&] {
        if (unshare(CLONE_NEWNET) != 0) {
            why = std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
            return;
        }
        ProcessTrackers pt(cfg, nullptr);
        connector = pt.usingConnector();
        if (!pt.messages().empty()) why = pt.messages().front();
        NamedChild child(comm);
        up = drive(pt, [&] { return pt.state("tp") == TrackState::Up; }, 5000ms);
    });
    t.join();
    // Where PID 1's namespace is closed to us (a sandbox), the /proc rescan must do.
    int init_ns = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
    bool reachable = init_ns >= 0;
    if (reachable) close(init_ns);
    if (reachable) EXPECT_TRUE(connector) << why;
    else EXPECT_NE(why.find("rescanning /proc"), std::string::npos) << why;
    EXPECT_TRUE(up) << why;
}

}  // namespace
}  // namespace xvrrp::track
