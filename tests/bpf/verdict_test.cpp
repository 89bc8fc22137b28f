// VIP verdicts through the real xv_rx (XDP ingress) and xv_tx (TC egress): every verdict,
// the fence and the dead-man switch overriding it, and traffic that is not for a VIP.
#include <gtest/gtest.h>
#include <net/if.h>

#include <optional>

#include "bpf_test_util.hpp"
#include "dataplane/fence.hpp"
#include "dataplane/inspect.hpp"

namespace xvrrp::test {
namespace {

using dataplane::Dataplane;
using dataplane::DataplaneOptions;
using dataplane::InstanceId;
using dataplane::Verdict;
using Counter = __u64 xv_stats::*;

const std::array<uint8_t, 16> kVip4{10, 0, 0, 100};
const std::array<uint8_t, 16> kOther4{10, 0, 0, 5};
const std::array<uint8_t, 16> kSameLow4{10, 1, 0, 100};  // shares the bitmap bit
const std::array<uint8_t, 16> kClient4{10, 0, 0, 2};
const auto kVip6 = v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100});
const auto kOther6 = v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x5});
const auto kClient6 = v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x2});
const auto kSolicited6 = v6({0xff02, 0, 0, 0, 0, 1, 0xff00, 0x100});

// How the VIPs are set up before a frame runs.
enum class Scenario { kPass, kDropIp, kDropAll, kFenced, kStale, kFresh };
constexpr Scenario kScenarios[] = {Scenario::kPass,   Scenario::kDropIp, Scenario::kDropAll,
                                   Scenario::kFenced, Scenario::kStale,  Scenario::kFresh};
const char* name(Scenario s) {
    static const char* n[] = {"pass", "drop_ip", "drop_all", "fenced", "stale", "fresh"};
    return n[static_cast<int>(s)];
}

// What happens to a frame: passed, or dropped and counted in one field.
struct Outcome {
    bool drop = false;
    Counter counter = nullptr;
};
const Outcome kPassed{false, &xv_stats::rx_passed};
const Outcome kDropIp{true, &xv_stats::vip_drop_ip};
const Outcome kDropAll{true, &xv_stats::vip_drop_all};
const Outcome kFenced{true, &xv_stats::vip_fenced};
const Outcome kStale{true, &xv_stats::vip_stale};
const Outcome kTooDeep{true, &xv_stats::ext_too_deep};
const Outcome kDropVlan{true, &xv_stats::drop_vlan};
// A dead daemon's xv_rx hands VRRP to the stack, still counted (bpf.stale).
const Outcome kVlanStale{false, &xv_stats::drop_vlan};

constexpr Counter kCounters[] = {
    &xv_stats::rx_passed,   &xv_stats::vip_drop_ip, &xv_stats::vip_drop_all,
    &xv_stats::vip_fenced,  &xv_stats::vip_stale,   &xv_stats::rx_adverts,
    &xv_stats::tx_vip_drop, &xv_stats::tx_passed,   &xv_stats::truncated,
    &xv_stats::ext_too_deep, &xv_stats::drop_vlan,  &xv_stats::vlan_passed};

FrameSpec ip4(std::array<uint8_t, 16> src, std::array<uint8_t, 16> dst, uint8_t proto) {
    FrameSpec s;
    s.saddr = src;
    s.daddr = dst;
    s.proto = proto;
    s.ttl = 64;
    s.payload = Bytes(20, 0x5a);
    return s;
}

FrameSpec ip6(std::array<uint8_t, 16> src, std::array<uint8_t, 16> dst, uint8_t proto,
              Bytes payload = Bytes(20, 0x5a)) {
    FrameSpec s = ip4(src, dst, proto);
    s.family = 6;
    s.payload = std::move(payload);
    return s;
}

