#include "fence_bench.hpp"

#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "dataplane/dataplane.hpp"
#include "generator.hpp"

namespace xvrrp::bench {
namespace {

using dataplane::Dataplane;

constexpr double kTargetOverNft = 3.0;
constexpr double kTargetOfFloor = 0.8;

std::string dotted(uint32_t host) {
    char b[16];
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", host >> 24, (host >> 16) & 255, (host >> 8) & 255,
                  host & 255);
    return b;
}

// Runs ARGV inside network namespace NS; returns its stdout. Throws on a non-zero exit.
std::string runIn(const std::string& ns, const std::vector<std::string>& argv) {
    int pipefd[2];
    if (pipe(pipefd) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        try {
            enterNetns(ns);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s\n", e.what());
            _exit(126);
        }
        std::vector<char*> av;
        for (const auto& s : argv) av.push_back(const_cast<char*>(s.c_str()));
        av.push_back(nullptr);
        execvp(av[0], av.data());
        std::fprintf(stderr, "execvp(%s): %s\n", av[0], std::strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, n);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(argv.front() + " in " + ns + " failed (status " +
                                 std::to_string(status) + ")");
    return out;
}

// keepalived's rule for a non-owner (vrrp_strict): table ip keepalived, input hook,
// priority -1, ip daddr @vips drop. The counter is the only addition, to count drops.
std::string nftRuleset(const FenceOptions& o) {
    std::string elems;
    for (uint32_t i = 0; i < o.vips; ++i) elems += (i ? ", " : "") + dotted(o.vip_base + i);
    return "add table ip keepalived; "
           "add set ip keepalived vips { type ipv4_addr; }; "
           "add chain ip keepalived in { type filter hook input priority -1; policy accept; }; "
           "add rule ip keepalived in ip daddr @vips counter drop; "
           "add element ip keepalived vips { " + elems + " }";
}

uint64_t nftDrops(const std::string& ns) {
    const auto j = nlohmann::json::parse(
        runIn(ns, {"nft", "-j", "list", "chain", "ip", "keepalived", "in"}));
    for (const auto& item : j.at("nftables")) {
        if (!item.contains("rule")) continue;
        for (const auto& e : item["rule"].at("expr"))
            if (e.contains("counter")) return e["counter"].at("packets").get<uint64_t>();
    }
    throw std::runtime_error("nft: no counter in chain ip keepalived in");
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Case {
    std::string name;
    std::function<void()> setup, teardown;
    std::function<uint64_t()> drops;
    std::vector<double> drop_pps, gen_pps;
};

}  // namespace

std::vector<uint8_t> udpFrame(const test::Mac& src, const test::Mac& dst, uint32_t saddr,
                              uint32_t daddr) {
    test::FrameSpec s;
    s.src_mac = src;
    s.dst_mac = dst;
    s.saddr = {uint8_t(saddr >> 24), uint8_t(saddr >> 16), uint8_t(saddr >> 8), uint8_t(saddr)};
    s.daddr = {uint8_t(daddr >> 24), uint8_t(daddr >> 16), uint8_t(daddr >> 8), uint8_t(daddr)};
    s.proto = 17;
    s.ttl = 64;
    s.payload = {0x30, 0x39, 0x00, 0x09, 0x00, 26, 0x00, 0x00};  // 12345 -> 9, no checksum
    s.payload.resize(26, 0x5a);
    return test::buildFrame(s);
}

nlohmann::json runFenceBench(const FenceOptions& o) {
    enterNetns(o.rx_ns);
    const int rx_ifindex = static_cast<int>(if_nametoindex(o.rx_if.c_str()));
    if (rx_ifindex == 0) throw std::runtime_error("if_nametoindex(" + o.rx_if + ") in " + o.rx_ns);
    const auto rx_mac = macOf(o.rx_if);
    setGro(o.rx_if, true);  // NAPI on the receiver even without XDP (the nft case)
    auto dp = Dataplane::open(dataplane::DataplaneOptions{.pin_root = ""});
    const dataplane::InstanceId inst{rx_ifindex, Family::V4, 51};
    for (uint32_t i = 0; i < o.vips; ++i) {
        const uint32_t a = htonl(o.vip_base + i);
        dp->setVipVerdict(rx_ifindex, IpAddr::fromBytes(Family::V4, reinterpret_cast<const uint8_t*>(&a)),
                          dataplane::Verdict::kDropAll, inst, 0);
    }
    Generator gen(GenConfig{Rotate::kDaddr, o.vip_base, o.vips});

    enterNetns(o.tx_ns);
    const int tx_ifindex = static_cast<int>(if_nametoindex(o.tx_if.c_str()));
    if (tx_ifindex == 0) throw std::runtime_error("if_nametoindex(" + o.tx_if + ") in " + o.tx_ns);
    const auto tx_mac = macOf(o.tx_if);
    test::Mac src{}, dst{};
    std::copy(tx_mac.begin(), tx_mac.end(), src.begin());
    std::copy(rx_mac.begin(), rx_mac.end(), dst.begin());
    const auto frame = udpFrame(src, dst, o.saddr, o.vip_base);

    std::vector<Case> cases;
    cases.push_back({"xdp_vips",
                     [&] { enterNetns(o.rx_ns); dp->attach(rx_ifindex, o.rx_if, false); },
                     [&] { enterNetns(o.rx_ns); dp->detach(rx_ifindex); },
                     [&] { return dp->stats().vip_drop_all; }, {}, {}});
    cases.push_back({"nft_keepalived",
                     [&] { runIn(o.rx_ns, {"nft", nftRuleset(o)}); },
                     [&] { runIn(o.rx_ns, {"nft", "delete table ip keepalived"}); },
                     [&] { return nftDrops(o.rx_ns); }, {}, {}});
    cases.push_back({"xdp_drop_floor",
                     [&] {
                         enterNetns(o.rx_ns);
                         if (bpf_xdp_attach(rx_ifindex, gen.dropProgFd(), XDP_FLAGS_DRV_MODE, nullptr))
                             throw std::runtime_error("bpf_xdp_attach(xvb_drop, " + o.rx_if +
                                                      "): " + std::strerror(errno));
                     },
                     [&] {
                         enterNetns(o.rx_ns);
                         bpf_xdp_detach(rx_ifindex, XDP_FLAGS_DRV_MODE, nullptr);
                     },
                     [&] { return gen.dropCount(); }, {}, {}});

    for (int t = 0; t < o.trials; ++t) {
        // Rotate the order each trial so load drift hits every case alike.
        for (size_t k = 0; k < cases.size(); ++k) {
            Case& c = cases[(k + t) % cases.size()];
            c.setup();
            const uint64_t before = c.drops();
            enterNetns(o.tx_ns);
            const SendResult r = gen.send(tx_ifindex, frame, o.seconds);
            const uint64_t after = c.drops();
            c.teardown();
            c.drop_pps.push_back((after - before) / r.seconds);
            c.gen_pps.push_back(r.pps());
            std::fprintf(stderr, "[fence] trial %d %s: %.0f drops/s (generator %.0f pps)\n", t + 1,
                         c.name.c_str(), c.drop_pps.back(), c.gen_pps.back());
        }
    }

    nlohmann::json out;
    out["bench"] = "fence";
    out["vips"] = o.vips;
    out["trials"] = o.trials;
    out["seconds_per_trial"] = o.seconds;
    out["frame_bytes"] = frame.size();
    out["receiver_napi"] = o.napi;
    for (const Case& c : cases)
        out["cases"][c.name] = {{"drops_per_s_median", median(c.drop_pps)},
                                {"drops_per_s", c.drop_pps},
                                {"generator_pps_median", median(c.gen_pps)}};
    const double x = median(cases[0].drop_pps), n = median(cases[1].drop_pps),
                 f = median(cases[2].drop_pps);
    const double over_nft = n > 0 ? x / n : 0, of_floor = f > 0 ? x / f : 0;
    out["target"] = {{"xdp_over_nft", over_nft},
                     {"xdp_over_nft_min", kTargetOverNft},
                     {"xdp_of_floor", of_floor},
                     {"xdp_of_floor_min", kTargetOfFloor},
                     {"met", over_nft >= kTargetOverNft && of_floor >= kTargetOfFloor}};
    return out;
}

}  // namespace xvrrp::bench
