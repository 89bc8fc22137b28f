#include <gtest/gtest.h>

#include <syslog.h>

#include <cstdio>
#include <regex>
#include <sstream>

#include "daemon/options.hpp"

namespace xvrrp::daemon {
namespace {

ParsedOptions parse(std::vector<std::string> args) {
    std::vector<char*> argv;
    args.insert(args.begin(), "xvrrpd");
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return parseOptions(static_cast<int>(args.size()), argv.data());
}

TEST(Options, AcceptsKeepalivedUnitFileFlags) {
    auto r = parse({"--dont-fork", "-D", "-P", "-l", "-f", "/tmp/k.conf", "-p", "/tmp/p.pid"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_TRUE(r.options->foreground);
    EXPECT_TRUE(r.options->log_detail);
    EXPECT_TRUE(r.options->log_console);
    EXPECT_EQ(r.options->config_file, "/tmp/k.conf");
    EXPECT_EQ(r.options->pid_file, "/tmp/p.pid");
}

TEST(Options, OursAndConfigTest) {
    auto r = parse({"-t", "-f", "/x.conf", "--pin-root", "/sys/fs/bpf/n1", "--control", "/run/n1.sock"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_TRUE(r.options->config_test);
    EXPECT_EQ(r.options->pin_root, "/sys/fs/bpf/n1");
    EXPECT_EQ(r.options->control, "/run/n1.sock");
    r = parse({"--shared-interface", "eth1", "--shared-interface", "bond0.20"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_EQ(r.options->shared_interfaces, (std::vector<std::string>{"eth1", "bond0.20"}));
}

TEST(Options, MetricsListenAddress) {
    auto r = parse({});
    ASSERT_TRUE(r.options);
    EXPECT_EQ(r.options->metrics_listen, "");  // off unless asked for
    for (const char* ok : {"9650", "127.0.0.1:9650", "[::1]:9650", ":9650"}) {
        r = parse({"--metrics", ok});
        ASSERT_TRUE(r.options) << ok << ": " << r.message;
        EXPECT_EQ(r.options->metrics_listen, ok);
    }
    for (const char* bad : {"x", "1.2.3.4:99999", "::1:80"}) {
        r = parse({std::string("--metrics=") + bad});
        EXPECT_FALSE(r.options) << bad;
        EXPECT_EQ(r.exit_code, 2);
        EXPECT_NE(r.message.find(std::string("'") + bad + "'"), std::string::npos) << r.message;
    }
}

// keepalived --signum prints the number and exits 0; an unknown name exits 1 (measured).
TEST(Options, SignumPrintsKeepalivedsNumbers) {
    for (auto [name, num] : {std::pair{"STOP", "15"}, {"RELOAD", "1"}, {"DATA", "10"},
                             {"STATS", "12"}, {"STATS_CLEAR", "63"}, {"JSON", "36"}}) {
        auto r = parse({std::string("--signum=") + name});
        EXPECT_FALSE(r.options);
        EXPECT_EQ(r.exit_code, 0) << name;
        EXPECT_EQ(r.message, std::string(num) + "\n") << name;
    }
    auto r = parse({"--signum", "DATA"});
    EXPECT_EQ(r.message, "10\n");
    r = parse({"--signum=TDATA"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.message, "Unknown sigfunc TDATA\n");
    r = parse({"--signum"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.message.find("--signum"), std::string::npos) << r.message;
}

// `xvrrpd --cleanup` takes the daemon's own options (DAEMON_ARGS), so one line serves both.
TEST(Options, CleanupTakesTheDaemonsOptions) {
    auto r = parse({"--cleanup", "-f", "/x.conf", "--pin-root", "/sys/fs/bpf/n1", "--control",
                    "/run/n1.sock", "-p", "/run/n1.pid", "-s", "ns1", "--dont-fork", "-D"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_TRUE(r.options->cleanup);
    EXPECT_EQ(r.options->pin_root, "/sys/fs/bpf/n1");
    EXPECT_EQ(r.options->pid_file, "/run/n1.pid");
    EXPECT_EQ(r.options->net_namespace, "ns1");
    EXPECT_FALSE(parse({}).options->cleanup);
    r = parse({"--cleanup", "-t"});
    EXPECT_FALSE(r.options);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.message.find("--cleanup and -t/--config-test"), std::string::npos) << r.message;
    r = parse({"--cleanup", "--handover", "/proc/self/fd/5"});
    EXPECT_FALSE(r.options);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.message.find("--cleanup and --handover"), std::string::npos) << r.message;
}

TEST(Options, BadInputIsAnErrorNamingTheArgument) {
    auto r = parse({"--bogus"});
    EXPECT_FALSE(r.options);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.message.find("--bogus"), std::string::npos);
    r = parse({"-f"});
    EXPECT_FALSE(r.options);
    EXPECT_NE(r.message.find("needs an argument"), std::string::npos);
    r = parse({"-S", "9"});
    EXPECT_FALSE(r.options);
    EXPECT_NE(r.message.find("0-7, local0-local7, user or daemon"), std::string::npos);
    r = parse({"--pin-root", "relative"});
    EXPECT_FALSE(r.options);
    r = parse({"--shared-interface", "a-name-longer-than-15"});
    EXPECT_FALSE(r.options);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.message.find("'a-name-longer-than-15' is not an interface name"), std::string::npos)
        << r.message;
    r = parse({"--shared-interface", "eth0/1"});
    EXPECT_FALSE(r.options);
    r = parse({"-C"});
    EXPECT_FALSE(r.options);
    EXPECT_NE(r.message.find("LVS"), std::string::npos);
    r = parse({"-u", "0999"});
    EXPECT_FALSE(r.options);
    EXPECT_NE(r.message.find("-u/--umask"), std::string::npos);
    r = parse({"-s", "../etc"});
    EXPECT_FALSE(r.options);
    EXPECT_NE(r.message.find("not a network namespace name"), std::string::npos);
}

TEST(Options, SyslogAsKeepalivedByDefault) {
    auto r = parse({});
    ASSERT_TRUE(r.options);
    EXPECT_EQ(r.options->syslog_ident, "Keepalived_vrrp");
    EXPECT_EQ(r.options->syslog_facility, LOG_DAEMON);
    for (auto [arg, want] : {std::pair{"daemon", LOG_DAEMON}, {"user", LOG_USER},
                             {"1", LOG_LOCAL1}, {"local1", LOG_LOCAL1}, {"7", LOG_LOCAL7}}) {
        r = parse({"-S", arg});
        ASSERT_TRUE(r.options) << arg << ": " << r.message;
        EXPECT_EQ(r.options->syslog_facility, want) << arg;
    }
    r = parse({"--log-facility=local3", "--syslog-ident=xvrrpd"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_EQ(r.options->syslog_facility, LOG_LOCAL3);
    EXPECT_EQ(r.options->syslog_ident, "xvrrpd");
}

TEST(Options, KeepalivedMeaningsThatApply) {
    auto r = parse({"-t/tmp/check.log", "-u", "027", "-V", "-a", "-s", "blue", "-m", "-g",
                    "--flush-log-file"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_TRUE(r.options->config_test);
    EXPECT_EQ(r.options->config_test_log, "/tmp/check.log");
    EXPECT_EQ(r.options->config_file, "/etc/keepalived/keepalived.conf");  // -t=FILE is a log
    EXPECT_EQ(r.options->umask, 027);
    EXPECT_TRUE(r.options->dont_release_vrrp);
    EXPECT_TRUE(r.options->address_monitoring);
    EXPECT_EQ(r.options->net_namespace, "blue");
    EXPECT_TRUE(r.options->core_dump);
    EXPECT_EQ(r.options->log_file, "/tmp/keepalived.log");
    EXPECT_TRUE(r.options->flush_log_file);
    r = parse({"--log-file=/var/log/x.log", "-Mcore.%p"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_EQ(r.options->log_file, "/var/log/x.log");
    EXPECT_EQ(r.options->core_pattern, "core.%p");
}

TEST(Options, ThoseThatCannotApplySayWhy) {
    auto r = parse({"-x", "-I", "-X", "-b", "/run/b.pid"});
    ASSERT_TRUE(r.options) << r.message;
    ASSERT_EQ(r.options->notices.size(), 4u);
    EXPECT_NE(r.options->notices[0].find("SNMP"), std::string::npos);
    // VRRP-only and one-process flags mean nothing to say.
    r = parse({"-P", "-R", "--all"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_TRUE(r.options->notices.empty());
}

TEST(Options, ConfigIdAllConfigAndDumpAreActedOn) {
    auto r = parse({"-i", "node2", "-e", "-t", "-d"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_TRUE(r.options->notices.empty());  // before: "-i ... ignored", "-e ... not applied yet"
    const auto load = configLoadOptions(*r.options);
    EXPECT_EQ(load.config_id, "node2");
    EXPECT_TRUE(load.all_include_checks);
    EXPECT_TRUE(r.options->dump_conf);
    r = parse({"--config-id=main", "--dump-conf"});
    ASSERT_TRUE(r.options) << r.message;
    EXPECT_EQ(configLoadOptions(*r.options).config_id, "main");
    ASSERT_EQ(r.options->notices.size(), 1u);  // -d without -t
    EXPECT_NE(r.options->notices[0].find("only with -t"), std::string::npos);
    EXPECT_EQ(parse({"-i", ""}).exit_code, 2);
}

// Every option keepalived 2.2.7 lists in --help parses (or, for -C/-T, is refused with a
// reason); run against the installed keepalived so a new one would show up here.
TEST(Options, EveryKeepalivedOptionIsAccepted) {
    FILE* p = ::popen("keepalived --help 2>&1", "r");
    ASSERT_NE(p, nullptr);
    std::string help;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) help.append(buf, n);
    const int rc = ::pclose(p);
    if (help.find("Usage: keepalived") == std::string::npos)
        GTEST_SKIP() << "keepalived not installed (tools/test installs it): rc " << rc;
    std::regex opt(R"(^\s+(?:-(\w), )?--([\w-]+)(\[?=[^ ]*)?)");
    int seen = 0;
    std::istringstream lines(help);
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, opt)) continue;
        const std::string shortOpt = m[1], longOpt = m[2], arg = m[3];
        ++seen;
        std::vector<std::string> args;
        // "--config-id id" is the one written without '='.
        const bool needs = (!arg.empty() && arg[0] == '=') || longOpt == "config-id";
        if (longOpt == "log-facility") args = {"--log-facility=1"};
        else if (longOpt == "umask") args = {"--umask=022"};
        else if (longOpt == "signum") args = {"--signum=DATA"};
        else if (needs) args = {"--" + longOpt + "=x"};
        else args = {"--" + longOpt};
        if (longOpt == "namespace") args = {"--namespace=blue"};
        auto r = parse(args);
        if (longOpt == "check" || longOpt == "genhash") {
            EXPECT_EQ(r.exit_code, 2) << longOpt;
            EXPECT_FALSE(r.message.empty()) << longOpt;
            continue;
        }
        if (longOpt == "help" || longOpt == "version" || longOpt == "signum") {
            EXPECT_EQ(r.exit_code, 0) << longOpt << ": " << r.message;
            continue;
        }
        EXPECT_TRUE(r.options) << "--" << longOpt << ": " << r.message;
        if (!shortOpt.empty() && longOpt != "log-facility" && longOpt != "umask" &&
            longOpt != "namespace") {
            std::vector<std::string> s = {"-" + shortOpt};
            if (needs) s.push_back("x");
            auto rs = parse(s);
            EXPECT_TRUE(rs.options || rs.exit_code == 2) << "-" << shortOpt;
        }
    }
    EXPECT_GE(seen, 30) << "keepalived --help changed shape:\n" << help;
}

}  // namespace
}  // namespace xvrrp::daemon