class Verdicts : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (geteuid() != 0) return;
        root_ = std::make_unique<TmpPinRoot>();
        dp_ = Dataplane::open(DataplaneOptions{.pin_root = root_->path()});
        fences_ = std::make_unique<dataplane::FenceMap>(root_->path());
    }
    static void TearDownTestSuite() {
        fences_.reset();
        dp_.reset();
        root_.reset();
    }
    void SetUp() override {
        ASSERT_EQ(geteuid(), 0u) << "BPF tests must run as root";
        ASSERT_TRUE(dp_);
        lo_ = static_cast<int>(if_nametoindex("lo"));
        inst4_ = InstanceId{lo_, Family::V4, 51};
        inst6_ = InstanceId{lo_, Family::V6, 52};
    }
    void TearDown() override {
        if (!dp_) return;
        dp_->removeVip(lo_, IpAddr::fromBytes(Family::V4, kVip4.data()));
        dp_->removeVip(lo_, IpAddr::fromBytes(Family::V6, kVip6.data()));
        fences_->unfence(inst4_, XV_FENCE_OPERATOR);
        fences_->unfence(inst6_, XV_FENCE_OPERATOR);
        dp_->heartbeat(0);
    }

    void setup(Scenario s) {
        Verdict v = s == Scenario::kDropIp    ? Verdict::kDropIp
                    : s == Scenario::kDropAll ? Verdict::kDropAll
                                              : Verdict::kPass;
        // Stale: 1 ms allowed, last heartbeat 10 s ago. Fresh: 10 s allowed, heartbeat now.
        uint64_t max_age = s == Scenario::kStale   ? 1000000ull
                           : s == Scenario::kFresh ? 10000000000ull
                                                   : 0;
        dp_->setVipVerdict(lo_, IpAddr::fromBytes(Family::V4, kVip4.data()), v, inst4_, max_age);
        dp_->setVipVerdict(lo_, IpAddr::fromBytes(Family::V6, kVip6.data()), v, inst6_, max_age);
        // A live daemon but in kStale (VIPs without max_age ignore the heartbeat).
        dp_->heartbeat(s == Scenario::kStale ? monoNs() - 10000000000ull : monoNs());
        if (s == Scenario::kFenced) {
            fences_->fence(inst4_, XV_FENCE_OPERATOR);
            fences_->fence(inst6_, XV_FENCE_ARBITER);
        }
    }

    // Runs FRAME through PROG; checks the verdict and that exactly one counter moved.
    void expect(int prog, const Bytes& frame, int verdict, Counter counted,
                const std::string& what) {
        const xv_stats before = dp_->stats();
        EXPECT_EQ(testRun(prog, frame), verdict) << what;
        const xv_stats after = dp_->stats();
        for (Counter c : kCounters) {
            EXPECT_EQ(after.*c - before.*c, c == counted ? 1u : 0u)
                << what << ": counter at offset "
                << reinterpret_cast<size_t>(&(static_cast<xv_stats*>(nullptr)->*c));
        }
    }

    static inline std::unique_ptr<TmpPinRoot> root_;
    static inline std::unique_ptr<Dataplane> dp_;
    static inline std::unique_ptr<dataplane::FenceMap> fences_;
    int lo_ = 0;
    InstanceId inst4_, inst6_;
};

struct IngressCase {
    std::string name;
    Bytes frame;
    Outcome outcome[6];  // per Scenario
};

