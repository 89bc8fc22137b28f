// Real children: exit status, process groups killed on timeout, no zombies, exec errors,
// script security refusals, and the inotify/timerfd drivers.
#include <gtest/gtest.h>

#include <dirent.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <functional>
#include <sstream>

#include "track/script_check.hpp"
#include "track/script_runner.hpp"
#include "track/track_file.hpp"

using namespace xvrrp::track;
using namespace std::chrono_literals;

namespace {

// Polls the given fds and dispatches until done() or the deadline passes.
bool pump(std::vector<std::pair<int, std::function<void()>>> fds, const std::function<bool()>& done,
          std::chrono::milliseconds limit = 10s) {
    auto deadline = Clock::now() + limit;
    while (!done()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        std::vector<pollfd> p;
        for (auto& [fd, f] : fds) p.push_back({fd, POLLIN, 0});
        int n = poll(p.data(), p.size(), static_cast<int>(left));
        if (n < 0 && errno != EINTR) return false;
        for (size_t i = 0; i < p.size(); ++i)
            if (p[i].revents & POLLIN) fds[i].second();
    }
    return true;
}

bool pumpRunner(ScriptRunner& r, const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    return pump({{r.fd(), [&] { r.onReadable(); }}}, done, limit);
}

Command sh(const std::string& line) { return Command{{"/bin/sh", "-c", line}, {geteuid(), getegid()}, false}; }

// Live (non-zombie) processes in process group `pgid`. Killed orphans are reaped by init
// (or a subreaper) at its own pace; as zombies they are dead already.
int liveInGroup(pid_t pgid) {
    int n = 0;
    DIR* d = opendir("/proc");
    while (dirent* e = readdir(d)) {
        std::ifstream st(std::string("/proc/") + e->d_name + "/stat");
        std::string line;
        if (!std::getline(st, line)) continue;
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        char state;
        int ppid, pgrp;
        rest >> state >> ppid >> pgrp;
        if (pgrp == pgid && state != 'Z' && state != 'X') ++n;
    }
    closedir(d);
    return n;
}

// Waits (with a deadline) until no live process is left in process group `pgid`.
bool groupGone(pid_t pgid, std::chrono::milliseconds limit = 5s) {
    auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
        if (liveInGroup(pgid) == 0) return true;
        pollfd none{};
        poll(&none, 0, 10);  // short wait between checks of a condition we cannot get an fd for
    }
    return false;
}

// Zombie children of this process, from /proc.
int zombieChildren() {
    int n = 0;
    DIR* d = opendir("/proc");
    while (dirent* e = readdir(d)) {
        std::ifstream st(std::string("/proc/") + e->d_name + "/stat");
        std::string line;
        if (!std::getline(st, line)) continue;
        auto close = line.rfind(')');
        std::istringstream rest(line.substr(close + 2));
        char state;
        int ppid;
        rest >> state >> ppid;
        if (state == 'Z' && ppid == getpid()) ++n;
    }
    closedir(d);
    return n;
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/xvt-track-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::string write(const std::string& name, const std::string& text, mode_t mode) const {
        std::string p = path + "/" + name;
        std::ofstream(p) << text;
        chmod(p.c_str(), mode);
        return p;
    }
};

std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace

TEST(ScriptRunner, ReportsExitStatus) {
    ScriptRunner r;
    std::optional<ScriptExit> a, b;
    ASSERT_TRUE(r.start(sh("exit 3"), {}, [&](const ScriptExit& x) { a = x; }));
    ASSERT_TRUE(r.start(Command{{"/bin/true"}, {geteuid(), getegid()}, false}, {}, [&](const ScriptExit& x) { b = x; }));
    ASSERT_TRUE(pumpRunner(r, [&] { return a && b; }));
    EXPECT_EQ(a->exitCode(), 3);
    EXPECT_FALSE(a->succeeded());
    EXPECT_EQ(a->describe(), "exited with status 3");
    EXPECT_TRUE(b->succeeded());
    EXPECT_EQ(r.running(), 0u);
    EXPECT_EQ(zombieChildren(), 0);
}

TEST(ScriptRunner, TimeoutKillsTheWholeProcessGroup) {
    ScriptRunner r;
    std::optional<ScriptExit> x;
    RunOptions o;
    o.timeout = 200ms;
    auto t0 = Clock::now();
    ASSERT_TRUE(r.start(sh("sleep 30 & sleep 30"), o, [&](const ScriptExit& e) { x = e; }));
    ASSERT_TRUE(pumpRunner(r, [&] { return x.has_value(); }, 5s));
    EXPECT_TRUE(x->timed_out);
    EXPECT_FALSE(x->succeeded());
    EXPECT_LT(Clock::now() - t0, 3s);
    EXPECT_TRUE(groupGone(x->pid)) << "background sleep survived";
    EXPECT_EQ(zombieChildren(), 0);
}

