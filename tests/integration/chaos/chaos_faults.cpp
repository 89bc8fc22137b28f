// ChaosLab's reload, restart and flood: the faults that talk to the daemon or build frames.
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <stdexcept>
#include <thread>

#include "chaos_lab.hpp"
#include "support/packet_builder.hpp"
#include "xvrrpd_node.hpp"

namespace xvrrp::chaos {

namespace {

constexpr long kFloodCap = 100000;  // frames per flood, whatever the rate and hold

// keepalived 2.2.7 logs this in the VRRP child once a SIGHUP reload has been applied.
constexpr const char* kKeepalivedReloaded = "Reload complete";

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

// One VRRPv3 advert from the stranger to 224.0.0.18 (RFC 5798 section 5), checksum right.
test::Bytes foreignAdvert(uint8_t vrid, uint8_t priority) {
    test::FrameSpec s;
    s.saddr = {10, 77, 0, 250};
    s.daddr = {224, 0, 0, 18};
    s.src_mac = {0x02, 0x00, 0x00, 0xc4, 0x05, 0xfa};
    s.payload = test::vrrpV3(vrid, priority, 1, 4, 100);
    test::setVrrpChecksum(s.payload, 4, s.saddr, s.daddr);
    return test::buildFrame(s);
}

}  // namespace

std::string ChaosLab::reload(int node, const Conf& conf) {
    writeConf(node, conf);
    if (cfg_.daemon == Daemon::Xvrrpd) {
        auto r = lab::runIn("", {itest::xvrrpctlBin(), "--control", nodeDir(node) + ".sock", "reload"},
                            std::chrono::seconds(10));
        if (!r.ok())
            throw std::runtime_error(nodeName(node) + ": xvrrpctl reload exited " +
                                     std::to_string(r.exitCode) + ": " + r.err + r.out);
        return firstLine(r.out);
    }
    // keepalived reloads on SIGHUP to its parent, which passes it to the VRRP child.
    const double since = logs_.now();
    ::kill(daemon_[static_cast<size_t>(node)]->pid(), SIGHUP);
    if (!lab::waitUntil([&] { return logs_.saw(node, kKeepalivedReloaded, since); },
                        std::chrono::seconds(10), lab::Ms(5)))
        throw std::runtime_error(nodeName(node) + ": keepalived did not log '" +
                                 kKeepalivedReloaded + "' within 10 s of SIGHUP");
    return kKeepalivedReloaded;
}

bool ChaosLab::canRestart() const { return restartUnavailableReason().empty(); }

std::string ChaosLab::restartUnavailableReason() const {
    if (cfg_.daemon == Daemon::Keepalived) return "";  // stop and start, always possible
    static const std::string help = lab::runIn("", {itest::xvrrpctlBin(), "--help"}).out;
    static const std::regex listed(R"((^|\n)\s+restart\b)");
    if (std::regex_search(help, listed)) return "";
    return "xvrrpctl lists no restart command (hitless restart not in this build)";
}

void ChaosLab::restart(int node, const Conf& conf) {
    if (cfg_.daemon == Daemon::Keepalived) {
        // keepalived's nearest equivalent, what a unit's restart does: stop, then start.
        daemon_[static_cast<size_t>(node)]->stop(std::chrono::seconds(5));
        startDaemon(node, conf);
        return;
    }
    if (!canRestart()) throw std::logic_error("ChaosLab::restart: " + restartUnavailableReason());
    writeConf(node, conf);
    auto r = lab::runIn("", {itest::xvrrpctlBin(), "--control", nodeDir(node) + ".sock", "restart"},
                        std::chrono::seconds(30));
    if (!r.ok())
        throw std::runtime_error(nodeName(node) + ": xvrrpctl restart exited " +
                                 std::to_string(r.exitCode) + ": " + r.err + r.out);
}

long ChaosLab::flood(int pps, double seconds) {
    std::vector<test::Bytes> frames;
    for (int v = 1; v <= 255; ++v) {
        const bool ours = v == kVrid[0] || v == kVrid[1];
        frames.push_back(foreignAdvert(static_cast<uint8_t>(v), ours ? 1 : 100));
    }
    const long total = std::min(kFloodCap, static_cast<long>(pps * seconds));
    long sent = 0;
    lab::inNetns(lab_->node("gw").path(), [&] {
        const int ifindex = static_cast<int>(::if_nametoindex("eth0"));
        const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        if (ifindex == 0 || fd < 0)
            throw std::runtime_error(std::string("flood socket in gw: ") + std::strerror(errno));
        sockaddr_ll to{};
        to.sll_family = AF_PACKET;
        to.sll_ifindex = ifindex;
        to.sll_halen = 6;
        // Paced in 1 ms slots; a slot that comes late is not made up, so the rate only falls.
        const long perSlot = std::max(1L, static_cast<long>(pps) / 1000);
        const auto start = lab::Clock::now();
        const auto end = start + std::chrono::duration_cast<lab::Clock::duration>(
                                     std::chrono::duration<double>(seconds));
        for (auto slot = start; sent < total && lab::Clock::now() < end;
             slot += std::chrono::milliseconds(1)) {
            for (long i = 0; i < perSlot && sent < total; ++i, ++sent) {
                const auto& f = frames[static_cast<size_t>(sent) % frames.size()];
                ::sendto(fd, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
            }
            std::this_thread::sleep_until(slot + std::chrono::milliseconds(1));
        }
        ::close(fd);
    });
    return sent;
}

}  // namespace xvrrp::chaos
