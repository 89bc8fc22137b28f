// keepalived's dump files from a snapshot with a value in every field, and how they are
// written. The layouts are keepalived 2.2.7's as measured here (interop.dumps compares the
// structure with a live keepalived); these tests pin every line and key xvrrpd writes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/dump.hpp"
#include "daemon/dump_render.hpp"
#include "snapshot_fixture.hpp"

namespace xvrrp::daemon {
namespace {

class Dump : public ::testing::Test {
protected:
    void SetUp() override {
        ::setenv("TZ", "UTC", 1);
        ::tzset();
    }
    test::SnapshotRig rig;
};

// Every line keepalived 2.2.7 writes for these features, in its order (Interfaces and the
// globals of kOmittedGlobals aside).
const char* kData = R"(------< Global definitions >------
 Network namespace = (default)
 Router ID = r1
 VRRP IPv4 mcast group = 224.0.0.18
 VRRP IPv6 mcast group = ff02::12
 Gratuitous ARP delay = 5
 Gratuitous ARP repeat = 5
 Gratuitous ARP refresh timer = 0
 Gratuitous ARP refresh repeat = 1
 Gratuitous ARP lower priority delay = 5
 Gratuitous ARP lower priority repeat = 5
 Num adverts before down = 3
 Send advert after receive lower priority advert = true
 Send advert after receive higher priority advert = false
 Gratuitous ARP interval = 0.000000
 Gratuitous NA interval = 0.000000
 VRRP default protocol version = 2
 VRRP check unicast_src = false
 VRRP skip check advert addresses = false
 VRRP strict mode = false
 Script security enabled
 Default script uid:gid 0:0
------< VRRP Topology >------
 VRRP Instance = VI_1
   VRRP Version = 2
   Sync group = G
   State = BACKUP
   Master router = 192.0.2.2
   Master priority = 200
   Flags:
     Using unicast
   Wantstate = BACKUP
   Number of config faults = 0
   Number of interface and track script faults = 1
   Number of track scripts init = 0
   Last transition = 1799999990.500000 (Fri Jan 15 07:59:50.500000 2027)
   Read timeout = 1800000002.250000 (Fri Jan 15 08:00:02.250000 2027)
   Master down timer = 3414062 usecs
   Interface = eth0
   Using src_ip = 192.0.2.1 (from configuration)
   Gratuitous ARP delay = 5
   Gratuitous ARP repeat = 5
   Gratuitous ARP refresh = 0
   Gratuitous ARP refresh repeat = 1
   Gratuitous ARP lower priority delay = 5
   Gratuitous ARP lower priority repeat = 5
   Down timer adverts = 3
   Send advert after receive lower priority advert = true
   Send advert after receive higher priority advert = false
   Virtual Router ID = 51
   Priority = 150
   Effective priority = 150
   Total priority = 140
   Advert interval = 1 sec
   Accept = disabled
   Preempt = enabled
   Promote_secondaries = disabled
   Authentication type = SIMPLE_PASSWORD
   Password = secret
   Virtual IP (1):
     192.0.2.100/24 dev eth0 scope global
   Virtual IP Excluded :
     198.51.100.1/24 dev eth0 scope global
   Unicast TTL = 255
   Check unicast src : no
   Unicast Peer :
     192.0.2.2 min_ttl 0 max_ttl 255
   Unicast checksum compatibility = no
   fd_in 7, fd_out 8
   Virtual Routes :
     203.0.113.0/24 via 192.0.2.254
   Tracked interfaces :
     eth1 weight -10
   Tracked scripts :
     chk weight 0
   Using smtp notification = no
   Notify deleted = Fault
   Master state transition script = '/bin/true' 'm', uid:gid 0:0
   Generic state transition script = '/bin/true' 'n', uid:gid 0:0
   Notify priority changes = false
 VRRP Instance = VI_2
   VRRP Version = 3
   Using Native IPv6
   State = MASTER
   Flags: none
   Wantstate = MASTER
   Number of config faults = 0
   Number of interface and track script faults = 0
   Number of track scripts init = 0
   Last transition = 1799999900.750000 (Fri Jan 15 07:58:20.750000 2027)
   Read timeout = 1800000000.550000 (Fri Jan 15 08:00:00.550000 2027)
   Master down timer = 1800781 usecs
   Interface = eth1
   Using src_ip = fe80::1
   Multicast address ff02::12, ifindex 3
   Gratuitous ARP delay = 5
   Gratuitous ARP repeat = 5
   Gratuitous ARP refresh = 0
   Gratuitous ARP refresh repeat = 1
   Gratuitous ARP lower priority delay = 5
   Gratuitous ARP lower priority repeat = 5
   Down timer adverts = 3
   Send advert after receive lower priority advert = true
   Send advert after receive higher priority advert = false
   Virtual Router ID = 52
   Priority = 100
   Effective priority = 102
   Total priority = 102
   Advert interval = 500 milli-sec
   Accept = enabled
   Preempt = enabled
   Preempt delay = 2 secs
   Promote_secondaries = disabled
   Virtual IP (1):
     fd00::2/64 dev eth1 scope global preferred_lft forever set
   fd_in 7, fd_out 9
   Tracked files :
     tf, weight 2
   Using smtp notification = no
   Notify deleted = Fault
   Notify priority changes = false
------< VRRP Sockpool >------
 fd_in 7 fd_out = 8
   Interface = eth0
   Family = IPv4
   Protocol = VRRP
   Type = Unicast
   Address = 192.0.2.1
   Rx buf size = 0
   VRRP instances
     VI_1 vrid 51
 fd_in 7 fd_out = 9
   Interface = eth1
   Family = IPv6
   Protocol = VRRP
   Type = Multicast
   Rx buf size = 0
   VRRP instances
     VI_2 vrid 52
------< VRRP Sync groups >------
 VRRP Sync Group = G, BACKUP
   Num member fault 0, num member init 0
   VRRP member instances :
     VI_1
   Using smtp notification = no
   Master state transition script = '/bin/true' 'gm', uid:gid 0:0
------< VRRP Scripts >------
 VRRP Script = chk
   Command = '/bin/true' 'x'
   Interval = 2 sec
   Timeout = 3 sec
   Weight = 0
   Rise = 2
   Fall = 3
   Result = 4
   Insecure = no
   Init state = unknown
   Status = GOOD
   Script uid:gid = 0:0
   VRRP instances :
   Tracking instances :
     VI_1, weight 0
   State = running
------< VRRP Track files >------
 Track file = tf
   File = /tmp/tf
   Status = 1
   Weight = 2
   Tracking instances :
     VI_2, weight 2
)";

TEST_F(Dump, DataHasEveryLineInKeepalivedsOrder) { EXPECT_EQ(renderData(rig.s), kData); }

const char* kStatsVi1 = R"(VRRP Instance: VI_1
  Advertisements:
    Received: 53
    Sent: 12
  Became master: 13
  Released master: 14
  Packet Errors:
    Length: 45
    TTL: 21
    Invalid Type: 24
    Advertisement Interval: 25
    Address List: 53
  Authentication Errors:
    Invalid Type: 57
    Type Mismatch: 30
    Failure: 31
  Priority Zero:
    Received: 15
    Sent: 16
)";

