// unit.arbiter: the SSH argv (no shell, every safety option), the outcome rules (UNKNOWN on
// any failure), and the child plumbing with a stand-in for ssh.
#include "probes/ssh.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "arbiter/ssh_drive.hpp"
#include "round.hpp"

namespace xvrrp::arbiter {
namespace {

namespace fs = std::filesystem;

ArbiterConfig configWithPeer() {
    ArbiterConfig c;
    c.ssh_program = "/usr/bin/ssh";
    c.ssh_connect_timeout_s = 3;
    c.remote_xvrrpctl = "/usr/sbin/xvrrpctl";
    Peer p;
    p.name = "b";
    p.address = *IpAddr::parse("192.0.2.2");
    p.has_ssh = true;
    p.ssh = {"xvrrp", "node-b.example", 2222, "/etc/xvrrp/id key", "/etc/xvrrp/known_hosts"};
    c.peers.push_back(p);
    return c;
}

bool hasPair(const std::vector<std::string>& v, const std::string& a, const std::string& b) {
    for (size_t i = 0; i + 1 < v.size(); ++i)
        if (v[i] == a && v[i + 1] == b) return true;
    return false;
}

TEST(SshArgv, OptionsPresentAndNoShell) {
    auto c = configWithPeer();
    auto v = sshArgv(c, c.peers[0]);
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v[0], "/usr/bin/ssh");  // exec'd directly, not sh -c
    for (const auto& w : v) {
        EXPECT_NE(w, "sh");
        EXPECT_NE(w, "-c");
    }
    EXPECT_TRUE(hasPair(v, "-o", "BatchMode=yes"));
    EXPECT_TRUE(hasPair(v, "-o", "StrictHostKeyChecking=yes"));
    EXPECT_TRUE(hasPair(v, "-o", "UserKnownHostsFile=/etc/xvrrp/known_hosts"));
    EXPECT_TRUE(hasPair(v, "-o", "ConnectTimeout=3"));
    EXPECT_TRUE(hasPair(v, "-i", "/etc/xvrrp/id key"));  // one word, spaces and all
    EXPECT_TRUE(hasPair(v, "-p", "2222"));
    EXPECT_TRUE(hasPair(v, "-l", "xvrrp"));
    EXPECT_TRUE(hasPair(v, "-F", "none"));
    // Options end before the destination; the remote command is fixed and last.
    auto dd = std::find(v.begin(), v.end(), "--");
    ASSERT_NE(dd, v.end());
    ASSERT_EQ(v.end() - dd, 5);
    EXPECT_EQ(*(dd + 1), "node-b.example");
    EXPECT_EQ(*(dd + 2), "/usr/sbin/xvrrpctl");
    EXPECT_EQ(*(dd + 3), "status");
    EXPECT_EQ(*(dd + 4), "--json");
    for (auto it = v.begin(); it != dd; ++it) EXPECT_NE(*it, "node-b.example") << "host before --";
}

const char* kPeerStatus = R"({"schema":1,"instances":[{"name":"VI_1","state":"MASTER",
 "priority":{"configured":100,"effective":110},"vips_installed":true,"fenced":false,
 "source":"192.0.2.2","interface":"eth1","ifindex":3,"vrid":51,"family":"ipv4",
 "vips":["192.0.2.100/32"],"advert_int_ms":1000,"master_advert_int_ms":1000,
 "last_advert":{"ts_ns":1,"age_ms":500},"kernel":{"last_seen_ns":77,"absorbed":3,"woken":1}}]})";

TEST(SshOutcome, ParsesPeerStatus) {
    SshOutcome o = sshOutcome(false, 0, 0, kPeerStatus, "");
    ASSERT_TRUE(o.status) << o.unknown_reason;
    const auto& i = o.status->instances.at("VI_1");
    EXPECT_EQ(i.view.state, "MASTER");
    EXPECT_EQ(i.view.priority, 110);
    EXPECT_TRUE(i.view.vips_installed);
    EXPECT_EQ(i.view.addr_key, (std::vector<uint8_t>{192, 0, 2, 2}));
    EXPECT_EQ(i.ifindex, 3);
    EXPECT_EQ(i.vrid, 51);
    ASSERT_EQ(i.vips.size(), 1u);
    EXPECT_EQ(hearsAdverts(i), Tri::Yes);
    EXPECT_EQ(i.kernel_last_seen_ns, 77u);
    EXPECT_EQ(o.status->quorum, Tri::Unknown);
}

