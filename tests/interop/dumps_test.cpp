// Issue 11, acceptance 4: keepalived's dump files (SIGUSR1 keepalived.data, SIGUSR2
// keepalived.stats, SIGRTMIN+2 keepalived.json) from keepalived 2.2.7 and from xvrrpd, for a
// two-instance config with a sync group and a track script, compared in structure (sections,
// keys, field names, JSON keys and types), not values. Each daemon runs in a mount namespace
// of its own with a private /tmp (a lab directory bound there), so their files never meet.
// The subject is compared as BACKUP (a keepalived peer with higher priorities is master), as
// MASTER (the peer stopped) and in FAULT (its link cut).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "daemon/dump_render.hpp"
#include "dump_structure.hpp"
#include "harness.hpp"
#include "lab/wait.hpp"

namespace xvrrp::interop {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string config(const std::string& id, int p1, int p2) {
    std::ostringstream o;
    o << "global_defs {\n  router_id " << id << "\n  enable_script_security\n"
      << "  script_user root\n}\n"
      << "vrrp_script chk {\n  script \"/bin/true\"\n  interval 1\n  weight 0\n}\n"
      << "vrrp_sync_group VG1 {\n  group {\n    VI_1\n    VI_2\n  }\n}\n";
    for (auto [name, vrid, prio, vip] : {std::tuple{"VI_1", 51, p1, 100}, {"VI_2", 52, p2, 101}}) {
        o << "vrrp_instance " << name << " {\n  state BACKUP\n  interface eth0\n"
          << "  virtual_router_id " << vrid << "\n  priority " << prio << "\n  advert_int 1\n"
          << "  virtual_ipaddress {\n    10.77.0." << vip << "/24\n  }\n";
        if (std::string(name) == "VI_1") o << "  track_script {\n    chk\n  }\n";
        o << "}\n";
    }
    return o.str();
}

std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// One daemon of either kind whose /tmp is DIR (a private mount namespace).
class Subject {
public:
    Subject(Kind kind, lab::Lab& lab, lab::Netns& ns) : kind_(kind), lab_(lab) {
        dir_ = lab.logDir() + "/" + kindName(kind) + "-tmp";
        fs::create_directories(dir_);
        std::ofstream(dir_ + "/subject.conf") << config("subject", 150, 100);
        const Binaries bin = binaries();
        const std::string cmd =
            kind == Kind::Keepalived
                ? bin.keepalived + " -n -l -D -G --vrrp -f /tmp/subject.conf -p /tmp/daemon.pid"
                                   " -r /tmp/vrrp.pid -b /tmp/bfd.pid -c /tmp/chk.pid"
                : bin.xvrrpd + " -n -l -D -G -f /tmp/subject.conf -p /tmp/daemon.pid"
                               " --control /tmp/xv.sock --pin-root " + pinRoot();
        proc_ = &ns.spawn({"unshare", "-m", "--propagation", "private", "sh", "-c",
                           "mount --bind " + dir_ + " /tmp && exec " + cmd},
                          lab.logDir() + "/" + kindName(kind) + "-subject.log");
    }
    ~Subject() {
        if (proc_ && proc_->running()) proc_->stop();
        std::error_code ec;
        fs::remove_all(pinRoot(), ec);
    }
    std::string pinRoot() const {
        return "/sys/fs/bpf/xvt-dumps-" + std::to_string(::getpid()) + "-" + kindName(kind_);
    }
    const std::string& dir() const { return dir_; }
    std::string log() const { return proc_->readLog(); }

