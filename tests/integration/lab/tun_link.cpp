#include "lab/tun_link.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "lab/netns.hpp"

namespace xvrrp::lab {

namespace {

[[noreturn]] void fail(const std::string& call, const std::string& object) {
    throw std::system_error(errno, std::generic_category(), call + " " + object);
}

sockaddr_in v4(const IpAddr& ip, uint16_t port) {
    if (!ip.isV4()) throw std::runtime_error("TunLink: underlay " + ip.str() + " is not IPv4");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    std::memcpy(&sa.sin_addr, ip.data(), 4);
    return sa;
}

// Opens the tun device and the UDP socket in the calling thread's namespace.
void openEnd(const std::string& ifname, const IpAddr& self, const IpAddr& peer, uint16_t port,
             int& tun, int& udp) {
    tun = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (tun < 0) fail("open", "/dev/net/tun");
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;  // IP packets with no link header, like WireGuard
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    if (::ioctl(tun, TUNSETIFF, &ifr) < 0) fail("ioctl(TUNSETIFF)", ifname);
    udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (udp < 0) fail("socket(AF_INET, SOCK_DGRAM)", "for " + ifname);
    auto local = v4(self, port), remote = v4(peer, port);
    if (::bind(udp, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0)
        fail("bind", self.str() + ":" + std::to_string(port));
    if (::connect(udp, reinterpret_cast<sockaddr*>(&remote), sizeof remote) < 0)
        fail("connect", peer.str() + ":" + std::to_string(port));
}

}  // namespace

TunLink::TunLink(const TunEnd& a, const TunEnd& b, TunOptions opts) : opts_(std::move(opts)) {
    const TunEnd* e[2] = {&a, &b};
    try {
        for (int i = 0; i < 2; ++i) {
            inNetns(e[i]->ns->path(), [&] {
                openEnd(opts_.ifname, e[i]->underlay, e[1 - i]->underlay, opts_.port,
                        ends_[i].tun, ends_[i].udp);
            });
            e[i]->ns->runOk({"ip", "addr", "add", e[i]->addr, "dev", opts_.ifname});
            e[i]->ns->runOk({"ip", "link", "set", opts_.ifname, "multicast",
                             opts_.multicast ? "on" : "off", "up"});
        }
        stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (stop_fd_ < 0) fail("eventfd", "for the tunnel relay");
        thread_ = std::thread([this] { relay(); });
    } catch (...) {
        closeAll();
        throw;
    }
}

TunLink::~TunLink() {
    if (thread_.joinable()) {
        uint64_t one = 1;
        (void)!::write(stop_fd_, &one, sizeof one);
        thread_.join();
    }
    closeAll();
}

void TunLink::closeAll() {
    for (auto& e : ends_) {
        if (e.tun >= 0) ::close(e.tun);
        if (e.udp >= 0) ::close(e.udp);
        e = End{};
    }
    if (stop_fd_ >= 0) ::close(stop_fd_);
    stop_fd_ = -1;
}

// Only forwards what the kernels send; it never originates a packet.
void TunLink::relay() {
    uint8_t buf[65536];
    pollfd p[5] = {{ends_[0].tun, POLLIN, 0},
                   {ends_[0].udp, POLLIN, 0},
                   {ends_[1].tun, POLLIN, 0},
                   {ends_[1].udp, POLLIN, 0},
                   {stop_fd_, POLLIN, 0}};
    for (;;) {
        if (::poll(p, 5, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (p[4].revents) return;
        for (int i = 0; i < 2; ++i) {
            // Out of this end's tun device: over the underlay to the other end.
            for (ssize_t n; (n = ::read(ends_[i].tun, buf, sizeof buf)) > 0;)
                if (::send(ends_[i].udp, buf, n, 0) == n) ++relayed_;
            // From the underlay: into this end's tun device, as if received on it.
            for (ssize_t n; (n = ::recv(ends_[i].udp, buf, sizeof buf, 0)) > 0;)
                (void)!::write(ends_[i].tun, buf, n);
        }
    }
}

TxCapture::TxCapture(const Netns& ns, const std::string& ifname) : ifname_(ifname) {
    inNetns(ns.path(), [&] {
        // Protocol 0 until bound: a socket opened with ETH_P_ALL hears every interface
        // until bind() narrows it, and that window once caught the relay's UDP on eth0.
        fd_ = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd_ < 0) fail("socket(AF_PACKET)", "capture on " + ifname);
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(ETH_P_ALL);
        sll.sll_ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
        if (sll.sll_ifindex == 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
            int err = errno;
            ::close(fd_);
            fd_ = -1;
            errno = err;
            fail("bind(AF_PACKET)", ifname + " in " + ns.name());
        }
        int big = 4 << 20;  // a whole test's worth of adverts
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    });
}

TxCapture::~TxCapture() {
    if (fd_ >= 0) ::close(fd_);
}

std::vector<SentPacket> TxCapture::drain() {
    std::vector<SentPacket> out;
    uint8_t buf[65536];
    for (;;) {
        sockaddr_ll from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) break;
        if (from.sll_pkttype != PACKET_OUTGOING) continue;
        out.push_back({ntohs(from.sll_protocol), std::vector<uint8_t>(buf, buf + n)});
    }
    return out;
}

}  // namespace xvrrp::lab
