// Issue 11, acceptance 1: a real Prometheus (Debian's package) in its own lab namespace
// scrapes both xvrrpd nodes of a pair every second over a management network of its own.
// The master's VRRP link loses carrier; Prometheus' HTTP API must show keepalived_vrrp_state
// going 2 -> 3 on the old master and 1 -> 2 on the backup, and the backup's
// keepalived_become_master_total rising by one. promtool accepts both nodes' /metrics.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <future>
#include <mutex>
#include <regex>
#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "lab/lab.hpp"
#include "lab/wait.hpp"
#include "xvrrpd_node.hpp"

namespace xvrrp::itest {
namespace {

using namespace std::chrono_literals;
constexpr int kMetricsPort = 9650;
constexpr int kPromPort = 9090;

double unixNow() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class MetricsPrometheus : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(::geteuid(), 0u) << "needs root for namespaces and XDP";
        lab_ = std::make_unique<lab::Lab>(std::vector<std::string>{"n1", "n2", "mon"},
                                          lab::LabOptions{.tag = "prom", .mgmtV4Prefix = "10.78.0"});
        n1_ = std::make_unique<XvrrpdNode>(*lab_, "n1");
        n2_ = std::make_unique<XvrrpdNode>(*lab_, "n2");
    }
    void TearDown() override {
        if (HasFailure()) {
            for (auto* n : {n1_.get(), n2_.get()})
                if (n) std::cerr << "---- " << n->name() << " log ----\n" << tail(n->log());
            if (prom_) std::cerr << "---- prometheus log ----\n" << tail(prom_->readLog());
        }
        n1_.reset();
        n2_.reset();
        lab_.reset();
    }

    std::string target(const std::string& node) {
        return lab_->mgmt4(node).str() + ":" + std::to_string(kMetricsPort);
    }

    void startPrometheus() {
        const std::string dir = lab_->logDir() + "/prometheus";
        ::mkdir(dir.c_str(), 0755);
        std::ofstream(dir + "/prometheus.yml")
            << "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
            << "scrape_configs:\n  - job_name: xvrrp\n    static_configs:\n"
            << "      - targets: ['" << target("n1") << "', '" << target("n2") << "']\n";
        prom_ = &lab_->node("mon").spawn(
            {"prometheus", "--config.file=" + dir + "/prometheus.yml",
             "--storage.tsdb.path=" + dir + "/data", "--storage.tsdb.retention.time=1h",
             "--web.listen-address=127.0.0.1:" + std::to_string(kPromPort),
             "--web.max-connections=8", "--query.max-concurrency=2", "--log.level=warn"},
            dir + "/prometheus.log");
    }

    // A Prometheus HTTP API call (GET /api/v1/...); "data" of a successful answer.
    std::optional<nlohmann::json> api(const std::string& path) {
        auto r = httpGet(lab_->node("mon").path(), "127.0.0.1", kPromPort, "/api/v1/" + path);
        if (!r || r->status != 200) return std::nullopt;
        auto j = nlohmann::json::parse(r->body, nullptr, false);
        if (j.is_discarded() || j["status"] != "success") return std::nullopt;
        return j["data"];
    }
    // The value of an instant query selecting one series, or nullopt.
    std::optional<double> instant(const std::string& expr) {
        auto d = api("query?query=" + urlEncode(expr));
        if (!d || (*d)["result"].size() != 1) return std::nullopt;
        return std::stod((*d)["result"][0]["value"][1].get<std::string>());
    }
    // Values of one series over [start, now] at 1 s steps.
    std::vector<double> range(const std::string& expr, double start) {
        auto d = api("query_range?query=" + urlEncode(expr) + "&start=" + std::to_string(start) +
                     "&end=" + std::to_string(unixNow()) + "&step=1");
        std::vector<double> v;
        if (!d || (*d)["result"].size() != 1) return v;
        for (const auto& p : (*d)["result"][0]["values"]) v.push_back(std::stod(p[1].get<std::string>()));
        return v;
    }
    std::string sel(const std::string& node) {
        return "{job=\"xvrrp\",instance=\"" + target(node) + "\",iname=\"VI_1\"}";
    }

    std::unique_ptr<lab::Lab> lab_;
    std::unique_ptr<XvrrpdNode> n1_, n2_;
    lab::Process* prom_ = nullptr;
};

// The values run A... then B... (each at least once, nothing else).
::testing::AssertionResult wentFromTo(const std::vector<double>& v, double a, double b) {
    size_t i = 0;
    while (i < v.size() && v[i] == a) ++i;
    const size_t as = i;
    while (i < v.size() && v[i] == b) ++i;
    if (as > 0 && i > as && i == v.size()) return ::testing::AssertionSuccess();
    std::string s;
    for (double x : v) s += std::to_string(static_cast<int>(x)) + " ";
    return ::testing::AssertionFailure() << "values: " << s;
}

