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
