// The log lines keepalived users grep, in keepalived 2.2.7's wording (captured from
// keepalived in namespaces here), and syslog as keepalived's VRRP child: ident
// Keepalived_vrrp, facility daemon unless -S says otherwise.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

namespace fs = std::filesystem;

std::string pairConfig(const std::string& router, int priority, const std::string& extra = "") {
    return "global_defs {\n  router_id " + router + "\n}\n" + extra +
           "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority " +
           std::to_string(priority) +
           "\n  version 3\n  advert_int 0.1\n  virtual_ipaddress {\n    10.77.0.100/24\n  }\n"
           "}\n";
}

class LogLines : public PairFixture {
  protected:
    LogLines() : PairFixture("loglines") {}
    static bool logHas(const XvrrpdNode& n, const std::string& line) {
        return n.log().find(line) != std::string::npos;
    }
    bool waitLogged(const XvrrpdNode& n, const std::string& line) {
        return waitUntil([&] { return logHas(n, line); }, Ms(10000), Ms(50));
    }
    // Seconds since midnight of the first line holding `text` ("Fri Dec 04 20:25:04.123 2026:").
    static double loggedAt(const std::string& log, const std::string& text) {
        const size_t at = log.find(text);
        if (at == std::string::npos) return -1e9;
        const size_t bol = log.rfind('\n', at) + 1;  // npos + 1 == 0
        int h = 0, m = 0, sec = 0, ms = 0;
        if (std::sscanf(log.c_str() + bol, "%*s %*s %*d %d:%d:%d.%d", &h, &m, &sec, &ms) != 4) return -1e9;
        return h * 3600.0 + m * 60.0 + sec + ms / 1000.0;
    }
};

TEST_F(LogLines, ElectionPreemptionAndStopAsKeepalived) {
    n2_->start(pairConfig("n2", 100));
    ASSERT_TRUE(waitState(*n2_, "MASTER", Ms(10000))) << n2_->log();
    for (const char* line : {"Startup complete", "(VI_1) Entering BACKUP STATE (init)",
                             "(VI_1) Receive advertisement timeout", "(VI_1) Entering MASTER STATE",
                             "(VI_1) setting VIPs.",
                             "(VI_1) Sending/queueing gratuitous ARPs on eth0 for 10.77.0.100",
                             "Sending gratuitous ARP on eth0 for 10.77.0.100"})
        EXPECT_TRUE(waitLogged(*n2_, line)) << line << "\n" << tail(n2_->log(), 40);
    // The advert timeout is said before the state it leads to, as keepalived does.
    const std::string log2 = n2_->log();
    EXPECT_LT(log2.find("Receive advertisement timeout"), log2.find("Entering MASTER STATE"));

    // A higher priority joins: it discards the lower master's adverts until its timer runs
    // out; the old master yields and says why.
    n1_->start(pairConfig("n1", 150));
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(10000))) << n1_->log();
    EXPECT_TRUE(waitLogged(*n1_, "(VI_1) received lower priority (100) advert from 10.77.0.2 - "
                                 "discarding"))
        << tail(n1_->log(), 40);
    EXPECT_TRUE(waitLogged(*n2_, "(VI_1) Master received advert from 10.77.0.1 with higher "
                                 "priority 150, ours 100"))
        << tail(n2_->log(), 40);
    EXPECT_TRUE(waitLogged(*n2_, "(VI_1) removing VIPs.")) << tail(n2_->log(), 40);

    // Stop: priority 0 from the master, heard by the backup.
    n1_->signal(SIGTERM);
    ASSERT_TRUE(n1_->waitExit(Ms(10000)).has_value());
    for (const char* line : {"Stopping", "(VI_1) sent 0 priority", "Stopped"})
        EXPECT_TRUE(logHas(*n1_, line)) << line << "\n" << tail(n1_->log(), 40);
    EXPECT_TRUE(waitLogged(*n2_, "(VI_1) Backup received priority 0 advertisement"))
        << tail(n2_->log(), 40);
    EXPECT_FALSE(logHas(*n1_, "Entering INIT STATE")) << "keepalived says Stopping, nothing else";
}

