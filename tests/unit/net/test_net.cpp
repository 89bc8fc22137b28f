#include "test_net.hpp"

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/socket.h>

#include "net/netlink.hpp"

namespace xvrrp::net::test {

std::string VethPair::uniqueName(char side) {
    static std::atomic<int> counter{0};
    return "xvt-net-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + side;
}

VethPair::VethPair() : a(uniqueName('a')), b(uniqueName('b')) {
    auto noDad = [] {
        // Link-local addresses must be usable at once, not tentative for a second.
        writeSysctl("/proc/sys/net/ipv6/conf/default/accept_dad", "0");
        writeSysctl("/proc/sys/net/ipv6/conf/all/accept_dad", "0");
    };
    inB(noDad);
    inA([&] {
        noDad();
        nl_sock* sk = nl_socket_alloc();
        if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0) throw std::runtime_error("nl_connect");
        rtnl_link* link = rtnl_link_veth_alloc();
        rtnl_link_set_name(link, kNameA);
        rtnl_link* peer = rtnl_link_veth_get_peer(link);
        rtnl_link_set_name(peer, kNameB);
        rtnl_link_set_ns_fd(peer, b.fd());
        int err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
        rtnl_link_put(peer);
        rtnl_link_veth_release(link);
        nl_socket_free(sk);
        if (err < 0) throw std::runtime_error(std::string("veth add: ") + nl_geterror(err));
        auto nl = Netlink::open();
        ifindex_a = nl->linkByName(kNameA).value().ifindex;
        nl->setLinkUp(ifindex_a, true);
    });
    inB([&] {
        auto nl = Netlink::open();
        ifindex_b = nl->linkByName(kNameB).value().ifindex;
        nl->setLinkUp(ifindex_b, true);
    });
}

int packetSocketIn(const NamedNetns& ns, int ifindex) {
    int fd = -1;
    ns.run([&] {
        // Protocol 0 until bound to ifindex: no frame of another interface slips in.
        fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) throw std::runtime_error(std::string("socket(AF_PACKET): ") + std::strerror(errno));
        sockaddr_ll ll{};
        ll.sll_family = AF_PACKET;
        ll.sll_protocol = htons(ETH_P_ALL);
        ll.sll_ifindex = ifindex;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&ll), sizeof(ll)) < 0) {
            ::close(fd);
            throw std::runtime_error(std::string("bind(AF_PACKET): ") + std::strerror(errno));
        }
    });
    return fd;
}

std::optional<std::vector<uint8_t>> waitFrame(
    int fd, const std::function<bool(const std::vector<uint8_t>&)>& pred, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    std::vector<uint8_t> buf(2048);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        for (;;) {
            ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
            if (n < 0) break;
            std::vector<uint8_t> frame(buf.begin(), buf.begin() + n);
            if (pred(frame)) return frame;
        }
    }
}

bool waitFor(const std::function<bool()>& cond, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    auto step = std::chrono::milliseconds(5);
    while (!cond()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(step);  // back-off between checks of a kernel condition
        step = std::min(step * 2, std::chrono::milliseconds(100));
    }
    return true;
}

}  // namespace xvrrp::net::test
