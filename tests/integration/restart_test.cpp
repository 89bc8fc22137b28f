// xvrrpctl restart replaces a master's daemon without a failover: the new process adopts
// the pinned maps, the attached programs, the VIPs and the state, and speaks before the
// backup's Master_Down_Interval runs out. A client probing the VIP every 10 ms loses
// nothing and the backup never becomes master; the process stays the same pid with the
// same fds. When the new binary is missing, refuses, cannot be exec'd or cannot start, the
// daemon that runs keeps (or takes back) the node. SIGTERM stays the graceful stop.
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

namespace fs = std::filesystem;

// What the daemon has open, as "fd -> target" lines.
std::string openFds(int pid) {
    std::map<int, std::string> fds;
    for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
        std::error_code ec;
        auto target = fs::read_symlink(e.path(), ec).string();
        // The number varies from exec to exec; the kind of object does not.
        if (auto b = target.find('['); b != std::string::npos) target.erase(b);
        fds[std::stoi(e.path().filename().string())] = target;
    }
    std::map<std::string, int> kinds;
    for (const auto& [fd, t] : fds) ++kinds[t];
    std::string out;
    for (const auto& [t, n] : kinds) out += std::to_string(n) + " x " + t + "\n";
    return out;
}

uint64_t counter(const XvrrpdNode& n, const char* key) {
    auto i = n.instance();
    return i ? (*i)["counters"][key].get<uint64_t>() : ~0ull;
}

nlohmann::json restartStatus(const XvrrpdNode& n) {
    auto s = n.status();
    return s ? (*s)["daemon"]["restart"] : nlohmann::json();
}

class Restart : public PairFixture {
  protected:
    Restart() : PairFixture("rst") {}

    // n1 (150) master and n2 (100) backup at ADVERT seconds.
    void elect(double advert) {
        InstanceSpec s;
        s.vip = "10.77.0.100/24";
        s.advertInt = advert;
        s.priority = 150;
        n1_->start(renderConfig("n1", s));
        s.priority = 100;
        n2_->start(renderConfig("n2", s));
        const auto limit = seconds(masterDownInterval(100, advert) + 10);
        ASSERT_TRUE(waitState(*n1_, "MASTER", limit)) << tail(n1_->log());
        ASSERT_TRUE(waitState(*n2_, "BACKUP", limit)) << tail(n2_->log());
        ASSERT_TRUE(clientReaches(vip_, seconds(5)));
    }

    // n1 runs from a copy of xvrrpd in the lab directory, which a test then replaces.
    std::string copyBinary() {
        const std::string path = lab_->logDir() + "/bin/xvrrpd";
        fs::create_directories(lab_->logDir() + "/bin");
        fs::copy_file(xvrrpdBin(), path, fs::copy_options::overwrite_existing);
        n1_->useBinary(path);
        return path;
    }

