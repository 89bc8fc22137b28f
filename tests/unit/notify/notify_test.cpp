// notify arguments, order and fifo format as keepalived 2.2.7 (vrrp_notify.c), then the
// same through real scripts and a real fifo.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "notify/notifier.hpp"

using namespace xvrrp;
using namespace xvrrp::notify;
using namespace std::chrono_literals;

namespace {

config::Instance instance() {
    config::Instance i;
    i.name = "VI_1";
    i.notify = "/etc/keepalived/notify.sh";
    i.notify_master = "/etc/keepalived/notify.sh master";
    i.notify_backup = "/etc/keepalived/notify.sh backup";
    i.notify_fault = "/etc/keepalived/notify.sh fault";
    i.notify_stop = "/usr/local/bin/stop.sh";
    return i;
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/xvt-notify-XXXXXX";
        path = mkdtemp(tmpl);
        chmod(path.c_str(), 0755);
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

bool pumpUntil(track::ScriptRunner& r, const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    auto deadline = track::Clock::now() + limit;
    while (!done()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - track::Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{r.fd(), POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) > 0) r.onReadable();
    }
    return true;
}

}  // namespace

TEST(NotifyPlan, SpecificScriptFirstWithoutArgsThenNotifyWithFour) {
    auto p = planInstance(instance(), NotifyState::Master, 150);
    ASSERT_EQ(p.scripts.size(), 2u);
    EXPECT_EQ(p.scripts[0].script, "/etc/keepalived/notify.sh master");
    EXPECT_TRUE(p.scripts[0].extra_args.empty());
    EXPECT_EQ(p.scripts[1].script, "/etc/keepalived/notify.sh");
    EXPECT_EQ(p.scripts[1].extra_args, (std::vector<std::string>{"INSTANCE", "VI_1", "MASTER", "150"}));
    EXPECT_EQ(p.fifo_line, "INSTANCE \"VI_1\" MASTER 150\n");
}

TEST(NotifyPlan, EveryState) {
    auto i = instance();
    EXPECT_EQ(planInstance(i, NotifyState::Backup, 100).scripts[0].script, "/etc/keepalived/notify.sh backup");
    EXPECT_EQ(planInstance(i, NotifyState::Fault, 100).scripts[1].extra_args[2], "FAULT");
    auto stop = planInstance(i, NotifyState::Stop, 100);
    EXPECT_EQ(stop.scripts[0].script, "/usr/local/bin/stop.sh");
    EXPECT_TRUE(stop.scripts[0].is_stop);
    EXPECT_TRUE(stop.scripts[1].is_stop);
    EXPECT_EQ(stop.fifo_line, "INSTANCE \"VI_1\" STOP 100\n");
    // DELETED reads as FAULT unless notify_deleted is configured.
    EXPECT_EQ(planInstance(i, NotifyState::Deleted, 100).fifo_line, "INSTANCE \"VI_1\" FAULT 100\n");
    i.notify_deleted = "/bin/del";
    EXPECT_EQ(planInstance(i, NotifyState::Deleted, 100).fifo_line, "INSTANCE \"VI_1\" DELETED 100\n");
}

TEST(NotifyPlan, OnlyGenericNotify) {
    config::Instance i;
    i.name = "VI_2";
    i.notify = "/bin/n";
    auto p = planInstance(i, NotifyState::Backup, 90);
    ASSERT_EQ(p.scripts.size(), 1u);
    EXPECT_EQ(p.scripts[0].extra_args, (std::vector<std::string>{"INSTANCE", "VI_2", "BACKUP", "90"}));
}

TEST(NotifyPlan, GroupUsesGroupAndPriorityZero) {
    config::SyncGroup g;
    g.name = "VG_1";
    g.notify = "/bin/gn";
    g.notify_fault = "/path/fault.sh VG_1";
    auto p = planGroup(g, NotifyState::Fault);
    ASSERT_EQ(p.scripts.size(), 2u);
    EXPECT_EQ(p.scripts[0].script, "/path/fault.sh VG_1");
    EXPECT_EQ(p.scripts[1].extra_args, (std::vector<std::string>{"GROUP", "VG_1", "FAULT", "0"}));
    EXPECT_EQ(p.fifo_line, "GROUP \"VG_1\" FAULT 0\n");
    EXPECT_TRUE(planGroup(g, NotifyState::Master).scripts.size() == 1);
}

TEST(NotifyPlan, FifoEventLines) {
    EXPECT_EQ(fifoLine(false, "VI_1", "MASTER_RX_LOWER_PRI", 100), "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 100\n");
    EXPECT_EQ(fifoLine(false, "VI_1", "BACKUP_PRIORITY", 80), "INSTANCE \"VI_1\" BACKUP_PRIORITY 80\n");
}

