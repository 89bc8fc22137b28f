// Dataplane against the kernel: bpffs pin root, stale pins, libxdp attach on veth in a
// private network namespace, foreign programs, and one advert end to end.
#include "dataplane/dataplane.hpp"
#include "dataplane/inspect.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "support/packet_builder.hpp"

namespace xvrrp::test {
namespace {

using dataplane::Dataplane;
using dataplane::DataplaneError;
using dataplane::DataplaneOptions;
namespace fs = std::filesystem;

// A fresh directory under /tmp; whatever got mounted on it is unmounted on the way out.
class TmpPinRoot {
  public:
    TmpPinRoot() {
        char tmpl[] = "/tmp/xvt-pin-XXXXXX";
        if (::mkdtemp(tmpl)) path_ = tmpl;
    }
    ~TmpPinRoot() {
        while (dataplane::isBpffs(path_) && ::umount2(path_.c_str(), MNT_DETACH) == 0) {
        }
        ::rmdir(path_.c_str());
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// Network namespace with a unique name, removed even when an assertion fails.
class TestNetns {
  public:
    TestNetns() : name_("xvt-bpf-" + std::to_string(::getpid())) {
        ok_ = std::system(("ip netns add " + name_).c_str()) == 0;
    }
    ~TestNetns() {
        if (ok_) std::system(("ip netns del " + name_ + " >/dev/null 2>&1").c_str());
    }
    bool ok() const { return ok_; }
    std::string path() const { return "/run/netns/" + name_; }
    int run(const std::string& cmd) const {
        return std::system(("nsenter --net=" + path() + " " + cmd).c_str());
    }

  private:
    std::string name_;
    bool ok_ = false;
};

// Runs F on a thread that has entered the namespace at PATH (setns only moves this thread).
template <typename F>
void inNetns(const std::string& path, F f) {
    std::thread t([&] {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        ASSERT_GE(fd, 0) << "open(" << path << "): " << std::strerror(errno);
        ASSERT_EQ(::setns(fd, CLONE_NEWNET), 0)
            << "setns(" << path << "): " << std::strerror(errno);
        ::close(fd);
        f();
    });
    t.join();
}

uint32_t xdpProgId(int ifindex) {
    uint32_t id = 0;
    bpf_xdp_query_id(ifindex, 0, &id);
    return id;
}

std::string progName(uint32_t id) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) return "";
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    std::string name = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.name : "";
    ::close(fd);
    return name;
}

// r0 = XDP_PASS; exit. Stands in for somebody else's XDP program.
int loadForeignProg() {
    const bpf_insn insns[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    return bpf_prog_load(BPF_PROG_TYPE_XDP, "xvt_foreign", "GPL", insns, 2, nullptr);
}

class DataplaneKernel : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root"; }
};

TEST_F(DataplaneKernel, FreshPinRootGetsBpffsAndPinnedMaps) {
    TmpPinRoot root;
    ASSERT_FALSE(root.path().empty());
    ASSERT_FALSE(dataplane::isBpffs(root.path()));
    std::vector<std::string> paths;
    {
        auto dp = Dataplane::open(DataplaneOptions{.pin_root = root.path()});
        EXPECT_TRUE(dataplane::isBpffs(root.path()));
        paths = dp->pinnedPaths();
        ASSERT_EQ(paths.size(), 20u);
        for (const char* name :
             {"xv_ring", "xv_stats", "xv_ifcfg", "xv_global", "xv_vips", "xv_vipbits", "xv_fence",
              "xv_heartbeat", "xv_inst", "xv_peers", "xv_ratelim", "xv_scratch", "xv_expect",
              "xv_vrid_rx", "xv_seen", "xv_slots", "xv_vlans", "xv_bfd_expect", "xv_bfd_seen",
              "xv_bfd_stats"}) {
            const std::string p = root.path() + "/" + name;
            int fd = bpf_obj_get(p.c_str());
            ASSERT_GE(fd, 0) << "bpf_obj_get(" << p << "): " << std::strerror(errno);
            bpf_map_info info{};
            uint32_t len = sizeof(info);
            ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
            EXPECT_STREQ(info.name, name);
            if (std::string(name) != "xv_ring") {
                // BTF lets `bpftool map dump pinned` print field names.
                EXPECT_NE(info.btf_value_type_id, 0u) << name;
            }
            ::close(fd);
        }
    }
    // The fence map outlives the daemon; everything else is unpinned.
    for (const auto& p : paths) {
        EXPECT_EQ(fs::exists(p), p == root.path() + "/xv_fence") << p;
    }
}

// `xvrrpctl bpf` shows an absorbing instance's xv_seen slot (its key, the copy of the
// expected advert) and the xv_slots entry that points to it; free slots are left out.
TEST_F(DataplaneKernel, InspectShowsTheSeenSlotAndTheIndexEntryNamingIt) {
    TmpPinRoot root;
    auto dp = Dataplane::open(DataplaneOptions{.pin_root = root.path()});
    const int lo = static_cast<int>(if_nametoindex("lo"));
    const dataplane::InstanceId id{lo, Family::V4, 42};
    dp->configureInstance(id, dataplane::InstanceFilter{});
    const std::vector<uint8_t> msg{0x31, 42, 150, 1, 0, 100, 0, 0, 10, 0, 0, 1};
    dp->expectMaster(id, {IpAddr::parse("192.0.2.7").value(), IpAddr::parse("224.0.0.18").value(),
                          255, 150, 100, msg});
    const auto dump = dataplane::inspectMaps(root.path());
    const auto& seen = dump["maps"]["xv_seen"];
    ASSERT_EQ(seen.size(), 1u) << dump["maps"].dump();
    const auto& e = seen[0];
    EXPECT_EQ(e["instance"], (nlohmann::json{{"ifindex", lo}, {"family", 4}, {"vrid", 42}}));
    EXPECT_EQ(e["master"], "192.0.2.7");
    EXPECT_EQ(e["priority"], 150);
    EXPECT_EQ(e["len"], msg.size());
    EXPECT_EQ(e["seq"].get<uint32_t>() % 2, 0u) << "a copy left half written";
    EXPECT_EQ(e["quiet"], 0);
    const auto& index = dump["maps"]["xv_slots"];
    ASSERT_EQ(index.size(), 1u) << index.dump();
    EXPECT_EQ(index[0]["index"], xv_slot_index(lo, XV_FAMILY_V4, 42));
    EXPECT_EQ(index[0]["ifindex_row"], lo % XV_SLOT_ROWS);
    EXPECT_EQ(index[0]["family"], 4);
    EXPECT_EQ(index[0]["vrid"], 42);
    EXPECT_EQ(index[0]["seen_slot"], e["slot"]);

    dp->removeInstance(id);
    const auto after = dataplane::inspectMaps(root.path());
    EXPECT_TRUE(after["maps"]["xv_seen"].empty()) << after["maps"]["xv_seen"].dump();
    EXPECT_TRUE(after["maps"]["xv_slots"].empty()) << after["maps"]["xv_slots"].dump();
}

TEST_F(DataplaneKernel, StalePinIsReplaced) {
    TmpPinRoot root;
    dataplane::ensureBpffs(root.path());
    const std::string stale = root.path() + "/xv_stats";
    int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xvt_stale", 4, 8, 1, nullptr);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(bpf_obj_pin(fd, stale.c_str()), 0) << std::strerror(errno);
    ::close(fd);

    auto dp = Dataplane::open(DataplaneOptions{.pin_root = root.path()});
    fd = bpf_obj_get(stale.c_str());
    ASSERT_GE(fd, 0);
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    EXPECT_STREQ(info.name, "xv_stats");
    EXPECT_EQ(info.value_size, sizeof(xv_stats));
    ::close(fd);
}

TEST_F(DataplaneKernel, AttachOnVethInNetns) {
    TestNetns ns;
    ASSERT_TRUE(ns.ok()) << "ip netns add failed";
    ASSERT_EQ(ns.run("ip link add xva type veth peer name xvb"), 0);
    ASSERT_EQ(ns.run("ip link set xva up"), 0);
    ASSERT_EQ(ns.run("ip link set xvb up"), 0);
    ASSERT_EQ(ns.run("ip link add xvd type bridge"), 0);
    ASSERT_EQ(ns.run("ip link set xvd up"), 0);
    TmpPinRoot root_a, root_b;

    inNetns(ns.path(), [&] {
        const int xva = static_cast<int>(if_nametoindex("xva"));
        const int xvb = static_cast<int>(if_nametoindex("xvb"));
        ASSERT_GT(xva, 0);
        ASSERT_GT(xvb, 0);
        {
            auto dp = Dataplane::open(DataplaneOptions{.pin_root = root_a.path()});
            dp->attach(xva, "xva", false);
            EXPECT_EQ(dp->attachModeOf(xva), "native");
            ASSERT_NE(dp->attachment(xva), nullptr);
            std::printf("xva: %s\n", dp->attachment(xva)->dispatcher
                                         ? "libxdp dispatcher"
                                         : "single program (no dispatcher)");
            uint32_t id = 0;
            ASSERT_EQ(bpf_xdp_query_id(xva, XDP_FLAGS_DRV_MODE, &id), 0);
            EXPECT_NE(id, 0u) << "no native XDP program on xva";
            if (!dp->attachment(xva)->dispatcher) {
                EXPECT_EQ(progName(id), "xv_rx");
            }

            // xv_tx sits on the clsact egress hook of the same interface.
            EXPECT_TRUE(dp->attachment(xva)->egress);
            EXPECT_EQ(ns.run("tc filter show dev xva egress | grep -q xv_tx"), 0)
                << "no xv_tx filter on xva egress";

            // One advert from the peer reaches the ring through the attached program.
            FrameSpec spec;
            spec.payload = vrrpV2(42, 150, {{{10, 9, 9, 9}}});
            const Bytes frame = buildFrame(spec);
            int s = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
            ASSERT_GE(s, 0) << std::strerror(errno);
            sockaddr_ll to{};
            to.sll_family = AF_PACKET;
            to.sll_ifindex = xvb;
            to.sll_halen = 6;
            std::memcpy(to.sll_addr, frame.data(), 6);
            ASSERT_EQ(::sendto(s, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to),
                               sizeof(to)),
                      static_cast<ssize_t>(frame.size()))
                << std::strerror(errno);
            ::close(s);
            std::vector<xv_advert> got;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
            while (got.empty() && std::chrono::steady_clock::now() < deadline) {
                pollfd p{dp->epollFd(), POLLIN, 0};
                ::poll(&p, 1, 100);
                dp->consume([&](const xv_advert& ev) { got.push_back(ev); });
            }
            ASSERT_EQ(got.size(), 1u) << "advert did not reach the ring";
            EXPECT_EQ(got[0].ifindex, static_cast<uint32_t>(xva));
            EXPECT_EQ(got[0].vrrp[1], 42);
            EXPECT_EQ(dp->stats().rx_adverts, 1u);

            // A foreign program on xvb is refused by name and id.
            int foreign = loadForeignProg();
            ASSERT_GE(foreign, 0) << "bpf_prog_load: " << std::strerror(errno);
            ASSERT_EQ(bpf_xdp_attach(xvb, foreign, XDP_FLAGS_DRV_MODE, nullptr), 0);
            const uint32_t foreign_id = xdpProgId(xvb);
            try {
                dp->attach(xvb, "xvb", false);
                ADD_FAILURE() << "attach over a foreign program succeeded";
            } catch (const DataplaneError& e) {
                const std::string msg = e.what();
                EXPECT_NE(msg.find("xvt_foreign"), std::string::npos) << msg;
                EXPECT_NE(msg.find("id " + std::to_string(foreign_id)), std::string::npos) << msg;
            }
            EXPECT_EQ(xdpProgId(xvb), foreign_id);

            // A second daemon with its own pin root and force replaces it; both coexist.
            {
                auto dp2 =
                    Dataplane::open(DataplaneOptions{.pin_root = root_b.path(), .force_xdp = true});
                dp2->attach(xvb, "xvb", false);
                EXPECT_NE(xdpProgId(xvb), foreign_id);
                EXPECT_NE(xdpProgId(xvb), 0u);
            }
            EXPECT_EQ(xdpProgId(xvb), 0u) << "dp2 left XDP on xvb";
            ::close(foreign);

            // A bridge has no native XDP: the attach falls back to generic mode.
            const int xvd = static_cast<int>(if_nametoindex("xvd"));
            ASSERT_GT(xvd, 0);
            dp->attach(xvd, "xvd", false);
            EXPECT_EQ(dp->attachModeOf(xvd), "generic");
            uint32_t skb_id = 0;
            ASSERT_EQ(bpf_xdp_query_id(xvd, XDP_FLAGS_SKB_MODE, &skb_id), 0);
            EXPECT_NE(skb_id, 0u);
        }
        EXPECT_EQ(xdpProgId(xva), 0u) << "XDP still attached to xva after shutdown";
        EXPECT_NE(ns.run("tc filter show dev xva egress | grep -q xv_tx"), 0)
            << "xv_tx still on xva egress after shutdown";
        EXPECT_EQ(xdpProgId(static_cast<int>(if_nametoindex("xvd"))), 0u);
    });
}

}  // namespace
}  // namespace xvrrp::test