std::vector<IngressCase> ingressCases() {
    const Outcome ip[] = {kPassed, kDropIp, kDropAll, kFenced, kStale, kPassed};
    const Outcome nd[] = {kPassed, kPassed, kDropAll, kFenced, kStale, kPassed};
    const Outcome never[] = {kPassed, kPassed, kPassed, kPassed, kPassed, kPassed};
    const Outcome deep[] = {kTooDeep, kTooDeep, kTooDeep, kTooDeep, kTooDeep, kTooDeep};
    const Outcome vlan[] = {kDropVlan, kDropVlan, kDropVlan, kDropVlan, kVlanStale, kDropVlan};
    auto c = [](std::string n, Bytes f, const Outcome(&o)[6]) {
        IngressCase k{std::move(n), std::move(f), {}};
        std::copy(std::begin(o), std::end(o), k.outcome);
        return k;
    };
    FrameSpec ns_mcast = ip6(kClient6, kSolicited6, kProtoIcmp6, ndBody(135, kVip6));
    ns_mcast.ttl = 255;
    FrameSpec ns_unicast = ip6(kClient6, kVip6, kProtoIcmp6, ndBody(135, kVip6));
    FrameSpec ns_other = ip6(kClient6, kSolicited6, kProtoIcmp6, ndBody(135, kOther6));
    FrameSpec tcp_vlan = ip4(kClient4, kVip4, kProtoTcp);
    tcp_vlan.vlans = {{kTpid8021Q, 10}};
    // Tagged frames to a VIP of the XDP interface: the host serves a local address on any
    // interface (VLAN sub-interfaces included), so the VIP's verdict applies to them too.
    FrameSpec tcp_qinq = tcp_vlan;
    tcp_qinq.vlans = {{kTpid8021AD, 10}, {kTpid8021Q, 20}};
    FrameSpec ns_vlan = ns_mcast;
    ns_vlan.vlans = {{kTpid8021AD, 10}};
    Bytes arp_vlan = arpFrame(1, {10, 0, 0, 2}, {10, 0, 0, 100});
    const uint8_t tag[] = {0x81, 0x00, 0x00, 0x0a};
    arp_vlan.insert(arp_vlan.begin() + 12, std::begin(tag), std::end(tag));
    // VRRP for the VIP on a VLAN without an instance of ours: drop_vlan before any verdict.
    FrameSpec vrrp_vlan = ip4(kClient4, kVip4, kProtoVrrp);
    vrrp_vlan.ttl = 255;
    vrrp_vlan.vlans = {{kTpid8021Q, 10}};
    vrrp_vlan.payload = vrrpV2(51, 200, {{{10, 0, 0, 100}}});
    // An NS behind more extension headers than XV_MAX_EXTHDR: its target cannot be seen.
    FrameSpec ns_deep = ns_mcast, ns_bound = ns_mcast;
    ns_deep.ext = std::vector<Ext6>(5, Ext6{60});
    ns_bound.ext = std::vector<Ext6>(4, Ext6{60});
    FrameSpec deep_hop64 = ns_deep;
    deep_hop64.ttl = 64;  // not ND (RFC 4861 7.1.1 needs 255): left to the stack
    return {
        c("tcp4_to_vip", buildFrame(ip4(kClient4, kVip4, kProtoTcp)), ip),
        c("icmp4_to_vip", buildFrame(ip4(kClient4, kVip4, 1)), ip),
        c("tcp4_vlan_to_vip", buildFrame(tcp_vlan), ip),
        c("tcp6_to_vip", buildFrame(ip6(kClient6, kVip6, kProtoTcp)), ip),
        c("arp_request_for_vip", arpFrame(1, {10, 0, 0, 2}, {10, 0, 0, 100}), nd),
        c("arp_reply_to_vip", arpFrame(2, {10, 0, 0, 2}, {10, 0, 0, 100}), nd),
        c("ns_for_vip", buildFrame(ns_mcast), nd),
        c("ns_unicast_to_vip", buildFrame(ns_unicast), nd),
        c("gratuitous_arp_passes", arpFrame(1, {10, 0, 0, 100}, {10, 0, 0, 100}), never),
        c("arp_for_other", arpFrame(1, {10, 0, 0, 2}, {10, 0, 0, 5}), never),
        c("ns_for_other", buildFrame(ns_other), never),
        c("tcp4_to_other", buildFrame(ip4(kClient4, kOther4, kProtoTcp)), never),
        c("tcp4_same_low_bytes", buildFrame(ip4(kClient4, kSameLow4, kProtoTcp)), never),
        c("tcp6_to_other", buildFrame(ip6(kClient6, kOther6, kProtoTcp)), never),
        c("tcp4_from_vip_inbound", buildFrame(ip4(kVip4, kClient4, kProtoTcp)), never),
        c("tcp4_qinq_to_vip", buildFrame(tcp_qinq), ip),
        c("ns_8021ad_for_vip", buildFrame(ns_vlan), nd),
        c("arp_vlan_for_vip", arp_vlan, nd),
        c("vrrp_vlan_to_vip", buildFrame(vrrp_vlan), vlan),
        c("ns_for_vip_4_dstopts", buildFrame(ns_bound), nd),
        c("ns_for_vip_5_dstopts", buildFrame(ns_deep), deep),
        c("deep_chain_hop64", buildFrame(deep_hop64), never),
    };
}

TEST_F(Verdicts, IngressTable) {
    for (const IngressCase& k : ingressCases()) {
        for (Scenario s : kScenarios) {
            setup(s);
            const Outcome& o = k.outcome[static_cast<int>(s)];
            expect(dp_->progFd(), k.frame, o.drop ? XDP_DROP : XDP_PASS, o.counter,
                   k.name + " under " + name(s));
            TearDown();
        }
    }
}

