// The configuration check judges scripts as keepalived 2.2.7 does before running them
// (track::judgeScript through LoadOptions::check_script): a vrrp_script it disables is a
// warning that fails keepalived -t, a notify script it cannot run is advice (keepalived -t
// is silent on it), and scripts run as root without enable_script_security get keepalived's
// SECURITY VIOLATION line.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/parser.hpp"
#include "track/command.hpp"

namespace xvrrp::track {
namespace {

using config::Severity;

class ConfigScripts : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("xvrrp-cfgfs-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        chmod(dir_.c_str(), 0755);
        good_ = write("good.sh", 0755);
        plain_ = write("plain.txt", 0644);
        loose_ = write("loose.sh", 0777);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string write(const std::string& name, mode_t mode) {
        const std::string p = (dir_ / name).string();
        std::ofstream(p) << "#!/bin/sh\nexit 0\n";
        chmod(p.c_str(), mode);
        return p;
    }
    static config::LoadResult load(const std::string& text) {
        config::LoadOptions o;
        o.check_script = judgeScript;
        return config::loadConfigText(text, "t.conf", o);
    }
    // The diagnostic at LINE whose message holds `text`; nullptr if none.
    static const config::Diagnostic* at(const config::LoadResult& r, int line, const std::string& text) {
        for (const auto& d : r.diagnostics)
            if (d.where.line == line && d.message.find(text) != std::string::npos) return &d;
        return nullptr;
    }
    static std::string dump(const config::LoadResult& r) {
        std::string s;
        for (const auto& d : r.diagnostics) s += "  " + d.str() + (d.advice ? " [advice]" : "") + "\n";
        return s;
    }
    std::filesystem::path dir_;
    std::string good_, plain_, loose_;
};

TEST_F(ConfigScripts, DisabledVrrpScriptsFailTheCheckMissingNotifyScriptsAreAdvice) {
    const std::string text = "vrrp_script ok {\n script \"" + good_ + " arg\"\n}\n"
                             "vrrp_script gone {\n script /nonexistent/xvrrp/chk.sh\n}\n"
                             "vrrp_script notx {\n script " + plain_ + "\n}\n"
                             "vrrp_script builtin {\n script \"[ -f /etc/keepalived/down ]\"\n}\n"
                             "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
                             " notify_master \"/nonexistent/n.sh master\"\n}\n";
    auto r = load(text);
    EXPECT_TRUE(r.ok()) << dump(r);
    const auto* gone = at(r, 4, "vrrp_script 'gone': Script /nonexistent/xvrrp/chk.sh cannot be accessed");
    ASSERT_NE(gone, nullptr) << dump(r);
    EXPECT_NE(gone->message.find("Disabling track script gone since not found/accessible"), std::string::npos);
    EXPECT_FALSE(gone->advice);
    const auto* notx = at(r, 7, "is not executable for uid:gid");
    ASSERT_NE(notx, nullptr) << dump(r);
    EXPECT_FALSE(notx->advice);
    const auto* notify = at(r, 16, "notify_master of vrrp_instance A: Script /nonexistent/n.sh cannot be accessed");
    ASSERT_NE(notify, nullptr) << dump(r);
    EXPECT_TRUE(notify->advice);
    // ok and builtin run as root without enable_script_security.
    const auto* summary = at(r, 0, "SECURITY VIOLATION - scripts are being executed but script_security not enabled.");
    ASSERT_NE(summary, nullptr) << dump(r);
    EXPECT_FALSE(summary->advice);
    EXPECT_EQ(r.diagnostics.size(), 4u) << dump(r);
}

// "</path" goes to /bin/sh: keepalived neither looks for a program nor counts it as one it
// execs (keepalived -t is silent on such a file, measured).
TEST_F(ConfigScripts, ShellRedirectTestsAreNotLookedFor) {
    auto r = load("vrrp_script port {\n script \"</dev/tcp/127.0.0.1/80\"\n}\n"
                  "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n track_script {\n  port\n }\n}\n");
    EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
}

TEST_F(ConfigScripts, ScriptSecurityDisablesScriptsOthersCanWrite) {
    const std::string body = "vrrp_script loose {\n script " + loose_ + "\n}\nvrrp_script good {\n script " + good_ + "\n}\n";
    auto off = load(body);
    ASSERT_EQ(off.diagnostics.size(), 1u) << dump(off);
    EXPECT_NE(off.diagnostics[0].message.find("There are insecure scripts."), std::string::npos) << dump(off);
    auto on = load("global_defs {\n enable_script_security\n script_user root\n}\n" + body);
    ASSERT_EQ(on.diagnostics.size(), 1u) << dump(on);
    EXPECT_NE(at(on, 5, "Disabling track script loose due to insecure"), nullptr) << dump(on);
}

// enable_script_security disables only scripts that run as root: a notify script's own USER
// (or script_user) that is not root keeps a loose script (keepalived check_script_secure).
TEST_F(ConfigScripts, ScriptSecurityJudgesNotifyScriptsForTheirUser) {
    if (!getpwnam("nobody")) GTEST_SKIP() << "no user nobody on this system";
    const std::string inst = "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n";
    auto root = load("global_defs {\n enable_script_security\n script_user root\n}\n" + inst + " notify_master " +
                     loose_ + "\n}\n");
    const auto* d = at(root, 8, "notify_master of vrrp_instance A");
    ASSERT_NE(d, nullptr) << dump(root);
    EXPECT_TRUE(d->advice);
    auto own = load("global_defs {\n enable_script_security\n script_user root\n}\n" + inst + " notify_master " +
                    loose_ + " nobody\n}\n");
    EXPECT_TRUE(own.diagnostics.empty()) << dump(own);
    auto dflt = load("global_defs {\n enable_script_security\n script_user nobody\n}\n" + inst + " notify " + loose_ +
                     "\n}\n");
    EXPECT_TRUE(dflt.diagnostics.empty()) << dump(dflt);
}

// Without script_user, enable_script_security needs the user keepalived_script; keepalived
// refuses every script without it.
TEST_F(ConfigScripts, ScriptSecurityWithoutADefaultUserDisablesScripts) {
    if (getpwnam("keepalived_script")) GTEST_SKIP() << "this host has the user keepalived_script";
    auto r = load("global_defs {\n enable_script_security\n}\nvrrp_script s {\n script " + good_ + "\n}\n");
    EXPECT_NE(at(r, 4, "Unable to set default user keepalived_script for script"), nullptr) << dump(r);
}

}  // namespace
}  // namespace xvrrp::track
