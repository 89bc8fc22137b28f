// What an operator reads and types: xvrrpctl fails when it reads nothing real and fences
// only what it is told to, a FAULT node never shows itself as master, and a backup's advert
// counters include what the kernel absorbed.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "control/server.hpp"
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

// `xvrrpctl fence` alone used to fence every instance without a word: it now needs a name
// or --all, and the daemon refuses a fence request that names neither.
TEST_F(Operator, FenceNeedsAnInstanceOrAll) {
    InstanceSpec spec;
    spec.vip = "10.77.0.100/24";
    n1_->start(renderConfig("n1", spec));
    ASSERT_TRUE(waitState(*n1_, "MASTER", Ms(10000)));
    const std::string sock = lab_->logDir() + "/n1.sock";
    auto ctl = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {xvrrpctlBin(), "--control", sock});
        return lab::runIn("", args, std::chrono::seconds(5));
    };
    auto fenced = [&] { return n1_->instance().value_or(nlohmann::json::object()).value("fenced", true); };

    auto r = ctl({"fence"});
    EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("name the instance to fence, or --all"), std::string::npos) << r.err;
    EXPECT_FALSE(fenced());
    EXPECT_EQ(n1_->state(), "MASTER");
    // The same through the protocol, for any other client.
    auto resp = control::request(sock, {{"cmd", "fence"}});
    EXPECT_EQ(resp.value("ok", true), false) << resp.dump();
    EXPECT_NE(resp.value("error", "").find("needs \"instance\" or \"all\": true"),
              std::string::npos)
        << resp.dump();
    EXPECT_FALSE(fenced());

    r = ctl({"fence", "--all"});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "VI_1 fenced\n");
    EXPECT_TRUE(fenced());
    EXPECT_TRUE(waitState(*n1_, "FAULT", Ms(3000)));
    r = ctl({"unfence"});  // alone: every instance, as before
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "VI_1 unfenced\n");
    EXPECT_FALSE(fenced());
    EXPECT_TRUE(waitState(*n1_, "MASTER", Ms(10000)));
}

// Every key the status document has is named in docs/status-json.md (as `key`).
void collectKeys(const nlohmann::json& j, std::set<std::string>& out) {
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) {
            out.insert(k);
            collectKeys(v, out);
        }
    } else if (j.is_array()) {
        for (const auto& v : j) collectKeys(v, out);
    }
}

TEST_F(Operator, StatusJsonDocumentsEveryField) {
    InstanceSpec spec;
    spec.vip = "10.77.0.100/24";
    n1_->start(renderConfig("n1", spec));
    n2_->start(renderConfig("n2", spec));
    ASSERT_TRUE(waitUntil([&] { return n2_->state() == "BACKUP" || n2_->state() == "MASTER"; },
                          Ms(10000)));
    // The backup has kernel counters too once it has heard a few adverts.
    ASSERT_TRUE(waitUntil([&] {
        auto b = n1_->state() == "BACKUP" ? n1_->instance() : n2_->instance();
        return b && b->contains("kernel");
    }, Ms(10000)));
    std::ifstream in(std::string(XVRRP_DOCS_DIR) + "/status-json.md");
    const std::string doc((std::istreambuf_iterator<char>(in)), {});
    ASSERT_FALSE(doc.empty());
    // The names the doc puts in code spans: `daemon.pid`, `{ts_ns, age_ms}`, ...
    std::set<std::string> documented;
    const std::regex span("`([^`]*)`"), word("[A-Za-z_][A-Za-z0-9_]*");
    for (std::sregex_iterator it(doc.begin(), doc.end(), span), end; it != end; ++it) {
        const std::string body = (*it)[1];
        for (std::sregex_iterator w(body.begin(), body.end(), word); w != end; ++w)
            documented.insert(w->str());
    }
    std::set<std::string> keys;
    collectKeys(*n1_->status(), keys);
    collectKeys(*n2_->status(), keys);
    for (const auto& k : keys)
        EXPECT_TRUE(documented.count(k)) << "docs/status-json.md lacks `" << k << "`";
}

}  // namespace
}  // namespace xvrrp::itest
