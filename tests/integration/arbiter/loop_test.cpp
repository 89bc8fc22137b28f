// integration.arbiter_loop: the real xvrrp-arbiter binary in a namespace of its own, with a
// stand-in xvrrpd (our control::Server on a Unix socket) and a stand-in ssh (a script that
// prints the peer status the test sets). Checks fence and unfence requests, the audit log,
// `status`, SIGHUP with a bad file and SIGTERM leaving the fence as it is, and --metrics.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <bpf/bpf.h>
#include <sys/mount.h>

#include "control/server.hpp"
#include "dataplane/dataplane.hpp"
#include "dataplane/fence.hpp"
#include "http_client.hpp"
#include "lab/netns.hpp"
#include "lab/process.hpp"
#include "lab/wait.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json instanceStatus(const std::string& state, int prio, const std::string& src, bool installed,
                    bool fenced, std::optional<double> advert_age = std::nullopt) {
    json j = {{"name", "VI_1"},
              {"state", state},
              {"interface", "lo"},
              {"ifindex", 1},
              {"vrid", 51},
              {"family", "ipv4"},
              {"priority", {{"configured", prio}, {"effective", prio}}},
              {"source", src},
              {"vips", {"127.0.0.1/32"}},
              {"vips_installed", installed},
              {"fenced", fenced},
              {"advert_int_ms", 200},
              {"master_advert_int_ms", 200}};
    j["last_advert"] = advert_age ? json{{"ts_ns", 1}, {"age_ms", *advert_age}} : json(nullptr);
    // Whose adverts: the peer's (10.0.0.2), the one the stand-in ssh reports.
    j["adverts_from"] = advert_age ? json::array({{{"address", "10.0.0.2"},
                                                    {"priority", 150},
                                                    {"age_ms", *advert_age}}})
                                   : json::array();
    return j;
}

json statusDoc(json inst) { return {{"schema", 1}, {"instances", json::array({std::move(inst)})}}; }

// xvrrpd's control socket as the arbiter sees it.
class FakeXvrrpd {
  public:
    explicit FakeXvrrpd(const std::string& path) {
        server_ = std::make_unique<xvrrp::control::Server>(path, [this](const json& req) {
            std::lock_guard<std::mutex> g(mu_);
            std::string cmd = req.value("cmd", "");
            if (cmd == "status") {
                json s = status_;
                s["ok"] = true;
                return s;
            }
            requests_.push_back(req);
            return json{{"ok", true}};
        });
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        stop_ = ::eventfd(0, EFD_CLOEXEC);
        add(server_->listenFd());
        add(stop_);
        thread_ = std::thread([this] { loop(); });
    }
    ~FakeXvrrpd() {
        {
            std::lock_guard<std::mutex> g(hang_mu_);
            quitting_ = true;
        }
        hang_cv_.notify_all();
        uint64_t one = 1;
        (void)!::write(stop_, &one, sizeof(one));
        thread_.join();
        server_.reset();
        ::close(ep_);
        ::close(stop_);
    }
    // Like a SIGSTOPped xvrrpd: the socket still accepts (the kernel does that), nobody answers.
    void hang() {
        std::lock_guard<std::mutex> g(hang_mu_);
        hung_ = true;
    }
    void setStatus(json s) {
        std::lock_guard<std::mutex> g(mu_);
        status_ = std::move(s);
    }
    std::vector<json> requests() {
        std::lock_guard<std::mutex> g(mu_);
        return requests_;
    }
    bool got(const std::string& cmd) {
        for (const auto& r : requests())
            if (r.value("cmd", "") == cmd) return true;
        return false;
    }