TEST_F(Verdicts, EgressTable) {
    const Bytes tcp4 = buildFrame(ip4(kVip4, kClient4, kProtoTcp));
    const Bytes tcp6 = buildFrame(ip6(kVip6, kClient6, kProtoTcp));
    FrameSpec vrrp = ip4(kVip4, {224, 0, 0, 18}, kProtoVrrp);
    vrrp.payload = vrrpV2(51, 100, {{{10, 0, 0, 100}}});
    FrameSpec na = ip6(kVip6, v6({0xff02, 0, 0, 0, 0, 0, 0, 1}), kProtoIcmp6, ndBody(136, kVip6));
    const Bytes other = buildFrame(ip4(kOther4, kClient4, kProtoTcp));
    const Bytes arp = arpFrame(2, {10, 0, 0, 100}, {10, 0, 0, 2});
    const Bytes garp = arpFrame(1, {10, 0, 0, 100}, {10, 0, 0, 100});
    const Bytes arp_for_vip = arpFrame(1, {10, 0, 0, 5}, {10, 0, 0, 100});
    Bytes arp_vlan = arp;
    const uint8_t tag[] = {0x81, 0x00, 0x00, 0x0a};
    arp_vlan.insert(arp_vlan.begin() + 12, std::begin(tag), std::end(tag));
    const auto ll = v6({0xfe80, 0, 0, 0, 0, 0, 0, 7});
    FrameSpec na_ll = ip6(ll, v6({0xff02, 0, 0, 0, 0, 0, 0, 1}), kProtoIcmp6, ndBody(136, kVip6));
    FrameSpec ns_vip = ip6(kVip6, kSolicited6, kProtoIcmp6, ndBody(135, kClient6));
    FrameSpec ns_ll = ip6(ll, kSolicited6, kProtoIcmp6, ndBody(135, kVip6));
    // Claims of a VIP (ARP sender, ND source, NA target) leave only while it is served:
    // a master, with or without accept mode (RFC 5798 6.4.3), announces and answers; a
    // backup, a fenced node and a hung daemon must not point neighbours at themselves.
    using Drops = std::array<bool, 6>;  // per Scenario
    const Drops ip{false, true, true, true, true, false};
    const Drops claim{false, false, true, true, true, false};
    const Drops never{};
    struct Row {
        std::string name;
        Bytes frame;
        Drops drop;
    } rows[] = {
        {"tcp4_from_vip", tcp4, ip},
        {"tcp6_from_vip", tcp6, ip},
        {"vrrp_from_vip", buildFrame(vrrp), never},
        {"na_from_vip", buildFrame(na), claim},
        {"arp_reply_from_vip", arp, claim},
        {"garp_for_vip", garp, claim},
        {"arp_vlan_from_vip", arp_vlan, claim},
        {"na_for_vip_from_link_local", buildFrame(na_ll), claim},
        {"ns_from_vip", buildFrame(ns_vip), claim},
        {"ns_asking_for_vip", buildFrame(ns_ll), never},
        {"arp_asking_for_vip", arp_for_vip, never},
        {"tcp4_from_other", other, never},
    };
    for (const Row& r : rows) {
        for (Scenario s : kScenarios) {
            setup(s);
            const bool drop = r.drop[static_cast<int>(s)];
            expect(dp_->egressProgFd(), r.frame, drop ? TC_ACT_SHOT : TC_ACT_OK,
                   drop ? &xv_stats::tx_vip_drop : &xv_stats::tx_passed,
                   r.name + " egress under " + name(s));
            TearDown();
        }
    }
}

TEST_F(Verdicts, RemovedVipPassesAgain) {
    setup(Scenario::kDropAll);
    const Bytes f = buildFrame(ip4(kClient4, kVip4, kProtoTcp));
    expect(dp_->progFd(), f, XDP_DROP, &xv_stats::vip_drop_all, "before removal");
    dp_->removeVip(lo_, IpAddr::fromBytes(Family::V4, kVip4.data()));
    expect(dp_->progFd(), f, XDP_PASS, &xv_stats::rx_passed, "after removal");
    EXPECT_FALSE(dp_->vip(lo_, IpAddr::fromBytes(Family::V4, kVip4.data())));
}

