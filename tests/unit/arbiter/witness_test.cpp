// unit.arbiter: the witness without I/O (issue 15): etcd's JSON bodies and answers, the lease
// on a fake clock (renewal, expiry, leader-change extension, clock margin), the key
// bookkeeping (campaign, refresh, release, an owner that renews or stopped).
#include <gtest/gtest.h>

#include "witness/etcd_json.hpp"
#include "witness/witness_model.hpp"

namespace xvrrp::arbiter::witness {
namespace {

using nlohmann::json;

TEST(EtcdJson, Base64AndPrefix) {
    EXPECT_EQ(base64("foo"), "Zm9v");
    EXPECT_EQ(base64(""), "");
    for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "/xvrrp/VI_1",
                                                          std::string("\0\xff", 2)})
        EXPECT_EQ(unbase64(base64(s)), s);
    EXPECT_THROW(unbase64("abc"), std::invalid_argument);
    EXPECT_THROW(unbase64("a*c="), std::invalid_argument);
    EXPECT_EQ(prefixEnd("/xvrrp/"), "/xvrrp0");
    EXPECT_EQ(prefixEnd(std::string("a\xff", 2)), "b");
}

TEST(EtcdJson, TxnOnCreateRevision) {
    json c = campaignBody("/x/VI_1", "node-a", 77);
    EXPECT_EQ(c["compare"][0]["target"], "CREATE");
    EXPECT_EQ(c["compare"][0]["create_revision"], "0");
    EXPECT_EQ(c["compare"][0]["key"], base64("/x/VI_1"));
    EXPECT_EQ(c["success"][0]["request_put"]["lease"], "77");
    EXPECT_EQ(c["success"][0]["request_put"]["value"], base64("node-a"));
    EXPECT_EQ(c["failure"][0]["request_range"]["key"], base64("/x/VI_1"));
    json r = refreshBody("/x/VI_1", "node-a", 77, 12);
    EXPECT_EQ(r["compare"][0]["create_revision"], "12");
    json d = releaseBody("/x/VI_1", 12);
    EXPECT_EQ(d["compare"][0]["create_revision"], "12");
    EXPECT_EQ(d["success"][0]["request_delete_range"]["key"], base64("/x/VI_1"));
    EXPECT_EQ(rangeBody("/x/")["range_end"], base64("/x0"));
    EXPECT_EQ(keepaliveBody(5)["ID"], "5");
}

// Answers as etcd 3.4.23's gateway writes them (int64 as strings, zero values left out).
TEST(EtcdJson, ParsesGatewayAnswers) {
    json range = json::parse(R"({"header":{"revision":"9"},"kvs":[{"key":")" + base64("/x/VI_1") +
                             R"(","create_revision":"2","mod_revision":"8","version":"3","value":")" +
                             base64("node-b") + R"(","lease":"4111120442463606023"}],"count":"1"})");
    auto keys = parseRange(range, "/x/");
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(keys["VI_1"].value, "node-b");
    EXPECT_EQ(keys["VI_1"].create_rev, 2);
    EXPECT_EQ(keys["VI_1"].mod_rev, 8);
    EXPECT_EQ(keys["VI_1"].lease, 4111120442463606023);
    EXPECT_TRUE(parseRange(json::parse(R"({"header":{"revision":"1"}})"), "/x/").empty());
    EXPECT_THROW(parseRange(range, "/y/"), std::invalid_argument);

    json lost = json::parse(R"({"result":{"header":{"revision":"2"},"ID":"12345"}})");
    EXPECT_EQ(parseKeepalive(lost).ttl_s, 0);
    json alive = json::parse(R"({"result":{"header":{},"ID":"12345","TTL":"5"}})");
    EXPECT_EQ(parseKeepalive(alive).ttl_s, 5);
    EXPECT_THROW(parseKeepalive(json::parse(R"({"error":{"grpc_code":14}})")),
                 std::invalid_argument);

    json failed = json::parse(R"({"header":{"revision":"2"},"responses":[{"response_range":)"
                              R"({"header":{"revision":"2"},"kvs":[{"key":"Zm9v","create_revision")"
                              R"(:"2","mod_revision":"2","value":"YQ==","lease":"7"}]}}]})");
    TxnAnswer t = parseTxn(failed);
    EXPECT_FALSE(t.succeeded);
    ASSERT_TRUE(t.key);
    EXPECT_EQ(t.key->value, "a");
    json won = json::parse(R"({"header":{"revision":"3"},"succeeded":true,"responses":[]})");
    EXPECT_TRUE(parseTxn(won).succeeded);
    EXPECT_EQ(parseTxn(won).revision, 3);
    EXPECT_EQ(gatewayError(json::parse(R"({"error":"etcdserver: request timed out","code":14,)"
                                       R"("message":"etcdserver: request timed out"})")),
              "etcdserver: request timed out");
    EXPECT_THROW(parseTxn(json::parse(R"({"error":"x","code":2})")), std::invalid_argument);
}

