// xvrrp-arbiter's /metrics body after rounds fed by hand: each family carries what the round
// and the decisions said, promtool accepts it, and docs/metrics.md lists exactly these
// families with their types (a new family needs its row; a row needs its family).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "arbiter_metrics.hpp"
#include "metrics/http_server.hpp"

namespace xvrrp::arbiter {
namespace {

struct Parsed {
    std::map<std::string, std::string> samples;  // "name{labels}" -> value
    std::map<std::string, std::string> types;    // family -> type
};

Parsed parse(const std::string& text) {
    Parsed p;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# TYPE ", 0) == 0) {
            auto rest = line.substr(7);
            auto sp = rest.find(' ');
            p.types[rest.substr(0, sp)] = rest.substr(sp + 1);
        } else if (!line.empty() && line[0] != '#') {
            auto sp = line.rfind(' ');
            p.samples[line.substr(0, sp)] = line.substr(sp + 1);
        }
    }
    return p;
}

InstanceEvidence evidence(const std::string& name, const RoundResult& r) {
    InstanceEvidence ev = assemble(name, r, Tri::Yes, FenceOwner::None);
    ev.local.view = NodeView{"MASTER", 100, "10.0.0.1", {10, 0, 0, 1}, true, false};
    return ev;
}

// e1 served the read in 12 ms, e2 took the connection and timed out, e3 refused it; the
// lease was kept alive, VI_1 refreshed and VI_2's campaign found another owner.
witness::WitnessRound witnessRound() {
    witness::WitnessRound w;
    w.duration_ms = 520;
    using M = witness::WitnessRound::Member;
    w.members = {{"http://e1:2379", M::Ok, 12}, {"http://e2:2379", M::NoMajority, -1},
                 {"http://e3:2379", M::Unreachable, -1}};
    w.requests = {{"", "lease_keepalive", "ok"}, {"VI_1", "refresh", "ok"},
                  {"VI_2", "campaign", "refused"}};
    w.lease_id = 0x1234;
    w.lease_left_ms = 7500;
    w.claim_left_ms = -250;
    w.since_majority_ms = 600;
    return w;
}

// Round 1: gateways 1 of 2, peer a pings and answers ssh, peer b neither, xvrrpd answers.
// VI_1 holds (an operator's fence on it); VI_2 has lost quorum and is fenced at once (fence_after
// 1).
class ArbiterMetricsTest : public ::testing::Test {
  protected:
    ArbiterMetricsTest() {
        r.number = 1;
        r.duration_ms = 300;
        r.quorum = {1, 2, 2};
        r.gateways = {{"192.0.2.1", true}, {"192.0.2.2", false}};
        r.local = DaemonStatus{};
        PeerResult a{"a", "10.0.0.2", Tri::Yes, {}};
        a.ssh.status = DaemonStatus{};
        PeerResult b{"b", "10.0.0.3", Tri::No, {}};
        b.ssh.unknown_reason = "ssh timed out";
        r.peers = {a, b};
        Policy policy{1, 3};
        History h;
        auto ev1 = evidence("VI_1", r);
        ev1.quorum = {2, 2, 2};
        ev1.local.fence = FenceOwner::Operator;
        ev1.witness.state = WitnessState::Owned;
        ev1.witness.token = 4711;
        d1 = decide(ev1, h, policy);
        m.decided("VI_1", &ev1, d1);
        auto ev2 = evidence("VI_2", r);
        ev2.witness.state = WitnessState::Minority;
        ev2.witness.past_claim = true;
        d2 = decide(ev2, h, policy);
        m.decided("VI_2", &ev2, d2);
        m.round(r, 1700000000.5);
        m.witness(witnessRound());
        m.write(out, "node1");
        text = out.text();
        p = parse(text);
    }
    void expectSample(const std::string& series, const std::string& value) {
        auto it = p.samples.find(series);
        ASSERT_NE(it, p.samples.end()) << series << " missing in\n" << text;
        EXPECT_EQ(it->second, value) << series;
    }

