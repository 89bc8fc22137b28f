// bpf.differential: xv_rx against the userspace validator (tests/support/differential.hpp)
// on the regression frames of every disagreement the campaign found and fixed, the seed
// corpus (tests/fuzz/corpus/xdp_diff) and a short fixed-seed random run. Any disagreement
// that docs/bpf.md does not document fails. Long campaigns: tools/bench/fuzz.
#include "support/differential.hpp"

#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

namespace xvrrp::test {
namespace {

using dataplane::Dataplane;
using dataplane::DataplaneOptions;

class Differential : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (geteuid() == 0) dp_ = Dataplane::open(DataplaneOptions{.pin_root = ""});
    }
    static void TearDownTestSuite() { dp_.reset(); }
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root";
        ASSERT_TRUE(dp_);
        diff_ = std::make_unique<XdpDifferential>(*dp_, static_cast<int>(if_nametoindex("lo")),
                                                  standardInstances());
    }
    void TearDown() override { diff_.reset(); }

    void expectAgreedOrDocumented(const Bytes& f, const std::string& what) {
        const DiffResult r = diff_->run(f);
        EXPECT_TRUE(r.agree || documentedReason(r.cls)) << what << ": " << r.cls;
    }

    static inline std::unique_ptr<Dataplane> dp_;
    std::unique_ptr<XdpDifferential> diff_;
};

// A valid advert for standardInstances()[I] (before EDIT), as FrameSpec S leaves it.
Bytes advert(const ModelInstance& m, std::array<uint8_t, 16> src, std::array<uint8_t, 16> dst,
             const std::function<void(FrameSpec&, Bytes&)>& edit = {}) {
    FrameSpec s;
    s.family = m.family == Family::V4 ? 4 : 6;
    s.saddr = src;
    s.daddr = dst;
    const size_t alen = m.family == Family::V4 ? 4 : 16;
    Bytes msg{static_cast<uint8_t>(m.version << 4 | 1), m.vrid, 200,
              static_cast<uint8_t>(m.vips.size())};
    if (m.version == 2) {
        msg.push_back(m.auth_pass ? 1 : 0);
        msg.push_back(static_cast<uint8_t>(m.advert_int_cs / 100));
    } else {
        put16(msg, m.advert_int_cs);
    }
    put16(msg, 0);
    for (const auto& a : m.vips) msg.insert(msg.end(), a.data(), a.data() + alen);
    if (m.version == 2) {
        const auto pw = m.auth_pass.value_or(std::array<uint8_t, 8>{});
        msg.insert(msg.end(), pw.begin(), pw.end());
    }
    if (edit) edit(s, msg);
    setVrrpChecksum(msg, s.family, s.saddr, s.daddr);
    s.payload = msg;
    return buildFrame(s);
}

const std::array<uint8_t, 16> kPeer{192, 168, 1, 2}, kSelf{192, 168, 1, 1}, kGroup{224, 0, 0, 18};
const auto kPeer6 = v6({0xfe80, 0, 0, 0, 0, 0, 0, 2});
const auto kGroup6 = v6({0xff02, 0, 0, 0, 0, 0, 0, 0x12});

// Each of these disagreed before its fix (xv_rx took what the daemon refuses).
TEST_F(Differential, FoundDisagreementsStayFixed) {
    const auto inst = standardInstances();
    // keepalived: a multicast advert for a unicast instance is an error (drop_cast).
    expectAgreedOrDocumented(advert(inst[2], kPeer, kGroup), "multicast to unicast instance");
    expectAgreedOrDocumented(advert(inst[0], kPeer, kSelf), "unicast to multicast instance");
    // RFC 3768 7.1: a v2 Adver Int other than ours is discarded (drop_interval).
    expectAgreedOrDocumented(advert(inst[1], kPeer, kGroup, [](FrameSpec&, Bytes& m) { m[5] = 2; }),
                             "v2 advert interval 2 s, configured 1 s");
    // ip_rcv drops an IPv4 header with a bad checksum: never an advert (bad_ip).
    Bytes bad_csum = advert(inst[0], kPeer, kGroup);
    bad_csum[14 + 10] ^= 0x01;
    expectAgreedOrDocumented(bad_csum, "IPv4 header checksum");
    Bytes bad_csum_opts = advert(inst[0], kPeer, kGroup, [](FrameSpec& s, Bytes&) { s.ihl = 8; });
    bad_csum_opts[14 + 21] ^= 0x80;  // an option byte, covered by the header checksum
    expectAgreedOrDocumented(bad_csum_opts, "IPv4 header checksum over options");
    // RFC 8200 4.3: a hop-by-hop header anywhere but first is dropped by the stack (bad_ip).
    expectAgreedOrDocumented(advert(inst[3], kPeer6, kGroup6,
                                    [](FrameSpec& s, Bytes&) {
                                        s.ext = {{60, 1}, {0, 1}};
                                    }),
                             "IPv6 hop-by-hop after destination options");
    // The takeover of issue 9 item 4, as the differential sees it (drop_vlan).
    expectAgreedOrDocumented(advert(inst[1], kPeer, kGroup,
                                    [](FrameSpec& s, Bytes&) {
                                        s.vlans = {{kTpid8021Q, 200}};
                                    }),
                             "v2 advert tagged VLAN 200");
    // And the valid forms are still taken by both.
    for (size_t i : {0u, 1u, 4u}) {
        const DiffResult r = diff_->run(advert(inst[i], kPeer, kGroup));
        EXPECT_EQ(r.cls, "agree_accept") << "instance " << i;
    }
    EXPECT_EQ(diff_->run(advert(inst[2], kPeer, kSelf)).cls, "agree_accept");
    EXPECT_EQ(diff_->run(advert(inst[3], kPeer6, kGroup6)).cls, "agree_accept");
}

TEST_F(Differential, SeedCorpusReplays) {
    const std::filesystem::path dir = XVRRP_XDP_DIFF_CORPUS;
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(e.path(), std::ios::binary);
        const Bytes f{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        expectAgreedOrDocumented(f, e.path().filename().string());
        ++n;
    }
    EXPECT_GE(n, 20u) << "the seed corpus lost its files";
}

TEST_F(Differential, ShortRandomRun) {
    std::mt19937_64 rng(20261204);
    std::map<std::string, uint64_t> classes;
    for (int i = 0; i < 20000; ++i) {
        Bytes f = randomFrame(rng, diff_->instances());
        if (i % 2) f = mutate(std::move(f), rng);
        const DiffResult r = diff_->run(f);
        ++classes[r.cls];
        ASSERT_TRUE(r.agree || documentedReason(r.cls)) << "frame " << i << ": " << r.cls;
    }
    // The generator must reach both sides of the decision, or the run proves nothing.
    EXPECT_GT(classes["agree_accept"], 1000u);
    EXPECT_GT(classes["agree_reject"], 1000u);
}

}  // namespace
}  // namespace xvrrp::test