TEST_F(Dump, StatsAreKeepalivedsCountersPerInstance) {
    const std::string stats = renderStats(rig.s);
    EXPECT_EQ(stats.substr(0, stats.find("VRRP Instance: VI_2")), kStatsVi1);
    EXPECT_NE(stats.find("VRRP Instance: VI_2\n  Advertisements:\n    Received: 1\n    Sent: 2\n"),
              std::string::npos)
        << stats;
}

// STATS_CLEAR: the files count from the clear; the metrics never go back.
TEST_F(Dump, StatsClearBaselineIsSubtracted) {
    std::map<std::string, KeepalivedStats> base{{"VI_1", keepalivedStats(rig.s.instances[0])}};
    base["VI_1"].advert_sent -= 2;
    const std::string stats = renderStats(rig.s, base);
    EXPECT_NE(stats.find("VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 2\n"),
              std::string::npos)
        << stats;
    auto j = nlohmann::json::parse(renderJson(rig.s, base));
    EXPECT_EQ(j[0]["stats"]["advert_sent"], 2);
    EXPECT_EQ(j[0]["stats"]["ip_ttl_err"], 0);
    EXPECT_EQ(j[1]["stats"]["advert_sent"], 2);  // no baseline for VI_2
}

std::vector<std::string> keys(const nlohmann::ordered_json& o) {
    std::vector<std::string> k;
    for (auto it = o.begin(); it != o.end(); ++it) k.push_back(it.key());
    return k;
}

