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
#include "audit.hpp"
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
    // An xvrrpd that does not report adverts per source cannot vouch for any peer's.
    EXPECT_FALSE(i.adverts_from);
    EXPECT_EQ(hearsAdvertsFrom(i, {192, 0, 2, 3}), Tri::Unknown);
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

// Issue 9 item 2: a banner or locale message that is not UTF-8 went into unknown_reason and
// made the audit write (json::dump) throw, which stopped the arbiter in its first round.
TEST(SshOutcome, PeerBytesThatAreNotUtf8StayPrintable) {
    const std::string junk = "\xff\xfe\x1b[2J Welcome \xc3\x28 to node-b\r\n";
    struct C {
        int code;
        std::string out, err;
    } cases[] = {
        {255, "", junk},                      // ssh's own message
        {1, "", "xvrrpctl: " + junk},         // the remote command's error text
        {0, junk, ""},                        // a banner on stdout instead of the status
        {0, "{\"instances\": \"" + junk + "\"}", ""},  // inside what looks like JSON
    };
    for (const auto& c : cases) {
        SshOutcome o = sshOutcome(false, c.code, 0, c.out, c.err);
        EXPECT_FALSE(o.status);
        EXPECT_NE(o.unknown_reason, "");
        RoundResult r;
        r.peers.push_back({"b", "192.0.2.2", Tri::Yes, o});
        auto ev = assemble("VI_1", r, Tri::Yes, FenceOwner::None);
        nlohmann::json line = {{"evidence", toJson(ev)}, {"round", toJson(r)}};
        EXPECT_NO_THROW((void)line.dump()) << o.unknown_reason;
        EXPECT_EQ(o.unknown_reason.find('\x1b'), std::string::npos) << o.unknown_reason;
    }
    SshOutcome o = sshOutcome(false, 255, 0, "", junk);
    EXPECT_EQ(o.unknown_reason, "ssh failed: \\xff\\xfe\\x1b[2J Welcome \\xc3( to node-b");
}

TEST(AuditLog, LineWithInvalidUtf8IsWrittenNotThrown) {
    auto path = fs::temp_directory_path() / ("xvt-audit-" + std::to_string(::getpid()));
    {
        AuditLog log(path.string());
        EXPECT_TRUE(log.write({{"reason", "raw \xff byte"}}));
    }
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    fs::remove(path);
    // Escaped as the control socket escapes it (JSON doubles the backslash).
    EXPECT_NE(text.find("raw \\\\xff byte"), std::string::npos) << text;
}

TEST(SshOutcome, AdvertAgeAgainstMasterDownPerSource) {
    const std::vector<uint8_t> b = {10, 0, 0, 2}, c = {10, 0, 0, 3};
    InstanceStatus s;
    s.advert_int_ms = 1000;
    s.adverts_from.emplace();
    EXPECT_EQ(hearsAdvertsFrom(s, b), Tri::No);  // never received one
    s.adverts_from->push_back({c, 100});
    EXPECT_EQ(hearsAdvertsFrom(s, b), Tri::No) << "another node's adverts say nothing of b's";
    EXPECT_EQ(hearsAdvertsFrom(s, c), Tri::Yes);
    EXPECT_EQ(hearsAdvertsFrom(s, {}), Tri::Unknown);  // the peer's address is not known
    s.adverts_from->push_back({b, 3500});
    EXPECT_EQ(hearsAdvertsFrom(s, b), Tri::Yes);
    s.adverts_from->back().age_ms = 4500;
    EXPECT_EQ(hearsAdvertsFrom(s, b), Tri::No);
    s.master_advert_int_ms = 100;  // the master's interval counts (RFC 5798 section 6.1)
    s.adverts_from->back().age_ms = 500;
    EXPECT_EQ(hearsAdvertsFrom(s, b), Tri::No);
    // XDP absorbs the followed master's adverts; its timestamp counts for that source only.
    s.kernel_last_seen_ns = 5000000000ull;
    s.kernel_master_key = b;
    EXPECT_EQ(hearsAdvertsFrom(s, b), Tri::No);  // without our clock the kernel time is not used
    EXPECT_EQ(hearsAdvertsFrom(s, b, 5000000000ull + 150000000ull), Tri::Yes);
    EXPECT_EQ(hearsAdvertsFrom(s, b, 5000000000ull + 900000000ull), Tri::No);
    EXPECT_EQ(hearsAdvertsFrom(s, b, 4000000000ull), Tri::No);  // clock before the stamp
    s.adverts_from->clear();
    EXPECT_EQ(hearsAdvertsFrom(s, c, 5000000000ull + 150000000ull), Tri::No);
    s.advert_int_ms = s.master_advert_int_ms = 0;
    EXPECT_EQ(hearsAdvertsFrom(s, b, 5000000000ull + 150000000ull), Tri::Unknown);
}

TEST(StatusView, ParsesAdvertsPerSourceAndVipDevices) {
    auto doc = nlohmann::json::parse(kPeerStatus);
    auto& i = doc["instances"][0];
    i["adverts_from"] = {{{"address", "192.0.2.3"}, {"priority", 100}, {"age_ms", 12.5}},
                         {{"address", "junk"}, {"age_ms", 1}},
                         {{"address", "192.0.2.4"}}};
    i["kernel"]["master"] = "192.0.2.3";
    i["vip_devices"] = {{{"address", "192.0.2.100/32"}, {"dev", "lan0"}, {"ifindex", 7}},
                        {{"address", "x"}, {"ifindex", 1}}};
    auto s = parseDaemonStatus(doc);
    const auto& v = s.instances.at("VI_1");
    ASSERT_TRUE(v.adverts_from);
    ASSERT_EQ(v.adverts_from->size(), 1u);  // unreadable entries are left out
    EXPECT_EQ(v.adverts_from->front().addr_key, (std::vector<uint8_t>{192, 0, 2, 3}));
    EXPECT_EQ(v.kernel_master_key, (std::vector<uint8_t>{192, 0, 2, 3}));
    ASSERT_EQ(v.vip_devices.size(), 1u);
    EXPECT_EQ(v.vip_devices[0].dev, "lan0");
    EXPECT_EQ(v.vip_devices[0].ifindex, 7);
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
    EXPECT_EQ(ev.peers[0].adverts_reach_us, Tri::Unknown);  // no per-source record locally
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

// Issue 9 item 8: ssh inherited the arbiter's environment, so an agent (SSH_AUTH_SOCK) or
// SSH_ASKPASS/LD_PRELOAD of whoever started the arbiter took part in every query.
TEST_F(FakeSsh, SshGetsAMinimalEnvironment) {
    auto c = configWithPeer();
    std::string env = (dir_ / "env").string();
    c.ssh_program = script("ssh", "env > " + env + "\ncat /dev/null\n");
    ::setenv("SSH_AUTH_SOCK", "/tmp/xvt-agent.sock", 1);
    ::setenv("LD_PRELOAD", "/tmp/xvt-evil.so", 1);
    SshQuery q(sshArgv(c, c.peers[0]), SteadyClock::now() + std::chrono::seconds(5));
    driveToCompletion(q);
    ::unsetenv("SSH_AUTH_SOCK");
    ::unsetenv("LD_PRELOAD");
    std::ifstream in(env);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text.find("SSH_AUTH_SOCK"), std::string::npos) << text;
    EXPECT_EQ(text.find("LD_PRELOAD"), std::string::npos) << text;
    EXPECT_NE(text.find("LC_ALL=C"), std::string::npos) << text;
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
