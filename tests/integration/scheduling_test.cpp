// global_defs vrrp_rt_priority, vrrp_rlimit_rttime, vrrp_no_swap, vrrp_cpu_affinity and
// vrrp_priority act on the running xvrrpd as keepalived 2.2.7's act on its VRRP child
// (measured there with chrt -p, /proc/PID/limits, VmLck and taskset): read back from
// /proc/PID/sched, /proc/PID/status, /proc/PID/limits, /proc/PID/stat and sched_getaffinity.
#include <sched.h>
#include <sys/sysinfo.h>

#include <fstream>
#include <map>
#include <sstream>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

// "key : value" lines of /proc/PID/sched and "Key:\tvalue" of /proc/PID/status.
std::map<std::string, std::string> procFields(const std::string& path) {
    std::map<std::string, std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto trim = [](std::string s) {
            s.erase(0, s.find_first_not_of(" \t"));
            s.erase(s.find_last_not_of(" \t") + 1);
            return s;
        };
        out[trim(line.substr(0, colon))] = trim(line.substr(colon + 1));
    }
    return out;
}

struct Sched {
    int policy = -1;        // /proc/PID/sched "policy"
    int prio = -1;          // kernel prio: 99 - rt priority, or 120 + nice
    bool resetOnFork = false;
    long vmLckKb = -1;      // /proc/PID/status VmLck
    std::vector<int> cpus;  // sched_getaffinity
    std::string rttime;     // /proc/PID/limits "Max realtime timeout": "soft hard"
    int nice = 99;          // /proc/PID/stat field 19
};

Sched readSched(int pid) {
    Sched s;
    const std::string dir = "/proc/" + std::to_string(pid);
    auto sched = procFields(dir + "/sched");
    if (sched.count("policy")) s.policy = std::stoi(sched["policy"]);
    if (sched.count("prio")) s.prio = std::stoi(sched["prio"]);
    const int pol = ::sched_getscheduler(pid);
    s.resetOnFork = pol >= 0 && (pol & SCHED_RESET_ON_FORK);
    auto status = procFields(dir + "/status");
    if (status.count("VmLck")) s.vmLckKb = std::stol(status["VmLck"]);
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(pid, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) s.cpus.push_back(c);
    std::ifstream limits(dir + "/limits");
    for (std::string line; std::getline(limits, line);)
        if (line.rfind("Max realtime timeout", 0) == 0) {
            std::istringstream w(line.substr(20));
            std::string soft, hard;
            w >> soft >> hard;
            s.rttime = soft + " " + hard;
        }
    std::ifstream stat(dir + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && rest >> field; ++i)
        if (i == 19) s.nice = std::stoi(field);
    return s;
}

std::vector<int> allCpus() {
    std::vector<int> v;
    for (int c = 0; c < ::get_nprocs_conf(); ++c) v.push_back(c);
    return v;
}

class Scheduling : public PairFixture {
  protected:
    Scheduling() : PairFixture("sched") {}

    // n1's config (priority 150, master) with `lines` added to global_defs.
    std::string config(const std::string& lines) const {
        InstanceSpec spec;
        spec.vip = "10.77.0.100/24";
        spec.priority = 150;
        auto text = renderConfig("n1", spec);
        return text.insert(text.find("global_defs {\n") + 14, lines);
    }

    // Starts n1 and waits until it is master and its loop runs (RLIMIT_RTTIME is set then).
    int startMaster(const std::string& lines) {
        n1_->start(config(lines));
        EXPECT_TRUE(waitState(*n1_, "MASTER", Ms(10000))) << tail(n1_->log());
        auto st = n1_->status();
        return st ? (*st)["daemon"]["pid"].get<int>() : -1;
    }

    // SIGHUP with a new file; waits for the reload's log line.
    void reload(const std::string& lines) {
        const auto before = count(n1_->log(), "Reload done");
        {
            std::ofstream out(n1_->configPath(), std::ios::trunc);
            out << config(lines);
        }
        n1_->signal(SIGHUP);
        ASSERT_TRUE(waitUntil([&] { return count(n1_->log(), "Reload done") > before; }, Ms(5000)))
            << tail(n1_->log());
    }