  private:
    void add(int fd) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    }
    void loop() {
        epoll_event evs[16];
        for (;;) {
            int n = ::epoll_wait(ep_, evs, 16, -1);
            for (int i = 0; i < n; ++i) {
                if (evs[i].data.fd == stop_) return;
                {
                    std::unique_lock<std::mutex> lk(hang_mu_);
                    hang_cv_.wait(lk, [this] { return !hung_ || quitting_; });
                    if (quitting_) return;
                }
                server_->handle(ep_, evs[i].data.fd, evs[i].events);
            }
        }
    }
    std::unique_ptr<xvrrp::control::Server> server_;
    std::mutex mu_, hang_mu_;
    std::condition_variable hang_cv_;
    bool hung_ = false, quitting_ = false;
    json status_ = json::object();
    std::vector<json> requests_;
    int ep_ = -1, stop_ = -1;
    std::thread thread_;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

void writeAtomically(const fs::path& p, const std::string& text) {
    auto tmp = p.string() + ".tmp";
    std::ofstream(tmp) << text;
    fs::rename(tmp, p);
}

class ArbiterLoop : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "namespaces and raw ICMP need root";
        dir_ = fs::temp_directory_path() / ("xvt-arbloop-" + std::to_string(::getpid()));
        fs::create_directories(dir_ / "pins");
        // The pinned xv_fence xvrrpd would have made: the arbiter's fences go there.
        ASSERT_TRUE(xvrrp::dataplane::ensureBpffs(pins()));
        int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "xv_fence", sizeof(xv_fence_key),
                                sizeof(xv_fence), 64, nullptr);
        ASSERT_GE(fd, 0) << std::strerror(errno);
        ASSERT_EQ(bpf_obj_pin(fd, (pins() + "/xv_fence").c_str()), 0) << std::strerror(errno);
        ::close(fd);
        ns_ = std::make_unique<xvrrp::lab::Netns>("arbloop");
        ns_->runOk({"ip", "link", "set", "lo", "up"});
        // The stand-in ssh: fails like ssh when told to, else prints the peer's status.
        std::ofstream(dir_ / "ssh")
            << "#!/bin/sh\n"
               "if [ -e "
            << (dir_ / "ssh-down").string()
            << " ]; then\n"
               "  echo 'ssh: connect to host 127.0.0.2 port 22: Connection refused' >&2; exit 255\n"
               "fi\n"
               "cat "
            << (dir_ / "peer.json").string() << "\n";
        ::chmod((dir_ / "ssh").c_str(), 0755);
        xvrrpd_ = std::make_unique<FakeXvrrpd>((dir_ / "xvrrpd.sock").string());
        writeConfig(dir_ / "arbiter.conf", "0.2");
    }
    void TearDown() override {
        arbiter_.reset();
        xvrrpd_.reset();
        ns_.reset();
        if (!dir_.empty()) {
            while (xvrrp::dataplane::isBpffs(pins()) && ::umount2(pins().c_str(), MNT_DETACH) == 0) {
            }
            fs::remove_all(dir_);
        }
    }
    void writeConfig(const fs::path& p, const std::string& interval, bool start_fenced = false) {
        std::ofstream(p) << "arbiter {\n"
                            "  node_name node-a\n"
                            "  xvrrpd_socket "
                         << (dir_ / "xvrrpd.sock").string()
                         << "\n"
                            "  pin_root "
                         << (dir_ / "pins").string()
                         << "\n"
                            "  control_socket "
                         << sock()
                         << "\n"
                            "  audit_log "
                         << (dir_ / "audit.log").string()
                         << "\n"
                            "  ssh_program "
                         << (dir_ / "ssh").string()
                         << "\n"
                            "  probe_interval "
                         << interval
                         << "\n"
                            "  ping_timeout 0.15\n"
                            "  control_timeout 0.15\n"
                            "  ssh_connect_timeout 1\n"
                            "  ssh_timeout 1\n"
                            "  fence_after 2\n"
                            "  unfence_after 2\n"
                         << (start_fenced ? "  start_fenced\n" : "")
                         << "}\n"
                            "peer node-b {\n"
                            "  address 127.0.0.2\n"
                            "  ssh {\n    user xvrrp\n    identity_file /nonexistent/key\n"
                            "    known_hosts /nonexistent/known_hosts\n  }\n"
                            "}\n"
                            "gateways {\n  quorum 1\n  127.0.0.1\n}\n";
    }
    std::string sock() const { return (dir_ / "arbiter.sock").string(); }
    std::string pins() const { return (dir_ / "pins").string(); }
    // The instance of the stand-in status: lo, IPv4, VRID 51.
    xvrrp::dataplane::FenceState fence() {
        return xvrrp::dataplane::FenceMap(pins()).state({1, xvrrp::Family::V4, 51});
    }
    void setPeer(json inst) {
        writeAtomically(dir_ / "peer.json", statusDoc(std::move(inst)).dump());
    }
    json arbiterStatus() {
        auto r = xvrrp::lab::runIn("", {XVRRP_ARBITER_BIN, "-s", sock(), "status", "--json"},
                                   std::chrono::seconds(5));
        if (!r.ok()) return nullptr;
        return json::parse(r.out, nullptr, false);
    }
    std::string lastRule() {
        json s = arbiterStatus();
        if (!s.is_object() || s["instances"].empty()) return "";
        return s["instances"][0]["decision"].value("rule", "");
    }
    void start() {
        arbiter_ = std::make_unique<xvrrp::lab::Process>(xvrrp::lab::Process::spawn(
            ns_->path(), {XVRRP_ARBITER_BIN, "-D", "-f", (dir_ / "arbiter.conf").string()},
            (dir_ / "arbiter.log").string()));
    }
    std::string log() { return arbiter_ ? arbiter_->readLog() : ""; }

    fs::path dir_;
    std::unique_ptr<xvrrp::lab::Netns> ns_;
    std::unique_ptr<FakeXvrrpd> xvrrpd_;
    std::unique_ptr<xvrrp::lab::Process> arbiter_;
};

