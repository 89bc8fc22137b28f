// The lab itself must be trustworthy before any daemon test relies on it.
#include "lab/lab.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "lab/net_query.hpp"
#include "lab/wait.hpp"

namespace xvrrp::lab {
namespace {

bool netnsExists(const std::string& name) { return std::filesystem::exists("/run/netns/" + name); }

class LabTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces";
    }
};

TEST_F(LabTest, NodesReachEachOtherOverV4AndV6) {
    Lab lab({"a", "b"}, {.tag = "labt"});
    EXPECT_TRUE(hasAddress(lab.node("a"), "eth0", lab.v4("a")));
    EXPECT_TRUE(hasAddress(lab.node("b"), "eth0", lab.v6("b")));
    EXPECT_FALSE(hasAddress(lab.node("a"), "eth0", lab.v4("b")));
    // The first echo also resolves ARP/ND, hence the retry window.
    EXPECT_TRUE(waitUntil([&] { return ping(lab.node("a"), lab.v4("b")).has_value(); },
                          std::chrono::seconds(3)));
    EXPECT_TRUE(waitUntil([&] { return ping(lab.node("b"), lab.v6("a")).has_value(); },
                          std::chrono::seconds(3)));
}

TEST_F(LabTest, CutLinkStopsTrafficAndRestoreBringsItBack) {
    Lab lab({"a", "b"}, {.tag = "labt"});
    ASSERT_TRUE(waitUntil([&] { return ping(lab.node("a"), lab.v4("b")).has_value(); },
                          std::chrono::seconds(3)));
    EXPECT_TRUE(hasCarrier(lab.node("b"), "eth0"));
    lab.cutLink("b");
    // The node sees carrier loss, not only a silent drop.
    EXPECT_TRUE(
        waitUntil([&] { return !hasCarrier(lab.node("b"), "eth0"); }, std::chrono::seconds(2)));
    EXPECT_FALSE(ping(lab.node("a"), lab.v4("b"), std::chrono::milliseconds(300)).has_value());
    lab.restoreLink("b");
    EXPECT_TRUE(
        waitUntil([&] { return hasCarrier(lab.node("b"), "eth0"); }, std::chrono::seconds(2)));
    EXPECT_TRUE(waitUntil([&] { return ping(lab.node("a"), lab.v4("b")).has_value(); },
                          std::chrono::seconds(3)));
}

// The management network is a second segment: it stays up when the VRRP link is cut.
TEST_F(LabTest, ManagementNetworkOutlivesACutLink) {
    Lab lab({"a", "b"}, {.tag = "labt", .mgmtV4Prefix = "10.78.0"});
    EXPECT_TRUE(hasAddress(lab.node("b"), "eth1", lab.mgmt4("b")));
    EXPECT_EQ(lab.mgmt4("b").str(), "10.78.0.2");
    ASSERT_TRUE(waitUntil([&] { return ping(lab.node("a"), lab.mgmt4("b")).has_value(); },
                          std::chrono::seconds(3)));
    lab.cutLink("b");
    ASSERT_TRUE(
        waitUntil([&] { return !hasCarrier(lab.node("b"), "eth0"); }, std::chrono::seconds(2)));
    EXPECT_TRUE(hasCarrier(lab.node("b"), "eth1"));
    EXPECT_TRUE(ping(lab.node("a"), lab.mgmt4("b"), std::chrono::milliseconds(500)).has_value());
    Lab plain({"c"}, {.tag = "labt"});
    EXPECT_THROW(plain.mgmt4("c"), std::logic_error);
}

TEST_F(LabTest, ProcessRunsInsideTheNodeAndIsKilledWithIt) {
    std::string ns;
    int pid = -1;
    {
        Lab lab({"a"}, {.tag = "labt"});
        ns = lab.node("a").name();
        auto& p = lab.node("a").spawn({"sleep", "300"}, lab.logDir() + "/sleep.log");
        pid = p.pid();
        ASSERT_TRUE(
            waitUntil([&] { return lab.node("a").pids().size() == 1; }, std::chrono::seconds(2)));
        EXPECT_EQ(lab.node("a").pids().front(), pid);
        auto r = lab.node("a").run({"ip", "-o", "link", "show", "eth0"});
        EXPECT_TRUE(r.ok()) << r.err;
    }
    EXPECT_FALSE(netnsExists(ns));
    EXPECT_NE(::kill(pid, 0), 0) << "process " << pid << " survived its namespace";
}

