// Issue 3, acceptance 2: what a node answers for a VIP it does not fully own.
// A backup with the VIP added by hand answers neither ARP nor ping for it (XDP
// verdict drop_all); a vrrp_strict master answers ARP but not ICMP or TCP
// (drop_ip, RFC 5798 section 6.4.3) and sends nothing from the VIP (xv_tx).
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "ownership_fixture.hpp"

namespace xvrrp::itest {
namespace {

constexpr uint16_t kTcpPort = 8080;
constexpr uint16_t kDiscardPort = 9;

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

sockaddr_in sockAddr(const IpAddr& ip, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr = ip.toV4();
    a.sin_port = htons(port);
    return a;
}

// A TCP listener inside `ns`: the socket keeps its namespace after the thread
// that made it is gone, and the kernel completes handshakes without accept().
int listenIn(const lab::Netns& ns, uint16_t port) {
    int fd = -1;
    lab::inNetns(ns.path(), [&] {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a = sockAddr(*IpAddr::parse("0.0.0.0"), port);
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(fd, 16) != 0)
            throw std::system_error(errno, std::generic_category(),
                                    "listen(0.0.0.0:" + std::to_string(port) + ") in " + ns.name());
    });
    return fd;
}

enum class Connect { kConnected, kRefused, kTimeout, kOther };

const char* name(Connect c) {
    switch (c) {
        case Connect::kConnected:
            return "connected";
        case Connect::kRefused:
            return "refused";
        case Connect::kTimeout:
            return "timed out";
        default:
            return "failed";
    }
}

// A non-blocking connect from `ns`: a SYN-ACK (connected), a RST (refused) or nothing.
Connect tcpConnect(const lab::Netns& ns, const IpAddr& ip, uint16_t port, int timeoutMs) {
    Connect out = Connect::kOther;
    lab::inNetns(ns.path(), [&] {
        Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
        sockaddr_in a = sockAddr(ip, port);
        if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            out = Connect::kConnected;
            return;
        }
        if (errno != EINPROGRESS) return;
        pollfd p{s.fd, POLLOUT, 0};
        if (::poll(&p, 1, timeoutMs) <= 0) {
            out = Connect::kTimeout;
            return;
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        out = err == 0              ? Connect::kConnected
              : err == ECONNREFUSED ? Connect::kRefused
                                    : Connect::kOther;
    });
    return out;
}

// From inside `ns`: `count` UDP datagrams and ICMP echoes sourced from `src` to `dst`.
// Send errors are expected when xv_tx drops them, so they are not checked.
void sendFrom(const lab::Netns& ns, const IpAddr& src, const IpAddr& dst, int count) {
    lab::inNetns(ns.path(), [&] {
        Fd udp{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
        Fd icmp{::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP)};
        sockaddr_in from = sockAddr(src, 0);
        if (::bind(udp.fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
            ::bind(icmp.fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
            throw std::system_error(errno, std::generic_category(), "bind(" + src.str() + ")");
        sockaddr_in udpTo = sockAddr(dst, kDiscardPort), icmpTo = sockAddr(dst, 0);
        const char payload[] = "xvrrp ownership";
        uint8_t echo[8] = {ICMP_ECHO, 0, 0, 0, 0x78, 0x76, 0, 0};
        for (int i = 0; i < count; ++i) {
            ::sendto(udp.fd, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&udpTo),
                     sizeof udpTo);
            echo[7] = static_cast<uint8_t>(i);
            echo[2] = echo[3] = 0;
            uint32_t sum = 0;
            for (int k = 0; k < 8; k += 2) sum += static_cast<uint32_t>(echo[k] << 8 | echo[k + 1]);
            while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
            echo[2] = static_cast<uint8_t>(~sum >> 8);
            echo[3] = static_cast<uint8_t>(~sum);
            ::sendto(icmp.fd, echo, sizeof echo, 0, reinterpret_cast<sockaddr*>(&icmpTo),
                     sizeof icmpTo);
        }
    });
}

std::string macs(const std::set<wire::Mac>& s) {
    std::string out;
    for (const auto& m : s) out += wire::str(m) + " ";
    return out.empty() ? "(none)" : out;
}

class OwnershipVerdict : public OwnershipFixture {
  protected:
    OwnershipVerdict() : OwnershipFixture("ov") {}
};

TEST_F(OwnershipVerdict, BackupWithTheVipAddedByHandAnswersNeitherArpNorPing) {
    const Variant v = makeVariant("v3_ipv4_multicast", 3, Family::V4, false);
    const IpAddr ip = vip(v);
    ASSERT_NO_FATAL_FAILURE(electN1(v, 150, 100));
    ASSERT_TRUE(clientReaches(ip, seconds(5)));
    // A crash leftover, a split brain or an operator: the backup holds the address too.
    n2_->ns().runOk({"ip", "addr", "add", ip.str() + "/24", "dev", "eth0"});
    ASSERT_TRUE(n2_->holds(ip));
    const uint64_t dropsBefore = stat(*n2_, "vip_drop_all");

    const auto who = wire::arpRepliers(*client_, clientIp(), ip, Ms(900), 3);
    EXPECT_EQ(who.count(mac2_), 0u)
        << "the backup answered ARP for " << ip.str() << "; repliers " << macs(who);
    EXPECT_EQ(who.count(mac1_), 1u) << "the master did not answer ARP; repliers " << macs(who);
    // Control: the backup's kernel does answer ARP for its own address.
    const auto own = wire::arpRepliers(*client_, clientIp(), lab_->v4("n2"), Ms(600), 2);
    EXPECT_EQ(own.count(mac2_), 1u) << "repliers " << macs(own);

    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(wire::echoAnswered(*client_, mac2_, clientIp(), ip, Ms(300)))
            << "the backup answered an echo to " << ip.str();
    }
    EXPECT_TRUE(wire::echoAnswered(*client_, mac1_, clientIp(), ip, Ms(1000)));
    EXPECT_TRUE(wire::echoAnswered(*client_, mac2_, clientIp(), lab_->v4("n2"), Ms(1000)));
    EXPECT_EQ(wire::neighbourMac(lab_->node("client"), ip), mac1_);

    // 3 ARP requests (broadcast) and 3 echoes reached n2 for the VIP.
    const uint64_t drops = stat(*n2_, "vip_drop_all") - dropsBefore;
    std::printf("[ backup ] n2 vip_drop_all +%llu, n2 %s, still holds the VIP: %d\n",
                static_cast<unsigned long long>(drops), n2_->state().c_str(), n2_->holds(ip));
    EXPECT_GE(drops, 6u) << xvStats(*n2_).dump();
    EXPECT_EQ(n2_->state(), "BACKUP");
    EXPECT_EQ(n1_->state(), "MASTER");
}

TEST_F(OwnershipVerdict, StrictMasterAnswersArpButNotIcmpOrTcpAndSendsNothingFromTheVip) {
    const Variant v = makeVariant("v3_ipv4_strict", 3, Family::V4, false);
    const IpAddr ip = vip(v);
    const IpAddr n1Ip = lab_->v4("n1");
    n1_->start(strictConfig("n1", spec("n1", 150, v)));
    n2_->start(strictConfig("n2", spec("n2", 100, v)));
    ASSERT_TRUE(waitState(*n1_, "MASTER", electionLimit(v, 150))) << "n1 is " << n1_->state();
    ASSERT_TRUE(waitState(*n2_, "BACKUP", seconds(5))) << "n2 is " << n2_->state();
    ASSERT_TRUE(waitUntil([&] { return n1_->holds(ip); }, seconds(3)));
    auto inst = n1_->instance();
    ASSERT_TRUE(inst.has_value());
    EXPECT_EQ((*inst)["accept"], false) << inst->dump();

    const auto who = wire::arpRepliers(*client_, clientIp(), ip, Ms(900), 3);
    EXPECT_EQ(who, std::set<wire::Mac>{mac1_})
        << "ARP repliers for " << ip.str() << ": " << macs(who);

    const uint64_t dropIpBefore = stat(*n1_, "vip_drop_ip");
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(wire::echoAnswered(*client_, mac1_, clientIp(), ip, Ms(300)))
            << "the strict master answered an echo to " << ip.str();
    }
    EXPECT_TRUE(wire::echoAnswered(*client_, mac1_, clientIp(), n1Ip, Ms(1000)))
        << "control: n1 does not answer an echo to its own address";

    Fd listener{listenIn(n1_->ns(), kTcpPort)};
    const Connect control = tcpConnect(lab_->node("client"), n1Ip, kTcpPort, 2000);
    EXPECT_EQ(control, Connect::kConnected)
        << "control: connect to " << n1Ip.str() << " " << name(control);
    const Connect toVip = tcpConnect(lab_->node("client"), ip, kTcpPort, 1500);
    EXPECT_EQ(toVip, Connect::kTimeout) << "connect to " << ip.str() << ":" << kTcpPort << " "
                                        << name(toVip) << " (a SYN-ACK or RST came back)";
    const uint64_t dropIp = stat(*n1_, "vip_drop_ip") - dropIpBefore;
    EXPECT_GE(dropIp, 4u) << xvStats(*n1_).dump();  // 3 echoes and at least one SYN

    // Egress: everything n1 sends crosses its bridge port in the hub.
    wire::RawPort capture(lab_->hub(), lab_->bridgePort("n1"));
    ASSERT_TRUE(
        lab::ping(n1_->ns(), clientIp(), Ms(1000)).has_value());  // resolve the client first
    const uint64_t txDropBefore = stat(*n1_, "tx_vip_drop");
    capture.drain();
    sendFrom(n1_->ns(), ip, clientIp(), 10);
    sendFrom(n1_->ns(), n1Ip, clientIp(), 2);  // control: the same traffic from n1's own address
    int fromVip = 0, fromN1 = 0;
    capture.receive(
        [&](const wire::Frame& f) {
            auto p = wire::parseIpv4(f);
            if (p && p->src == ip && p->proto != 112) ++fromVip;
            if (p && p->src == n1Ip && (p->proto == 17 || p->proto == 1)) ++fromN1;
            return false;
        },
        Ms(700));
    const uint64_t txDrop = stat(*n1_, "tx_vip_drop") - txDropBefore;
    std::printf(
        "[ strict ] ARP repliers %s; vip_drop_ip +%llu; from the VIP on the wire %d, "
        "from n1's address %d; tx_vip_drop +%llu\n",
        macs(who).c_str(), static_cast<unsigned long long>(dropIp), fromVip, fromN1,
        static_cast<unsigned long long>(txDrop));
    EXPECT_EQ(fromVip, 0) << "n1 sent IP packets from its VIP " << ip.str();
    EXPECT_GE(fromN1, 4) << "control: n1's own traffic did not show on the hub port";
    EXPECT_GE(txDrop, 20u) << xvStats(*n1_).dump();
    EXPECT_EQ(n1_->state(), "MASTER");
}

}  // namespace
}  // namespace xvrrp::itest