TEST(SshOutcome, EveryFailureIsUnknown) {
    struct C {
        bool timed_out;
        int code, sig;
        std::string out, err, reason;
    } cases[] = {
        {true, -1, 9, kPeerStatus, "", "ssh timed out"},
        {false, 255, 0, "", "Host key verification failed.\n",
         "ssh failed: Host key verification failed."},
        {false, 255, 0, "", "", "ssh failed: exit 255"},
        {false, 127, 0, "", "sh: xvrrpctl: not found\n",
         "remote xvrrpctl exited 127: sh: xvrrpctl: not found"},
        {false, 1, 0, "", "connect to control socket: refused\n", "remote xvrrpctl exited 1"},
        {false, -1, 15, "", "", "ssh killed by signal 15"},
        {false, 0, 0, "", "", "peer status is not JSON"},
        {false, 0, 0, "{\"instances\":[{\"name\":\"VI_1\"", "", "peer status is not JSON"},
        {false, 0, 0, "[1,2]", "", "peer status unreadable"},
        {false, 0, 0, "{\"ok\":false,\"error\":\"busy\"}", "", "daemon said: busy"},
        {false, 0, 0, "{\"instances\":[{\"name\":\"VI_1\",\"state\":\"MASTER\"}]}", "",
         "missing 'priority'"},
        {false, 0, 0,
         "{\"instances\":[{\"name\":\"VI_1\",\"state\":\"MASTER\",\"priority\":{\"effective\":"
         "\"high\"},"
         "\"vips_installed\":true}]}",
         "", "unexpected field type"},
    };
    for (const auto& c : cases) {
        SshOutcome o = sshOutcome(c.timed_out, c.code, c.sig, c.out, c.err);
        EXPECT_FALSE(o.status) << c.reason;
        EXPECT_NE(o.unknown_reason.find(c.reason), std::string::npos) << o.unknown_reason;
    }
}

TEST(SshOutcome, AdvertAgeAgainstMasterDown) {
    InstanceStatus s;
    s.advert_int_ms = 1000;
    EXPECT_EQ(hearsAdverts(s), Tri::No);  // never received one
    s.last_advert_age_ms = 3500;
    EXPECT_EQ(hearsAdverts(s), Tri::Yes);
    s.last_advert_age_ms = 4500;
    EXPECT_EQ(hearsAdverts(s), Tri::No);
    s.master_advert_int_ms = 100;  // the master's interval counts (RFC 5798 section 6.1)
    s.last_advert_age_ms = 500;
    EXPECT_EQ(hearsAdverts(s), Tri::No);
    // In FAULT xvrrpd's own timestamp goes stale; XDP's keeps counting (same clock here).
    s.last_advert_age_ms = 60000;
    s.kernel_last_seen_ns = 5000000000ull;
    EXPECT_EQ(hearsAdverts(s), Tri::No);  // without our clock the kernel time is not used
    EXPECT_EQ(hearsAdverts(s, 5000000000ull + 150000000ull), Tri::Yes);
    EXPECT_EQ(hearsAdverts(s, 5000000000ull + 900000000ull), Tri::No);
    EXPECT_EQ(hearsAdverts(s, 4000000000ull), Tri::No);  // clock before the stamp: ignored
    s.advert_int_ms = s.master_advert_int_ms = 0;
    EXPECT_EQ(hearsAdverts(s), Tri::Unknown);
}

