// xvrrpd's /metrics body from a snapshot with a value in every field: each family carries
// the value it should, every xv_stats counter appears once, promtool accepts the text and
// docs/metrics.md documents every family with its type.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "daemon/keepalived_stats.hpp"
#include "daemon/metrics_render.hpp"
#include "metrics/http_server.hpp"
#include "snapshot_fixture.hpp"

namespace xvrrp::daemon {
namespace {

// "name{labels}" -> value text, and family -> type.
struct Parsed {
    std::map<std::string, std::string> samples;
    std::map<std::string, std::string> types;
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
            EXPECT_TRUE(p.samples.emplace(line.substr(0, sp), line.substr(sp + 1)).second)
                << "duplicate series " << line;
        }
    }
    return p;
}

std::string render(const DaemonSnapshot& s) {
    metrics::Exposition out;
    renderMetrics(s, out);
    return out.take();
}

const std::string kI1 = R"({iname="VI_1",intf="eth0",vrid="51"})";
const std::string kI2 = R"({iname="VI_2",intf="eth1",vrid="52"})";
std::string with(const std::string& inst, const std::string& extra) {
    return inst.substr(0, inst.size() - 1) + "," + extra + "}";
}

class MetricsRender : public ::testing::Test {
protected:
    test::SnapshotRig rig;
    Parsed p = parse(render(rig.s));
    void expectSample(const std::string& series, const std::string& value) {
        auto it = p.samples.find(series);
        ASSERT_NE(it, p.samples.end()) << "missing " << series;
        EXPECT_EQ(it->second, value) << series;
    }
};

TEST_F(MetricsRender, KeepalivedExporterFamilies) {
    expectSample("keepalived_up", "1");
    expectSample("keepalived_vrrp_state" + kI1, "1");
    expectSample("keepalived_vrrp_state" + kI2, "2");
    // Received counts what the kernel absorbed too: 11 + 42.
    expectSample("keepalived_advertisements_received_total" + kI1, "53");
    expectSample("keepalived_advertisements_sent_total" + kI1, "12");
    expectSample("keepalived_become_master_total" + kI1, "13");
    expectSample("keepalived_release_master_total" + kI1, "14");
    expectSample("keepalived_priority_zero_received_total" + kI1, "15");
    expectSample("keepalived_priority_zero_sent_total" + kI1, "16");
    expectSample("keepalived_ip_ttl_errors_total" + kI1, "21");
    expectSample("keepalived_packet_length_errors_total" + kI1, "45");  // 22 + 23
    expectSample("keepalived_invalid_type_received_total" + kI1, "24");
    expectSample("keepalived_advertisements_interval_errors_total" + kI1, "25");
    expectSample("keepalived_address_list_errors_total" + kI1, "53");  // 26 + 27
    expectSample("keepalived_authentication_invalid_total" + kI1, "57");  // 28 + 29
    expectSample("keepalived_authentication_mismatch_total" + kI1, "30");
    expectSample("keepalived_authentication_failure_total" + kI1, "31");
    expectSample("keepalived_advertisements_received_total" + kI2, "1");
    expectSample("keepalived_ip_ttl_errors_total" + kI2, "0");
    expectSample(R"(keepalived_script_status{name="chk"})", "1");
    expectSample(R"(keepalived_script_state{name="chk"})", "1");
}

TEST_F(MetricsRender, ScriptStatusIsAbsentBeforeAResult) {
    rig.s.scripts["chk"].state = track::TrackState::Init;
    rig.s.scripts["chk"].running = false;
    auto q = parse(render(rig.s));
    EXPECT_EQ(q.samples.count(R"(keepalived_script_status{name="chk"})"), 0u);
    EXPECT_EQ(q.samples.at(R"(keepalived_script_state{name="chk"})"), "0");
    rig.s.scripts["chk"].state = track::TrackState::Down;
    EXPECT_EQ(parse(render(rig.s)).samples.at(R"(keepalived_script_status{name="chk"})"), "0");
}

