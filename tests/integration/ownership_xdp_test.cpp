// Issue 3, acceptance 2: a foreign XDP program on the VRRP interface. xvrrpd must
// never replace it silently: without --force-xdp it exits non-zero naming the
// program and its id, and the program stays; with --force-xdp it replaces it.
// Where the kernel allows freplace, libxdp's dispatcher would let both run; this
// kernel refuses BPF_PROG_TYPE_EXT, so the test reports which case it saw.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <regex>

#include "ownership_fixture.hpp"

namespace xvrrp::itest {
namespace {

struct XdpProg {
    std::string name;
    int id = 0;
};

// The XDP program on eth0 of `ns` (`ip -j -d link show`: xdp.prog {id, name}), if any.
std::optional<XdpProg> xdpOn(const lab::Netns& ns) {
    auto r = ns.run({"ip", "-j", "-d", "link", "show", "dev", "eth0"});
    if (!r.ok()) return std::nullopt;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (!j.is_array() || j.empty() || !j[0].contains("xdp")) return std::nullopt;
    const auto& prog = j[0]["xdp"].value("prog", nlohmann::json::object());
    if (!prog.contains("id")) return std::nullopt;
    return XdpProg{prog.value("name", std::string()), prog["id"].get<int>()};
}

class OwnershipXdp : public OwnershipFixture {
  protected:
    OwnershipXdp() : OwnershipFixture("ox") {}
};

TEST_F(OwnershipXdp, ForeignProgramIsRefusedWithItsNameAndIdAndReplacedOnlyWithForce) {
    const Variant v = makeVariant("v3_ipv4_multicast", 3, Family::V4, false);
    const std::string config = renderConfig("n1", spec("n1", 150, v));
    n1_->ns().runOk({"ip", "link", "set", "dev", "eth0", "xdp", "obj", XV_EMPTY_OBJ, "sec", "xdp"});
    const auto foreign = xdpOn(n1_->ns());
    ASSERT_TRUE(foreign.has_value()) << "could not attach " << XV_EMPTY_OBJ;
    ASSERT_EQ(foreign->name, "xv_empty");

    // Without force: a non-zero exit, the program named in the log, nothing changed.
    n1_->start(config);
    auto st = n1_->waitExit(seconds(15));
    ASSERT_TRUE(st.has_value()) << "xvrrpd kept running next to a foreign XDP program\n"
                                << tail(n1_->log());
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) != 0) << "wait status " << *st;
    const std::string refused = n1_->log();
    const std::regex named("xv_empty \\(id " + std::to_string(foreign->id) + "\\)");
    EXPECT_TRUE(std::regex_search(refused, named))
        << "the log does not name xv_empty (id " << foreign->id << "):\n"
        << tail(refused);
    std::smatch line;
    if (std::regex_search(refused, line, std::regex("[^\n]*xv_empty \\(id[^\n]*")))
        std::printf("[ foreign xdp ] refused: %s\n", line.str().c_str());
    auto still = xdpOn(n1_->ns());
    ASSERT_TRUE(still.has_value());
    EXPECT_EQ(still->id, foreign->id) << "the foreign program was replaced without force";
    EXPECT_FALSE(n1_->holds(vip(v)));

    // With --force-xdp: xv_rx replaces it and the node works.
    n1_->start(config, {"--force-xdp"});
    ASSERT_TRUE(waitState(*n1_, "MASTER", electionLimit(v, 150)))
        << "n1 is " << n1_->state() << "\n"
        << tail(n1_->log());
    const std::string forced = n1_->log();
    EXPECT_NE(
        forced.find("force: detaching XDP program xv_empty (id " + std::to_string(foreign->id)),
        std::string::npos)
        << tail(forced);
    auto now = xdpOn(n1_->ns());
    ASSERT_TRUE(now.has_value());
    const bool dispatcher = forced.find("through the libxdp dispatcher") != std::string::npos;
    const bool single = forced.find("as a single program") != std::string::npos;
    EXPECT_TRUE(dispatcher || single) << "the log does not say how xv_rx was attached";
    // A dispatcher shows up as xdp_dispatcher, a single program as xv_rx.
    EXPECT_EQ(now->name, dispatcher ? "xdp_dispatcher" : "xv_rx");
    RecordProperty("xdp_attach", dispatcher ? "dispatcher" : "single");
    std::printf("[ foreign xdp ] this kernel: %s\n",
                dispatcher ? "libxdp dispatcher (freplace allowed): programs could coexist"
                           : "single program (freplace refused): no coexistence, only refuse or "
                             "--force-xdp replace");
    EXPECT_TRUE(clientReaches(vip(v), seconds(3)));

    // SIGTERM detaches xv_rx; the replaced program is not restored.
    n1_->signal(SIGTERM);
    ASSERT_TRUE(n1_->waitExit(seconds(5)).has_value());
    EXPECT_FALSE(xdpOn(n1_->ns()).has_value());
}

}  // namespace
}  // namespace xvrrp::itest