    static size_t count(const std::string& text, const std::string& what) {
        size_t n = 0;
        for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
        return n;
    }
};

TEST_F(Scheduling, RealTimeLockedAndPinned) {
    const int last = ::get_nprocs_conf() - 1;
    const int pid = startMaster("  vrrp_rt_priority 50\n  vrrp_no_swap\n  vrrp_cpu_affinity " +
                                std::to_string(last) + "\n  vrrp_priority -5\n");
    ASSERT_GT(pid, 0);
    const Sched s = readSched(pid);
    EXPECT_EQ(s.policy, SCHED_RR);
    EXPECT_EQ(s.prio, 99 - 50);
    EXPECT_TRUE(s.resetOnFork) << "notify and track scripts must not inherit real-time";
    EXPECT_GT(s.vmLckKb, 0);
    EXPECT_EQ(s.cpus, std::vector<int>{last});
    EXPECT_EQ(s.rttime, "5000 10000") << "keepalived's default vrrp_rlimit_rttime";
    EXPECT_EQ(s.nice, 0) << "keepalived leaves vrrp_priority alone while real-time";
    EXPECT_NE(n1_->log().find("vrrp process: SCHED_RR priority 50"), std::string::npos)
        << tail(n1_->log());
}

TEST_F(Scheduling, RlimitRttimeAndNiceWithoutRealTime) {
    int pid = startMaster("  vrrp_rt_priority 10\n  vrrp_rlimit_rttime 20000\n");
    ASSERT_GT(pid, 0);
    EXPECT_EQ(readSched(pid).rttime, "10000 20000");
    n1_->signal(SIGTERM);
    ASSERT_TRUE(n1_->waitExit(Ms(10000)));
    pid = startMaster("  vrrp_priority -5\n  vrrp_rlimit_rttime 20000\n");
    ASSERT_GT(pid, 0);
    const Sched s = readSched(pid);
    EXPECT_EQ(s.policy, SCHED_OTHER);
    EXPECT_EQ(s.nice, -5);
    EXPECT_EQ(s.prio, 120 - 5);
    EXPECT_EQ(s.rttime, "unlimited unlimited") << "only set while real-time, as keepalived";
    EXPECT_EQ(s.vmLckKb, 0);
    EXPECT_EQ(s.cpus, allCpus());
}

// A reload applies the new values in place (keepalived's VRRP child does the same, same
// pid) and a keyword it removes goes back to what the daemon started with; no transition.
TEST_F(Scheduling, ReloadAppliesAndRestores) {
    const int pid = startMaster("  vrrp_rt_priority 10\n  vrrp_no_swap\n  vrrp_cpu_affinity 0\n");
    ASSERT_GT(pid, 0);
    const auto became = (*n1_->instance())["counters"]["became_master"].get<int>();
    Sched s = readSched(pid);
    ASSERT_EQ(s.prio, 99 - 10);
    ASSERT_EQ(s.cpus, std::vector<int>{0});
    ASSERT_GT(s.vmLckKb, 0);

    reload("  vrrp_rt_priority 20\n");
    s = readSched(pid);
    EXPECT_EQ(s.policy, SCHED_RR);
    EXPECT_EQ(s.prio, 99 - 20);
    EXPECT_EQ(s.vmLckKb, 0);
    EXPECT_EQ(s.cpus, allCpus());
    EXPECT_EQ(s.rttime, "5000 10000");

    reload("  vrrp_priority 3\n");
    s = readSched(pid);
    EXPECT_EQ(s.policy, SCHED_OTHER);
    EXPECT_EQ(s.nice, 3);
    EXPECT_EQ(n1_->state(), "MASTER");
    EXPECT_EQ((*n1_->instance())["counters"]["became_master"].get<int>(), became);
    EXPECT_EQ(readSched(pid).policy, SCHED_OTHER);
}