TEST(ScriptRunner, TermIgnoredThenKilledAfterGrace) {
    ScriptRunner r;
    std::optional<ScriptExit> x;
    RunOptions o;
    o.timeout = 100ms;
    o.term_grace = 300ms;
    ASSERT_TRUE(r.start(sh("trap '' TERM; sleep 30 & sleep 30"), o, [&](const ScriptExit& e) { x = e; }));
    ASSERT_TRUE(pumpRunner(r, [&] { return x.has_value(); }, 5s));
    EXPECT_TRUE(x->timed_out);
    EXPECT_EQ(x->termSignal(), SIGKILL);
    EXPECT_GE(x->elapsed, 400ms);
    EXPECT_TRUE(groupGone(x->pid));
}

// docs/bounds.md "script output": the daemon reads none of it. A script that writes nothing
// and one that writes (1 byte, then 4 MiB to each stream, more than any pipe holds) finish
// alike and promptly: stdout and stderr are /dev/null, nothing fills or is kept.
TEST(ScriptRunner, ScriptOutputIsNeverRead) {
    TempDir d;
    std::string out = d.path + "/fds";
    ScriptRunner r;
    std::optional<ScriptExit> quiet, loud;
    ASSERT_TRUE(r.start(sh("l=$(readlink /proc/$$/fd/1 /proc/$$/fd/2); echo \"$l\" > " + out), {},
                        [&](const ScriptExit& e) { quiet = e; }));
    ASSERT_TRUE(r.start(sh("printf x; head -c 4194304 /dev/zero; head -c 4194304 /dev/zero >&2"),
                        {}, [&](const ScriptExit& e) { loud = e; }));
    ASSERT_TRUE(pumpRunner(r, [&] { return quiet && loud; }));
    EXPECT_TRUE(quiet->succeeded());
    EXPECT_TRUE(loud->succeeded()) << loud->describe();
    EXPECT_EQ(slurp(out), "/dev/null\n/dev/null\n");
}

TEST(ScriptRunner, OwnProcessGroupAndDevNullStdin) {
    TempDir d;
    std::string out = d.path + "/out";
    ScriptRunner r;
    std::optional<ScriptExit> x;
    ASSERT_TRUE(r.start(sh("cut -d' ' -f5 /proc/self/stat > " + out + "; readlink /proc/self/fd/0 >> " + out), {},
                        [&](const ScriptExit& e) { x = e; }));
    ASSERT_TRUE(pumpRunner(r, [&] { return x.has_value(); }));
    EXPECT_EQ(slurp(out), std::to_string(x->pid) + "\n/dev/null\n");
}

TEST(ScriptRunner, RunsAsTheScriptUser) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
    TempDir d;
    chmod(d.path.c_str(), 0755);
    std::string out = d.write("out", "", 0666);
    ScriptRunner r;
    std::optional<ScriptExit> x;
    Command c{{"/bin/sh", "-c", "id -u > " + out + "; id -G >> " + out}, {65534, 65534}, false};
    ASSERT_TRUE(r.start(c, {}, [&](const ScriptExit& e) { x = e; }));
    ASSERT_TRUE(pumpRunner(r, [&] { return x.has_value(); }));
    EXPECT_EQ(slurp(out), "65534\n65534\n");
}

TEST(ScriptRunner, ExecFailureIsReportedButExitsZeroLikeKeepalived) {
    ScriptRunner r;
    std::optional<ScriptExit> x;
    ASSERT_TRUE(r.start(Command{{"/nonexistent/xvrrp-script"}, {geteuid(), getegid()}, false}, {},
                        [&](const ScriptExit& e) { x = e; }));
    ASSERT_TRUE(pumpRunner(r, [&] { return x.has_value(); }));
    EXPECT_EQ(x->exec_errno, ENOENT);
    EXPECT_TRUE(x->succeeded());
}

TEST(ScriptRunner, ShellNotFoundMapsToZero) {
    ScriptRunner r;
    std::optional<ScriptExit> x;
    ASSERT_TRUE(r.start(Command{{"/nonexistent-xvrrp"}, {geteuid(), getegid()}, true}, {},
                        [&](const ScriptExit& e) { x = e; }));
    ASSERT_TRUE(pumpRunner(r, [&] { return x.has_value(); }));
    EXPECT_EQ(x->shell_status, 127);
    EXPECT_TRUE(x->succeeded());
}

