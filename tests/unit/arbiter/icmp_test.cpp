// unit.arbiter: the ICMP prober in a namespace of its own (lo and a veth pair): answered,
// silent and unroutable targets, foreign identifiers and stale rounds.
#include "probes/icmp.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>

#include "lab/netns.hpp"

namespace xvrrp::arbiter {
namespace {

using Clock = std::chrono::steady_clock;

IpAddr addr(const char* s) { return *IpAddr::parse(s); }

// Reads replies until cond holds or the deadline passes; returns cond().
bool pump(std::vector<IcmpProber*> probers, const std::function<bool()>& cond,
          std::chrono::milliseconds max) {
    auto deadline = Clock::now() + max;
    while (!cond()) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return cond();
        std::vector<pollfd> fds;
        for (auto* p : probers) {
            fds.push_back({p->fd4(), POLLIN, 0});
            fds.push_back({p->fd6(), POLLIN, 0});
        }
        ::poll(fds.data(), fds.size(), static_cast<int>(left));
        for (auto* p : probers) {
            p->onReadable(p->fd4());
            p->onReadable(p->fd6());
        }
    }
    return true;
}

class IcmpNetns : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "raw ICMP sockets and namespaces need root";
        ns_ = std::make_unique<lab::Netns>("arbicmp");
        ns_->runOk({"ip", "link", "set", "lo", "up"});
        // A veth pair with no one behind 10.77.0.2: ARP goes unanswered, so echoes vanish.
        ns_->runOk({"ip", "link", "add", "xva", "type", "veth", "peer", "name", "xvb"});
        ns_->runOk({"ip", "addr", "add", "10.77.0.1/24", "dev", "xva"});
        ns_->runOk({"ip", "link", "set", "xva", "up"});
        ns_->runOk({"ip", "link", "set", "xvb", "up"});
    }
    std::unique_ptr<lab::Netns> ns_;
};

TEST_F(IcmpNetns, AnsweredSilentAndUnroutable) {
    lab::inNetns(ns_->path(), [] {
        IcmpProber p;
        p.start({addr("127.0.0.1"), addr("::1"), addr("10.77.0.1"), addr("10.77.0.2"),
                 addr("10.88.0.1")});
        EXPECT_TRUE(pump(
            {&p}, [&] { return p.answered(0) && p.answered(1) && p.answered(2); },
            std::chrono::milliseconds(3000)));
        // Nobody answers ARP for 10.77.0.2; 10.88.0.1 has no route at all.
        EXPECT_FALSE(pump(
            {&p}, [&] { return p.answered(3) || p.answered(4); }, std::chrono::milliseconds(300)));
        EXPECT_FALSE(p.allAnswered());
        ASSERT_EQ(p.sendErrors().size(), 1u);
        EXPECT_NE(p.sendErrors()[0].find("10.88.0.1"), std::string::npos) << p.sendErrors()[0];
    });
}

TEST_F(IcmpNetns, ForeignIdentifierDoesNotCount) {
    lab::inNetns(ns_->path(), [] {
        IcmpProber a, b;
        ASSERT_NE(a.ident(), b.ident());
        a.start({addr("127.0.0.1")});
        b.start({addr("10.77.0.2")});  // silent target; b sees a's reply on its raw socket
        EXPECT_TRUE(pump(
            {&a, &b}, [&] { return a.answered(0); }, std::chrono::milliseconds(3000)));
        EXPECT_FALSE(b.answered(0));
    });
}

TEST_F(IcmpNetns, StaleRoundDoesNotCount) {
    lab::inNetns(ns_->path(), [] {
        IcmpProber p;
        p.start({addr("127.0.0.1")});
        // A new round before reading: the old echo's reply carries an old sequence number.
        p.start({addr("127.0.0.1"), addr("10.77.0.2")});
        EXPECT_TRUE(pump(
            {&p}, [&] { return p.answered(0); }, std::chrono::milliseconds(3000)));
        EXPECT_FALSE(p.answered(1));
        p.start({addr("10.77.0.2")});
        EXPECT_FALSE(pump(
            {&p}, [&] { return p.answered(0); }, std::chrono::milliseconds(200)));
    });
}

// An echo reply "from" 10.77.0.2 (silent) to 10.77.0.1, written with IP_HDRINCL so the source
// can be anything: what someone who guessed identifier and sequence could send.
void forgeReply(uint16_t ident, uint16_t seq, const uint8_t* payload, size_t plen) {
    int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    uint8_t pkt[20 + 8 + IcmpProber::kPayload] = {0x45, 0, 0, sizeof(pkt), 0, 0, 0x40, 0,
                                                  64,   IPPROTO_ICMP};
    const uint8_t src[4] = {10, 77, 0, 2}, dst[4] = {10, 77, 0, 1};
    std::memcpy(pkt + 12, src, 4);
    std::memcpy(pkt + 16, dst, 4);
    uint8_t* icmp = pkt + 20;
    icmp[0] = 0;  // echo reply
    icmp[4] = static_cast<uint8_t>(ident >> 8);
    icmp[5] = static_cast<uint8_t>(ident);
    icmp[6] = static_cast<uint8_t>(seq >> 8);
    icmp[7] = static_cast<uint8_t>(seq);
    std::memcpy(icmp + 8, payload, plen);
    uint16_t sum = internetChecksum(icmp, 8 + plen);
    icmp[2] = static_cast<uint8_t>(sum >> 8);
    icmp[3] = static_cast<uint8_t>(sum);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    std::memcpy(&sa.sin_addr, dst, 4);
    EXPECT_EQ(::sendto(fd, pkt, sizeof(pkt), 0, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)),
              static_cast<ssize_t>(sizeof(pkt)))
        << std::strerror(errno);
    ::close(fd);
}

// Issue 9 item 8: replies were trusted on identifier, sequence and source alone; a reply
// that does not echo this round's payload (its nonce) is not ours.
TEST_F(IcmpNetns, ForgedReplyWithoutTheNonceDoesNotCount) {
    lab::inNetns(ns_->path(), [] {
        IcmpProber p;
        p.start({addr("10.77.0.2")});  // silent: only a forged reply can answer
        auto wrong = p.payload();
        wrong[15] ^= 0xff;
        forgeReply(p.ident(), p.sequenceOf(0), wrong.data(), wrong.size());
        EXPECT_FALSE(pump({&p}, [&] { return p.answered(0); }, std::chrono::milliseconds(300)));
        // The same forgery with the nonce does count: the forger reaches the prober at all.
        forgeReply(p.ident(), p.sequenceOf(0), p.payload().data(), p.payload().size());
        EXPECT_TRUE(pump({&p}, [&] { return p.answered(0); }, std::chrono::milliseconds(1000)));
    });
}

TEST(Icmp, ChecksumRfc1071) {
    // RFC 1071 section 3 example: 0001 f203 f4f5 f6f7 -> sum ddf2, checksum 220d.
    const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(internetChecksum(data, sizeof(data)), 0x220d);
    const uint8_t odd[] = {0xff};
    EXPECT_EQ(internetChecksum(odd, 1), 0x00ff);
}

}  // namespace
}  // namespace xvrrp::arbiter
