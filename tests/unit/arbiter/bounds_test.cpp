// unit.arbiter: the bounds of docs/bounds.md that the arbiter enforces, each at the bound and
// one past it: a peer's status over ssh, ssh's stderr, xvrrpd's answer on the control socket,
// peers and gateways in arbiter.conf.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "arbiter/ssh_drive.hpp"
#include "config.hpp"
#include "probes/control_query.hpp"
#include "probes/ssh.hpp"

namespace xvrrp::arbiter {
namespace {

namespace fs = std::filesystem;

// A valid status document of exactly `size` bytes (JSON allows the trailing spaces).
std::string statusOfSize(size_t size) {
    std::string doc = R"({"schema":1,"instances":[]})";
    doc.resize(size, ' ');
    return doc;
}

class Bounds : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("xvt-arbbound-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    // Runs a stand-in ssh that prints `out` on stdout and `err` on stderr.
    SshOutcome ssh(const std::string& out, const std::string& err, int code = 0) {
        std::ofstream(dir_ / "out", std::ios::binary) << out;
        std::ofstream(dir_ / "err", std::ios::binary) << err;
        auto prog = dir_ / "ssh";
        std::ofstream(prog) << "#!/bin/sh\ncat " << (dir_ / "err").string() << " >&2\ncat "
                            << (dir_ / "out").string() << "\nexit " << code << "\n";
        ::chmod(prog.c_str(), 0755);
        SshQuery q({prog.string()}, SteadyClock::now() + std::chrono::seconds(20));
        auto o = driveToCompletion(q);
        err_kept_ = q.child().err().size();
        out_read_ = q.child().out().size();
        return o;
    }
    fs::path dir_;
    size_t err_kept_ = 0, out_read_ = 0;
};

TEST_F(Bounds, PeerStatusAtAndPastTheBound) {
    SshOutcome at = ssh(statusOfSize(kMaxStatusBytes), "");
    EXPECT_TRUE(at.status) << at.unknown_reason;
    EXPECT_EQ(out_read_, kMaxStatusBytes) << "all of it was read, not a prefix";
    SshOutcome past = ssh(statusOfSize(kMaxStatusBytes + 1), "");
    EXPECT_FALSE(past.status);
    EXPECT_NE(past.unknown_reason.find("larger than 8388608 bytes"), std::string::npos)
        << past.unknown_reason;
}

TEST_F(Bounds, SshStderrKeepsItsLastBytes) {
    // At the bound the whole stderr is kept; past it the front goes, the last line stays.
    std::string tail = "Host key verification failed.\n";
    std::string at(kMaxStderrBytes - tail.size(), 'x');
    at.back() = '\n';
    SshOutcome a = ssh("", at + tail, 255);
    EXPECT_EQ(a.unknown_reason, "ssh failed: Host key verification failed.");
    EXPECT_EQ(err_kept_, kMaxStderrBytes);
    SshOutcome p = ssh("", "y" + at + tail, 255);
    EXPECT_EQ(p.unknown_reason, "ssh failed: Host key verification failed.");
    EXPECT_EQ(err_kept_, kMaxStderrBytes);  // the first byte went
    // A last line longer than what a reason quotes is cut and marked.
    SshOutcome l = ssh("", std::string(kMaxReasonBytes + 1, 'y') + "\n", 255);
    EXPECT_EQ(l.unknown_reason, "ssh failed: " + std::string(kMaxReasonBytes, 'y') + "...");
}

// xvrrpd's answer on the control socket: one line of at most kMaxStatusBytes.
class ControlAnswer : public Bounds {
  protected:
    std::optional<nlohmann::json> ask(const std::string& answer, std::string* error) {
        const std::string path = (dir_ / "x.sock").string();
        int lfd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
        ::unlink(path.c_str());
        EXPECT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
        EXPECT_EQ(::listen(lfd, 1), 0);
        std::thread server([&] {
            int c = ::accept(lfd, nullptr, nullptr);
            if (c < 0) return;
            size_t off = 0;
            while (off < answer.size()) {
                ssize_t n = ::send(c, answer.data() + off, answer.size() - off, MSG_NOSIGNAL);
                if (n <= 0) break;
                off += static_cast<size_t>(n);
            }
            ::close(c);
        });
        ControlQuery q(path, {{"cmd", "status"}}, SteadyClock::now() + std::chrono::seconds(20));
        while (!q.done()) {
            pollfd p{q.fd(), POLLIN, 0};
            ::poll(&p, 1, 100);
            q.onReadable();
            q.expire(SteadyClock::now());
        }
        server.join();
        ::close(lfd);
        *error = q.error();
        return q.answer();
    }
};

TEST_F(ControlAnswer, AtAndPastTheBound) {
    std::string error;
    auto at = ask(statusOfSize(kMaxStatusBytes) + "\n", &error);
    EXPECT_TRUE(at) << error;
    auto past = ask(statusOfSize(kMaxStatusBytes + 1) + "\n", &error);
    EXPECT_FALSE(past);
    EXPECT_NE(error.find("larger than 8388608 bytes"), std::string::npos) << error;
}

std::string peers(int n) {
    std::string text = "arbiter {\n}\n";
    for (int i = 0; i < n; ++i)
        text += "peer p" + std::to_string(i) + " {\n address 10.0." + std::to_string(i / 250) +
                "." + std::to_string(i % 250 + 1) + "\n}\n";
    return text;
}

std::string gateways(int n) {
    std::string text = "arbiter {\n}\ngateways {\n";
    for (int i = 0; i < n; ++i)
        text += " 10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "\n";
    return text + "}\n";
}

TEST(ConfigBounds, PeersAndGateways) {
    EXPECT_TRUE(loadArbiterText(peers(kMaxPeers), "p.conf").ok());
    auto past = loadArbiterText(peers(kMaxPeers + 1), "p.conf");
    EXPECT_FALSE(past.ok());
    bool named = false;
    for (const auto& d : past.diagnostics)
        named = named || d.str().find("more than 32 peers") != std::string::npos;
    EXPECT_TRUE(named);
    EXPECT_TRUE(loadArbiterText(gateways(kMaxGateways), "g.conf").ok());
    auto pastg = loadArbiterText(gateways(kMaxGateways + 1), "g.conf");
    EXPECT_FALSE(pastg.ok());
    named = false;
    for (const auto& d : pastg.diagnostics)
        named = named || d.str().find("more than 64 gateways") != std::string::npos;
    EXPECT_TRUE(named);
}

}  // namespace
}  // namespace xvrrp::arbiter