    // Sends SIGNO to the daemon and waits until FILE (in its /tmp) is rewritten.
    std::optional<std::string> dump(int signo, const std::string& file) {
        const std::string path = dir_ + "/" + file;
        std::error_code ec;
        fs::remove(path, ec);
        pid_t pid = 0;
        std::ifstream(dir_ + "/daemon.pid") >> pid;
        if (pid <= 0 || ::kill(pid, signo) != 0) return std::nullopt;
        // keepalived writes in several steps: done once the size holds across two looks.
        std::error_code sec;
        uintmax_t last = 0;
        if (!lab::waitUntil(
                [&] {
                    const uintmax_t now = fs::exists(path, sec) ? fs::file_size(path, sec) : 0;
                    const bool settled = now > 0 && now == last;
                    last = now;
                    return settled;
                },
                5s, 50ms))
            return std::nullopt;
        return slurp(path);
    }
    // keepalived's state number and the master's priority per instance, from a JSON dump.
    std::vector<std::pair<int, int>> states() {
        auto text = dump(SIGRTMIN + 2, "keepalived.json");
        std::vector<std::pair<int, int>> out;
        if (!text) return out;
        auto j = nlohmann::json::parse(*text, nullptr, false);
        if (j.is_discarded() || !j.is_array()) return out;
        for (const auto& i : j)
            out.emplace_back(i["data"]["state"].get<int>(), i["data"]["master_priority"].get<int>());
        return out;
    }

private:
    Kind kind_;
    lab::Lab& lab_;
    std::string dir_;
    lab::Process* proc_ = nullptr;
};

struct Dumps {
    std::string data, stats, json;
};

class DumpStructure : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(::geteuid(), 0u) << "needs root";
        ASSERT_FALSE(binaries().keepalived.empty()) << "keepalived is not installed";
    }

    std::string keep_ = "/tmp/xvt-dumps-last";  // the last run's data files, for a post-mortem
    // Runs one daemon kind through BACKUP, MASTER and FAULT; its dumps in each.
    std::map<std::string, Dumps> collect(Kind kind) {
        std::map<std::string, Dumps> out;
        fs::create_directories(keep_);
        lab::Lab lab({"subject", "peer"}, {.tag = std::string("dmp") + (kind == Kind::Xvrrpd ? "x" : "k")});
        const std::string peer_conf = lab.logDir() + "/peer.conf";
        std::ofstream(peer_conf) << config("peer", 250, 240);
        Node peer(Kind::Keepalived, lab, "peer", peer_conf);
        peer.start();
        Subject subj(kind, lab, lab.node("subject"));
        // STATE in both instances; as BACKUP, once the peer's adverts were heard.
        auto phase = [&](const std::string& name, int state) {
            auto reached = [&] {
                auto st = subj.states();
                return st.size() == 2 && st[0].first == state && st[1].first == state &&
                       (state != 1 || (st[0].second == 250 && st[1].second == 240));
            };
            EXPECT_TRUE(lab::waitUntil(reached, 30s, 500ms))
                << kindName(kind) << " never reached " << name << "\n" << subj.log();
            Dumps d;
            d.data = subj.dump(SIGUSR1, "keepalived.data").value_or("");
            d.stats = subj.dump(SIGUSR2, "keepalived.stats").value_or("");
            d.json = subj.dump(SIGRTMIN + 2, "keepalived.json").value_or("");
            out[name] = d;
            // Kept for a post-mortem beside the logs.
            std::ofstream(keep_ + "/" + kindName(kind) + "-" + name + ".data") << d.data;
        };
        phase("BACKUP", 1);
        peer.sigterm();
        peer.waitStopped();
        phase("MASTER", 2);
        lab.cutLink("subject");
        phase("FAULT", 3);
        if (HasFailure()) std::cerr << subj.log() << peer.logs();
        return out;
    }
};

void compareData(const std::string& phase, const std::string& ours, const std::string& theirs) {
    const auto a = dataStructure(ours), b = dataStructure(theirs);
    // keepalived's own Interfaces section is the one left out.
    std::vector<std::string> expected_order;
    for (const auto& s : b.order)
        if (s != "Interfaces") expected_order.push_back(s);
    EXPECT_EQ(a.order, expected_order) << phase;
    for (const auto& [name, tokens] : a.sections) {
        auto it = b.sections.find(name);
        ASSERT_NE(it, b.sections.end()) << phase << ": keepalived has no section " << name;
        Tokens want = it->second;
        if (name == "Global definitions") {
            // Minus exactly the documented omissions (daemon::kOmittedGlobals).
            std::vector<std::string> dropped;
            Tokens kept;
            const auto& raw = b.lines.at(name);
            for (size_t i = 0; i < want.size(); ++i) {
                // The longest omission the line starts with ("LVS flush on stop", not "LVS flush").
                std::string_view best;
                for (auto o : daemon::kOmittedGlobals)
                    if (raw[i].rfind(o, 0) == 0 && o.size() > best.size()) best = o;
                if (best.empty()) kept.push_back(want[i]);
                else dropped.emplace_back(best);
            }
            want = kept;
            std::sort(dropped.begin(), dropped.end());
            dropped.erase(std::unique(dropped.begin(), dropped.end()), dropped.end());
            EXPECT_EQ(dropped.size(), daemon::kOmittedGlobals.size())
                << phase << ": kOmittedGlobals names a line keepalived does not write";
        }
        EXPECT_EQ(tokens, want) << phase << " section " << name << ": " << firstDifference(tokens, want);
    }
}

TEST_F(DumpStructure, XvrrpdDumpsLikeKeepalived) {
    auto ka = collect(Kind::Keepalived);
    ASSERT_FALSE(HasFailure());
    auto xv = collect(Kind::Xvrrpd);
    ASSERT_FALSE(HasFailure());
    for (const char* phase : {"BACKUP", "MASTER", "FAULT"}) {
        const Dumps& a = xv.at(phase);
        const Dumps& b = ka.at(phase);
        ASSERT_FALSE(a.data.empty() || b.data.empty()) << phase;
        compareData(phase, a.data, b.data);
        const auto sa = statsStructure(a.stats), sb = statsStructure(b.stats);
        EXPECT_EQ(sa, sb) << phase << " stats: " << firstDifference(sa, sb);
        const auto ja = jsonStructure(a.json), jb = jsonStructure(b.json);
        ASSERT_EQ(ja.size(), jb.size()) << phase;
        for (size_t i = 0; i < ja.size(); ++i)
            EXPECT_EQ(ja[i], jb[i]) << phase << " json[" << i << "]: " << firstDifference(ja[i], jb[i]);
    }
}

}  // namespace
}  // namespace xvrrp::interop
