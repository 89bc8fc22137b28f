// What crosses the exec of xvrrpctl restart besides the node's state: the process's
// scheduling (real-time, RLIMIT_RTTIME and affinity are inherited by execve), the scripts
// the old image started (children of the same pid, unknown to the new image's script
// runner) and the fds of the handover itself.
#include <sched.h>
#include <signal.h>
#include <sys/sysinfo.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

namespace fs = std::filesystem;

// "State:" of /proc/PID/status ("S (sleeping)", "Z (zombie)"), empty when there is none.
std::string procState(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("State:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 6));
    return "";
}

// "soft hard" of /proc/PID/limits "Max realtime timeout".
std::string rttime(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Max realtime timeout", 0) == 0) {
            std::istringstream w(line.substr(20));
            std::string soft, hard;
            w >> soft >> hard;
            return soft + " " + hard;
        }
    return "";
}

std::vector<int> cpusOf(int pid) {
    std::vector<int> out;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(pid, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) out.push_back(c);
    return out;
}

class RestartProcess : public PairFixture {
  protected:
    RestartProcess() : PairFixture("rsp") {}

    // n1's configuration (priority 150, master at 0.1 s) with global_defs lines and text
    // after the instance's priority line.
    std::string config(const std::string& global, const std::string& instance = "") const {
        InstanceSpec s;
        s.vip = "10.77.0.100/24";
        s.priority = 150;
        std::string text = renderConfig("n1", s);
        text.insert(text.find("global_defs {\n") + 14, global);
        text.insert(text.find("  priority 150\n") + 15, instance);
        return text;
    }

    int startMaster(const std::string& text) {
        n1_->start(text);
        EXPECT_TRUE(waitState(*n1_, "MASTER", seconds(10))) << tail(n1_->log());
        return n1_->daemonPid();
    }

    void restart(int pid) {
        auto r = n1_->ctl({"restart"});
        ASSERT_TRUE(r.ok()) << r.out << r.err << tail(n1_->log());
        ASSERT_EQ(n1_->daemonPid(), pid);
        ASSERT_EQ(n1_->state(), "MASTER");
    }

    void reload(const std::string& text) {
        const size_t from = n1_->log().size();
        std::ofstream(n1_->configPath(), std::ios::trunc) << text;
        n1_->signal(SIGHUP);
        ASSERT_TRUE(waitUntil(
            [&] { return n1_->log().find("Reload done", from) != std::string::npos; },
            seconds(10)))
            << tail(n1_->log());
    }
};

// The new image starts from what the daemon was started with, as a first start does: it
// applies the configuration again, and a reload that drops the keywords restores the
// start's settings (before, the new image took the old one's real-time settings for its
// start and kept them).
TEST_F(RestartProcess, SchedulingIsTheConfigurationsAfterARestart) {
    const int last = ::get_nprocs_conf() - 1;
    const std::string tuned = "  vrrp_rt_priority 50\n  vrrp_no_swap\n  vrrp_cpu_affinity " +
                              std::to_string(last) + "\n";
    const int pid = startMaster(config(tuned));
    ASSERT_GT(pid, 0);
    ASSERT_NO_FATAL_FAILURE(restart(pid));
    ASSERT_NO_FATAL_FAILURE(restart(pid));
    EXPECT_EQ(::sched_getscheduler(pid) & ~SCHED_RESET_ON_FORK, SCHED_RR);
    EXPECT_EQ(rttime(pid), "5000 10000");
    EXPECT_EQ(cpusOf(pid), std::vector<int>{last});
    EXPECT_NE(n1_->log().find("vrrp process: SCHED_RR priority 50"), std::string::npos);

    ASSERT_NO_FATAL_FAILURE(reload(config("")));
    EXPECT_EQ(::sched_getscheduler(pid) & ~SCHED_RESET_ON_FORK, SCHED_OTHER) << tail(n1_->log());
    EXPECT_EQ(cpusOf(pid), cpusOf(::getpid())) << "the affinity the daemon was started with";
    EXPECT_EQ(n1_->state(), "MASTER");
}

// A vrrp_script check that runs while the daemon execs finishes under the new image, which
// reaps it (before, it stayed a zombie for the daemon's lifetime, one per restart).
TEST_F(RestartProcess, ScriptsRunningAtTheExecAreReaped) {
    const std::string dir = lab_->logDir() + "/scripts";
    fs::create_directories(dir);
    const std::string script = dir + "/chk.sh", pids = dir + "/pids";
    std::ofstream(script) << "#!/bin/sh\necho $$ >> " << pids << "\nsleep 1.5\n";
    fs::permissions(script, fs::perms::owner_all);
    // Every 3 s, 1.5 s long: half the time a check runs.
    const std::string block =
        "vrrp_script chk {\n  script \"" + script + "\"\n  interval 3\n  timeout 5\n}\n";
    std::string text = config("", "  track_script {\n    chk\n  }\n");
    text.insert(text.find("vrrp_instance"), block);
    const int pid = startMaster(text);
    ASSERT_GT(pid, 0);

    // Restart while a check runs (its pid is the last line, its process still there).
    auto running = [&]() -> int {
        std::ifstream in(pids);
        int last = 0;
        for (int p; in >> p;) last = p;
        return last > 0 && procState(last).rfind("S", 0) == 0 ? last : 0;
    };
    std::vector<int> caught;
    for (int k = 0; k < 2; ++k) {
        int check = 0;
        ASSERT_TRUE(waitUntil([&] { return (check = running()) != 0; }, seconds(8)));
        ASSERT_NO_FATAL_FAILURE(restart(pid));
        caught.push_back(check);
    }
    for (int check : caught)
        EXPECT_TRUE(waitUntil([&] { return procState(check).empty(); }, seconds(5)))
            << "script pid " << check << " is " << procState(check);
    EXPECT_EQ(n1_->state(), "MASTER");
}

// A record the new process cannot use still arrives as an fd: it is closed once the start
// is done, as a usable one is (before, it stayed open for the daemon's lifetime).
TEST_F(RestartProcess, AnUnusableRecordsFdIsClosed) {
    const std::string dir = lab_->logDir() + "/bin";
    fs::create_directories(dir);
    const std::string garbage = dir + "/garbage.json", wrapper = dir + "/xvrrpd";
    std::ofstream(garbage) << R"({"format": 1, "pid": 1})";
    std::ofstream(wrapper) << "#!/bin/sh\nexec 7<" << garbage << "\nexec " << xvrrpdBin()
                           << " \"$@\" --handover /proc/self/fd/7\n";
    fs::permissions(wrapper, fs::perms::owner_all);
    n1_->useBinary(wrapper);
    const int pid = startMaster(config(""));
    ASSERT_GT(pid, 0);
    EXPECT_NE(n1_->log().find("handover record /proc/self/fd/7 cannot be used"), std::string::npos)
        << tail(n1_->log());
    // Its number may be taken again by then; the file must be open nowhere.
    for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
        std::error_code ec;
        EXPECT_NE(fs::read_symlink(e.path(), ec), fs::path(garbage)) << "fd " << e.path().filename();
    }
}

}  // namespace
}  // namespace xvrrp::itest