    RoundResult r;
    Decision d1, d2;
    ArbiterMetrics m;
    metrics::Exposition out;
    std::string text;
    Parsed p;
};

TEST_F(ArbiterMetricsTest, EachFamilyCarriesWhatTheRoundSaid) {
    ASSERT_EQ(d1.action, Action::NoChange);
    ASSERT_EQ(d2.action, Action::FenceSelf) << d2.rule << ": " << d2.reason;
    expectSample("xvrrp_arbiter_up", "1");
    expectSample(R"(xvrrp_arbiter_info{node="node1"})", "1");
    expectSample("xvrrp_arbiter_rounds_total", "1");
    expectSample("xvrrp_arbiter_round_duration_seconds_count", "1");
    expectSample("xvrrp_arbiter_round_duration_seconds_sum", "0.3");
    expectSample(R"(xvrrp_arbiter_round_duration_seconds_bucket{le="0.25"})", "0");
    expectSample(R"(xvrrp_arbiter_round_duration_seconds_bucket{le="0.5"})", "1");
    expectSample("xvrrp_arbiter_last_round_timestamp_seconds", "1700000000.5");
    expectSample("xvrrp_arbiter_gateways", "2");
    expectSample("xvrrp_arbiter_gateways_reachable", "1");
    expectSample("xvrrp_arbiter_gateways_needed", "2");
    expectSample("xvrrp_arbiter_quorum_ok", "0");
    expectSample(R"(xvrrp_arbiter_probe_ok{probe="gateway_ping",target="192.0.2.1"})", "1");
    expectSample(R"(xvrrp_arbiter_probe_ok{probe="gateway_ping",target="192.0.2.2"})", "0");
    expectSample(R"(xvrrp_arbiter_probe_ok{probe="peer_ping",target="a"})", "1");
    expectSample(R"(xvrrp_arbiter_probe_ok{probe="peer_ssh",target="a"})", "1");
    expectSample(R"(xvrrp_arbiter_probe_ok{probe="peer_ping",target="b"})", "0");
    expectSample(R"(xvrrp_arbiter_probe_ok{probe="peer_ssh",target="b"})", "0");
    expectSample(R"(xvrrp_arbiter_probe_ok{probe="xvrrpd",target="local"})", "1");
    expectSample(R"(xvrrp_arbiter_probes_total{probe="peer_ssh",target="b",result="failed"})", "1");
    expectSample(
        R"(xvrrp_arbiter_probes_total{probe="gateway_ping",target="192.0.2.1",result="ok"})", "1");
    expectSample(
        R"(xvrrp_arbiter_evidence_total{instance="VI_1",evidence="kernel_holds_vip",result="yes"})",
        "1");
    expectSample(
        R"(xvrrp_arbiter_evidence_total{instance="VI_1",evidence="xvrrpd_view",result="yes"})",
        "1");
    expectSample(
        R"(xvrrp_arbiter_peer_adverts_total{instance="VI_1",peer="b",result="unknown"})",
        "1");
    expectSample("xvrrp_arbiter_verdicts_total{instance=\"VI_1\",verdict=\"" +
                     std::string(verdictName(d1.verdict)) + "\",rule=\"" + d1.rule + "\"}",
                 "1");
    expectSample("xvrrp_arbiter_verdicts_total{instance=\"VI_2\",verdict=\"want_fence\",rule=\"" +
                     d2.rule + "\"}",
                 "1");
    expectSample(R"(xvrrp_arbiter_actions_total{instance="VI_2",action="fence_self"})", "1");
    EXPECT_EQ(
        p.samples.count(R"(xvrrp_arbiter_actions_total{instance="VI_1",action="fence_self"})"), 0u);
    expectSample("xvrrp_arbiter_instances", "2");
    expectSample(R"(xvrrp_arbiter_fenced{instance="VI_1"})", "0");
    expectSample(R"(xvrrp_arbiter_fenced{instance="VI_2"})", "1");
    expectSample("xvrrp_arbiter_fences_held", "1");
    expectSample(R"(xvrrp_arbiter_fence_owner{instance="VI_1",owner="operator"})", "1");
    expectSample(R"(xvrrp_arbiter_fence_owner{instance="VI_2",owner="none"})", "1");
}

