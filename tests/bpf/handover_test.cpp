// What a hitless restart asks of the dataplane, against the kernel: the next process reuses
// the pinned maps with their entries, keeps the running programs when they are its own, and
// otherwise swaps its own in - never leaving the interface without an XDP program. The old
// process is a forked child that exits without its destructors, as an exec would.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "dataplane/dataplane.hpp"

namespace xvrrp::test {
namespace {

using dataplane::Dataplane;
using dataplane::DataplaneOptions;
using dataplane::InstanceFilter;
using dataplane::InstanceId;

const std::string kNs = "xvt-bpfho-" + std::to_string(::getpid());
const std::string kNsPath = "/run/netns/" + kNs;

void enterNs() {
    int fd = ::open(kNsPath.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(::setns(fd, CLONE_NEWNET), 0) << std::strerror(errno);
    ::close(fd);
}

uint32_t xdpProgId(int ifindex) {
    uint32_t id = 0;
    bpf_xdp_query_id(ifindex, 0, &id);
    return id;
}

class Handover : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root";
        ASSERT_EQ(std::system(("ip netns add " + kNs).c_str()), 0);
        made_ = true;
        ASSERT_EQ(run("ip link add xva type veth peer name xvb"), 0);
        ASSERT_EQ(run("ip link set xva up"), 0);
        ASSERT_EQ(run("ip link set xvb up"), 0);
        char tmpl[] = "/tmp/xvt-pinho-XXXXXX";
        ASSERT_TRUE(::mkdtemp(tmpl));
        root_ = tmpl;
        dataplane::ensureBpffs(root_);
    }
    void TearDown() override {
        if (made_) std::system(("ip netns del " + kNs + " >/dev/null 2>&1").c_str());
        while (!root_.empty() && dataplane::isBpffs(root_) &&
               ::umount2(root_.c_str(), MNT_DETACH) == 0) {
        }
        if (!root_.empty()) ::rmdir(root_.c_str());
    }
    static int run(const std::string& cmd) {
        return std::system(("nsenter --net=" + kNsPath + " " + cmd).c_str());
    }

    // The previous process: attaches to xva, writes a VIP verdict and two instances, and
    // is gone without detaching or unpinning anything. Returns its xv_rx's id.
    uint32_t predecessor(bool following = false) {
        int out[2];
        EXPECT_EQ(::pipe(out), 0);
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::close(out[0]);
            uint32_t id = 0;
            try {
                int fd = ::open(kNsPath.c_str(), O_RDONLY);
                if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(2);
                const int xva = static_cast<int>(if_nametoindex("xva"));
                auto dp = Dataplane::open(DataplaneOptions{.pin_root = root_}).release();
                dp->attach(xva, "xva", false);
                dp->setVipVerdict(xva, vip_, dataplane::Verdict::kPass, kept(xva), 0);
                dp->configureInstance(kept(xva), {});
                dp->configureInstance(gone(xva), {});
                if (following) {  // a backup of both: XDP stamps their xv_seen slots
                    dp->expectMaster(kept(xva), expectation());
                    dp->expectMaster(gone(xva), expectation());
                }
                dp->heartbeat(1);
                id = xdpProgId(xva);
            } catch (...) {
            }
            (void)!::write(out[1], &id, sizeof(id));
            ::_exit(0);  // no destructor runs, as across an exec
        }
        ::close(out[1]);
        uint32_t id = 0;
        EXPECT_EQ(::read(out[0], &id, sizeof(id)), static_cast<ssize_t>(sizeof(id)));
        ::close(out[0]);
        int st = 0;
        ::waitpid(pid, &st, 0);
        return id;
    }
    // The next process of the same build: reuses the pinned maps, keeps the programs.
    std::unique_ptr<Dataplane> successor() const {
        return Dataplane::open(DataplaneOptions{.pin_root = root_,
                                                .reuse_pinned = true,
                                                .keep_programs = true,
                                                .load_test_program = false});
    }
    static Dataplane::Expectation expectation() {
        static const uint8_t advert[12] = {0x21, 51, 150, 1, 0, 1, 0, 0, 10, 0, 0, 1};
        return {*IpAddr::parse("10.0.0.2"), *IpAddr::parse("224.0.0.18"), 255, 150, 100,
                advert};
    }
    // Runs F(successor, xva's ifindex) on a thread in the lab namespace, with the successor
    // reusing the predecessor's maps.
    template <typename F>
    void inSuccessor(F f) {
        std::thread t([&] {
            enterNs();
            const int xva = static_cast<int>(if_nametoindex("xva"));
            auto dp = successor();
            ASSERT_TRUE(dp->reusedMaps());
            f(*dp, xva);
        });
        t.join();
    }
    static InstanceId kept(int ifindex) { return {ifindex, Family::V4, 51}; }
    static InstanceId gone(int ifindex) { return {ifindex, Family::V4, 52}; }

