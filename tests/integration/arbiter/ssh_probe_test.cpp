// integration.arbiter_ssh: the SSH probe against a real sshd in a peer namespace. Host and
// client keys are generated per test; sshd runs from its own config on a high port. The
// probe must return the peer's status, and UNKNOWN when sshd is stopped or the host key
// does not match.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "arbiter/ssh_drive.hpp"
#include "lab/netns.hpp"
#include "lab/process.hpp"
#include "lab/wait.hpp"
#include "probes/ssh.hpp"

namespace fs = std::filesystem;
using namespace xvrrp::arbiter;

namespace {

const char* kStatus = R"({"schema":1,"instances":[{"name":"VI_1","state":"MASTER",
"priority":{"configured":100,"effective":100},"vips_installed":true,"fenced":false,
"source":"10.66.0.2","ifindex":2,"vrid":7,"family":"ipv4","vips":["10.66.0.100/32"]}]})";

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

class SshProbe : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "namespaces and sshd need root";
        if (::access("/usr/sbin/sshd", X_OK) != 0 || ::access("/usr/bin/ssh", X_OK) != 0)
            FAIL() << "openssh-server and openssh-client are required (Debian packages)";
        dir_ = fs::temp_directory_path() / ("xvt-arbsshd-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        ::chmod(dir_.c_str(), 0700);
        node_ = std::make_unique<xvrrp::lab::Netns>("arbssha");
        peer_ = std::make_unique<xvrrp::lab::Netns>("arbsshb");
        node_->runOk({"ip", "link", "set", "lo", "up"});
        peer_->runOk({"ip", "link", "set", "lo", "up"});
        node_->runOk({"ip", "link", "add", "xva", "type", "veth", "peer", "name", "xvb", "netns",
                      peer_->name()});
        node_->runOk({"ip", "addr", "add", "10.66.0.1/24", "dev", "xva"});
        peer_->runOk({"ip", "addr", "add", "10.66.0.2/24", "dev", "xvb"});
        node_->runOk({"ip", "link", "set", "xva", "up"});
        peer_->runOk({"ip", "link", "set", "xvb", "up"});

        keygen("host_key");
        keygen("client_key");
        keygen("other_host_key");
        fs::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
        std::mt19937 rng(static_cast<unsigned>(::getpid()));
        port_ = 20000 + static_cast<int>(rng() % 20000);
        std::string host_pub = slurp(dir_ / "host_key.pub");
        std::ofstream(dir_ / "known_hosts") << "[10.66.0.2]:" << port_ << " " << host_pub;
        std::ofstream(dir_ / "wrong_known_hosts")
            << "[10.66.0.2]:" << port_ << " " << slurp(dir_ / "other_host_key.pub");
        // The stand-in xvrrpctl on the peer.
        std::ofstream(dir_ / "status.json") << kStatus;
        std::ofstream(dir_ / "xvrrpctl")
            << "#!/bin/sh\n[ \"$1 $2\" = \"status --json\" ] || exit 2\ncat "
            << (dir_ / "status.json").string() << "\n";
        ::chmod((dir_ / "xvrrpctl").c_str(), 0755);
        std::ofstream(dir_ / "sshd_config")
            << "Port " << port_ << "\n"
            << "ListenAddress 10.66.0.2\n"
            << "HostKey " << (dir_ / "host_key").string() << "\n"
            << "AuthorizedKeysFile " << (dir_ / "authorized_keys").string() << "\n"
            << "PidFile " << (dir_ / "sshd.pid").string() << "\n"
            << "PermitRootLogin prohibit-password\n"
               "PasswordAuthentication no\n"
               "KbdInteractiveAuthentication no\n"
               "UsePAM no\n"
               "StrictModes no\n";
        // Debian's sshd refuses to start without its privilege separation directory.
        fs::create_directories("/run/sshd");
        startSshd();
    }
    void TearDown() override {
        sshd_.reset();
        node_.reset();
        peer_.reset();
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    void keygen(const std::string& name) {
        auto r = xvrrp::lab::runIn("", {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                                        "-f", (dir_ / name).string()});
        ASSERT_TRUE(r.ok()) << r.err;
    }
    void startSshd() {
        sshd_ = std::make_unique<xvrrp::lab::Process>(xvrrp::lab::Process::spawn(
            peer_->path(), {"/usr/sbin/sshd", "-D", "-e", "-f", (dir_ / "sshd_config").string()},
            (dir_ / "sshd.log").string()));
        ASSERT_TRUE(xvrrp::lab::waitUntil(
            [&] { return sshd_->readLog().find("Server listening") != std::string::npos; },
            std::chrono::seconds(10)))
            << sshd_->readLog();
    }
    ArbiterConfig config(const std::string& known_hosts) {
        ArbiterConfig c;
        c.ssh_connect_timeout_s = 2;
        c.remote_xvrrpctl = (dir_ / "xvrrpctl").string();
        Peer p;
        p.name = "b";
        p.address = *xvrrp::IpAddr::parse("10.66.0.2");
        p.has_ssh = true;
        p.ssh = {"root", "10.66.0.2", port_, (dir_ / "client_key").string(),
                 (dir_ / known_hosts).string()};
        c.peers.push_back(p);
        return c;
    }
    SshOutcome query(const ArbiterConfig& c,
                     std::chrono::milliseconds total = std::chrono::milliseconds(5000)) {
        SshOutcome out;
        xvrrp::lab::inNetns(node_->path(), [&] {
            SshQuery q(sshArgv(c, c.peers[0]), SteadyClock::now() + total);
            out = driveToCompletion(q);
        });
        return out;
    }

    fs::path dir_;
    int port_ = 0;
    std::unique_ptr<xvrrp::lab::Netns> node_, peer_;
    std::unique_ptr<xvrrp::lab::Process> sshd_;
};

TEST_F(SshProbe, ReturnsThePeersStatus) {
    SshOutcome o = query(config("known_hosts"));
    ASSERT_TRUE(o.status) << o.unknown_reason << "\n" << sshd_->readLog();
    ASSERT_TRUE(o.status->instances.count("VI_1"));
    const auto& i = o.status->instances.at("VI_1");
    EXPECT_EQ(i.view.state, "MASTER");
    EXPECT_TRUE(i.view.vips_installed);
    EXPECT_EQ(i.view.address, "10.66.0.2");
}

TEST_F(SshProbe, StoppedSshdIsUnknown) {
    ASSERT_TRUE(query(config("known_hosts")).status);
    sshd_->stop();
    auto start = SteadyClock::now();
    SshOutcome o = query(config("known_hosts"));
    EXPECT_FALSE(o.status);
    EXPECT_NE(o.unknown_reason.find("ssh failed"), std::string::npos) << o.unknown_reason;
    EXPECT_NE(o.unknown_reason.find("Connection refused"), std::string::npos) << o.unknown_reason;
    EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(5));
}

TEST_F(SshProbe, WrongHostKeyIsUnknown) {
    SshOutcome o = query(config("wrong_known_hosts"));
    EXPECT_FALSE(o.status);
    EXPECT_NE(o.unknown_reason.find("Host key verification failed"), std::string::npos)
        << o.unknown_reason;
}

TEST_F(SshProbe, UnreachablePeerTimesOutUnknown) {
    // The peer stops answering at all (link down): the total timeout bounds the query.
    peer_->runOk({"ip", "link", "set", "xvb", "down"});
    auto start = SteadyClock::now();
    SshOutcome o = query(config("known_hosts"), std::chrono::milliseconds(1000));
    EXPECT_FALSE(o.status);
    EXPECT_FALSE(o.unknown_reason.empty());
    EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(4));
}

}  // namespace