// issue 15 item 5: the witness's members, lease, claims and round time.
TEST_F(ArbiterMetricsTest, WitnessFamiliesCarryTheWitnessRound) {
    expectSample("xvrrp_arbiter_witness_rounds_total", "1");
    expectSample("xvrrp_arbiter_witness_round_duration_seconds_count", "1");
    expectSample("xvrrp_arbiter_witness_round_duration_seconds_sum", "0.52");
    expectSample(R"(xvrrp_arbiter_witness_round_duration_seconds_bucket{le="0.5"})", "0");
    expectSample(R"(xvrrp_arbiter_witness_round_duration_seconds_bucket{le="1"})", "1");
    expectSample(R"(xvrrp_arbiter_witness_member_state{endpoint="http://e1:2379",state="ok"})", "1");
    expectSample(
        R"(xvrrp_arbiter_witness_member_state{endpoint="http://e1:2379",state="unreachable"})", "0");
    expectSample(
        R"(xvrrp_arbiter_witness_member_state{endpoint="http://e2:2379",state="no_majority"})", "1");
    expectSample(
        R"(xvrrp_arbiter_witness_member_state{endpoint="http://e3:2379",state="unreachable"})", "1");
    expectSample(R"(xvrrp_arbiter_witness_member_read_seconds{endpoint="http://e1:2379"})", "0.012");
    EXPECT_EQ(p.samples.count(R"(xvrrp_arbiter_witness_member_read_seconds{endpoint="http://e2:2379"})"),
              0u);
    expectSample(R"(xvrrp_arbiter_witness_reads_total{endpoint="http://e3:2379",result="unreachable"})",
                 "1");
    expectSample(
        R"(xvrrp_arbiter_witness_requests_total{instance="",request="lease_keepalive",result="ok"})",
        "1");
    expectSample(
        R"(xvrrp_arbiter_witness_requests_total{instance="VI_2",request="campaign",result="refused"})",
        "1");
    expectSample("xvrrp_arbiter_witness_lease_left_seconds", "7.5");
    expectSample("xvrrp_arbiter_witness_claim_left_seconds", "-0.25");
    expectSample("xvrrp_arbiter_witness_since_majority_seconds", "0.6");
    expectSample(R"(xvrrp_arbiter_witness_state{instance="VI_1",state="owned"})", "1");
    expectSample(R"(xvrrp_arbiter_witness_state{instance="VI_1",state="minority"})", "0");
    expectSample(R"(xvrrp_arbiter_witness_state{instance="VI_2",state="minority"})", "1");
    expectSample(R"(xvrrp_arbiter_witness_token{instance="VI_1"})", "4711");
    expectSample(R"(xvrrp_arbiter_witness_past_claim{instance="VI_1"})", "0");
    expectSample(R"(xvrrp_arbiter_witness_past_claim{instance="VI_2"})", "1");
    // A second round counts on; the gauges follow it.
    auto w = witnessRound();
    w.members[2] = {"http://e3:2379", witness::WitnessRound::Member::Ok, 3};
    m.witness(w);
    metrics::Exposition o2;
    m.write(o2, "node1");
    p = parse(o2.text());
    expectSample("xvrrp_arbiter_witness_rounds_total", "2");
    expectSample(
        R"(xvrrp_arbiter_witness_member_state{endpoint="http://e3:2379",state="unreachable"})", "0");
    expectSample(R"(xvrrp_arbiter_witness_reads_total{endpoint="http://e3:2379",result="ok"})", "1");
    expectSample(R"(xvrrp_arbiter_witness_reads_total{endpoint="http://e1:2379",result="ok"})", "2");
}

// The next round counts on; a peer that a reload removed leaves the last-round gauges.
TEST_F(ArbiterMetricsTest, CountersAddUpAndGaugesFollowTheLastRound) {
    r.peers.pop_back();
    r.number = 2;
    m.round(r, 1700000001.5);
    Decision unfence;
    unfence.action = Action::UnfenceSelf;
    unfence.verdict = Verdict::WantUnfence;
    unfence.rule = "U1";
    m.decided("VI_2", nullptr, unfence);
    metrics::Exposition o2;
    m.write(o2, "node1");
    p = parse(o2.text());
    expectSample("xvrrp_arbiter_rounds_total", "2");
    expectSample(R"(xvrrp_arbiter_probes_total{probe="peer_ping",target="a",result="ok"})", "2");
    expectSample(R"(xvrrp_arbiter_probes_total{probe="peer_ping",target="b",result="failed"})",
                 "1");
    EXPECT_EQ(p.samples.count(R"(xvrrp_arbiter_probe_ok{probe="peer_ping",target="b"})"), 0u);
    expectSample(R"(xvrrp_arbiter_fenced{instance="VI_2"})", "0");
    expectSample("xvrrp_arbiter_fences_held", "0");
    expectSample(R"(xvrrp_arbiter_actions_total{instance="VI_2",action="unfence_self"})", "1");
}

// Before any round: no last-round time, quorum not claimed.
TEST(ArbiterMetricsEmpty, NothingClaimedBeforeTheFirstRound) {
    ArbiterMetrics m;
    metrics::Exposition out;
    m.write(out, "n");
    auto p = parse(out.text());
    EXPECT_EQ(p.samples.count("xvrrp_arbiter_last_round_timestamp_seconds"), 0u);
    EXPECT_EQ(p.samples.at("xvrrp_arbiter_quorum_ok"), "0");
    EXPECT_EQ(p.samples.at("xvrrp_arbiter_rounds_total"), "0");
    // Without a witness (or before its first round) none of its families.
    EXPECT_EQ(out.text().find("xvrrp_arbiter_witness_"), std::string::npos);
}

TEST_F(ArbiterMetricsTest, PromtoolAcceptsIt) {
    char path[] = "/tmp/xvt-arbiter-metrics-XXXXXX";
    int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    metrics::HttpServer::Stats none;
    metrics::writeServerStats(out, none, "xvrrp_arbiter");
    const std::string body = out.text();
    ASSERT_EQ(::write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
    ::close(fd);
    FILE* f = ::popen((std::string("promtool check metrics < ") + path + " 2>&1").c_str(), "r");
    ASSERT_TRUE(f) << "cannot run promtool (tools/test installs the prometheus package)";
    std::string said;
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, f)) said.append(buf, n);
    const int rc = ::pclose(f);
    ::unlink(path);
    EXPECT_EQ(rc, 0) << said;
    EXPECT_EQ(said, "") << "promtool lint findings";
}

// docs/metrics.md's rows for xvrrp_arbiter_* are exactly the families written, with their types.
TEST_F(ArbiterMetricsTest, DocsMetricsListsExactlyTheseFamilies) {
    std::ifstream in(XVRRP_DOCS_DIR "/metrics.md");
    ASSERT_TRUE(in) << XVRRP_DOCS_DIR "/metrics.md";
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    metrics::HttpServer::Stats none;
    metrics::writeServerStats(out, none, "xvrrp_arbiter");
    const auto types = parse(out.text()).types;
    std::map<std::string, std::string> documented;
    static const std::regex row(R"(\n\| `(xvrrp_arbiter_[a-z_]+)` \| ([a-z]+) \|)");
    for (std::sregex_iterator it(doc.begin(), doc.end(), row), end; it != end; ++it)
        documented[(*it)[1]] = (*it)[2];
    EXPECT_EQ(documented, types);
}

}  // namespace
}  // namespace xvrrp::arbiter