TEST_F(MetricsRender, InstanceFamilies) {
    expectSample(with(kI1, R"(family="ipv4",version="2",mode="unicast",bound="true")")
                     .replace(0, 0, "xvrrp_instance_info"),
                 "1");
    expectSample(with(kI2, R"(family="ipv6",version="3",mode="multicast",bound="true")")
                     .replace(0, 0, "xvrrp_instance_info"),
                 "1");
    expectSample("xvrrp_effective_priority" + kI2, "102");
    expectSample("xvrrp_base_priority" + kI2, "100");
    expectSample("xvrrp_master_priority" + kI1, "200");
    expectSample("xvrrp_master_priority" + kI2, "102");  // its own when MASTER
    expectSample("xvrrp_wants_master" + kI1, "0");
    expectSample("xvrrp_kernel_adverts_total" + kI1, "41");
    expectSample("xvrrp_adverts_absorbed_total" + kI1, "42");
    expectSample("xvrrp_adverts_woken_total" + kI1, "43");
    expectSample("xvrrp_adverts_missed_total" + kI1, "44");
    expectSample("xvrrp_kernel_adverts_total" + kI2, "0");
    // The kernel's last-seen (999.5 s) is later than the machine's (998 s).
    expectSample("xvrrp_last_advert_age_seconds" + kI1, "0.5");
    EXPECT_EQ(p.samples.count("xvrrp_last_advert_age_seconds" + kI2), 0u);
    expectSample("xvrrp_adverts_rejected_total" + with(kI1, R"(reason="bad_checksum")"), "32");
    expectSample("xvrrp_adverts_rejected_total" + with(kI1, R"(reason="bad_ttl")"), "21");
    expectSample("xvrrp_advert_send_errors_total" + kI1, "34");
    expectSample("xvrrp_address_errors_total" + kI1, "33");
    expectSample("xvrrp_vips_installed" + kI1, "0");
    expectSample("xvrrp_vips_installed" + kI2, "1");
    expectSample("xvrrp_instance_fenced" + kI1, "2");
    expectSample("xvrrp_instance_fenced" + kI2, "0");
    expectSample("xvrrp_fault_active" + with(kI1, R"(source="fence")"), "1");
    expectSample("xvrrp_last_transition_timestamp_seconds" + kI1, "1799999990.5");
}

// xvrrp_bfd_failover: one series per instance with the keyword, labelled by the session.
TEST_F(MetricsRender, BfdFailoverCounter) {
    EXPECT_EQ(p.types.at("xvrrp_bfd_failover_peer_lost_total"), "counter");
    for (const auto& [series, v] : p.samples)
        EXPECT_NE(series.rfind("xvrrp_bfd_failover_peer_lost_total{", 0), 0u) << series;  // none yet
    auto cfg = std::make_shared<config::Config>(*rig.s.config);
    cfg->instances[0].bfd_failover = "b1";
    DaemonSnapshot s = rig.s;
    s.config = cfg;
    s.instances[0].cfg = &cfg->instances[0];
    s.instances[1].cfg = &cfg->instances[1];
    s.instances[0].machine.counters.peer_lost_accepted = 3;
    Parsed q = parse(render(s));
    EXPECT_EQ(q.samples["xvrrp_bfd_failover_peer_lost_total" + with(kI1, R"(bfd="b1")")], "3");
    EXPECT_EQ(q.samples.count("xvrrp_bfd_failover_peer_lost_total" + with(kI2, R"(bfd="b1")")), 0u);
}

TEST_F(MetricsRender, TrackerFamilies) {
    expectSample("xvrrp_tracker_state" + with(kI1, R"(kind="script",name="chk")"), "1");
    expectSample("xvrrp_tracker_state" + with(kI1, R"(kind="interface",name="eth1")"), "2");
    expectSample("xvrrp_tracker_priority_delta" + with(kI1, R"(kind="interface",name="eth1")"),
                 "-10");
    expectSample("xvrrp_tracker_state" + with(kI2, R"(kind="file",name="tf")"), "1");
    expectSample(R"(xvrrp_track_file_value{name="tf"})", "1");
}