// Notify scripts: keepalived's reload kills none. release() hands them over unsignalled.
TEST(ScriptRunner, OutlivingRunsAreReleasedNotKilled) {
    pid_t kept = 0;
    {
        ScriptRunner r;
        RunOptions outlives;
        outlives.outlives = true;
        bool called = false;
        ASSERT_TRUE(r.start(sh("sleep 30"), outlives, [&](const ScriptExit&) { called = true; }));
        ASSERT_TRUE(r.start(sh("sleep 30"), {}, [&](const ScriptExit&) {}));
        const auto both = r.pids();
        const auto released = r.release();
        ASSERT_EQ(released.size(), 1u);
        kept = released[0];
        EXPECT_EQ(r.running(), 1u);
        EXPECT_NE(std::find(both.begin(), both.end(), kept), both.end());
        EXPECT_FALSE(called);
    }
    // The other one was killed and reaped; this one still runs, our child to reap.
    EXPECT_EQ(kill(kept, 0), 0);
    EXPECT_EQ(waitpid(kept, nullptr, WNOHANG), 0);
    kill(-kept, SIGKILL);
    EXPECT_EQ(waitpid(kept, nullptr, 0), kept);
    EXPECT_EQ(zombieChildren(), 0);
}

TEST(ScriptRunner, DestructorKillsAndReaps) {
    std::vector<pid_t> pids;
    {
        ScriptRunner r;
        ASSERT_TRUE(r.start(sh("sleep 30"), {}, [&](const ScriptExit&) {}));
        RunOptions outlives;  // not released: killed like the others
        outlives.outlives = true;
        ASSERT_TRUE(r.start(sh("sleep 30"), outlives, [&](const ScriptExit&) {}));
        EXPECT_EQ(r.running(), 2u);
        pids = r.pids();
    }
    ASSERT_EQ(pids.size(), 2u);
    for (pid_t pid : pids) EXPECT_TRUE(groupGone(pid)) << pid;
    EXPECT_EQ(zombieChildren(), 0);
}

class Security : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "permission walk is only done for scripts run as root";
    }
    TempDir d;
};

TEST_F(Security, WorldWritableScriptRefusedWithScriptSecurity) {
    std::string p = d.write("chk.sh", "#!/bin/sh\nexit 0\n", 0777);
    auto r = checkScriptSecure({p}, {0, 0}, true);
    EXPECT_FALSE(r.command);
    EXPECT_TRUE(r.flags & kScInhibit);
    ASSERT_FALSE(r.messages.empty());
    EXPECT_EQ(r.messages.back(), "Unsafe permissions found for script '" + p + "' - disabling.");
}

TEST_F(Security, Mode666IsRefusedAsNotExecutable) {
    std::string p = d.write("chk.sh", "#!/bin/sh\nexit 0\n", 0666);
    auto r = checkScriptSecure({p}, {0, 0}, true);
    EXPECT_FALSE(r.command);
    EXPECT_EQ(r.messages.front(), "WARNING - script '" + p + "' is not executable for uid:gid 0:0 - disabling.");
}

TEST_F(Security, WritableDirectoryRefused) {
    chmod(d.path.c_str(), 0777);
    std::string p = d.write("chk.sh", "#!/bin/sh\nexit 0\n", 0755);
    auto r = checkScriptSecure({p}, {0, 0}, true);
    EXPECT_FALSE(r.command);
    EXPECT_EQ(r.messages.back(), "Unsafe permissions found for script '" + p + "' - disabling.");
}

TEST_F(Security, SafeScriptAccepted) {
    std::string p = d.write("chk.sh", "#!/bin/sh\nexit 0\n", 0755);
    auto r = checkScriptSecure({p, "arg"}, {0, 0}, true);
    ASSERT_TRUE(r.command);
    EXPECT_EQ(r.command->argv, (std::vector<std::string>{p, "arg"}));
    EXPECT_FALSE(r.command->use_shell);
    EXPECT_TRUE(r.messages.empty());
}

TEST_F(Security, WithoutScriptSecurityInsecureRunsWithWarnings) {
    std::string p = d.write("chk.sh", "#!/bin/sh\nexit 0\n", 0777);
    auto r = checkScriptSecure({p}, {0, 0}, false);
    ASSERT_TRUE(r.command);
    EXPECT_EQ(r.messages.back(), "Unsafe permissions found for script '" + p + "'.");
    EXPECT_EQ(securitySummary(r.flags, false),
              "SECURITY VIOLATION - scripts are being executed but script_security not enabled. "
              "There are insecure scripts.");
    EXPECT_EQ(securitySummary(r.flags, true), "");
}

