// A reload changes only what changed. For each kind of edit, on a running master-backup pair
// with a client probing the VIP every 10 ms: no transition on either node, the VIP never
// moves, no probe is lost. Edits that change nothing on the wire are applied in place;
// one that changes the advert (advert_int) hands over to a new runtime that keeps the VIPs.
#include <csignal>
#include <fstream>
#include <functional>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

// The edit: what to change in the base configuration of one node.
struct Knobs {
    std::string global_extra;
    std::string notify = "/bin/true";
    int weight = 10;
    bool vi2_in_group = false;
    std::string group_extra;
    int n1_priority = 150;
    std::string vi1_extra;
    double advert_int = 0.1;
};

std::string config(const std::string& router, int priority, const Knobs& k) {
    std::string c = "global_defs {\n  router_id " + router + "\n" + k.global_extra + "}\n";
    c += "vrrp_script chk {\n  script \"/bin/true\"\n  interval 1\n  weight " +
         std::to_string(k.weight) + "\n}\n";
    c += std::string("vrrp_sync_group G {\n  group {\n    VI_1\n") + (k.vi2_in_group ? "    VI_2\n" : "") +
         "  }\n" + k.group_extra + "}\n";
    char adv[32];
    std::snprintf(adv, sizeof adv, "%.2f", k.advert_int);
    for (int i : {1, 2}) {
        c += "vrrp_instance VI_" + std::to_string(i) + " {\n  interface eth0\n  virtual_router_id " +
             std::to_string(50 + i) + "\n  priority " + std::to_string(priority) +
             "\n  version 3\n  advert_int " + adv + "\n  notify_master \"" + k.notify + "\"\n" +
             "  virtual_ipaddress {\n    10.77.0." + std::to_string(99 + i) + "/24\n  }\n";
        // VI_2 tracks the script: weights of sync group members are ignored (keepalived).
        if (i == 1) c += k.vi1_extra;
        if (i == 2) c += "  track_script {\n    chk\n  }\n";
        c += "}\n";
    }
    return c;
}

struct Edit {
    std::string name;
    std::function<void(Knobs&)> apply;
    int vi2_effective;    // n1's VI_2 priority after the reload: the edit took effect
    bool advert = false;  // changes what adverts carry (a takeover, still no transition)
    bool vi2_starts_in_group = false;
};

std::ostream& operator<<(std::ostream& o, const Edit& e) { return o << e.name; }

class ReloadEdits : public PairFixture, public ::testing::WithParamInterface<Edit> {
  protected:
    ReloadEdits() : PairFixture("rlde") {}
    uint64_t counter(const XvrrpdNode& n, const std::string& name, const char* key) {
        for (const auto& i : (*n.status())["instances"])
            if (i["name"] == name) return i["counters"][key].get<uint64_t>();
        return ~0ull;
    }
    std::string reloadLine(const XvrrpdNode& n, size_t from) {
        const std::string log = n.log();
        size_t at = log.find("Reload done:", from);
        return at == std::string::npos ? "" : log.substr(at, log.find('\n', at) - at);
    }
};