// TTL 15 s, lead 6.25 s (three 2 s rounds and a 0.25 s clock margin).
TEST(LeaseTiming, RenewalAndExpiryOnFakeClock) {
    LeaseClock l(15000, 6250, /*start*/ 1000);
    // Never reached a majority: the start counts, a fresh arbiter does not yield at once.
    EXPECT_EQ(l.sinceMajority(2000), -1);
    EXPECT_EQ(l.claimUntil(), 1000 + 15000 - 6250);
    l.acked(42, /*sent*/ 2000, 15);
    EXPECT_EQ(l.id(), 42);
    EXPECT_EQ(l.claimUntil(), 2000 + 15000 - 6250);
    EXPECT_FALSE(l.pastClaim(10749));
    EXPECT_TRUE(l.pastClaim(10750));
    EXPECT_EQ(l.leftMs(12000), 5000);
    // Renewal: due a third of the TTL after the acked send; the send time counts, not the
    // answer's arrival (etcd's timer started later than our send: the safe side).
    EXPECT_FALSE(l.keepaliveDue(6999));
    EXPECT_TRUE(l.keepaliveDue(7000));
    l.acked(42, 7000, 15);
    EXPECT_EQ(l.claimUntil(), 7000 + 15000 - 6250);
    // Cut from the majority: nothing is acked any more; the claim runs out on our clock.
    EXPECT_FALSE(l.pastClaim(15749));
    EXPECT_TRUE(l.pastClaim(15750));
    // etcd no longer knows the lease: a keep-alive answered without TTL.
    l.acked(42, 20000, 0);
    EXPECT_EQ(l.id(), 0);
    EXPECT_EQ(l.leftMs(20000), 0);
}

TEST(LeaseTiming, LeaderChangeExtensionIsNotCountedOnOurSide) {
    // A new etcd leader extends every lease to a full TTL from its start; a keep-alive then
    // reports no more than the granted TTL, and we never count beyond the configured one,
    // so our claim ends before etcd's copy does.
    LeaseClock l(10000, 3000, 0);
    l.acked(7, 1000, 10);
    l.acked(7, 4000, 30);  // more than configured (a member with another idea): capped
    EXPECT_EQ(l.claimUntil(), 4000 + 10000 - 3000);
    // etcd frees the key no earlier than the last keep-alive's arrival + TTL (>= 14000),
    // later still after a leader change; we stop claiming at 11000 and the yield (the lead)
    // is done by 14000.
    EXPECT_LE(l.claimUntil() + 3000, 4000 + 10000);
}

TEST(LeaseTiming, MajorityReadsMoveTheClaimOfANonOwner) {
    LeaseClock l(10000, 3000, 0);
    l.majorityAt(500);
    EXPECT_EQ(l.sinceMajority(1500), 1000);
    l.majorityAt(200);  // an answer to an older request does not move it back
    EXPECT_EQ(l.claimUntil(), 500 + 10000 - 3000);
}

KeyInfo key(std::string owner, int64_t create, int64_t mod, int64_t lease) {
    return KeyInfo{std::move(owner), create, mod, lease};
}

