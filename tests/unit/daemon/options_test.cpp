#include <gtest/gtest.h>

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
    EXPECT_NE(r.message.find("0..7"), std::string::npos);
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
}

}  // namespace
}  // namespace xvrrp::daemon