TEST_F(LogLines, TrackScriptAsKeepalived) {
    const std::string flag = lab_->logDir() + "/ok";
    std::ofstream(flag) << "1\n";
    const std::string script = "vrrp_script chk {\n  script \"/usr/bin/test -f " + flag +
                               "\"\n  interval 1\n  fall 1\n  rise 1\n}\n";
    std::string conf = pairConfig("n1", 150, script);
    conf.insert(conf.rfind("}"), "  track_script {\n    chk\n  }\n");
    n1_->start(conf);
    ASSERT_TRUE(waitLogged(*n1_, "VRRP_Script(chk) succeeded")) << tail(n1_->log(), 40);
    fs::remove(flag);
    EXPECT_TRUE(waitLogged(*n1_, "Script `chk` now returning 1")) << tail(n1_->log(), 40);
    EXPECT_TRUE(waitLogged(*n1_, "VRRP_Script(chk) failed (exited with status 1)"))
        << tail(n1_->log(), 40);
    EXPECT_TRUE(waitLogged(*n1_, "(VI_1) Entering FAULT STATE")) << tail(n1_->log(), 40);
    std::ofstream(flag) << "1\n";
    EXPECT_TRUE(waitLogged(*n1_, "Script `chk` now returning 0")) << tail(n1_->log(), 40);
}

// keepalived 2.2.7 says "Netlink reports IF down" for every interface its configuration
// names (differential trace.cpp watches the line). One first named by a reload counts as
// well: its state is read at the reload, and only a change after it is reported.
TEST_F(LogLines, NetlinkLineForAnInterfaceAReloadNamesFirst) {
    auto& node = lab_->node("n1");
    node.runOk({"ip", "link", "add", "dum0", "type", "veth", "peer", "name", "dum1"});
    node.runOk({"ip", "link", "set", "dum1", "up"});
    node.runOk({"ip", "link", "set", "dum0", "up"});
    std::string conf = pairConfig("n1", 150);
    n1_->start(conf);
    ASSERT_TRUE(waitLogged(*n1_, "(VI_1) Entering MASTER STATE")) << tail(n1_->log(), 40);
    conf.insert(conf.rfind("}"), "  track_interface {\n    dum0 weight -10\n  }\n");
    {
        std::ofstream f(n1_->configPath(), std::ios::trunc);
        f << conf;
    }
    n1_->signal(SIGHUP);
    ASSERT_TRUE(waitLogged(*n1_, "Reload done")) << tail(n1_->log(), 40);
    EXPECT_FALSE(logHas(*n1_, "Netlink reports dum0")) << tail(n1_->log(), 40);
    node.runOk({"ip", "link", "set", "dum0", "down"});
    EXPECT_TRUE(waitLogged(*n1_, "Netlink reports dum0 down")) << tail(n1_->log(), 40);
}

// keepalived 2.2.7, measured alone on a segment: `state MASTER` at priority 100, advert_int
// 1 enters BACKUP (init) and claims MASTER a full Master_Down_Interval later (3.58 s), as
// RFC 5798 6.4.1 says for a non-owner; its notify says BACKUP, then MASTER.
TEST_F(LogLines, StateMasterNonOwnerClaimsAfterMasterDownInterval) {
    const std::string notifyLog = lab_->logDir() + "/notify.log";
    const std::string script = lab_->logDir() + "/notify.sh";
    std::ofstream(script) << "#!/bin/sh\necho \"$*\" >> " << notifyLog << "\n";
    fs::permissions(script, fs::perms::owner_all);
    std::string conf = pairConfig("n1", 100);
    conf = conf.replace(conf.find("advert_int 0.1"), 14, "advert_int 1");
    conf.insert(conf.rfind("}"), "  state MASTER\n  notify " + script + "\n");
    n1_->start(conf);
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(15000))) << tail(n1_->log(), 40);
    const std::string log = n1_->log();
    // Master_Down_Interval = 3 s + 156/256 s, timed by the log's millisecond stamps.
    double wait = loggedAt(log, "Entering MASTER STATE") - loggedAt(log, "BACKUP STATE (init)");
    if (wait < 0 && wait > -86400) wait += 86400;  // across midnight
    EXPECT_GE(wait, 3.6) << tail(log, 40);
    EXPECT_LT(wait, 3.61 + 1.0) << tail(log, 40);
    EXPECT_LT(log.find("Entering BACKUP STATE (init)"), log.find("Receive advertisement timeout"));
    EXPECT_LT(log.find("Receive advertisement timeout"), log.find("Entering MASTER STATE"));
    auto lines = [&] {
        std::ifstream in(notifyLog);
        std::vector<std::string> v;
        for (std::string l; std::getline(in, l);) v.push_back(l);
        return v;
    };
    const std::vector<std::string> want{"INSTANCE VI_1 BACKUP 100", "INSTANCE VI_1 MASTER 100"};
    EXPECT_TRUE(waitUntil([&] { return lines() == want; }, Ms(5000), Ms(50)))
        << ::testing::PrintToString(lines());
}