TEST_F(LabTest, TeardownHappensWhenTheBodyThrows) {
    std::vector<std::string> names;
    auto body = [&] {
        Lab lab({"a", "b"}, {.tag = "labt"});
        names = {lab.hub().name(), lab.node("a").name(), lab.node("b").name()};
        lab.node("b").spawn({"sleep", "300"}, lab.logDir() + "/sleep.log");
        throw std::runtime_error("assertion failed inside the test body");
    };
    EXPECT_THROW(body(), std::runtime_error);
    ASSERT_EQ(names.size(), 3u);
    for (const auto& n : names) EXPECT_FALSE(netnsExists(n)) << n << " left behind";
}

TEST_F(LabTest, RunReportsExitCodeAndTimesOut) {
    Netns ns("labt-run");
    EXPECT_EQ(ns.run({"sh", "-c", "exit 3"}).exitCode, 3);
    EXPECT_EQ(ns.run({"no-such-binary-xv"}).exitCode, 127);
    auto start = Clock::now();
    auto r = ns.run({"sleep", "5"}, Ms(200));
    EXPECT_EQ(r.exitCode, -1);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

// A daemon signalled once must see one signal: two SIGHUPs are two reloads, and a test that
// waits for "Reload done" then takes the stray one for its own. A real-time signal queues
// every copy sent, so the child counts exactly how many arrived.
TEST_F(LabTest, SendSignalDeliversOneCopy) {
    const std::string dir = ::testing::TempDir() + "xvt-labsig-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    const std::string ready = dir + "/ready", count = dir + "/count";
    const std::string code =
        "import signal, sys\n"
        "s = signal.SIGRTMIN\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, [s])\n"
        "open(sys.argv[1], 'w').close()\n"
        "n = 0\n"
        "if signal.sigtimedwait([s], 10):\n"
        "    n = 1\n"
        "    while signal.sigtimedwait([s], 0.3): n += 1\n"
        "open(sys.argv[2], 'w').write(str(n))\n";
    auto p = Process::spawn("", {"python3", "-c", code, ready, count}, dir + "/log");
    ASSERT_TRUE(waitUntil([&] { return std::filesystem::exists(ready); }, std::chrono::seconds(10)));
    p.sendSignal(SIGRTMIN);
    ASSERT_TRUE(p.waitExit(std::chrono::seconds(10)));
    std::ifstream in(count);
    int n = -1;
    in >> n;
    EXPECT_EQ(n, 1) << "copies of one sendSignal";
    std::filesystem::remove_all(dir);
}


// std::ofstream opens without O_CLOEXEC. A process another thread spawns while a script is
// being written keeps the write descriptor open for its whole life, and every exec of that
// script then fails with ETXTBSY: a differential run whose notify script was written while
// another run started tcpdump or a daemon recorded no notify call at all. Children get
// their standard descriptors and nothing else.
TEST_F(LabTest, ChildrenInheritOnlyTheirStandardDescriptors) {
    const std::string dir = ::testing::TempDir() + "xvt-labfd-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    const std::string script = dir + "/notify.sh";
    Netns ns("labt-fd");
    std::optional<Process> holder;
    {
        std::ofstream out(script);
        out << "#!/bin/sh\nexit 0\n" << std::flush;
        holder.emplace(Process::spawn(ns.path(), {"sleep", "30"}, dir + "/sleep.log"));
        const auto r = ns.run({"sh", "-c", "ls -l /proc/$$/fd"});
        EXPECT_EQ(r.out.find(script), std::string::npos) << "runIn's child holds " << script << ":\n" << r.out;
    }
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    std::vector<std::string> held;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(holder->pid()) + "/fd")) {
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(e.path(), ec);
        if (!ec && e.path().filename().string() > "2") held.push_back(e.path().filename().string() + " -> " + target.string());
    }
    EXPECT_TRUE(held.empty()) << "a spawned process holds " << held.size() << " descriptors beyond 0-2, first: " << held.front();
    const auto r = ns.run({script});
    EXPECT_EQ(r.exitCode, 0) << "the script, written while a process was spawned, could not be run: " << r.err;
    holder->stop(std::chrono::seconds(1));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xvrrp::lab