TEST_F(MetricsRender, BfdFamilies) {
    const std::string b = R"(name="b1",neighbor="192.0.2.2")";
    expectSample("xvrrp_bfd_session_state{" + b + "}", "3");
    expectSample("xvrrp_bfd_remote_state{" + b + "}", "3");
    expectSample("xvrrp_bfd_detect_time_seconds{" + b + "}", "0.05");
    expectSample("xvrrp_bfd_packets_total{" + b + R"(,direction="rx"})", "71");
    expectSample("xvrrp_bfd_packets_total{" + b + R"(,direction="tx"})", "72");
    expectSample("xvrrp_bfd_send_errors_total{" + b + "}", "73");
    expectSample("xvrrp_bfd_absorbed_total{" + b + "}", "74");
    expectSample("xvrrp_bfd_transitions_total{" + b + R"(,to="up"})", "2");
    expectSample("xvrrp_bfd_transitions_total{" + b + R"(,to="down"})", "1");
    expectSample("xvrrp_bfd_rx_rejected_total{" + b + R"(,reason="bad_ttl"})", "4");
}

TEST_F(MetricsRender, EveryXdpCounterOnceWithItsField) {
    ASSERT_EQ(kXdpCounterCount, sizeof(xv_stats) / sizeof(uint64_t))
        << "xv_stats changed: give every field a series in kXdpCounters (metrics_render.cpp)";
    std::set<size_t> offsets;
    for (size_t i = 0; i < kXdpCounterCount; ++i) {
        const auto& c = kXdpCounters[i];
        EXPECT_TRUE(offsets.insert(c.offset).second) << c.family << " " << c.value;
        std::string series = c.family;
        if (*c.label) series += std::string("{") + c.label + "=\"" + c.value + "\"}";
        expectSample(series, std::to_string(1000 + c.offset / 8));
    }
}

TEST_F(MetricsRender, KernelAndDaemonFamilies) {
    expectSample(R"(xvrrp_vip_verdict{iname="VI_1",intf="eth0",vrid="51",vip="192.0.2.100"})", "3");
    expectSample("xvrrp_heartbeat_age_seconds", "0.0025");
    expectSample(R"(xvrrp_xdp_interface_info{intf="eth1",mode="generic"})", "1");
    expectSample("xvrrp_ring_wakeups_total", "2");
    expectSample("xvrrp_ring_records_total", "3");
    expectSample("xvrrp_ring_bad_records_total", "51");
    expectSample("xvrrp_rx_unknown_instance_total", "52");
    expectSample("xvrrp_rx_undecodable_total", "53");
    expectSample(R"(xvrrp_transitions_total{from="INIT",to="BACKUP"})", "1");
    expectSample(R"(xvrrp_transitions_total{from="BACKUP",to="MASTER"})", "1");
    // 50 ms from the last advert to MASTER: in the 0.05 bucket, not the 0.025 one.
    expectSample(R"(xvrrp_transition_seconds_bucket{from="BACKUP",to="MASTER",le="0.025"})", "0");
    expectSample(R"(xvrrp_transition_seconds_bucket{from="BACKUP",to="MASTER",le="0.05"})", "1");
    expectSample(R"(xvrrp_transition_seconds_count{from="BACKUP",to="MASTER"})", "1");
    expectSample(R"(xvrrp_transition_seconds_count{from="MASTER",to="BACKUP"})", "0");
    expectSample("xvrrp_notify_runs_total", "61");
    expectSample("xvrrp_notify_failures_total", "62");
    expectSample("xvrrp_notify_fifo_dropped_total", "63");
    expectSample(R"(xvrrp_reloads_total{result="ok"})", "1");
    expectSample(R"(xvrrp_reloads_total{result="error"})", "1");
    expectSample(R"(xvrrp_reload_instances_total{action="kept"})", "1");
    expectSample(R"(xvrrp_reload_instances_total{action="added"})", "1");
    expectSample(R"(xvrrp_reload_instances_total{action="removed"})", "0");
    expectSample("xvrrp_dump_seconds_count", "1");
    expectSample("xvrrp_dump_max_seconds", "0.002");
    expectSample(R"(xvrrp_loop_errors_total{handler="adverts"})", "54");
    expectSample("xvrrp_instances", "2");
    expectSample("xvrrp_uptime_seconds", "99.5");
}