TEST(NotifyPlan, UserAndGroupGoWithTheirKeyword) {
    config::Instance i = instance();
    i.notify_run_as["notify_master"] = {"nobody", "nogroup"};
    Plan p = planInstance(i, NotifyState::Master, 100);
    ASSERT_EQ(p.scripts.size(), 2u);
    EXPECT_EQ(p.scripts[0].run_as, (config::RunAs{"nobody", "nogroup"}));
    EXPECT_EQ(p.scripts[1].run_as, config::RunAs{});  // notify: the default script user
    config::SyncGroup g;
    g.name = "G";
    g.notify = "/bin/n";
    g.notify_run_as["notify"] = {"nobody", ""};
    EXPECT_EQ(planGroup(g, NotifyState::Fault).scripts.at(0).run_as, (config::RunAs{"nobody", ""}));
}

TEST(NotifyGate, SkipsMemberNotifiesAlreadyCoveredByTheGroup) {
    InstanceNotifyGate g;
    EXPECT_TRUE(g.shouldSend("VI_1", true, true));   // first time always
    EXPECT_FALSE(g.shouldSend("VI_1", true, true));
    EXPECT_TRUE(g.shouldSend("VI_1", true, false));
    EXPECT_TRUE(g.shouldSend("VI_2", false, false));
}

class NotifierRun : public ::testing::Test {
protected:
    void SetUp() override {
        log_ = dir_.path + "/log";
        // Each call appends its argv (after $0) as one line.
        script_ = dir_.path + "/n.sh";
        std::ofstream(script_) << "#!/bin/sh\necho \"$(basename $0) $*\" >> " << log_ << "\n";
        chmod(script_.c_str(), 0755);
        cfg_.global.script_user = "root";
        cfg_.global.enable_script_security = true;
    }
    // A script that runs for 30 s unless it is killed.
    std::string slowScript() {
        const std::string slow = dir_.path + "/slow.sh";
        std::ofstream(slow) << "#!/bin/sh\nsleep 30\n";
        chmod(slow.c_str(), 0755);
        return slow;
    }
    TempDir dir_;
    std::string log_, script_;
    config::Config cfg_;
};

TEST_F(NotifierRun, RunsScriptsWithExactArgvInOrder) {
    if (geteuid() != 0) GTEST_SKIP() << "script_user root needs root";
    config::Instance i;
    i.name = "VI_1";
    i.notify = script_ + " generic";
    i.notify_master = script_ + " master 'two words'";
    cfg_.instances.push_back(i);
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    EXPECT_TRUE(n.messages().empty()) << n.messages().front();
    n.instanceChanged("VI_1", NotifyState::Master, 100);
    ASSERT_TRUE(pumpUntil(r, [&] { return r.running() == 0; }));
    // Both started at once: order on disk is not guaranteed, the set is.
    std::string log = slurp(log_);
    EXPECT_NE(log.find("n.sh master two words\n"), std::string::npos) << log;
    EXPECT_NE(log.find("n.sh generic INSTANCE VI_1 MASTER 100\n"), std::string::npos) << log;
}

// Runs and failures feed xvrrp_notify_runs_total / xvrrp_notify_failures_total.
TEST_F(NotifierRun, CountsRunsAndFailures) {
    if (geteuid() != 0) GTEST_SKIP() << "script_user root needs root";
    const std::string fails = dir_.path + "/fail.sh";
    std::ofstream(fails) << "#!/bin/sh\nexit 3\n";
    chmod(fails.c_str(), 0755);
    config::Instance i;
    i.name = "VI_1";
    i.notify_master = script_ + " ok";
    i.notify_backup = fails;
    cfg_.instances.push_back(i);
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    n.instanceChanged("VI_1", NotifyState::Master, 100);
    ASSERT_TRUE(pumpUntil(r, [&] { return r.running() == 0; }));
    EXPECT_EQ(n.counts().runs, 1u);
    EXPECT_EQ(n.counts().failed, 0u);
    n.instanceChanged("VI_1", NotifyState::Backup, 100);
    ASSERT_TRUE(pumpUntil(r, [&] { return r.running() == 0; }));
    EXPECT_EQ(n.counts().runs, 2u);
    EXPECT_EQ(n.counts().failed, 1u);
}

TEST_F(NotifierRun, InsecureScriptIsRefused) {
    if (geteuid() != 0) GTEST_SKIP() << "security walk applies to root scripts";
    chmod(script_.c_str(), 0777);
    config::Instance i;
    i.name = "VI_1";
    i.notify = script_;
    cfg_.instances.push_back(i);
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    ASSERT_FALSE(n.messages().empty());
    EXPECT_EQ(n.messages().back(), "Unsafe permissions found for script '" + script_ + "' - disabling.");
    n.instanceChanged("VI_1", NotifyState::Backup, 100);
    EXPECT_EQ(r.running(), 0u);
}