TEST_F(Security, ScriptSecurityWithoutAnyScriptUserRefuses) {
    if (getpwnam("keepalived_script")) GTEST_SKIP() << "user keepalived_script exists here";
    std::string p = d.write("chk.sh", "#!/bin/sh\nexit 0\n", 0755);
    xvrrp::config::Global g;
    g.enable_script_security = true;
    auto r = prepareScript(p, "", "", g, "vrrp_script chk");
    EXPECT_FALSE(r.command);
    EXPECT_EQ(r.messages.back(), "Failed to set default user for vrrp_script chk script " + p + " - ignoring");
    g.script_user = "root";
    EXPECT_TRUE(prepareScript(p, "", "", g, "vrrp_script chk").command);
}

TEST(FileTrackers, InitFileThenInotifyChanges) {
    TempDir d;
    xvrrp::config::Config cfg;
    xvrrp::config::TrackFile f;
    f.name = "tf";
    f.file = d.path + "/value";
    f.init_file = true;
    f.init_value = 5;
    cfg.track_files["tf"] = f;
    std::vector<std::pair<std::string, int64_t>> seen;
    FileTrackers ft(cfg, [&](const std::string& n, int64_t v) { seen.emplace_back(n, v); });
    EXPECT_TRUE(ft.messages().empty());
    EXPECT_EQ(ft.value("tf"), 5);
    auto pumpFt = [&](size_t n) { return pump({{ft.fd(), [&] { ft.onReadable(); }}}, [&] { return seen.size() >= n; }); };

    d.write("tmp", "-12\n", 0644);
    ASSERT_EQ(rename((d.path + "/tmp").c_str(), f.file.c_str()), 0);
    ASSERT_TRUE(pumpFt(1));
    EXPECT_EQ(seen.back(), (std::pair<std::string, int64_t>{"tf", -12}));
    d.write("value", "0x20", 0644);
    ASSERT_TRUE(pumpFt(2));
    EXPECT_EQ(ft.value("tf"), 32);
    unlink(f.file.c_str());
    ASSERT_TRUE(pumpFt(3));
    EXPECT_EQ(ft.value("tf"), 0);
}

TEST(FileTrackers, InitFileDoesNotOverwriteUnlessAsked) {
    TempDir d;
    xvrrp::config::TrackFile f;
    f.name = "tf";
    f.file = d.write("value", "7\n", 0644);
    f.init_file = true;
    f.init_value = 1;
    EXPECT_TRUE(initTrackFile(f).empty());
    EXPECT_EQ(slurp(f.file), "7\n");
    f.overwrite = true;
    initTrackFile(f);
    EXPECT_EQ(slurp(f.file), "1\n");
}

TEST(ScriptTrackers, RunsTheScriptAndFollowsItsResult) {
    TempDir d;
    chmod(d.path.c_str(), 0755);
    std::string flag = d.path + "/ok";
    std::string p = d.write("chk.sh", "#!/bin/sh\n[ -f " + flag + " ]\n", 0755);
    xvrrp::config::Config cfg;
    xvrrp::config::Script s;
    s.name = "chk";
    s.script = p;
    s.interval_s = 1;
    cfg.scripts["chk"] = s;
    ScriptRunner runner;
    std::vector<TrackState> seen;
    ScriptTrackers st(runner, cfg, [&](const std::string&, TrackState t) { seen.push_back(t); });
    EXPECT_TRUE(st.disabled().empty());
    auto fds = std::vector<std::pair<int, std::function<void()>>>{{runner.fd(), [&] { runner.onReadable(); }},
                                                                    {st.fd(), [&] { st.onReadable(); }}};
    ASSERT_TRUE(pump(fds, [&] { return seen.size() >= 1; }, 5s));
    EXPECT_EQ(seen.back(), TrackState::Down);
    d.write("ok", "", 0644);
    ASSERT_TRUE(pump(fds, [&] { return seen.size() >= 2; }, 5s));
    EXPECT_EQ(seen.back(), TrackState::Up);
    EXPECT_EQ(st.state("chk"), TrackState::Up);
}

