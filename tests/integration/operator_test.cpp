// What an operator reads: xvrrpctl fails when it reads nothing real, a FAULT node never
// shows itself as master, and a backup's advert counters include what the kernel absorbed.
#include <csignal>
#include <filesystem>

#include "pair_fixture.hpp"

namespace xvrrp::itest {
namespace {

class Operator : public PairFixture {
  protected:
    Operator() : PairFixture("operator") {}
};

TEST_F(Operator, BpfOnAWrongPinRootFails) {
    auto r = lab::runIn("", {xvrrpctlBin(), "--pin-root", lab_->logDir() + "/nothing", "bpf"});
    EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("no xvrrp map is pinned under"), std::string::npos) << r.err;
}

TEST_F(Operator, AFaultNodeIsNotMasterAndAbsorbedAdvertsCount) {
    InstanceSpec spec;
    spec.vip = "10.77.0.100/24";
    spec.priority = 150;
    n1_->start(renderConfig("n1", spec));
    spec.priority = 100;
    n2_->start(renderConfig("n2", spec));
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(10000)));
    ASSERT_TRUE(waitState(*n2_, "BACKUP", Ms(10000)));

    // 0.1 s adverts for 2 s: about 20 reached the backup, nearly all absorbed by XDP.
    auto count = [&] { return (*n2_->instance())["counters"]["adverts_rx"].get<uint64_t>(); };
    const uint64_t before = count();
    std::this_thread::sleep_for(Ms(2000));  // the window the adverts are counted over
    const uint64_t heard = count() - before;
    EXPECT_GE(heard, 15u) << "absorbed adverts are missing from adverts_rx";
    auto b = *n2_->instance();
    EXPECT_LT(b["last_advert"]["age_ms"].get<double>(), 300.0) << b.dump();
    EXPECT_GT(b["kernel"]["absorbed"].get<uint64_t>(), 0u) << b.dump();

    lab_->cutLink("n1");
    ASSERT_TRUE(waitState(*n1_, "FAULT", Ms(5000)));
    auto f = *n1_->instance();
    EXPECT_TRUE(f["master"].is_null()) << "a FAULT node lists a master: " << f["master"].dump();
}

}  // namespace
}  // namespace xvrrp::itest