TEST_F(MetricsRender, TransitionLatencyOnlyWhenTheAdvertCameInTheStateLeft) {
    Telemetry t;
    using vrrp::State;
    using vrrp::TimePoint;
    using namespace std::chrono_literals;
    t.transition("X", State::Init, State::Backup, TimePoint{10s}, 0, std::nullopt);
    t.transition("X", State::Backup, State::Master, TimePoint{20s}, 0, TimePoint{5s});  // before
    t.transition("X", State::Master, State::Backup, TimePoint{30s}, 0, TimePoint{29s});
    t.transition("X", State::Backup, State::Fault, TimePoint{31s}, 0, TimePoint{30500ms});
    EXPECT_EQ(t.latencies().at({State::Backup, State::Master}).count(), 0u);
    EXPECT_EQ(t.latencies().at({State::Master, State::Backup}).count(), 1u);
    EXPECT_DOUBLE_EQ(t.latencies().at({State::Master, State::Backup}).sum(), 1.0);
    EXPECT_EQ(t.transitions().at({State::Backup, State::Fault}), 1u);
}

// The render thread reads a snapshot after the loop has moved on: a reload may have
// replaced the configuration and every tracker report it names. It owns them.
TEST(MetricsSnapshot, RendersAfterTheConfigurationAndReportsAreReplaced) {
    DaemonSnapshot snap;
    std::weak_ptr<const config::Config> config;
    std::weak_ptr<const nlohmann::json> report;
    {
        test::SnapshotRig rig;  // the daemon's side, gone at the end of this block
        snap = rig.s;
        config = rig.config;
        report = rig.s.instances[0].track_report;
    }
    EXPECT_FALSE(config.expired());
    EXPECT_FALSE(report.expired());
    const Parsed p = parse(render(snap));
    EXPECT_EQ(p.samples.at("xvrrp_base_priority" + kI1), "150");
    EXPECT_EQ(p.samples.at("xvrrp_tracker_priority_delta" + with(kI1, R"(kind="interface",name="eth1")")),
              "-10");
    EXPECT_EQ(p.samples.at(R"(xvrrp_transitions_total{from="BACKUP",to="MASTER"})"), "1");
}

// promtool (Debian's prometheus package) is the reference parser and linter.
TEST_F(MetricsRender, PromtoolAcceptsIt) {
    char path[] = "/tmp/xvt-metrics-XXXXXX";
    int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    const std::string text = render(rig.s);
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
    const std::string cmd = std::string("promtool check metrics < ") + path + " 2>&1";
    FILE* f = ::popen(cmd.c_str(), "r");
    ASSERT_TRUE(f) << "cannot run promtool (tools/test installs the prometheus package)";
    std::string out;
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    const int rc = ::pclose(f);
    ::unlink(path);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out, "") << "promtool lint findings";
}

// docs/metrics.md lists exactly the families xvrrpd writes, with their types.
TEST_F(MetricsRender, DocumentedInDocsMetrics) {
    std::ifstream in(XVRRP_DOCS_DIR "/metrics.md");
    ASSERT_TRUE(in) << XVRRP_DOCS_DIR "/metrics.md";
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    auto types = p.types;
    metrics::Exposition server;  // the endpoint's own families, written after these
    metrics::HttpServer::Stats none;
    metrics::writeServerStats(server, none, "xvrrp");
    for (const auto& [f, t] : parse(server.take()).types) types[f] = t;
    for (const auto& [family, type] : types) {
        const std::string row = "| `" + family + "` | " + type + " |";
        EXPECT_NE(doc.find(row), std::string::npos) << "docs/metrics.md lacks the row " << row;
    }
    // And no row names a family xvrrpd does not write (the arbiter's have their own test).
    static const std::regex row(R"(\n\| `([a-z_:][a-z0-9_:]*)` \| (counter|gauge|histogram) \|)");
    for (std::sregex_iterator it(doc.begin(), doc.end(), row), end; it != end; ++it) {
        const std::string family = (*it)[1];
        if (family.rfind("xvrrp_arbiter_", 0) == 0) continue;
        EXPECT_TRUE(types.count(family)) << "docs/metrics.md lists " << family
                                         << ", which xvrrpd does not write";
    }
}

}  // namespace
}  // namespace xvrrp::daemon
