// integration.arbiter_fullstack: real xvrrpd, real sshd and an arbiter on both nodes, the
// client node as gateway and observer. VRRP is cut with an nftables egress drop on both nodes
// (the client segment keeps working); the client then asks ARP who has the VIP until exactly
// one MAC answers, and pings it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "arbiter_steps.hpp"
#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

namespace fs = std::filesystem;

// One ARP request for `target` from `ns`'s eth0; the distinct MACs that answered in `window`.
std::set<std::string> arpOwners(const lab::Netns& ns, const IpAddr& self, const IpAddr& target,
                                std::chrono::milliseconds window) {
    std::set<std::string> macs;
    lab::inNetns(ns.path(), [&] {
        int fd = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
        if (fd < 0)
            throw std::runtime_error(std::string("socket(AF_PACKET): ") + std::strerror(errno));
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, "eth0", IFNAMSIZ - 1);
        if (::ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
            ::close(fd);
            throw std::runtime_error(std::string("SIOCGIFHWADDR eth0: ") + std::strerror(errno));
        }
        sockaddr_ll ll{};
        ll.sll_family = AF_PACKET;
        ll.sll_protocol = htons(ETH_P_ARP);
        ll.sll_ifindex = static_cast<int>(::if_nametoindex("eth0"));
        ll.sll_halen = 6;
        std::memset(ll.sll_addr, 0xff, 6);
        uint8_t req[28] = {0, 1, 8, 0, 6, 4, 0, 1};  // Ethernet, IPv4, request (RFC 826)
        std::memcpy(req + 8, ifr.ifr_hwaddr.sa_data, 6);
        std::memcpy(req + 14, self.data(), 4);
        std::memcpy(req + 24, target.data(), 4);
        ::sendto(fd, req, sizeof(req), 0, reinterpret_cast<sockaddr*>(&ll), sizeof(ll));
        auto end = Clock::now() + window;
        for (;;) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
            if (left <= 0) break;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
            uint8_t buf[64];
            ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
            if (n < 28 || buf[7] != 2 || std::memcmp(buf + 14, target.data(), 4) != 0) continue;
            char mac[18];
            std::snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", buf[8], buf[9],
                          buf[10], buf[11], buf[12], buf[13]);
            macs.insert(mac);
        }
        ::close(fd);
    });
    return macs;
}

class ArbiterFullStack : public PairFixture {
  protected:
    ArbiterFullStack() : PairFixture("arbfull") {}

    void TearDown() override {
        if (HasFailure() && lab_)
            for (const char* n : {"n1", "n2"})
                std::cerr << "---- " << n << " arbiter ----\n"
                          << slurp(dir() + "/" + n + "-arbiter.log");
        PairFixture::TearDown();
    }
    std::string dir() const { return lab_->logDir(); }

    void keygen(const std::string& name) {
        auto r = lab::runIn("", {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                                 dir() + "/" + name});
        ASSERT_TRUE(r.ok()) << r.err;
    }

    void startSshd(XvrrpdNode& n) {
        const std::string me = n.name();
        std::ofstream(dir() + "/" + me + "-sshd_config")
            << "Port " << port_ << "\nListenAddress " << lab_->v4(me).str() << "\n"
            << "HostKey " << dir() << "/" << me << "-host_key\n"
            << "AuthorizedKeysFile " << dir() << "/authorized_keys\n"
            << "PidFile " << dir() << "/" << me << "-sshd.pid\n"
            << "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
               "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n";
        auto& p =
            n.ns().spawn({"/usr/sbin/sshd", "-D", "-e", "-f", dir() + "/" + me + "-sshd_config"},
                         dir() + "/" + me + "-sshd.log");
        ASSERT_TRUE(waitUntil(
            [&] { return p.readLog().find("Server listening") != std::string::npos; }, seconds(10)))
            << p.readLog();
        // What the peer's arbiter runs over SSH: xvrrpctl against this lab node's socket.
        std::ofstream(dir() + "/" + me + "-xvrrpctl")
            << "#!/bin/sh\nexec " << xvrrpctlBin() << " --control " << dir() << "/" << me
            << ".sock \"$@\"\n";
        ::chmod((dir() + "/" + me + "-xvrrpctl").c_str(), 0755);
    }

