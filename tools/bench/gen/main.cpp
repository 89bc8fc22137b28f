// xvrrp-bench-gen: the traffic side of tools/bench/fence and tools/bench/flood.
//   xvrrp-bench-gen send --netns NS --ifname IF --frame vrrp|udp [--dst-mac MAC]
//                        [--saddr A] [--rot-base N|A] [--rot-count N] [--seconds S]
//   xvrrp-bench-gen gro --netns NS --ifname IF on|off
//   xvrrp-bench-gen fence --rx-ns NS --rx-if IF --tx-ns NS --tx-if IF [--vip-base A]
//                         [--vips N] [--trials N] [--seconds S]
// send: LIVE_FRAMES out of IF for S seconds; JSON {attempted, seconds, pps} on stdout.
// fence: the whole fence bench on a veth pair the caller built (see tools/bench/fence).
#include <arpa/inet.h>
#include <net/if.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <string>

#include "support/packet_builder.hpp"
#include "fence_bench.hpp"
#include "generator.hpp"

namespace {

using namespace xvrrp;
using namespace xvrrp::bench;

using Args = std::map<std::string, std::string>;

Args parse(int argc, char** argv, int from) {
    Args a;
    for (int i = from; i < argc; ++i) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0) {
            a["_" + std::to_string(a.size())] = k;
            continue;
        }
        if (i + 1 >= argc) throw std::runtime_error("option " + k + " needs a value");
        a[k.substr(2)] = argv[++i];
    }
    return a;
}

std::string need(const Args& a, const std::string& k) {
    auto it = a.find(k);
    if (it == a.end()) throw std::runtime_error("missing --" + k);
    return it->second;
}
std::string opt(const Args& a, const std::string& k, const std::string& def) {
    auto it = a.find(k);
    return it == a.end() ? def : it->second;
}

uint32_t ipv4Host(const std::string& s) {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) throw std::runtime_error("bad IPv4 address " + s);
    return ntohl(a.s_addr);
}

std::array<uint8_t, 16> ipv4Bytes(uint32_t host) {
    return {uint8_t(host >> 24), uint8_t(host >> 16), uint8_t(host >> 8), uint8_t(host), 0};
}

test::Mac parseMac(const std::string& s) {
    test::Mac m{};
    if (std::sscanf(s.c_str(), "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3],
                    &m[4], &m[5]) != 6)
        throw std::runtime_error("bad MAC address " + s);
    return m;
}

int ifindexOf(const std::string& ifname) {
    const int i = static_cast<int>(if_nametoindex(ifname.c_str()));
    if (i == 0) throw std::runtime_error("if_nametoindex(" + ifname + "): " + std::strerror(errno));
    return i;
}

// A VRRPv3 advert (RFC 5798 section 5.1) for VRID with one IPv4 address, valid checksum.
std::vector<uint8_t> vrrpFrame(const test::Mac& src_mac, uint32_t saddr, uint8_t vrid) {
    test::FrameSpec s;
    s.src_mac = src_mac;
    s.saddr = ipv4Bytes(saddr);
    s.payload = test::vrrpV3(vrid, 100, 1, 4, 1);
    test::setVrrpChecksum(s.payload, 4, s.saddr, s.daddr);
    return test::buildFrame(s);
}

int cmdSend(const Args& a) {
    enterNetns(need(a, "netns"));
    const std::string ifname = need(a, "ifname");
    const std::string frame = need(a, "frame");
    const auto src = macOf(ifname);
    test::Mac src_mac{};
    std::copy(src.begin(), src.end(), src_mac.begin());
    GenConfig cfg;
    cfg.rot_count = static_cast<uint32_t>(std::stoul(opt(a, "rot-count", "1")));
    std::vector<uint8_t> bytes;
    const uint32_t saddr = ipv4Host(opt(a, "saddr", "10.77.0.250"));
    if (frame == "vrrp") {
        cfg.rotate = Rotate::kVrid;
        cfg.rot_base = static_cast<uint32_t>(std::stoul(opt(a, "rot-base", "100")));
        if (cfg.rot_base < 1 || cfg.rot_base + cfg.rot_count > 256)
            throw std::runtime_error("VRIDs must stay within 1..255");
        bytes = vrrpFrame(src_mac, saddr, static_cast<uint8_t>(cfg.rot_base));
    } else if (frame == "udp") {
        cfg.rotate = Rotate::kDaddr;
        cfg.rot_base = ipv4Host(need(a, "rot-base"));
        bytes = udpFrame(src_mac, parseMac(need(a, "dst-mac")), saddr, cfg.rot_base);
    } else {
        throw std::runtime_error("--frame must be vrrp or udp");
    }
    Generator gen(cfg);
    const SendResult r = gen.send(ifindexOf(ifname), bytes, std::stod(opt(a, "seconds", "10")));
    nlohmann::json out{{"attempted", r.attempted},
                       {"seconds", r.seconds},
                       {"pps", r.pps()},
                       {"frame_bytes", bytes.size()}};
    std::cout << out.dump() << "\n";
    return 0;
}

int cmdGro(const Args& a) {
    enterNetns(need(a, "netns"));
    setGro(need(a, "ifname"), opt(a, "_0", "on") == "on");
    return 0;
}

int cmdFence(const Args& a) {
    FenceOptions o;
    o.rx_ns = need(a, "rx-ns");
    o.rx_if = need(a, "rx-if");
    o.tx_ns = need(a, "tx-ns");
    o.tx_if = need(a, "tx-if");
    o.saddr = ipv4Host(opt(a, "saddr", "10.88.0.2"));
    o.vip_base = ipv4Host(opt(a, "vip-base", "10.88.1.0"));
    o.vips = static_cast<uint32_t>(std::stoul(opt(a, "vips", "256")));
    o.trials = std::stoi(opt(a, "trials", "5"));
    o.seconds = std::stod(opt(a, "seconds", "5"));
    o.napi = opt(a, "napi", "threaded");
    std::cout << runFenceBench(o).dump(2) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: xvrrp-bench-gen send|gro|fence [options] (see the source header)\n");
        return 2;
    }
    if (geteuid() != 0) {
        std::fprintf(stderr, "xvrrp-bench-gen: needs root (setns, bpf)\n");
        return 1;
    }
    // The dataplane logs through spdlog; stdout carries only the JSON.
    spdlog::set_default_logger(spdlog::stderr_color_mt("xvrrp-bench-gen"));
    try {
        const std::string cmd = argv[1];
        const Args a = parse(argc, argv, 2);
        if (cmd == "send") return cmdSend(a);
        if (cmd == "gro") return cmdGro(a);
        if (cmd == "fence") return cmdFence(a);
        std::fprintf(stderr, "xvrrp-bench-gen: unknown command %s\n", cmd.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xvrrp-bench-gen: %s\n", e.what());
        return 1;
    }
}
