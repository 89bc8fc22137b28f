// No signal ends xvrrpd but through its graceful stop: keepalived's dump signals (10, 12,
// 36) and every other asynchronous signal leave a master serving, with no transition;
// TERM, INT and QUIT stop it gracefully (priority 0, nothing left behind).
#include <csignal>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

class Signals : public PairFixture {
  protected:
    Signals() : PairFixture("signals") {}
};

TEST_F(Signals, NoSignalKillsAMaster) {
    InstanceSpec spec;
    spec.vip = "10.77.0.100/24";
    spec.priority = 150;
    n1_->start(renderConfig("n1", spec));
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(10000)));
    const auto became = (*n1_->instance())["counters"]["became_master"].get<int>();
    for (int sig : {SIGUSR1, SIGUSR2, SIGRTMIN + 2, SIGRTMAX - 1, SIGALRM, SIGVTALRM, SIGPROF,
                    SIGIO, SIGPWR, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGRTMIN, SIGRTMAX}) {
        SCOPED_TRACE(sig);
        n1_->signal(sig);
        EXPECT_TRUE(holdsFor([&] { return n1_->running() && n1_->state() == "MASTER"; }, Ms(200)))
            << tail(n1_->log());
    }
    EXPECT_EQ((*n1_->instance())["counters"]["became_master"].get<int>(), became);
    EXPECT_TRUE(n1_->holds(*IpAddr::parse("10.77.0.100")));
}

TEST_F(Signals, QuitStopsGracefully) {
    InstanceSpec spec;
    spec.vip = "10.77.0.100/24";
    spec.priority = 150;
    n1_->start(renderConfig("n1", spec));
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(10000)));
    n1_->signal(SIGQUIT);
    auto st = n1_->waitExit(Ms(10000));
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st;
    EXPECT_NE(n1_->log().find("(VI_1) sent 0 priority"), std::string::npos) << tail(n1_->log());
    EXPECT_FALSE(n1_->holds(*IpAddr::parse("10.77.0.100")));
}

}  // namespace
}  // namespace xvrrp::itest