TEST_F(NotifierRun, FifoGetsKeepalivedLinesAndItsScriptTheFifoPath) {
    if (geteuid() != 0) GTEST_SKIP() << "script_user root needs root";
    cfg_.global.notify_fifo = dir_.path + "/fifo";
    cfg_.global.notify_fifo_script = script_;
    config::Instance i;
    i.name = "VI_1";
    cfg_.instances.push_back(i);
    config::SyncGroup g;
    g.name = "G";
    cfg_.sync_groups.push_back(g);
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    n.openFifos();
    EXPECT_TRUE(n.messages().empty()) << n.messages().front();
    struct stat st {};
    ASSERT_EQ(stat(cfg_.global.notify_fifo.c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    int rd = open(cfg_.global.notify_fifo.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(rd, 0);
    n.instanceChanged("VI_1", NotifyState::Master, 100);
    n.groupChanged("G", NotifyState::Master);
    n.priorityChanged("VI_1", true, 90);
    char buf[256];
    ssize_t len = read(rd, buf, sizeof buf);
    ASSERT_GT(len, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(len)),
              "INSTANCE \"VI_1\" MASTER 100\nGROUP \"G\" MASTER 0\nINSTANCE \"VI_1\" MASTER_PRIORITY 90\n");
    close(rd);
    ASSERT_TRUE(pumpUntil(r, [&] { return r.running() == 0; }));
    EXPECT_EQ(slurp(log_), "n.sh " + cfg_.global.notify_fifo + "\n");
    n.closeFifos();
    EXPECT_NE(stat(cfg_.global.notify_fifo.c_str(), &st), 0);  // we created it, we remove it
}

// `notify_master SCRIPT nobody nogroup`: the child runs as that user (setuid/setgid), and
// enable_script_security judges the script for that user: writable by anyone is refused
// for root (test above) but allowed for nobody, as keepalived's check_script_secure().
TEST_F(NotifierRun, ScriptRunsAsItsUserAndGroup) {
    if (geteuid() != 0) GTEST_SKIP() << "setuid to nobody needs root";
    const passwd* pw = getpwnam("nobody");
    const group* gr = getgrnam("nogroup");
    if (!pw || !gr) GTEST_SKIP() << "no user nobody / group nogroup on this system";
    chmod(script_.c_str(), 0777);
    std::ofstream(script_) << "#!/bin/sh\necho \"$(id -u):$(id -g) $*\" >> " << log_ << "\n";
    std::ofstream(log_).flush();
    chmod(log_.c_str(), 0666);
    config::Instance i;
    i.name = "VI_1";
    i.notify_master = script_ + " master";
    i.notify = script_;
    i.notify_run_as["notify_master"] = {"nobody", "nogroup"};
    i.notify_run_as["notify"] = {"nobody", ""};
    cfg_.instances.push_back(i);
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    EXPECT_TRUE(n.messages().empty()) << n.messages().front();
    n.instanceChanged("VI_1", NotifyState::Master, 100);
    ASSERT_TRUE(pumpUntil(r, [&] { return r.running() == 0; }));
    const std::string log = slurp(log_);
    const std::string ids = std::to_string(pw->pw_uid) + ":";
    EXPECT_NE(log.find(ids + std::to_string(gr->gr_gid) + " master\n"), std::string::npos) << log;
    EXPECT_NE(log.find(ids + std::to_string(pw->pw_gid) + " INSTANCE VI_1 MASTER 100\n"), std::string::npos) << log;
}

TEST_F(NotifierRun, UnknownUserIsRefusedWithKeepalivedsMessage) {
    if (geteuid() != 0) GTEST_SKIP() << "script_user root needs root";
    config::Instance i;
    i.name = "VI_1";
    i.notify_backup = script_;
    i.notify_run_as["notify_backup"] = {"xvt-no-such-user", ""};
    cfg_.instances.push_back(i);
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    ASSERT_FALSE(n.messages().empty());
    EXPECT_EQ(n.messages().back(),
              "Invalid user/group for notify_backup of vrrp_instance VI_1 script " + script_ + " - ignoring");
    n.instanceChanged("VI_1", NotifyState::Backup, 100);
    EXPECT_EQ(r.running(), 0u);
}

TEST_F(NotifierRun, FifoIsOwnedByItsUser) {
    if (geteuid() != 0) GTEST_SKIP() << "chown needs root";
    const passwd* pw = getpwnam("nobody");
    if (!pw) GTEST_SKIP() << "no user nobody on this system";
    cfg_.global.notify_fifo = dir_.path + "/fifo";
    cfg_.global.fifo_run_as["notify_fifo"] = {"nobody", ""};
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    n.openFifos();
    EXPECT_TRUE(n.messages().empty()) << n.messages().front();
    struct stat st {};
    ASSERT_EQ(stat(cfg_.global.notify_fifo.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, pw->pw_uid);
    EXPECT_EQ(st.st_gid, pw->pw_gid);
    n.closeFifos();
}

TEST_F(NotifierRun, FifoWithAnUnknownOwnerIsIgnored) {
    cfg_.global.notify_fifo = dir_.path + "/fifo";
    cfg_.global.fifo_run_as["notify_fifo"] = {"xvt-no-such-user", ""};
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    n.openFifos();
    ASSERT_FALSE(n.messages().empty());
    // keepalived notify_fifo()'s wording, double space (type "") included
    EXPECT_EQ(n.messages().back(), "Invalid user/group for  fifo " + cfg_.global.notify_fifo + " - ignoring");
    struct stat st {};
    EXPECT_NE(stat(cfg_.global.notify_fifo.c_str(), &st), 0);
}

// Issue 9 item 8: a regular file at the fifo path was opened O_RDWR and overwritten by the
// notify lines, and the fifo script was started on it.
TEST_F(NotifierRun, PathThatIsNotAFifoIsLeftAlone) {
    cfg_.global.notify_fifo = dir_.path + "/precious";
    cfg_.global.notify_fifo_script = script_;
    std::ofstream(cfg_.global.notify_fifo) << "keep me\n";
    config::Instance i;
    i.name = "VI_1";
    cfg_.instances.push_back(i);
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    n.openFifos();
    EXPECT_EQ(n.messages().empty() ? "" : n.messages().back(),
              "notify fifo " + cfg_.global.notify_fifo + " exists and is not a FIFO - ignoring");
    n.instanceChanged("VI_1", NotifyState::Master, 100);
    EXPECT_EQ(r.running(), 0u);  // no fifo script either
    n.closeFifos();
    EXPECT_EQ(slurp(cfg_.global.notify_fifo), "keep me\n");
    EXPECT_EQ(slurp(log_), "");
}

// keepalived kills no notify script at a reload, and gives every one about a second at its
// stop: the runner releases the notify runs (not the notify_stop ones, killed after 1 s),
// and the daemon waits while scriptsRunning() says one runs.
TEST_F(NotifierRun, NotifyRunsAreCountedAndReleasedStopRunsAreNot) {
    if (geteuid() != 0) GTEST_SKIP() << "script_user root needs root";
    const std::string slow = slowScript();
    config::Instance i;
    i.name = "VI_1";
    i.notify = slow;
    cfg_.instances.push_back(i);
    config::SyncGroup g;
    g.name = "VG1";
    g.notify = slow;
    cfg_.sync_groups.push_back(g);
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    n.instanceChanged("VI_1", NotifyState::Stop, 100);
    n.groupChanged("VG1", NotifyState::Stop);  // keepalived: notify_exec, no timeout
    EXPECT_EQ(n.scriptsRunning(), 2u);
    EXPECT_EQ(n.stopScriptsRunning(), 1u);
    const auto released = r.release();
    ASSERT_EQ(released.size(), 1u);  // the group's
    EXPECT_EQ(r.running(), 1u);
    n.released(released.size());
    EXPECT_EQ(n.scriptsRunning(), 1u);  // the instance's notify for STOP
    kill(-released[0], SIGKILL);
    EXPECT_EQ(waitpid(released[0], nullptr, 0), released[0]);
    ASSERT_TRUE(pumpUntil(r, [&] { return n.stopScriptsRunning() == 0; }, 4s));
    EXPECT_EQ(n.scriptsRunning(), 0u);
}

TEST_F(NotifierRun, StopScriptIsKilledAfterOneSecond) {
    if (geteuid() != 0) GTEST_SKIP() << "script_user root needs root";
    const std::string slow = slowScript();
    config::Instance i;
    i.name = "VI_1";
    i.notify_stop = slow;
    cfg_.instances.push_back(i);
    track::ScriptRunner r;
    Notifier n(r, cfg_);
    auto t0 = track::Clock::now();
    n.instanceChanged("VI_1", NotifyState::Stop, 100);
    EXPECT_EQ(n.stopScriptsRunning(), 1u);
    ASSERT_TRUE(pumpUntil(r, [&] { return n.stopScriptsRunning() == 0; }, 4s));
    auto took = track::Clock::now() - t0;
    EXPECT_GE(took, 900ms);
    EXPECT_LT(took, 3s);
}
