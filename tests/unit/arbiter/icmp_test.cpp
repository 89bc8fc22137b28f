// unit.arbiter: the ICMP prober in a namespace of its own (lo and a veth pair): answered,
// silent and unroutable targets, foreign identifiers and stale rounds.
#include "probes/icmp.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
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

TEST(Icmp, ChecksumRfc1071) {
    // RFC 1071 section 3 example: 0001 f203 f4f5 f6f7 -> sum ddf2, checksum 220d.
    const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(internetChecksum(data, sizeof(data)), 0x220d);
    const uint8_t odd[] = {0xff};
    EXPECT_EQ(internetChecksum(odd, 1), 0x00ff);
}

}  // namespace
}  // namespace xvrrp::arbiter