TEST_P(ReloadEdits, NoTransitionNoVipMovementNoProbeLost) {
    Knobs before;
    before.vi2_in_group = GetParam().vi2_starts_in_group;
    const int settled = before.n1_priority + (before.vi2_in_group ? 0 : 10);
    n1_->start(config("n1", before.n1_priority, before));
    n2_->start(config("n2", 100, before));
    ASSERT_TRUE(waitUntil([&] { return n1_->state() == "MASTER"; }, Ms(10000)));
    ASSERT_TRUE(waitUntil([&] { return n2_->state() == "BACKUP"; }, Ms(10000)));
    const IpAddr vip = *IpAddr::parse("10.77.0.100");
    ASSERT_TRUE(n1_->holds(vip));
    // Settled: the script has answered (VI_2's effective priority carries its weight unless
    // VI_2 is in a sync group: keepalived ignores the weights of members by default).
    auto vi2Effective = [&](int want) {
        return waitUntil(
            [&] {
                auto st = n1_->status();
                return st && (*st)["instances"][1]["priority"]["effective"] == want;
            },
            Ms(5000));
    };
    ASSERT_TRUE(vi2Effective(settled)) << n1_->status().value_or(nlohmann::json()).dump();
    std::map<std::string, uint64_t> became;
    for (auto* n : {n1_.get(), n2_.get()})
        for (const char* i : {"VI_1", "VI_2"}) became[n->name() + i] = counter(*n, i, "became_master");

    Prober probe(*lab_, lab_->node("client"), vip, 10000, 8);
    ASSERT_TRUE(probe.waitReady(Ms(5000)));
    const size_t log1 = n1_->log().size(), log2 = n2_->log().size();
    Knobs after = before;
    GetParam().apply(after);
    std::ofstream(n1_->configPath(), std::ios::trunc) << config("n1", after.n1_priority, after);
    std::ofstream(n2_->configPath(), std::ios::trunc) << config("n2", 100, after);
    n1_->signal(SIGHUP);
    n2_->signal(SIGHUP);
    ASSERT_TRUE(waitUntil([&] { return !reloadLine(*n1_, log1).empty() &&
                                       !reloadLine(*n2_, log2).empty(); }, Ms(10000)))
        << tail(n1_->log());
    const std::string line = reloadLine(*n1_, log1);
    if (!GetParam().advert) {
        EXPECT_NE(line.find(" 0 restarted, 0 added, 0 removed"), std::string::npos) << line;
    }
    // Several Master_Down_Intervals: a disturbed pair would show by now.
    EXPECT_TRUE(holdsFor([&] { return n1_->state() == "MASTER" && n2_->state() == "BACKUP"; },
                         Ms(2000)))
        << "n1 " << n1_->state() << " n2 " << n2_->state();
    EXPECT_TRUE(n1_->holds(vip));
    EXPECT_FALSE(n2_->holds(vip));
    EXPECT_TRUE(vi2Effective(GetParam().vi2_effective))
        << "the edit did not take effect: " << n1_->status().value_or(nlohmann::json()).dump();
    auto report = probe.finish();
    ASSERT_TRUE(report);
    const auto sent = (*report)["sent"].get<uint64_t>(), got = (*report)["received"].get<uint64_t>();
    EXPECT_LE(sent - got, 1u) << "probes lost during the reload: " << report->dump();
    for (auto* n : {n1_.get(), n2_.get()})
        for (const char* i : {"VI_1", "VI_2"})
            EXPECT_EQ(counter(*n, i, "became_master"), became[n->name() + i]) << n->name() << " " << i;
    EXPECT_EQ(n2_->log().find("Entering MASTER STATE", log2), std::string::npos) << tail(n2_->log());
    EXPECT_EQ(n1_->log().find("Entering", log1), std::string::npos) << tail(n1_->log());
}

INSTANTIATE_TEST_SUITE_P(
    Edits, ReloadEdits,
    ::testing::Values(
        Edit{"notification_email",
             [](Knobs& k) { k.global_extra = "  notification_email {\n    ops@example.org\n  }\n"; }, 160},
        // VI_2 in the group from the start: the weight counts only once the keyword is added.
        Edit{"sync_group_tracking_weight",
             [](Knobs& k) { k.group_extra = "  sync_group_tracking_weight\n"; }, 160, false, true},
        Edit{"notify_script", [](Knobs& k) { k.notify = "/bin/echo"; }, 160},
        Edit{"tracker_weight", [](Knobs& k) { k.weight = 20; }, 170},
        Edit{"sync_group_membership", [](Knobs& k) { k.vi2_in_group = true; }, 150},
        Edit{"priority", [](Knobs& k) { k.n1_priority = 140; }, 150},
        Edit{"preempt_delay", [](Knobs& k) { k.vi1_extra = "  preempt_delay 5\n"; }, 160},
        Edit{"garp_master_delay", [](Knobs& k) { k.vi1_extra = "  garp_master_delay 1\n"; }, 160},
        Edit{"advert_int", [](Knobs& k) { k.advert_int = 0.2; }, 160, true}),
    [](const ::testing::TestParamInfo<Edit>& i) { return i.param.name; });

}  // namespace
}  // namespace xvrrp::itest