    // Runs while F runs: did xva ever have no XDP program?
    template <typename F>
    bool everWithout(int xva, F f) {
        std::atomic<bool> stop{false}, without{false};
        std::atomic<uint64_t> polls{0};
        std::thread watcher([&] {
            enterNs();
            while (!stop) {
                if (xdpProgId(xva) == 0) without = true;
                ++polls;
            }
        });
        f();
        stop = true;
        watcher.join();
        EXPECT_GT(polls.load(), 10u);
        return without;
    }

    std::string root_;
    bool made_ = false;
    const IpAddr vip_ = *IpAddr::parse("10.0.0.1");
};

TEST_F(Handover, TheSameBuildKeepsThePredecessorsProgramsMapsAndEntries) {
    const uint32_t before = predecessor();
    ASSERT_NE(before, 0u);
    std::thread t([&] {
        enterNs();
        const int xva = static_cast<int>(if_nametoindex("xva"));
        {
            auto dp = successor();
            EXPECT_TRUE(dp->reusedMaps());
            auto v = dp->vip(xva, vip_);
            ASSERT_TRUE(v) << "the predecessor's verdict is gone";
            EXPECT_EQ(v->verdict, XV_VERDICT_PASS);
            dp->attach(xva, "xva", false);
            EXPECT_EQ(xdpProgId(xva), before) << "the running program was replaced";
            EXPECT_FALSE(dp->pendingSwaps());
            ASSERT_NE(dp->attachment(xva), nullptr);
            EXPECT_TRUE(dp->attachment(xva)->egress);
            EXPECT_EQ(dp->egressProgFd(), -1) << "loaded a TC program it did not need";
            // This configuration has VI 51 only: 52 and the unclaimed verdict go.
            dp->configureInstance(kept(xva), {});
            dp->pruneUnknown();
            EXPECT_FALSE(dp->vip(xva, vip_));
        }
        EXPECT_EQ(xdpProgId(xva), 0u) << "the kept program outlived the process that kept it";
        EXPECT_NE(run("tc filter show dev xva egress | grep -q xv_tx"), 0);
    });
    t.join();
}

// The kept program goes on stamping the xv_seen slots the predecessor's expectations name:
// each instance must read its own, whatever order the new configuration has.
TEST_F(Handover, EachInstanceKeepsItsStampSlotWhateverTheOrder) {
    ASSERT_NE(predecessor(true), 0u);
    inSuccessor([&](Dataplane& dp, int xva) {
        const auto k = dp.expectation(kept(xva)), g = dp.expectation(gone(xva));
        ASSERT_TRUE(k && g);
        ASSERT_NE(k->seen_slot, g->seen_slot);
        // Another order, and a new instance first of all.
        const InstanceId added{xva, Family::V4, 60};
        dp.configureInstance(added, {});
        dp.configureInstance(gone(xva), {});
        dp.configureInstance(kept(xva), {});
        for (const auto& id : {added, gone(xva), kept(xva)}) dp.expectMaster(id, expectation());
        EXPECT_EQ(dp.expectation(gone(xva))->seen_slot, g->seen_slot);
        EXPECT_EQ(dp.expectation(kept(xva))->seen_slot, k->seen_slot);
        const uint32_t a = dp.expectation(added)->seen_slot;
        EXPECT_NE(a, XV_SEEN_NONE);
        EXPECT_NE(a, g->seen_slot);
        EXPECT_NE(a, k->seen_slot);
        // A removed instance's slot serves the next one.
        dp.removeInstance(gone(xva));
        const InstanceId next{xva, Family::V4, 61};
        dp.configureInstance(next, {});
        dp.expectMaster(next, expectation());
        EXPECT_EQ(dp.expectation(next)->seen_slot, g->seen_slot);
    });
}