// A socket standing in for /dev/log, seen by the daemon alone (a private mount namespace).
class SyslogCatcher {
  public:
    explicit SyslogCatcher(const std::string& dir) : dev_(dir + "/dev") {
        fs::create_directories(dev_);
        for (const char* node : {"null", "zero", "urandom"}) std::ofstream(dev_ + "/" + node);
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, (dev_ + "/log").c_str(), sizeof(sa.sun_path) - 1);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
            throw std::runtime_error("bind " + dev_ + "/log: " + std::strerror(errno));
        timeval tv{0, 100000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    ~SyslogCatcher() { ::close(fd_); }
    // argv run with DEV mounted over /dev (its null/zero/urandom bound to the real ones).
    std::vector<std::string> wrap(const std::vector<std::string>& argv) const {
        std::string cmd = "set -e; for n in null zero urandom; do mount --bind /dev/$n " + dev_ +
                          "/$n; done; mount --bind " + dev_ + " /dev; exec";
        for (const auto& a : argv) cmd += " '" + a + "'";
        return {"unshare", "-m", "--propagation", "private", "sh", "-c", cmd};
    }
    // The first datagram containing `text`, within the deadline.
    std::string waitFor(const std::string& text, Clock::duration t) {
        const auto end = Clock::now() + t;
        char buf[2048];
        while (Clock::now() < end) {
            ssize_t n = ::recv(fd_, buf, sizeof(buf) - 1, 0);
            if (n <= 0) continue;
            std::string msg(buf, static_cast<size_t>(n));
            if (msg.find(text) != std::string::npos) return msg;
        }
        return "";
    }

  private:
    std::string dev_;
    int fd_ = -1;
};

TEST_F(LogLines, SyslogIdentAndFacilityAsKeepalived) {
    for (auto [args, pri] : {std::pair{std::vector<std::string>{}, std::string("<30>")},
                             {std::vector<std::string>{"-S", "1"}, std::string("<142>")}}) {
        SyslogCatcher sys(lab_->logDir() + "/sys" + pri.substr(1, 2));
        std::vector<std::string> argv = {xvrrpdBin(), "-n", "-f", lab_->logDir() + "/sys.conf",
                                         "--pin-root", n1_->pinRoot(), "--control",
                                         lab_->logDir() + "/sys.sock", "-p",
                                         lab_->logDir() + "/sys.pid"};
        argv.insert(argv.end(), args.begin(), args.end());
        std::ofstream(lab_->logDir() + "/sys.conf") << pairConfig("n1", 150);
        auto& p = lab_->node("n1").spawn(sys.wrap(argv), lab_->logDir() + "/sys.log");
        // daemon.info = 3 * 8 + 6 = 30; local1.info = 17 * 8 + 6 = 142 (RFC 5424 PRI).
        const std::string msg = sys.waitFor("Entering BACKUP STATE (init)", Ms(10000));
        EXPECT_NE(msg, "") << "nothing reached /dev/log";
        EXPECT_EQ(msg.rfind(pri, 0), 0u) << msg;
        EXPECT_NE(msg.find(" Keepalived_vrrp["), std::string::npos) << msg;
        p.stop(std::chrono::seconds(5));
    }
}

}  // namespace
}  // namespace xvrrp::itest