TEST_F(Dump, JsonHasKeepalivedsKeysInOrderWithTheirTypes) {
    // ordered: nlohmann::json would sort the keys.
    auto j = nlohmann::ordered_json::parse(renderJson(rig.s));
    ASSERT_EQ(j.size(), 2u);
    const std::vector<std::string> always = {
        "iname", "dont_track_primary", "skip_check_adv_addr", "strict_mode", "vmac_ifname",
        "ifp_ifname", "master_priority", "last_transition", "garp_delay", "garp_refresh",
        "garp_rep", "garp_refresh_rep", "garp_lower_prio_delay", "garp_lower_prio_rep",
        "lower_prio_no_advert", "higher_prio_send_advert", "vrid", "base_priority",
        "effective_priority", "vipset", "promote_secondaries", "adver_int", "master_adver_int",
        "accept", "nopreempt", "preempt_delay", "state", "wantstate", "version", "smtp_alert",
        "notify_deleted"};
    auto vi1 = always;
    for (const char* k : {"script_master", "script", "vips", "evips", "vroutes", "track_ifp",
                          "track_script", "auth_type", "auth_data"})
        vi1.push_back(k);
    auto vi2 = always;
    vi2.push_back("vips");
    vi2.push_back("auth_type");
    EXPECT_EQ(keys(j[0]["data"]), vi1);
    EXPECT_EQ(keys(j[1]["data"]), vi2);
    EXPECT_EQ(keys(j[0]["stats"]),
              (std::vector<std::string>{"advert_rcvd", "advert_sent", "become_master",
                                        "release_master", "packet_len_err", "advert_interval_err",
                                        "ip_ttl_err", "invalid_type_rcvd", "addr_list_err",
                                        "invalid_authtype", "authtype_mismatch", "auth_failure",
                                        "pri_zero_rcvd", "pri_zero_sent"}));
    const auto& d = j[0]["data"];
    EXPECT_EQ(d["iname"], "VI_1");
    EXPECT_EQ(d["ifp_ifname"], "eth0");
    EXPECT_EQ(d["vrid"], 51);
    EXPECT_EQ(d["state"], 1);
    EXPECT_EQ(d["wantstate"], 1);
    EXPECT_EQ(d["master_priority"], 200);
    EXPECT_EQ(d["base_priority"], 150);
    EXPECT_EQ(d["version"], 2);
    EXPECT_EQ(d["auth_type"], 1);
    EXPECT_EQ(d["auth_data"], "secret");
    EXPECT_TRUE(d["last_transition"].is_number_float());
    EXPECT_EQ(d["vipset"], false);
    EXPECT_EQ(d["vips"][0], "192.0.2.100/24 dev eth0 scope global");
    EXPECT_EQ(d["track_script"][0], "'/bin/true' 'x'");
    EXPECT_EQ(d["script_master"], "'/bin/true' 'm'");
    const auto& e = j[1]["data"];
    EXPECT_EQ(e["state"], 2);
    EXPECT_EQ(e["adver_int"], 0.5);
    EXPECT_EQ(e["preempt_delay"], 2);
    EXPECT_EQ(e["vipset"], true);
    EXPECT_EQ(e["vips"][0], "fd00::2/64 dev eth1 scope global preferred_lft forever set");
    EXPECT_EQ(j[0]["stats"]["advert_rcvd"], 53);
    EXPECT_EQ(j[0]["stats"]["invalid_authtype"], 57);
    // keepalived's types: booleans stay booleans, flags numbers.
    EXPECT_TRUE(d["nopreempt"].is_boolean());
    EXPECT_TRUE(d["accept"].is_number_integer());
    EXPECT_TRUE(d["strict_mode"].is_number_integer());
}

TEST_F(Dump, WantstateIsMasterWhileASyncGroupMemberWaits) {
    rig.s.instances[0].machine.wants_master = true;
    EXPECT_NE(renderData(rig.s).find("   State = BACKUP\n   Master router = 192.0.2.2\n"
                                     "   Master priority = 200\n   Flags:\n     Using unicast\n"
                                     "   Wantstate = MASTER\n"),
              std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(renderJson(rig.s))[0]["data"]["wantstate"], 2);
}