// A configuration change at the handover (here unicast peers) drops the predecessor's
// expectation before the instance takes its slot again: the slot's copy, which the quiet
// path compares, must go with it, or XDP would go on absorbing adverts the daemon no longer
// expects.
TEST_F(Handover, AnExpectationDroppedAtTheHandoverLeavesNoCopy) {
    ASSERT_NE(predecessor(true), 0u);
    inSuccessor([&](Dataplane& dp, int xva) {
        const auto k = dp.expectation(kept(xva));
        ASSERT_TRUE(k);
        const int fd = bpf_obj_get((root_ + "/xv_seen").c_str());
        ASSERT_GE(fd, 0);
        uint32_t slot = k->seen_slot;
        xv_seen q{};
        ASSERT_EQ(bpf_map_lookup_elem(fd, &slot, &q), 0);
        EXPECT_NE(q.len, 0u) << "the predecessor published no copy";
        InstanceFilter f;
        f.unicast = true;
        f.peers = {{*IpAddr::parse("10.0.0.2"), 255, 255}};
        dp.configureInstance(kept(xva), f);
        EXPECT_FALSE(dp.expectation(kept(xva)));
        ASSERT_EQ(bpf_map_lookup_elem(fd, &slot, &q), 0);
        EXPECT_EQ(q.len, 0u) << "the quiet path still compares the dropped expectation";
        ::close(fd);
    });
}

TEST_F(Handover, TheSlotOfAnInstanceThatIsGoneServesANewOne) {
    ASSERT_NE(predecessor(true), 0u);
    inSuccessor([&](Dataplane& dp, int xva) {
        const auto g = dp.expectation(gone(xva));
        ASSERT_TRUE(g);
        dp.configureInstance(kept(xva), {});
        dp.pruneUnknown();  // VI 52 is not in this configuration
        const InstanceId added{xva, Family::V4, 60};
        dp.configureInstance(added, {});
        dp.expectMaster(added, expectation());
        EXPECT_EQ(dp.expectation(added)->seen_slot, g->seen_slot);
    });
}

TEST_F(Handover, AnotherBuildSwapsItsProgramsInWithoutAGap) {
    const uint32_t before = predecessor();
    ASSERT_NE(before, 0u);
    std::thread t([&] {
        enterNs();
        const int xva = static_cast<int>(if_nametoindex("xva"));
        auto dp = Dataplane::open(
            DataplaneOptions{.pin_root = root_, .reuse_pinned = true, .load_test_program = false});
        dp->attach(xva, "xva", false);
        EXPECT_EQ(xdpProgId(xva), before) << "swapped before the first adverts could go";
        ASSERT_TRUE(dp->pendingSwaps());
        EXPECT_FALSE(everWithout(xva, [&] { dp->swapPending(); }));
        const uint32_t after = xdpProgId(xva);
        EXPECT_NE(after, 0u);
        EXPECT_NE(after, before);
        EXPECT_FALSE(dp->pendingSwaps());
        EXPECT_GE(dp->egressProgFd(), 0);
        EXPECT_EQ(run("tc filter show dev xva egress | grep -q xv_tx"), 0);
    });
    t.join();
}

TEST_F(Handover, NewMapsReplaceTheProgramAtOnceWithoutAGap) {
    // Another ABI (or a crash: no record at all): the predecessor's program runs on maps
    // this process does not use, so it is replaced at attach, still in one request.
    const uint32_t before = predecessor();
    ASSERT_NE(before, 0u);
    std::thread t([&] {
        enterNs();
        const int xva = static_cast<int>(if_nametoindex("xva"));
        auto dp = Dataplane::open(DataplaneOptions{.pin_root = root_});
        EXPECT_FALSE(dp->reusedMaps());
        EXPECT_FALSE(dp->vip(xva, vip_));
        EXPECT_FALSE(everWithout(xva, [&] { dp->attach(xva, "xva", false); }));
        EXPECT_NE(xdpProgId(xva), before);
        EXPECT_NE(xdpProgId(xva), 0u);
        EXPECT_FALSE(dp->pendingSwaps());
    });
    t.join();
}

}  // namespace
}  // namespace xvrrp::test