    static void writeScript(const std::string& path, const std::string& body) {
        fs::remove(path);
        std::ofstream(path) << "#!/bin/sh\n" << body;
        fs::permissions(path,
                        fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    }

    // The pair after a restart that changed nothing for it: same master, no transition.
    void expectUndisturbed(int pid, uint64_t n1Became, uint64_t n2Became, size_t n2Log) {
        EXPECT_EQ(n1_->daemonPid(), pid);
        EXPECT_EQ(n1_->state(), "MASTER");
        EXPECT_EQ(n2_->state(), "BACKUP");
        EXPECT_TRUE(n1_->holds(vip_));
        EXPECT_FALSE(n2_->holds(vip_));
        EXPECT_EQ(counter(*n1_, "became_master"), n1Became);
        EXPECT_EQ(counter(*n2_, "became_master"), n2Became);
        EXPECT_EQ(n2_->log().find("Entering MASTER STATE", n2Log), std::string::npos)
            << tail(n2_->log());
    }

    const IpAddr vip_ = *IpAddr::parse("10.77.0.100");
};

class RestartHitless : public Restart, public ::testing::WithParamInterface<double> {};

TEST_P(RestartHitless, NoBackupTransitionNoProbeLost) {
    const double adv = GetParam();
    ASSERT_NO_FATAL_FAILURE(elect(adv));
    const int pid = n1_->daemonPid();
    ASSERT_GT(pid, 0);
    const auto n1Became = counter(*n1_, "became_master"), n2Became = counter(*n2_, "became_master");
    std::string fds;  // after the first restart: each later one must end with the same
    const size_t log1 = n1_->log().size(), log2 = n2_->log().size();
    Prober probe(*lab_, lab_->node("client"), vip_, 10000, 120);
    ASSERT_TRUE(probe.waitReady(seconds(5)));

    constexpr int kRestarts = 3;
    for (int k = 1; k <= kRestarts; ++k) {
        auto r = n1_->ctl({"restart"});
        ASSERT_TRUE(r.ok()) << r.out << r.err << tail(n1_->log());
        EXPECT_NE(r.out.find("restarted: xvrrpd"), std::string::npos) << r.out;
        const auto st = restartStatus(*n1_);
        EXPECT_EQ(st["result"], "done") << st.dump();
        EXPECT_EQ(st["restarts"], k) << st.dump();
        EXPECT_EQ(st["adopted"], 1) << st.dump();
        EXPECT_EQ(n1_->daemonPid(), pid);
        if (k == 1) fds = openFds(pid);
    }
    // Three of the backup's Master_Down_Intervals: a failover would show by now.
    EXPECT_TRUE(holdsFor([&] { return n1_->state() == "MASTER" && n2_->state() == "BACKUP"; },
                         seconds(3 * masterDownInterval(100, adv))));
    auto report = probe.finish();
    ASSERT_TRUE(report);
    EXPECT_EQ((*report)["sent"], (*report)["received"]) << "probes lost: " << report->dump();
    std::printf("[ restart ] advert_int %.1f s: %d restarts, %s probes, longest gap %.1f ms\n", adv,
                kRestarts, (*report)["sent"].dump().c_str(),
                (*report)["longest_gap_ms"].get<double>());
    expectUndisturbed(pid, n1Became, n2Became, log2);
    // No transition, no GARP, no notify: the new process goes on as the old one was.
    const std::string after = n1_->log().substr(log1);
    EXPECT_EQ(after.find("Entering"), std::string::npos) << after;
    EXPECT_EQ(after.find("gratuitous ARP"), std::string::npos) << after;
    EXPECT_EQ(after.find("sent 0 priority"), std::string::npos) << after;
    // A control connection may come and go; a leak stays.
    EXPECT_TRUE(waitUntil([&] { return openFds(pid) == fds; }, seconds(2)))
        << "each exec leaks fds: after the first\n"
        << fds << "after the last\n"
        << openFds(pid);
    EXPECT_TRUE(n1_->xdpAttached());

    // The last process undoes what the first one did: SIGTERM is the graceful stop.
    n1_->signal(SIGTERM);
    ASSERT_TRUE(n1_->waitExit(seconds(10)));
    EXPECT_NE(n1_->log().find("(VI_1) sent 0 priority", log1), std::string::npos);
    EXPECT_FALSE(n1_->holds(vip_));
    EXPECT_FALSE(n1_->xdpAttached());
    std::string left;
    for (const auto& e : n1_->pinnedEntries())
        if (e != "xv_fence") left += e + " ";
    EXPECT_EQ(left, "") << "left under " << n1_->pinRoot();
    EXPECT_TRUE(waitState(*n2_, "MASTER", seconds(masterDownInterval(100, adv) + 3)));
}

INSTANTIATE_TEST_SUITE_P(AdvertInt, RestartHitless, ::testing::Values(1.0, 0.1),
                         [](const ::testing::TestParamInfo<double>& i) {
                             return i.param >= 1 ? std::string("1s") : std::string("100ms");
                         });

// A binary that is missing, refuses the configuration or cannot take a handover over is
// never exec'd; one that vanishes between the check and the exec makes the execve fail,
// and the daemon goes on. Nothing reaches the backup.
TEST_F(Restart, ABinaryThatCannotTakeOverIsNeverRunInstead) {
    const std::string bin = copyBinary();
    ASSERT_NO_FATAL_FAILURE(elect(0.1));
    const int pid = n1_->daemonPid();
    const auto n1Became = counter(*n1_, "became_master"), n2Became = counter(*n2_, "became_master");
    const size_t log2 = n2_->log().size();
    const std::string real = bin + ".real";
    fs::rename(bin, real);

    auto r = n1_->ctl({"restart"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("cannot restart: " + bin + ": No such file or directory"),
              std::string::npos)
        << r.err;

    writeScript(bin, "echo 'broken build' >&2\nexit 3\n");
    r = n1_->ctl({"restart"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("exited with status 3: broken build; xvrrpd keeps running"),
              std::string::npos)
        << r.err;

    // An xvrrpd without hitless restart refuses --handover.
    writeScript(bin,
                "case \"$*\" in *--handover*) echo \"xvrrpd: unknown option --handover\" >&2; "
                "exit 2;; esac\nexec " +
                    real + " \"$@\"\n");
    r = n1_->ctl({"restart"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("unknown option --handover"), std::string::npos) << r.err;

    // Passes the check, then is gone: the execve fails and the loop goes on.
    writeScript(bin, "rm -f \"$0\"\nexec " + real + " \"$@\"\n");
    r = n1_->ctl({"restart"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_NE(r.err.find("execv " + bin + ": No such file or directory; xvrrpd keeps running"),
              std::string::npos)
        << r.err << tail(n1_->log());
    EXPECT_EQ(restartStatus(*n1_)["result"], "failed");
    EXPECT_TRUE(holdsFor([&] { return n1_->state() == "MASTER"; }, seconds(1)));
    expectUndisturbed(pid, n1Became, n2Became, log2);
}

// The new process fails after the exec (here: it cannot enter a namespace): it execs the
// binary that handed over, from the fd that process kept of its own file, which takes
// the node over again from the same record.
TEST_F(Restart, ANewBinaryThatCannotStartHandsBackToTheOldOne) {
    const std::string bin = copyBinary();
    ASSERT_NO_FATAL_FAILURE(elect(0.1));
    const int pid = n1_->daemonPid();
    const auto n1Became = counter(*n1_, "became_master"), n2Became = counter(*n2_, "became_master");
    const size_t log1 = n1_->log().size(), log2 = n2_->log().size();
    Prober probe(*lab_, lab_->node("client"), vip_, 10000, 60);
    ASSERT_TRUE(probe.waitReady(seconds(5)));
    const std::string real = bin + ".real";
    fs::rename(bin, real);  // what the running daemon was started from, under another name
    writeScript(bin, "case \" $* \" in *\" -t \"*) exec " + real +
                         " \"$@\";; esac\n"
                         "exec " +
                         real + " --namespace xvrrp-no-such-netns \"$@\"\n");

    auto r = n1_->ctl({"restart"});
    EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("the new binary could not start (-s/--namespace xvrrp-no-such-netns "
                         "failed); the previous binary took over again"),
              std::string::npos)
        << r.err << tail(n1_->log());
    EXPECT_NE(n1_->log().find("going back to the binary that handed over", log1),
              std::string::npos);
    EXPECT_TRUE(
        holdsFor([&] { return n1_->state() == "MASTER" && n2_->state() == "BACKUP"; }, seconds(1)));
    auto report = probe.finish();
    ASSERT_TRUE(report);
    EXPECT_EQ((*report)["sent"], (*report)["received"]) << report->dump();
    expectUndisturbed(pid, n1Became, n2Became, log2);
    EXPECT_EQ(restartStatus(*n1_)["restarts"], 0);

    // With a binary that works, the next restart goes through.
    fs::remove(bin);
    fs::copy_file(real, bin);
    r = n1_->ctl({"restart"});
    EXPECT_TRUE(r.ok()) << r.err;
    EXPECT_EQ(restartStatus(*n1_)["restarts"], 1);
    expectUndisturbed(pid, n1Became, n2Became, log2);
}

// A record the new process cannot use is logged and it starts as after a crash; another
// daemon on the pin root, even one with a handover record, is refused.
TEST_F(Restart, AnUnusableRecordMeansAFreshStartAndTakesNoPinRoot) {
    const std::string garbage = lab_->logDir() + "/garbage.json";
    std::ofstream(garbage) << R"({"format": 1, "pid": 1})";
    InstanceSpec s;
    s.vip = "10.77.0.100/24";
    s.priority = 150;
    n1_->start(renderConfig("n1", s), {"--handover", garbage});
    ASSERT_TRUE(waitState(*n1_, "MASTER", seconds(10))) << tail(n1_->log());
    EXPECT_NE(n1_->log().find("handover record " + garbage + " cannot be used"), std::string::npos)
        << tail(n1_->log());
    const auto st = restartStatus(*n1_);
    EXPECT_EQ(st["result"], "failed") << st.dump();
    EXPECT_NE(st["error"].get<std::string>().find("handover record unusable"), std::string::npos);

    const std::string pid = std::to_string(n1_->daemonPid());
    auto second =
        lab_->node("n1").run({xvrrpdBin(), "-n", "-l", "-G", "-f", n1_->configPath(), "--pin-root",
                              n1_->pinRoot(), "--control", lab_->logDir() + "/second.sock", "-p",
                              lab_->logDir() + "/second.pid", "--handover", garbage},
                             seconds(20));
    EXPECT_NE(second.exitCode, 0);
    EXPECT_NE(second.err.find("is in use by xvrrpd pid " + pid), std::string::npos) << second.err;
    EXPECT_TRUE(holdsFor([&] { return n1_->state() == "MASTER"; }, seconds(1)));
    EXPECT_TRUE(n1_->holds(vip_));
}

}  // namespace
}  // namespace xvrrp::itest
