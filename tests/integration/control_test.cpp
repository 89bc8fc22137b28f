// integration.control: hostile clients on the control sockets of a running xvrrpd pair and
// of xvrrp-arbiter (issue 9 items 1 and 6). Bytes that are not a request, and many idle
// clients at a low fd limit, leave the master MASTER with no transition, and both daemons
// keep answering status without spinning.
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "arbiter_steps.hpp"
#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

// The arbiter under test; XVRRP_ITEST_BIN_DIR (as for xvrrpd) points at another build.
std::string arbiterBin() {
    const char* dir = std::getenv("XVRRP_ITEST_BIN_DIR");
    return dir ? std::string(dir) + "/xvrrp-arbiter" : std::string(XVRRP_ARBITER_BIN);
}

int connectTo(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Sends bytes, returns what came back before the server closed (up to 5 s).
std::string exchange(const std::string& path, const std::string& bytes) {
    int fd = connectTo(path);
    if (fd < 0) return "connect failed: " + std::string(std::strerror(errno));
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) got.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return got;
}

// utime + stime of a process, in seconds.
double cpuSeconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(in)), {});
    std::istringstream rest(all.substr(all.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

size_t openFds(pid_t pid) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
        ++n;
    return n;
}

const std::vector<std::string> kHostile = {
    "\xff\n",                       // issue 9 item 1: type_error.316 ended xvrrpd
    "{\"cmd\":\"\xc0\xaf\"}\n",     // overlong UTF-8 inside a string
    std::string("\0\n", 2),
    "{\"cmd\":\"status\"\xfe}\n",
    "[\"cmd\"]\n",
    "{\"cmd\":\"fence\",\"instance\":\"\xed\xa0\x80\"}\n",  // a UTF-16 surrogate in UTF-8
};

class Control : public PairFixture {
protected:
    Control() : PairFixture("ctl") {}

    uint64_t transitions(XvrrpdNode& n) {
        auto i = n.instance();
        if (!i) return ~0ull;
        const auto& c = (*i)["counters"];
        return c["became_master"].get<uint64_t>() + c["released_master"].get<uint64_t>();
    }
    std::string arbiterSock() const { return lab_->logDir() + "/n1-arbiter.sock"; }
    lab::Process& startArbiter() {
        const std::string dir = lab_->logDir();
        std::ofstream(dir + "/n1-ssh") << "#!/bin/sh\nexec " << xvrrpctlBin() << " --control "
                                       << n2_->controlPath() << " status --json\n";
        ::chmod((dir + "/n1-ssh").c_str(), 0755);
        std::ofstream(dir + "/n1-arbiter.conf")
            << "arbiter {\n  node_name n1\n  xvrrpd_socket " << n1_->controlPath() << "\n"
            << "  pin_root " << n1_->pinRoot() << "\n  control_socket " << arbiterSock() << "\n"
            << "  audit_log " << dir << "/n1-audit.log\n  ssh_program " << dir << "/n1-ssh\n"
            << "  probe_interval 0.3\n  ping_timeout 0.2\n  control_timeout 0.2\n"
            << "  ssh_connect_timeout 1\n  ssh_timeout 1\n  fence_after 2\n  unfence_after 3\n}\n"
            << "peer n2 {\n  address " << lab_->v4("n2").str() << "\n"
            << "  ssh {\n    user root\n    identity_file /dev/null\n    known_hosts /dev/null\n"
            << "  }\n}\ngateways {\n  quorum 1\n  " << lab_->v4("client").str() << "\n}\n";
        return n1_->ns().spawn({arbiterBin(), "-D", "-f", dir + "/n1-arbiter.conf"},
                               dir + "/n1-arbiter.log");
    }
    bool arbiterAnswers() { return arbiterStatusAt(arbiterSock()).is_object(); }
};

TEST_F(Control, HostileBytesLeaveBothDaemonsServing) {
    auto v = makeVariant("v3_v4", 3, Family::V4, false);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    lab::Process& arbiter = startArbiter();
    ASSERT_TRUE(waitUntil([&] { return arbiterAnswers(); }, seconds(10)))
        << slurp(lab_->logDir() + "/n1-arbiter.log");
    const uint64_t before = transitions(*n1_);
    for (const auto& bytes : kHostile) {
        for (const std::string& sock : {n1_->controlPath(), arbiterSock()}) {
            std::string got = exchange(sock, bytes);
            auto j = nlohmann::json::parse(got, nullptr, false);
            ASSERT_TRUE(j.is_object()) << sock << " answered: " << got;
            EXPECT_FALSE(j.value("ok", true)) << got;
            EXPECT_TRUE(j["error"].is_string()) << got;
        }
        ASSERT_TRUE(n1_->running()) << tail(n1_->log());
        ASSERT_TRUE(arbiter.running()) << slurp(lab_->logDir() + "/n1-arbiter.log");
    }
    EXPECT_EQ(n1_->state(), "MASTER");
    EXPECT_EQ(n2_->state(), "BACKUP");
    EXPECT_EQ(transitions(*n1_), before) << "n1 changed state";
    EXPECT_TRUE(n1_->holds(vip(v)));
    EXPECT_TRUE(arbiterAnswers());
}

// Issue 9 item 6: at RLIMIT_NOFILE 128, 85 idle clients made xvrrpd spin at 100% CPU on
// EMFILE and status requests failed.
TEST_F(Control, IdleClientsAtA128FdLimitNeitherSpinNorBlockStatus) {
    auto v = makeVariant("v3_v4", 3, Family::V4, false);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    const pid_t pid = n1_->pid();
    const size_t base_fds = openFds(pid);
    rlimit lim{128, 128};
    ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &lim, nullptr), 0) << std::strerror(errno);
    const uint64_t before = transitions(*n1_);
    std::vector<int> idle;
    for (int i = 0; i < 85; ++i) {
        int fd = connectTo(n1_->controlPath());
        if (fd >= 0) idle.push_back(fd);
    }
    EXPECT_EQ(idle.size(), 85u);
    const double cpu0 = cpuSeconds(pid);
    const auto t0 = Clock::now();
    int answered = 0;
    for (int i = 0; i < 5; ++i)
        if (n1_->status()) ++answered;
    std::this_thread::sleep_for(seconds(2));  // the window whose CPU time is measured
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = (cpuSeconds(pid) - cpu0) / wall;
    std::printf("[ control ] 85 idle clients at RLIMIT_NOFILE 128: %d/5 status answered, "
                "xvrrpd CPU %.0f%% over %.1f s, %zu fds (%zu before)\n",
                answered, cpu * 100, wall, openFds(pid), base_fds);
    EXPECT_EQ(answered, 5);
    EXPECT_LT(cpu, 0.3) << "xvrrpd spins";
    EXPECT_LE(openFds(pid), base_fds + 16 + 2);  // kMaxClients, and status in flight
    // The idle ones are closed at the request timeout (5 s): the fds go back.
    EXPECT_TRUE(waitUntil([&] { return openFds(pid) <= base_fds; }, seconds(8)))
        << openFds(pid) << " fds, " << base_fds << " before";
    for (int fd : idle) ::close(fd);
    EXPECT_EQ(n1_->state(), "MASTER");
    EXPECT_EQ(transitions(*n1_), before);
}

}  // namespace
}  // namespace xvrrp::itest
