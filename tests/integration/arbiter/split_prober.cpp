// ClientProber: ARP requests (RFC 826) and ICMP echoes (RFC 792) for the VIP from the
// client's eth0, recording the source MAC of every reply, so a split brain shows as two
// MACs answering one probe.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "lab/netns.hpp"
#include "split_fixture.hpp"

namespace xvrrp::itest {

namespace {

constexpr const char* kIf = "eth0";

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

int checked(int rc, const std::string& what) {
    if (rc < 0) throw std::runtime_error(what + ": " + std::strerror(errno));
    return rc;
}

std::string macStr(const uint8_t* m) {
    char s[18];
    std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                  m[5]);
    return s;
}

uint16_t inetChecksum(const uint8_t* p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return htons(static_cast<uint16_t>(~sum));
}

Fd packetSocket(uint16_t proto, int ifindex) {
    Fd s(checked(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(proto)),
                 "socket(AF_PACKET) on eth0"));
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(proto);
    ll.sll_ifindex = ifindex;
    checked(::bind(s.fd, reinterpret_cast<sockaddr*>(&ll), sizeof ll), "bind(AF_PACKET, eth0)");
    return s;
}

}  // namespace

ClientProber::ClientProber(const lab::Netns& ns, const IpAddr& self, const IpAddr& vip,
                           std::chrono::milliseconds interval, std::chrono::seconds maxDuration)
    : nsPath_(ns.path()), self_(self), vip_(vip), interval_(interval), max_(maxDuration),
      t0_(lab::Clock::now()) {
    thread_ = std::thread([this] {
        try {
            lab::inNetns(nsPath_, [this] { run(); });
        } catch (const std::exception& e) {
            error_ = e.what();
        }
    });
}

ClientProber::~ClientProber() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

double ClientProber::now() const {
    return std::chrono::duration<double>(lab::Clock::now() - t0_).count();
}

std::vector<ProbeSample> ClientProber::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (!error_.empty()) throw std::runtime_error("client prober: " + error_);
    return std::move(samples_);
}

void ClientProber::run() {
    const int ifindex = static_cast<int>(::if_nametoindex(kIf));
    if (ifindex == 0) throw std::runtime_error(std::string("if_nametoindex(eth0): ") + std::strerror(errno));
    Fd arp = packetSocket(ETH_P_ARP, ifindex);
    Fd ipcap = packetSocket(ETH_P_IP, ifindex);
    Fd icmp(checked(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP),
                    "socket(AF_INET, SOCK_RAW, ICMP)"));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, kIf, IFNAMSIZ - 1);
    checked(::ioctl(arp.fd, SIOCGIFHWADDR, &ifr), "SIOCGIFHWADDR eth0");
    uint8_t mine[6];
    std::memcpy(mine, ifr.ifr_hwaddr.sa_data, 6);

    uint8_t frame[42] = {};
    std::memset(frame, 0xff, 6);
    std::memcpy(frame + 6, mine, 6);
    frame[12] = 0x08, frame[13] = 0x06;
    const uint8_t arpHead[8] = {0, 1, 8, 0, 6, 4, 0, 1};  // Ethernet, IPv4, request
    std::memcpy(frame + 14, arpHead, 8);
    std::memcpy(frame + 22, mine, 6);
    std::memcpy(frame + 28, self_.data(), 4);
    std::memcpy(frame + 38, vip_.data(), 4);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    std::memset(to.sll_addr, 0xff, 6);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    std::memcpy(&dst.sin_addr, vip_.data(), 4);
    const uint16_t ident = static_cast<uint16_t>(::getpid() ^ 0x5b5b);

    const auto end = t0_ + max_;
    for (uint16_t seq = 0; !stop_ && lab::Clock::now() < end; ++seq) {
        const auto next = t0_ + interval_ * (seq + 1);
        ProbeSample s;
        s.t = now();
        ::sendto(arp.fd, frame, sizeof frame, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        uint8_t echo[8] = {ICMP_ECHO, 0, 0, 0};
        std::memcpy(echo + 4, &ident, 2);  // any byte order: we only compare it
        uint16_t nseq = htons(seq);
        std::memcpy(echo + 6, &nseq, 2);
        uint16_t ck = inetChecksum(echo, sizeof echo);
        std::memcpy(echo + 2, &ck, 2);
        // Fails with EHOSTUNREACH while nobody answers ARP: that probe is simply unanswered.
        ::sendto(icmp.fd, echo, sizeof echo, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&dst),
                 sizeof dst);
        for (;;) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(next - lab::Clock::now());
            if (left.count() <= 0) break;
            pollfd p[3] = {{arp.fd, POLLIN, 0}, {ipcap.fd, POLLIN, 0}, {icmp.fd, POLLIN, 0}};
            if (::poll(p, 3, static_cast<int>(left.count())) <= 0) continue;
            uint8_t buf[1600];
            if (p[0].revents & POLLIN) {
                ssize_t n = ::recv(arp.fd, buf, sizeof buf, MSG_DONTWAIT);
                // A reply (op 2) whose sender protocol address is the VIP.
                if (n >= 42 && buf[21] == 2 && std::memcmp(buf + 28, vip_.data(), 4) == 0)
                    s.arpMacs.insert(macStr(buf + 6));
            }
            if (p[1].revents & POLLIN) {
                ssize_t n = ::recv(ipcap.fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n >= 14 + 20 + 8 && buf[14 + 9] == IPPROTO_ICMP &&
                    std::memcmp(buf + 14 + 12, vip_.data(), 4) == 0) {
                    const size_t ihl = static_cast<size_t>(buf[14] & 0x0f) * 4;
                    const uint8_t* ic = buf + 14 + ihl;
                    if (static_cast<size_t>(n) >= 14 + ihl + 8 && ic[0] == ICMP_ECHOREPLY &&
                        std::memcmp(ic + 4, &ident, 2) == 0 && std::memcmp(ic + 6, &nseq, 2) == 0)
                        s.icmpMac = macStr(buf + 6);
                }
            }
            if (p[2].revents & POLLIN) ::recv(icmp.fd, buf, sizeof buf, MSG_DONTWAIT);  // drain
        }
        samples_.push_back(std::move(s));
    }
}

}  // namespace xvrrp::itest