// Reload: a script whose definition did not change keeps its state (no "init" while its
// first new run is due); a changed one starts over.
TEST(ScriptTrackers, CarriedStateSurvivesAReloadOnlyForAnUnchangedScript) {
    TempDir d;
    chmod(d.path.c_str(), 0755);
    std::string p = d.write("ok.sh", "#!/bin/sh\nexit 0\n", 0755);
    xvrrp::config::Config cfg;
    xvrrp::config::Script s;
    s.name = "chk";
    s.script = p;
    s.interval_s = 1;
    s.rise = 2;
    cfg.scripts["chk"] = s;
    ScriptRunner runner;
    std::vector<TrackState> seen;
    ScriptTrackers::Checks carried;
    {
        ScriptTrackers st(runner, cfg, [&](const std::string&, TrackState t) { seen.push_back(t); });
        auto fds = std::vector<std::pair<int, std::function<void()>>>{{runner.fd(), [&] { runner.onReadable(); }},
                                                                        {st.fd(), [&] { st.onReadable(); }}};
        ASSERT_TRUE(pump(fds, [&] { return st.state("chk") == TrackState::Up; }, 5s));
        carried = st.checks();
    }
    ASSERT_EQ(carried.count("chk"), 1u);
    // The same definition: good at once, before any run of the new tracker finished.
    ScriptTrackers same(runner, cfg, [](const std::string&, TrackState) {}, {}, carried);
    EXPECT_EQ(same.state("chk"), TrackState::Up);
    // A changed definition (rise 3): back to init.
    auto changed = cfg;
    changed.scripts["chk"].rise = 3;
    ScriptTrackers other(runner, changed, [](const std::string&, TrackState) {}, {}, carried);
    EXPECT_EQ(other.state("chk"), TrackState::Init);
}

// Issue 9 item 8: a failure to start a vrrp_script (here pipe2 at EMFILE) is logged once per
// interval for as long as the daemon runs; the tracker kept every line forever. Now the
// daemon takes them and nothing is kept, and lines nobody takes stay bounded.
TEST(ScriptTrackers, RuntimeFailuresAreTakenNotKept) {
    TempDir d;
    chmod(d.path.c_str(), 0755);
    std::string p = d.write("ok.sh", "#!/bin/sh\nexit 0\n", 0755);
    xvrrp::config::Config cfg;
    xvrrp::config::Script s;
    s.name = "chk";
    s.script = p;
    s.interval_s = 1;
    cfg.scripts["chk"] = s;
    ScriptRunner runner;
    rlimit old{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
    std::vector<int> filler;
    auto exhaust = [&] {
        rlimit low = old;
        int probe = dup(0);
        low.rlim_cur = static_cast<rlim_t>(probe) + 1;
        close(probe);
        ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
        for (int f; (f = dup(0)) >= 0;) filler.push_back(f);
    };
    auto release = [&] {
        for (int f : filler) close(f);
        filler.clear();
        setrlimit(RLIMIT_NOFILE, &old);
    };
    ScriptTrackers st(runner, cfg, [](const std::string&, TrackState) {});
    auto fds = std::vector<std::pair<int, std::function<void()>>>{{runner.fd(), [&] { runner.onReadable(); }},
                                                                    {st.fd(), [&] { st.onReadable(); }}};
    // The first run ends (its pidfd and pipe closed) before the fds run out.
    ASSERT_TRUE(pump(fds, [&] { return st.state("chk") == TrackState::Up; }, 5s));
    (void)st.takeMessages();
    exhaust();
    bool failed = pump(fds, [&] { return st.messages().size() >= 2; }, 5s);
    release();
    ASSERT_TRUE(failed) << "no start failure seen";
    auto taken = st.takeMessages();
    ASSERT_GE(taken.size(), 2u);
    EXPECT_NE(taken.front().find("pipe2"), std::string::npos) << taken.front();
    EXPECT_TRUE(st.messages().empty());
    EXPECT_TRUE(st.takeMessages().empty());  // taken once
}

TEST(TrackerMessages, BoundedAtMaxAndOneMore) {
    Messages m;
    for (size_t i = 0; i < kMaxMessages; ++i) m.push("line " + std::to_string(i));
    EXPECT_EQ(m.pending().size(), kMaxMessages);
    auto all = m.take();
    ASSERT_EQ(all.size(), kMaxMessages);  // at the bound nothing is lost
    EXPECT_EQ(all.front(), "line 0");
    for (size_t i = 0; i <= kMaxMessages; ++i) m.push("line " + std::to_string(i));
    EXPECT_EQ(m.pending().size(), kMaxMessages);
    auto over = m.take();
    ASSERT_EQ(over.size(), kMaxMessages + 1);
    EXPECT_EQ(over.front(), "1 earlier tracker message(s) dropped");
    EXPECT_EQ(over[1], "line 1");
    EXPECT_TRUE(m.take().empty());
}