TEST(Assemble, PeerUnknownAndInstanceMissing) {
    RoundResult r;
    r.quorum = {1, 2, 1};
    r.local = parseDaemonStatus(nlohmann::json::parse(kPeerStatus));
    PeerResult known{"b", "192.0.2.2", Tri::Yes, sshOutcome(false, 0, 0, kPeerStatus, "")};
    PeerResult unknown{"c", "192.0.2.3", Tri::Yes, sshOutcome(true, -1, 9, "", "")};
    r.peers = {known, unknown};
    auto ev = assemble("VI_1", r, Tri::Yes, FenceOwner::None);
    ASSERT_TRUE(ev.local.view);
    EXPECT_EQ(ev.local.hears_adverts, Tri::Yes);
    ASSERT_EQ(ev.peers.size(), 2u);
    EXPECT_TRUE(ev.peers[0].known && ev.peers[0].has_instance && ev.peers[0].view);
    EXPECT_FALSE(ev.peers[1].known);
    EXPECT_FALSE(ev.peers[1].view);
    EXPECT_EQ(ev.peers[1].unknown_reason, "ssh timed out");
    auto other = assemble("VI_9", r, Tri::No, FenceOwner::None);
    EXPECT_FALSE(other.local.view);
    EXPECT_TRUE(other.peers[0].known);
    EXPECT_FALSE(other.peers[0].has_instance);
    r.local.reset();
    EXPECT_FALSE(assemble("VI_1", r, Tri::Unknown, FenceOwner::Unknown).local.daemon_answered);
    EXPECT_EQ(guardedInstances({}, parseDaemonStatus(nlohmann::json::parse(kPeerStatus))),
              std::vector<std::string>{"VI_1"});
    EXPECT_EQ(guardedInstances({"X"}, std::nullopt), std::vector<std::string>{"X"});
}

// A stand-in for ssh: records its argv one per line and prints a status (or hangs).
class FakeSsh : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("xvt-arbssh-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string script(const std::string& name, const std::string& body) {
        auto p = dir_ / name;
        std::ofstream(p) << "#!/bin/sh\n" << body;
        ::chmod(p.c_str(), 0755);
        return p.string();
    }
    SshOutcome drive(SshQuery& q) { return driveToCompletion(q); }
    fs::path dir_;
};

TEST_F(FakeSsh, ArgvReachesTheProgramWordForWordAndStatusComesBack) {
    auto c = configWithPeer();
    std::string args = (dir_ / "args").string();
    std::string status = (dir_ / "status.json").string();
    std::ofstream(status) << kPeerStatus;
    c.ssh_program = script("ssh", "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + args +
                                      "\ncat " + status + "\n");
    SshQuery q(sshArgv(c, c.peers[0]), SteadyClock::now() + std::chrono::seconds(5));
    SshOutcome o = drive(q);
    ASSERT_TRUE(o.status) << o.unknown_reason;
    EXPECT_TRUE(o.status->instances.count("VI_1"));
    std::ifstream in(args);
    std::vector<std::string> got;
    for (std::string line; std::getline(in, line);) got.push_back(line);
    auto want = sshArgv(c, c.peers[0]);
    want.erase(want.begin());
    EXPECT_EQ(got, want);
}

TEST_F(FakeSsh, HangingSshIsKilledAtTheDeadlineAndUnknown) {
    auto c = configWithPeer();
    c.ssh_program = script("ssh", "exec sleep 30\n");
    auto start = SteadyClock::now();
    SshQuery q(sshArgv(c, c.peers[0]), start + std::chrono::milliseconds(300));
    SshOutcome o = drive(q);
    EXPECT_FALSE(o.status);
    EXPECT_EQ(o.unknown_reason, "ssh timed out");
    EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(5));
}

TEST_F(FakeSsh, MissingProgramIsUnknown) {
    auto c = configWithPeer();
    c.ssh_program = (dir_ / "no-such-ssh").string();
    SshQuery q(sshArgv(c, c.peers[0]), SteadyClock::now() + std::chrono::seconds(2));
    SshOutcome o = drive(q);
    EXPECT_FALSE(o.status);
    EXPECT_FALSE(o.unknown_reason.empty());
}

TEST_F(FakeSsh, FailingSshIsUnknownWithItsMessage) {
    auto c = configWithPeer();
    c.ssh_program = script("ssh", "echo 'Permission denied (publickey).' >&2\nexit 255\n");
    SshQuery q(sshArgv(c, c.peers[0]), SteadyClock::now() + std::chrono::seconds(5));
    SshOutcome o = drive(q);
    EXPECT_FALSE(o.status);
    EXPECT_EQ(o.unknown_reason, "ssh failed: Permission denied (publickey).");
}

}  // namespace
}  // namespace xvrrp::arbiter