TEST_F(Dump, FaultDisablesTheReadTimeout) {
    rig.s.instances[1].machine.state = vrrp::State::Fault;
    const std::string d = renderData(rig.s);
    EXPECT_NE(d.find("   State = FAULT\n"), std::string::npos);
    EXPECT_NE(d.find("   Read timeout = DISABLED\n"), std::string::npos);
}

TEST(DumpSignals, KeepalivedsSignalNumbers) {
    // keepalived 2.2.7 --signum here: STOP 15, RELOAD 1, DATA 10, STATS 12, STATS_CLEAR 63,
    // JSON 36; TDATA (no THREAD_DUMP build) and lower case are unknown.
    EXPECT_EQ(keepalivedSignum("STOP"), SIGTERM);
    EXPECT_EQ(keepalivedSignum("RELOAD"), SIGHUP);
    EXPECT_EQ(keepalivedSignum("DATA"), 10);
    EXPECT_EQ(keepalivedSignum("STATS"), 12);
    EXPECT_EQ(keepalivedSignum("STATS_CLEAR"), SIGRTMAX - 1);
    EXPECT_EQ(keepalivedSignum("JSON"), SIGRTMIN + 2);
    EXPECT_EQ(keepalivedSignum("TDATA"), std::nullopt);
    EXPECT_EQ(keepalivedSignum("data"), std::nullopt);
    EXPECT_EQ(dumpKindOf(SIGUSR1), DumpKind::Data);
    EXPECT_EQ(dumpKindOf(SIGUSR2), DumpKind::Stats);
    EXPECT_EQ(dumpKindOf(SIGRTMIN + 2), DumpKind::Json);
    EXPECT_EQ(dumpKindOf(SIGRTMAX - 1), DumpKind::StatsClear);
    EXPECT_EQ(dumpKindOf(SIGHUP), std::nullopt);
    EXPECT_EQ(dumpPath(DumpKind::Data), "/tmp/keepalived.data");
    EXPECT_EQ(dumpPath(DumpKind::StatsClear), "/tmp/keepalived.stats");
    EXPECT_EQ(dumpPath(DumpKind::Json), "/tmp/keepalived.json");
}

struct TmpDir {
    std::string path;
    TmpDir() {
        char t[] = "/tmp/xvt-dump-XXXXXX";
        path = ::mkdtemp(t);
    }
    ~TmpDir() { std::filesystem::remove_all(path); }
    std::vector<std::string> names() const {
        std::vector<std::string> n;
        for (const auto& e : std::filesystem::directory_iterator(path)) n.push_back(e.path().filename());
        std::sort(n.begin(), n.end());
        return n;
    }
};

std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// A symlink planted at the dump's name is replaced, never followed (keepalived 2.2.7
// measured here leaves the target alone too); the file is 0600 and nothing is left over.
TEST(ReplaceFile, NeverFollowsAPlantedSymlink) {
    TmpDir d;
    const std::string target = d.path + "/precious", dump = d.path + "/keepalived.data";
    std::ofstream(target) << "precious\n";
    ASSERT_EQ(::symlink(target.c_str(), dump.c_str()), 0);
    replaceFile(dump, "new contents\n");
    EXPECT_EQ(slurp(target), "precious\n");
    struct stat st{};
    ASSERT_EQ(::lstat(dump.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(slurp(dump), "new contents\n");
    EXPECT_EQ(d.names(), (std::vector<std::string>{"keepalived.data", "precious"}));
}

TEST(ReplaceFile, ReplacesAnOlderLongerFile) {
    TmpDir d;
    const std::string dump = d.path + "/keepalived.json";
    std::ofstream(dump) << std::string(10000, 'x');
    ::chmod(dump.c_str(), 0644);
    replaceFile(dump, "[]\n");
    EXPECT_EQ(slurp(dump), "[]\n");
    struct stat st{};
    ASSERT_EQ(::stat(dump.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ReplaceFile, ADirectoryInTheWayIsAnErrorNamingThePath) {
    TmpDir d;
    const std::string dump = d.path + "/keepalived.stats";
    ASSERT_EQ(::mkdir(dump.c_str(), 0700), 0);
    try {
        replaceFile(dump, "x");
        FAIL() << "wrote over a directory";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(dump), std::string::npos) << e.what();
    }
    EXPECT_EQ(d.names(), (std::vector<std::string>{"keepalived.stats"}));  // no temp left
}

}  // namespace
}  // namespace xvrrp::daemon