TEST_F(Verdicts, FenceVisibleToDaemonAndOutsiders) {
    EXPECT_FALSE(dp_->isFenced(inst4_));
    fences_->fence(inst4_, XV_FENCE_ARBITER);
    EXPECT_TRUE(dp_->isFenced(inst4_));
    auto f = fences_->get(inst4_, XV_FENCE_ARBITER);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->by, static_cast<uint32_t>(XV_FENCE_ARBITER));
    EXPECT_LE(f->since_ns, monoNs());
    const uint64_t since = f->since_ns;
    fences_->fence(inst4_, XV_FENCE_ARBITER);  // again: the time it started stays
    EXPECT_EQ(fences_->get(inst4_, XV_FENCE_ARBITER)->since_ns, since);
    ASSERT_EQ(fences_->list().size(), 1u);
    EXPECT_EQ(fences_->list()[0].first.vrid, 51);
    EXPECT_EQ(fences_->list()[0].first.arbiter, 1);
    fences_->unfence(inst4_, XV_FENCE_ARBITER);
    fences_->unfence(inst4_, XV_FENCE_ARBITER);  // absent is fine
    EXPECT_FALSE(dp_->isFenced(inst4_));
}

// Issue 9 item 8 / issue 10: an operator's fence set while the arbiter's was in place was
// swallowed (one entry per instance, first setter kept), so the arbiter's unfence lifted the
// operator's fence too. Each owner has its own entry now; the kernel drops while either
// exists; the arbiter can only lift its own (dataplane::mayLift).
TEST_F(Verdicts, OperatorFenceOutlivesTheArbitersUnfence) {
    setup(Scenario::kPass);
    const Bytes f = buildFrame(ip4(kClient4, kVip4, kProtoTcp));
    fences_->fence(inst4_, XV_FENCE_ARBITER);
    fences_->fence(inst4_, XV_FENCE_OPERATOR);
    EXPECT_EQ(fences_->list().size(), 2u);
    auto lifted = fences_->unfence(inst4_, XV_FENCE_ARBITER);
    EXPECT_EQ(lifted, std::vector<xv_fence_by>{XV_FENCE_ARBITER});
    EXPECT_TRUE(fences_->state(inst4_).by_operator);
    EXPECT_TRUE(dp_->isFenced(inst4_));
    expect(dp_->progFd(), f, XDP_DROP, &xv_stats::vip_fenced, "operator's fence alone");
    // The arbiter's fence alone drops too.
    fences_->unfence(inst4_, XV_FENCE_OPERATOR);
    expect(dp_->progFd(), f, XDP_PASS, &xv_stats::rx_passed, "no fence");
    fences_->fence(inst4_, XV_FENCE_ARBITER);
    expect(dp_->progFd(), f, XDP_DROP, &xv_stats::vip_fenced, "arbiter's fence alone");
    // The operator lifts any fence (xvrrpctl unfence is the way out of an arbiter's).
    fences_->fence(inst4_, XV_FENCE_OPERATOR);
    lifted = fences_->unfence(inst4_, XV_FENCE_OPERATOR);
    EXPECT_EQ(lifted.size(), 2u);
    EXPECT_FALSE(dp_->isFenced(inst4_));
}

TEST(FenceRule, WhoMayLiftWhose) {
    EXPECT_TRUE(dataplane::mayLift(XV_FENCE_OPERATOR, XV_FENCE_OPERATOR));
    EXPECT_TRUE(dataplane::mayLift(XV_FENCE_OPERATOR, XV_FENCE_ARBITER));
    EXPECT_TRUE(dataplane::mayLift(XV_FENCE_ARBITER, XV_FENCE_ARBITER));
    EXPECT_FALSE(dataplane::mayLift(XV_FENCE_ARBITER, XV_FENCE_OPERATOR));
}

TEST_F(Verdicts, FenceSurvivesDaemonRestart) {
    TmpPinRoot root;
    InstanceId id{lo_, Family::V4, 9};
    {
        auto dp = Dataplane::open(DataplaneOptions{.pin_root = root.path()});
        dataplane::FenceMap(root.path()).fence(id, XV_FENCE_OPERATOR);
    }
    dataplane::FenceMap outside(root.path());  // still pinned with no daemon
    EXPECT_TRUE(outside.get(id, XV_FENCE_OPERATOR));
    auto dp = Dataplane::open(DataplaneOptions{.pin_root = root.path()});
    EXPECT_TRUE(dp->isFenced(id));
    outside.unfence(id, XV_FENCE_OPERATOR);
    EXPECT_FALSE(dp->isFenced(id));
}