TEST_F(MetricsPrometheus, CarrierLossSeenThroughPrometheus) {
    InstanceSpec s1, s2;
    s1.priority = 200;
    s2.priority = 100;
    s1.vip = s2.vip = lab_->vip4(100).str() + "/24";
    n1_->start(renderConfig("n1", s1), {"--metrics", target("n1")});
    n2_->start(renderConfig("n2", s2), {"--metrics", target("n2")});
    ASSERT_TRUE(waitState(*n1_, "MASTER", 20s)) << n1_->state();
    ASSERT_TRUE(waitState(*n2_, "BACKUP", 20s)) << n2_->state();

    // promtool accepts what each node serves.
    for (const char* n : {"n1", "n2"}) {
        auto r = httpGet(lab_->node("mon").path(), lab_->mgmt4(n).str(), kMetricsPort, "/metrics");
        ASSERT_TRUE(r && r->status == 200) << n;
        const std::string file = lab_->logDir() + "/" + n + ".metrics";
        std::ofstream(file) << r->body;
        auto check = lab::runIn("", {"sh", "-c", "promtool check metrics < " + file + " 2>&1"});
        EXPECT_TRUE(check.ok()) << n << ": " << check.out;
        EXPECT_EQ(check.out, "") << n << ": promtool findings";
    }

    startPrometheus();
    ASSERT_TRUE(lab::waitUntil(
        [&] {
            return instant("keepalived_vrrp_state" + sel("n1")) == 2.0 &&
                   instant("keepalived_vrrp_state" + sel("n2")) == 1.0;
        },
        60s, 500ms))
        << "Prometheus never saw n1 MASTER and n2 BACKUP";
    const double start = unixNow() - 1;
    std::this_thread::sleep_for(2s);  // a few scrapes of the steady state before the cut
    const auto masters_before = instant("keepalived_become_master_total" + sel("n2"));
    ASSERT_TRUE(masters_before);

    lab_->cutLink("n1");
    ASSERT_TRUE(waitState(*n1_, "FAULT", 10s)) << n1_->state();
    ASSERT_TRUE(waitState(*n2_, "MASTER", 10s)) << n2_->state();
    ASSERT_TRUE(lab::waitUntil(
        [&] {
            return instant("keepalived_vrrp_state" + sel("n1")) == 3.0 &&
                   instant("keepalived_vrrp_state" + sel("n2")) == 2.0;
        },
        20s, 500ms))
        << "Prometheus never saw n1 FAULT and n2 MASTER";
    std::this_thread::sleep_for(2s);  // a few scrapes of the new steady state for the range queries

    EXPECT_TRUE(wentFromTo(range("keepalived_vrrp_state" + sel("n1"), start), 2, 3)) << "n1";
    EXPECT_TRUE(wentFromTo(range("keepalived_vrrp_state" + sel("n2"), start), 1, 2)) << "n2";
    EXPECT_TRUE(wentFromTo(range("keepalived_become_master_total" + sel("n2"), start),
                           *masters_before, *masters_before + 1));
    EXPECT_EQ(instant("keepalived_become_master_total" + sel("n2")), *masters_before + 1);
    // The takeover was timed: one BACKUP->MASTER observation on n2.
    EXPECT_EQ(instant("xvrrp_transition_seconds_count{job=\"xvrrp\",instance=\"" + target("n2") +
                      "\",from=\"BACKUP\",to=\"MASTER\"}"),
              1.0);
}


// Reloads that replace the configuration and every instance while a client scrapes without
// pause: the render thread reads snapshots that own what they show, so each scrape answers
// 200 with one configuration's instances, and the daemon carries on.
TEST_F(MetricsPrometheus, ScrapesDuringReloadsAllAnswer) {
    InstanceSpec s1;
    s1.priority = 200;
    s1.vip = lab_->vip4(100).str() + "/24";
    const std::string a = renderConfig("n1", s1);
    std::string b = std::regex_replace(a, std::regex("VI_1"), "VI_R");
    b = std::regex_replace(b, std::regex("virtual_router_id 51"), "virtual_router_id 52");
    ASSERT_NE(a, b);
    n1_->start(a, {"--metrics", target("n1")});
    ASSERT_TRUE(waitState(*n1_, "MASTER", 20s)) << n1_->state();

    std::atomic<bool> stop{false};
    std::atomic<int> scrapes{0}, bad{0};
    std::mutex mu;
    std::string last;
    auto scraper = std::async(std::launch::async, [&] {
        while (!stop) {
            auto r = httpGet(lab_->node("mon").path(), lab_->mgmt4("n1").str(), kMetricsPort, "/metrics");
            ++scrapes;
            const bool one = r && r->status == 200 &&
                             (r->body.find("iname=\"VI_1\"") == std::string::npos) !=
                                 (r->body.find("iname=\"VI_R\"") == std::string::npos);
            if (!one) ++bad;
            std::lock_guard lock(mu);
            last = r ? r->body : std::string();
        }
    });
    auto shows = [&](const char* name) {
        std::lock_guard lock(mu);
        return last.find(std::string("iname=\"") + name + "\"") != std::string::npos;
    };
    for (int i = 0; i < 10; ++i) {
        const bool to_b = i % 2 == 0;
        std::ofstream(n1_->configPath()) << (to_b ? b : a);
        n1_->signal(SIGHUP);
        if (!lab::waitUntil([&] { return shows(to_b ? "VI_R" : "VI_1"); }, 20s, 20ms)) {
            ADD_FAILURE() << "reload " << i << " never showed in a scrape";
            break;
        }
    }
    stop = true;
    scraper.get();
    EXPECT_GT(scrapes.load(), 10);
    EXPECT_EQ(bad.load(), 0) << "of " << scrapes.load() << " scrapes";
    auto r = httpGet(lab_->node("mon").path(), lab_->mgmt4("n1").str(), kMetricsPort, "/metrics");
    ASSERT_TRUE(r && r->status == 200);
    // The harness signals the group and the pid: a SIGHUP may count twice ("kept").
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r->body, m, std::regex("xvrrp_reloads_total\\{result=\"ok\"\\} (\\d+)\n")));
    EXPECT_GE(std::stoi(m[1]), 10);
    EXPECT_NE(r->body.find("xvrrp_reloads_total{result=\"error\"} 0\n"), std::string::npos);
    EXPECT_EQ(r->body.find("xvrrp_loop_errors_total{handler=\"metrics\"}"), std::string::npos);
    EXPECT_NE(r->body.find("xvrrp_metrics_render_errors_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace xvrrp::itest