TEST(WitnessModel, PlanCampaignRefreshRelease) {
    Model m("node-a", 15000, 6250, 750, 0);
    m.lease().acked(9, 0, 15);
    m.sawKeys({{"VI_2", key("node-b", 3, 3, 8)}}, 0, 0);
    auto ops = m.plan({{"VI_1", true}, {"VI_2", true}, {"VI_3", false}});
    ASSERT_EQ(ops.size(), 1u);  // VI_2 is node-b's, VI_3 nobody wants
    EXPECT_EQ(ops[0].instance, "VI_1");
    EXPECT_EQ(ops[0].kind, OpKind::Campaign);
    m.sawKey("VI_1", key("node-a", 5, 5, 9), 100);
    EXPECT_TRUE(m.owns("VI_1"));
    ops = m.plan({{"VI_1", true}});
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].kind, OpKind::Refresh);
    EXPECT_EQ(ops[0].token, 5);
    ops = m.plan({{"VI_1", false}});
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].kind, OpKind::Release);
    // Our name on a key of another lease (an earlier run): not ours, it runs out.
    m.sawKey("VI_1", key("node-a", 5, 5, 1), 200);
    EXPECT_FALSE(m.owns("VI_1"));
}

TEST(WitnessModel, EvidenceOwnedPeerFreeMinorityUnreachable) {
    Model m("node-a", 15000, 6250, 750, 0);
    m.lease().acked(9, 0, 15);
    m.sawKeys({{"VI_1", key("node-a", 5, 5, 9)}, {"VI_2", key("node-b", 3, 3, 8)}}, 0, 0);
    auto w = m.evidence("VI_1", 3, 3, 3, false, 100);
    EXPECT_EQ(w.state, WitnessState::Owned);
    EXPECT_EQ(w.token, 5);
    w = m.evidence("VI_2", 3, 2, 3, false, 100);
    EXPECT_EQ(w.state, WitnessState::PeerOwns);
    EXPECT_EQ(w.owner, "node-b");
    EXPECT_EQ(w.token, 3);
    EXPECT_FALSE(w.owner_renewing);  // seen once: no rewrite seen yet
    EXPECT_EQ(m.evidence("VI_3", 3, 3, 3, false, 100).state, WitnessState::Free);
    // Reaching members that cannot serve a linearizable read, and reaching none.
    w = m.evidence("VI_1", 1, 0, 3, false, 100);
    EXPECT_EQ(w.state, WitnessState::Minority);
    EXPECT_EQ(w.token, 5);  // the last token seen, for the operator
    EXPECT_EQ(m.evidence("VI_1", 0, 0, 3, true, 100).state, WitnessState::Unreachable);
    EXPECT_TRUE(m.evidence("VI_1", 0, 0, 3, true, 100).fence_on_loss);
    EXPECT_FALSE(m.evidence("VI_1", 0, 0, 3, false, 8749).past_claim);
    EXPECT_TRUE(m.evidence("VI_1", 0, 0, 3, false, 8750).past_claim);
}

TEST(WitnessModel, OwnerRenewingOnlyWhileItRewritesItsKey) {
    Model m("node-a", 15000, 6250, 750, 0);
    auto seen = [&](int64_t create, int64_t mod, int64_t now) {
        m.sawKeys({{"VI_1", key("node-b", create, mod, 8)}}, now, now);
        return m.evidence("VI_1", 3, 3, 3, false, now).owner_renewing;
    };
    EXPECT_FALSE(seen(3, 10, 0));    // first sight
    EXPECT_TRUE(seen(3, 11, 500));   // rewritten since
    EXPECT_TRUE(seen(3, 11, 1000));  // one quiet look within the window (jitter)
    EXPECT_FALSE(seen(3, 11, 1500)); // stopped: a lease kept alive alone is not an owner
    EXPECT_TRUE(seen(3, 12, 2000));
    EXPECT_FALSE(seen(40, 41, 2500));  // another owner (new create revision): not yet
    EXPECT_TRUE(seen(40, 42, 3000));
    m.sawKeys({}, 3500, 3500);  // gone
    EXPECT_EQ(m.evidence("VI_1", 3, 3, 3, false, 3500).state, WitnessState::Free);
}

}  // namespace
}  // namespace xvrrp::arbiter::witness