// Without CAP_SYS_NICE and CAP_IPC_LOCK: each refusal is logged with the call and errno,
// the rest is applied and the daemon serves, as keepalived ("cannot raise priority",
// "Unable to lock process in memory - Cannot allocate memory").
TEST_F(Scheduling, RefusedSettingsAreLoggedAndTheDaemonServes) {
    n1_->setLauncher({"setpriv", "--bounding-set=-sys_nice,-ipc_lock",
                      "--inh-caps=-sys_nice,-ipc_lock", "--"});
    const int pid =
        startMaster("  vrrp_rt_priority 50\n  vrrp_no_swap\n  vrrp_cpu_affinity 0\n");
    ASSERT_GT(pid, 0);
    const auto log = n1_->log();
    EXPECT_NE(log.find("cannot set scheduling policy SCHED_RR priority 50 (sched_setscheduler): "
                       "Operation not permitted"),
              std::string::npos)
        << tail(log);
    EXPECT_NE(log.find("Unable to lock process in memory - Cannot allocate memory (mlockall)"),
              std::string::npos)
        << tail(log);
    const Sched s = readSched(pid);
    EXPECT_EQ(s.policy, SCHED_OTHER);
    EXPECT_EQ(s.rttime, "unlimited unlimited");
    EXPECT_EQ(s.cpus, std::vector<int>{0});
    EXPECT_TRUE(n1_->holds(*IpAddr::parse("10.77.0.100")));
}

// 255 instances becoming master in one turn run longer than RLIMIT_RTTIME's 10 ms without
// blocking: the kernel SIGKILLed xvrrpd after 60-86 of them (keepalived's VRRP child too).
TEST_F(Scheduling, ManyInstancesBecomeMasterUnderTheWatchdog) {
    std::string text = "global_defs {\n  router_id n1\n  vrrp_version 3\n"
                       "  vrrp_garp_master_delay 0\n  vrrp_rt_priority 50\n}\n";
    for (int n = 1; n <= 255; ++n)
        text += "vrrp_instance VI_" + std::to_string(n) + " {\n  state BACKUP\n  interface eth0\n"
                "  virtual_router_id " + std::to_string(n) + "\n  priority 150\n  advert_int 1\n"
                "  virtual_ipaddress {\n    10.79." + std::to_string(n) + ".1/32 dev eth0\n  }\n}\n";
    n1_->start(text);
    auto masters = [&] {
        auto st = n1_->status();
        if (!st) return 0;
        int n = 0;
        for (const auto& i : (*st)["instances"]) n += i["state"] == "MASTER";
        return n;
    };
    EXPECT_TRUE(waitUntil([&] { return masters() == 255 || !n1_->running(); }, Ms(30000)));
    ASSERT_TRUE(n1_->running()) << tail(n1_->log());
    EXPECT_EQ(masters(), 255);
    EXPECT_EQ(readSched((*n1_->status())["daemon"]["pid"].get<int>()).rttime, "5000 10000");
}

// xvrrpd -t: keepalived's messages for values it corrects or ignores, and the file is usable.
TEST_F(Scheduling, ConfigTestNamesBadValues) {
    const std::string path = n1_->configPath() + ".t";
    {
        std::ofstream out(path);
        out << config("  vrrp_rt_priority 0\n  vrrp_priority 20\n  vrrp_cpu_affinity 0 4096\n"
                      "  vrrp_rlimit_rttime 0\n");
    }
    // In n1's namespace, which has the interface the file names. keepalived -t reports these
    // values too and exits 5: so does xvrrpd -t.
    auto r = lab::runIn(n1_->ns().path(), {xvrrpdBin(), "-t", "-f", path}, std::chrono::seconds(10));
    EXPECT_EQ(r.exitCode, 5) << r.out << r.err;
    for (const char* msg : {"vrrp process real-time priority 0 less than minimum 1 - setting to minimum",
                            "Invalid vrrp process priority specified",
                            "Invalid cpu_id:4096 specified for vrrp process",
                            "Invalid vrrp real-time limit - 0"})
        EXPECT_NE((r.out + r.err).find(msg), std::string::npos) << msg << "\n" << r.out << r.err;
}

}  // namespace
}  // namespace xvrrp::itest
