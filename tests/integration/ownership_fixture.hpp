#pragma once
// The pair of PairFixture plus what the ownership tests (issue 3, acceptance 2)
// need: a raw port on the client, the nodes' MACs, the XDP counters of a node.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "ownership_wire.hpp"
#include "pair_fixture.hpp"

namespace xvrrp::itest {

class OwnershipFixture : public PairFixture {
  protected:
    explicit OwnershipFixture(std::string tag) : PairFixture(std::move(tag)) {}

    void SetUp() override {
        PairFixture::SetUp();
        if (IsSkipped()) return;
        client_ = std::make_unique<wire::RawPort>(lab_->node("client"), "eth0");
        mac1_ = wire::macOf(n1_->ns(), "eth0");
        mac2_ = wire::macOf(n2_->ns(), "eth0");
    }

    void TearDown() override {
        client_.reset();
        PairFixture::TearDown();
    }

    IpAddr clientIp() const { return lab_->v4("client"); }

    // `xvrrpctl --pin-root ROOT bpf --json` -> maps.xv_stats (per-CPU counters summed).
    nlohmann::json xvStats(const XvrrpdNode& n) const {
        auto r = lab::runIn("", {xvrrpctlBin(), "--pin-root", n.pinRoot(), "bpf", "--json"},
                            std::chrono::seconds(5));
        if (!r.ok()) return nlohmann::json::object();
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        if (j.is_discarded() || !j.contains("maps") || !j["maps"].contains("xv_stats"))
            return nlohmann::json::object();
        return j["maps"]["xv_stats"];
    }

    uint64_t stat(const XvrrpdNode& n, const std::string& field) const {
        return xvStats(n).value(field, uint64_t{0});
    }

    // A config with `vrrp_strict` in global_defs: no accept mode, so a master
    // drops IP to its VIP (RFC 5798 section 6.4.3) but still answers ARP.
    static std::string strictConfig(const std::string& node, const InstanceSpec& s) {
        std::string text = renderConfig(node, s);
        const std::string anchor = "global_defs {\n";
        text.insert(text.find(anchor) + anchor.size(), "  vrrp_strict\n");
        return text;
    }

    // Runs `xvrrpctl --control SOCK CMD [INSTANCE]` for a node.
    lab::RunResult ctl(const XvrrpdNode& n, const std::string& cmd) const {
        return lab::runIn(
            "",
            {xvrrpctlBin(), "--control", lab_->logDir() + "/" + n.name() + ".sock", cmd, "VI_1"},
            std::chrono::seconds(5));
    }

    std::unique_ptr<wire::RawPort> client_;
    wire::Mac mac1_{}, mac2_{};
};

}  // namespace xvrrp::itest