    void startArbiter(XvrrpdNode& self, const std::string& peer) {
        const std::string me = self.name();
        std::ofstream(dir() + "/" + me + "-arbiter.conf")
            << "arbiter {\n  node_name " << me << "\n  xvrrpd_socket " << dir() << "/" << me
            << ".sock\n"
            << "  pin_root " << self.pinRoot() << "\n  control_socket " << dir() << "/" << me
            << "-arbiter.sock\n"
            << "  audit_log " << dir() << "/" << me << "-audit.log\n"
            << "  remote_xvrrpctl " << dir() << "/" << peer << "-xvrrpctl\n"
            << "  probe_interval 0.5\n  ping_timeout 0.3\n  control_timeout 0.3\n"
            << "  ssh_connect_timeout 1\n  ssh_timeout 2\n  fence_after 2\n  unfence_after 3\n}\n"
            << "peer " << peer << " {\n  address " << lab_->v4(peer).str() << "\n"
            << "  ssh {\n    user root\n    port " << port_ << "\n    identity_file " << dir()
            << "/client_key\n"
            << "    known_hosts " << dir() << "/known_hosts\n  }\n}\n"
            << "gateways {\n  quorum 1\n  " << lab_->v4("client").str() << "\n}\n";
        self.ns().spawn({XVRRP_ARBITER_BIN, "-D", "-f", dir() + "/" + me + "-arbiter.conf"},
                        dir() + "/" + me + "-arbiter.log");
    }

    std::string rule(const std::string& n) {
        return arbiterRuleAt(dir() + "/" + n + "-arbiter.sock");
    }

    int port_ = 0;
};

TEST_F(ArbiterFullStack, CutVrrpLinkOneNodeAnswersTheClient) {
    if (::access("/usr/sbin/sshd", X_OK) != 0) FAIL() << "openssh-server is required";
    fs::create_directories("/run/sshd");  // Debian's sshd privilege separation directory
    std::mt19937 rng(static_cast<unsigned>(::getpid()) * 7u);
    port_ = 20000 + static_cast<int>(rng() % 20000);
    for (const char* k : {"n1-host_key", "n2-host_key", "client_key"}) keygen(k);
    fs::copy_file(dir() + "/client_key.pub", dir() + "/authorized_keys");
    std::ofstream(dir() + "/known_hosts")
        << "[" << lab_->v4("n1").str() << "]:" << port_ << " " << slurp(dir() + "/n1-host_key.pub")
        << "[" << lab_->v4("n2").str() << "]:" << port_ << " " << slurp(dir() + "/n2-host_key.pub");

    auto v = makeVariant("v3_v4", 3, Family::V4, false);
    electN1(v, 150, 100);
    startSshd(*n1_);
    startSshd(*n2_);
    startArbiter(*n1_, "n2");
    startArbiter(*n2_, "n1");
    ASSERT_TRUE(waitUntil([&] { return rule("n1") == "R5" && rule("n2") == "R5"; }, seconds(15)));
    const IpAddr client = lab_->v4("client");
    auto before = arpOwners(lab_->node("client"), client, vip(v), Ms(300));
    ASSERT_EQ(before.size(), 1u);

    cutVrrp(*n1_);
    cutVrrp(*n2_);
    auto t0 = Clock::now();
    // Both become MASTER; n2's arbiter learns over SSH that n1 holds the VIP and would win.
    EXPECT_TRUE(waitUntil(
        [&] { return slurp(dir() + "/n2-audit.log").find("fence_self") != std::string::npos; },
        seconds(15)));
    double fenced = secondsSince(t0);
    EXPECT_TRUE(waitUntil(
        [&] {
            auto owners = arpOwners(lab_->node("client"), client, vip(v), Ms(300));
            return owners == before;
        },
        seconds(10)));
    double single = secondsSince(t0);
    EXPECT_TRUE(
        holdsFor([&] { return arpOwners(lab_->node("client"), client, vip(v), Ms(200)) == before; },
                 seconds(2)));
    EXPECT_TRUE(clientReaches(vip(v), seconds(5)));
    EXPECT_EQ(n1_->state(), "MASTER");
    EXPECT_EQ(n2_->state(), "FAULT");
    std::string audit = slurp(dir() + "/n2-audit.log");
    EXPECT_NE(audit.find("\"rule\":\"R3\""), std::string::npos) << audit;
    EXPECT_EQ(slurp(dir() + "/n1-audit.log").find("fence_self"), std::string::npos);
    std::cerr << "cut -> n2 fenced " << fenced << " s, single ARP owner " << single << " s\n";
}

}  // namespace
}  // namespace xvrrp::itest