using xvrrp::lab::waitUntil;
constexpr auto kWait = std::chrono::seconds(10);

TEST_F(ArbiterLoop, SplitBrainFenceUnknownHoldsThenUnfence) {
    xvrrpd_->setStatus(statusDoc(instanceStatus("MASTER", 100, "10.0.0.1", true, false)));
    setPeer(instanceStatus("BACKUP", 90, "10.0.0.2", false, false));
    start();
    ASSERT_TRUE(waitUntil([&] { return lastRule() == "R5"; }, kWait)) << log();
    json s = arbiterStatus();
    EXPECT_EQ(s["node"], "node-a");
    EXPECT_EQ(s["round"]["quorum"]["ok"], true) << s.dump();
    EXPECT_EQ(s["round"]["peers"][0]["pings"], "yes") << s.dump();
    EXPECT_EQ(s["instances"][0]["evidence"]["local"]["kernel_holds_vip"], "yes") << s.dump();
    EXPECT_FALSE(xvrrpd_->got("fence"));

    // Split brain, the peer wins the election: the arbiter writes its fence entry and asks
    // xvrrpd to look now.
    setPeer(instanceStatus("MASTER", 150, "10.0.0.2", true, false));
    ASSERT_TRUE(waitUntil([&] { return fence().by_arbiter; }, kWait)) << log();
    EXPECT_FALSE(fence().by_operator);
    ASSERT_TRUE(waitUntil([&] { return xvrrpd_->got("check_fences"); }, kWait)) << log();
    EXPECT_FALSE(xvrrpd_->got("fence")) << "the arbiter writes the map itself";
    std::string audit = slurp(dir_ / "audit.log");
    EXPECT_NE(audit.find("\"action\":\"fence_self\""), std::string::npos) << audit;
    EXPECT_NE(audit.find("\"rule\":\"R3\""), std::string::npos) << audit;

    // Fenced now; the peer's sshd goes away while it still pings: UNKNOWN keeps the fence.
    xvrrpd_->setStatus(statusDoc(instanceStatus("FAULT", 100, "10.0.0.1", false, true)));
    std::ofstream(dir_ / "ssh-down") << "down\n";
    ASSERT_TRUE(waitUntil([&] { return lastRule() == "U0u"; }, kWait)) << log();
    json held = arbiterStatus();
    EXPECT_EQ(held["round"]["peers"][0]["pings"], "yes") << held.dump();
    EXPECT_EQ(held["round"]["peers"][0]["ssh"], "unknown") << held.dump();
    EXPECT_NE(held["round"]["peers"][0].value("unknown_reason", "").find("Connection refused"),
              std::string::npos);
    EXPECT_TRUE(fence().by_arbiter);

    // An operator fences on top (its own entry). sshd is back and the peer has stepped down:
    // after the hold-down the arbiter lifts its own fence and leaves the operator's.
    xvrrp::dataplane::FenceMap(pins()).fence({1, xvrrp::Family::V4, 51}, XV_FENCE_OPERATOR);
    fs::remove(dir_ / "ssh-down");
    setPeer(instanceStatus("BACKUP", 150, "10.0.0.2", false, false));
    ASSERT_TRUE(waitUntil([&] { return !fence().by_arbiter; }, kWait)) << log();
    EXPECT_TRUE(fence().by_operator) << "the arbiter lifted the operator's fence";
    audit = slurp(dir_ / "audit.log");
    EXPECT_NE(audit.find("\"action\":\"unfence_self\""), std::string::npos) << audit;

    // Human-readable status.
    auto text =
        xvrrp::lab::runIn("", {XVRRP_ARBITER_BIN, "-s", sock(), "status"}, std::chrono::seconds(5));
    EXPECT_TRUE(text.ok()) << text.err;
    EXPECT_NE(text.out.find("instance VI_1"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("quorum yes"), std::string::npos) << text.out;
}

TEST_F(ArbiterLoop, HungDaemonIsFencedAndSigtermLeavesTheFence) {
    xvrrpd_->setStatus(statusDoc(instanceStatus("MASTER", 100, "10.0.0.1", true, false)));
    setPeer(instanceStatus("BACKUP", 90, "10.0.0.2", false, false));
    start();
    ASSERT_TRUE(waitUntil([&] { return lastRule() == "R5"; }, kWait)) << log();
    // xvrrpd stops answering; the kernel still holds the VIP (127.0.0.1 on lo).
    xvrrpd_->hang();
    ASSERT_TRUE(waitUntil([&] { return lastRule() == "R2" || lastRule() == "U0d"; }, kWait))
        << log();
    ASSERT_TRUE(waitUntil(
        [&] { return slurp(dir_ / "audit.log").find("fence_self") != std::string::npos; }, kWait))
        << log();

    // A reload with a broken file keeps the running configuration.
    writeConfig(dir_ / "arbiter.conf", "0.2");
    std::ofstream(dir_ / "arbiter.conf", std::ios::app) << "bogus_keyword 1\n";
    arbiter_->sendSignal(SIGHUP);
    ASSERT_TRUE(waitUntil(
        [&] { return log().find("keeping the running configuration") != std::string::npos; },
        kWait))
        << log();
    EXPECT_TRUE(arbiterStatus().is_object());

    arbiter_->sendSignal(SIGTERM);
    auto st = arbiter_->waitExit(kWait);
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st;
    EXPECT_NE(log().find("fence state left as it is: fenced by the arbiter: VI_1"),
              std::string::npos)
        << log();
}

TEST_F(ArbiterLoop, StartFencedUntilTheFirstFullRound) {
    xvrrpd_->setStatus(statusDoc(instanceStatus("BACKUP", 100, "10.0.0.1", false, false)));
    setPeer(instanceStatus("MASTER", 150, "10.0.0.2", true, false));
    writeConfig(dir_ / "arbiter.conf", "0.2", true);
    // The peer's sshd is down at first: the start fence must stay (UNKNOWN never unfences).
    std::ofstream(dir_ / "ssh-down") << "down\n";
    start();
    ASSERT_TRUE(waitUntil([&] { return fence().by_arbiter; }, kWait)) << log();
    ASSERT_TRUE(waitUntil([&] { return lastRule() == "U0u"; }, kWait)) << log();
    // The peer is known and holds the VIP, but it is a plain backup here: U1 needs no
    // peer holding it, U2 needs its adverts. Give the adverts; one full round lifts it.
    xvrrpd_->setStatus(statusDoc(instanceStatus("FAULT", 100, "10.0.0.1", false, true, 50.0)));
    fs::remove(dir_ / "ssh-down");
    ASSERT_TRUE(waitUntil([&] { return !fence().any(); }, kWait)) << log();
    std::string audit = slurp(dir_ / "audit.log");
    EXPECT_NE(audit.find("\"rule\":\"S\""), std::string::npos) << audit;
    EXPECT_NE(audit.find("\"rule\":\"U2\""), std::string::npos) << audit;
}

TEST_F(ArbiterLoop, CheckModeAndBadConfigRefusal) {
    auto ok =
        xvrrp::lab::runIn("", {XVRRP_ARBITER_BIN, "-t", "-f", (dir_ / "arbiter.conf").string()});
    EXPECT_TRUE(ok.ok()) << ok.out << ok.err;
    std::ofstream(dir_ / "arbiter.conf", std::ios::app) << "peer x {\n}\n";
    auto bad =
        xvrrp::lab::runIn("", {XVRRP_ARBITER_BIN, "-t", "-f", (dir_ / "arbiter.conf").string()});
    EXPECT_EQ(bad.exitCode, 1);
    EXPECT_NE(bad.out.find("arbiter.conf:28:1: error: peer x: 'address' is required"),
              std::string::npos)
        << bad.out;
    auto run = xvrrp::lab::runIn("", {XVRRP_ARBITER_BIN, "-f", (dir_ / "arbiter.conf").string()});
    EXPECT_EQ(run.exitCode, 1);
    EXPECT_NE(run.err.find("nothing was changed"), std::string::npos) << run.err;
}

// The value of SERIES in the arbiter's /metrics on PORT, or -1 when nothing answers/no series.
double scrape(const xvrrp::lab::Netns& ns, int port, const std::string& series) {
    auto r = xvrrp::itest::httpGet(ns.path(), "127.0.0.1", port, "/metrics",
                                   std::chrono::milliseconds(1000));
    if (!r || r->status != 200) return -1;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
}

bool answers(const xvrrp::lab::Netns& ns, int port) { return scrape(ns, port, "xvrrp_arbiter_up") == 1; }

// Puts `metrics LISTEN` into the arbiter block of the test's file.
void withMetrics(const fs::path& conf, const std::string& listen) {
    std::string text = slurp(conf);
    text.replace(text.find("arbiter {\n"), 10, "arbiter {\n  metrics " + listen + "\n");
    writeAtomically(conf, text);
}

// --metrics on the command line wins over the file's `metrics`, over reloads too; the series
// follow the rounds, the verdicts by rule, the fence ordered and held.
TEST_F(ArbiterLoop, MetricsFollowTheRoundsAndTheFence) {
    xvrrpd_->setStatus(statusDoc(instanceStatus("MASTER", 100, "10.0.0.1", true, false)));
    setPeer(instanceStatus("BACKUP", 90, "10.0.0.2", false, false));
    withMetrics(dir_ / "arbiter.conf", "127.0.0.1:19652");
    arbiter_ = std::make_unique<xvrrp::lab::Process>(xvrrp::lab::Process::spawn(
        ns_->path(),
        {XVRRP_ARBITER_BIN, "-D", "--metrics", "127.0.0.1:19651", "-f",
         (dir_ / "arbiter.conf").string()},
        (dir_ / "arbiter.log").string()));
    const auto hold = R"(xvrrp_arbiter_verdicts_total{instance="VI_1",verdict="hold",rule="R5"})";
    ASSERT_TRUE(waitUntil([&] { return scrape(*ns_, 19651, hold) >= 1; }, kWait)) << log();
    EXPECT_FALSE(answers(*ns_, 19652));
    EXPECT_EQ(scrape(*ns_, 19651, R"(xvrrp_arbiter_probe_ok{probe="peer_ssh",target="node-b"})"), 1);
    EXPECT_EQ(scrape(*ns_, 19651, R"(xvrrp_arbiter_probe_ok{probe="gateway_ping",target="127.0.0.1"})"),
              1);
    EXPECT_EQ(scrape(*ns_, 19651, R"(xvrrp_arbiter_probe_ok{probe="xvrrpd",target="local"})"), 1);
    EXPECT_EQ(scrape(*ns_, 19651, "xvrrp_arbiter_quorum_ok"), 1);
    EXPECT_EQ(scrape(*ns_, 19651, "xvrrp_arbiter_fences_held"), 0);
    const double rounds = scrape(*ns_, 19651, "xvrrp_arbiter_rounds_total");
    ASSERT_GE(rounds, 1);
    ASSERT_TRUE(waitUntil([&] { return scrape(*ns_, 19651, "xvrrp_arbiter_rounds_total") > rounds; },
                          kWait));
    EXPECT_GE(scrape(*ns_, 19651, "xvrrp_arbiter_round_duration_seconds_count"), rounds);

    // Split brain, the peer wins: fenced, and the metrics say by which rule.
    setPeer(instanceStatus("MASTER", 150, "10.0.0.2", true, false));
    const auto fenced = R"(xvrrp_arbiter_actions_total{instance="VI_1",action="fence_self"})";
    ASSERT_TRUE(waitUntil([&] { return scrape(*ns_, 19651, fenced) == 1; }, kWait)) << log();
    EXPECT_GE(scrape(*ns_, 19651,
                     R"(xvrrp_arbiter_verdicts_total{instance="VI_1",verdict="want_fence",rule="R3"})"),
              2);  // fence_after 2
    EXPECT_EQ(scrape(*ns_, 19651, "xvrrp_arbiter_fences_held"), 1);
    EXPECT_EQ(scrape(*ns_, 19651, R"(xvrrp_arbiter_fenced{instance="VI_1"})"), 1);

    // A reload moving the file's address leaves the command line's in place.
    writeConfig(dir_ / "arbiter.conf", "0.2");
    withMetrics(dir_ / "arbiter.conf", "127.0.0.1:19653");
    arbiter_->sendSignal(SIGHUP);
    ASSERT_TRUE(waitUntil([&] { return log().find("reloaded") != std::string::npos; }, kWait));
    const double before = scrape(*ns_, 19651, "xvrrp_arbiter_rounds_total");
    ASSERT_TRUE(waitUntil(
        [&] { return scrape(*ns_, 19651, "xvrrp_arbiter_rounds_total") > before + 1; }, kWait));
    EXPECT_FALSE(answers(*ns_, 19653));
}

// The file's `metrics` follows a reload; a bad --metrics is refused before anything starts.
TEST_F(ArbiterLoop, MetricsAddressFromTheFileAndBadOnes) {
    xvrrpd_->setStatus(statusDoc(instanceStatus("MASTER", 100, "10.0.0.1", true, false)));
    setPeer(instanceStatus("BACKUP", 90, "10.0.0.2", false, false));
    withMetrics(dir_ / "arbiter.conf", "127.0.0.1:19652");
    start();
    ASSERT_TRUE(waitUntil([&] { return answers(*ns_, 19652); }, kWait)) << log();
    writeConfig(dir_ / "arbiter.conf", "0.2");
    withMetrics(dir_ / "arbiter.conf", "127.0.0.1:19653");
    arbiter_->sendSignal(SIGHUP);
    ASSERT_TRUE(waitUntil([&] { return answers(*ns_, 19653); }, kWait)) << log();
    EXPECT_FALSE(answers(*ns_, 19652));
    // Without metrics in the file nothing listens after the next reload.
    writeConfig(dir_ / "arbiter.conf", "0.2");
    arbiter_->sendSignal(SIGHUP);
    ASSERT_TRUE(waitUntil([&] { return !answers(*ns_, 19653); }, kWait)) << log();

    auto bad = xvrrp::lab::runIn("", {XVRRP_ARBITER_BIN, "--metrics", "127.0.0.1:70000", "-f",
                                      (dir_ / "arbiter.conf").string()});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(bad.err.find("--metrics '127.0.0.1:70000'"), std::string::npos) << bad.err;
}

}  // namespace