// A pinned xv_fence from before the owner was part of the key (1024 entries, the owner only
// in the value): its fences are carried into the new map, each to the owner it names.
TEST_F(Verdicts, FencesOfAnOlderMapLayoutAreKept) {
    TmpPinRoot root;
    ASSERT_TRUE(dataplane::ensureBpffs(root.path()) || dataplane::isBpffs(root.path()));
    int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "xv_fence", 8, sizeof(xv_fence), 1024, nullptr);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    InstanceId a{lo_, Family::V4, 7}, b{lo_, Family::V6, 8};
    xv_inst_key ka = dataplane::toKey(a), kb = dataplane::toKey(b);
    xv_fence va{1, XV_FENCE_ARBITER, 0}, vb{2, XV_FENCE_OPERATOR, 0};
    ASSERT_EQ(bpf_map_update_elem(fd, &ka, &va, BPF_ANY), 0);
    ASSERT_EQ(bpf_map_update_elem(fd, &kb, &vb, BPF_ANY), 0);
    ASSERT_EQ(bpf_obj_pin(fd, (root.path() + "/xv_fence").c_str()), 0) << std::strerror(errno);
    ::close(fd);
    auto dp = Dataplane::open(DataplaneOptions{.pin_root = root.path()});
    auto sa = dp->fences().state(a), sb = dp->fences().state(b);
    EXPECT_TRUE(sa.by_arbiter && !sa.by_operator);
    EXPECT_TRUE(sb.by_operator && !sb.by_arbiter);
    EXPECT_EQ(dp->fences().get(a, XV_FENCE_ARBITER)->since_ns, 1u);
    dataplane::FenceMap outside(root.path());  // the new map is the pinned one
    EXPECT_EQ(outside.list().size(), 2u);
}

// Output of COMMAND, or "" when it fails.
std::string capture(const std::string& command) {
    std::string out;
    if (FILE* p = ::popen(command.c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
        if (::pclose(p) != 0) return "";
    }
    return out;
}

TEST_F(Verdicts, InspectAndBpftoolShowNamedFields) {
    setup(Scenario::kFresh);
    fences_->fence(inst6_, XV_FENCE_ARBITER);
    const nlohmann::json j = dataplane::inspectMaps(root_->path());
    EXPECT_TRUE(j["missing"].empty()) << j["missing"].dump();
    const auto& vips = j["maps"]["xv_vips"];
    ASSERT_EQ(vips.size(), 2u) << vips.dump();
    bool saw_v4 = false;
    for (const auto& v : vips) {
        if (v["addr"] == "10.0.0.100") {
            saw_v4 = true;
            EXPECT_EQ(v["verdict"], "pass");
            EXPECT_EQ(v["instance"]["vrid"], 51);
            EXPECT_EQ(v["max_age_ns"], 10000000000ull);
        }
    }
    EXPECT_TRUE(saw_v4) << vips.dump();
    EXPECT_EQ(j["maps"]["xv_fence"].size(), 1u);
    EXPECT_EQ(j["maps"]["xv_fence"][0]["by"], "arbiter");
    EXPECT_GE(j["maps"]["xv_heartbeat"]["age_ns"].get<int64_t>(), 0);
    EXPECT_EQ(j["maps"]["xv_vipbits"]["bits_set"], 2u);
    EXPECT_TRUE(j["maps"]["xv_stats"].contains("vip_stale"));

    // bpftool reads the BTF: field names, not hex blobs.
    const std::string dump = capture("bpftool map dump pinned " + root_->path() + "/xv_vips");
    EXPECT_NE(dump.find("\"verdict\""), std::string::npos) << dump;
    EXPECT_NE(dump.find("\"max_age_ns\""), std::string::npos) << dump;
    const std::string fence = capture("bpftool map dump pinned " + root_->path() + "/xv_fence");
    EXPECT_NE(fence.find("\"since_ns\""), std::string::npos) << fence;
    EXPECT_NE(fence.find("\"arbiter\": 1"), std::string::npos) << fence;  // the key's owner
    const std::string prog = capture("bpftool prog show name xv_rx");
    EXPECT_NE(prog.find("xv_rx"), std::string::npos) << prog;
}

}  // namespace
}  // namespace xvrrp::test
