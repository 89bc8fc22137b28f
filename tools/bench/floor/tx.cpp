#include "tx.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace xvrrp::bench {
namespace {

std::runtime_error sysError(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

int packetSocket(int type, int ifindex, bool bypass, const std::string& ifname) {
    int fd = ::socket(AF_PACKET, type | SOCK_CLOEXEC, 0);  // protocol 0: receives nothing
    if (fd < 0) throw sysError("socket(AF_PACKET) for " + ifname);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) < 0) {
        ::close(fd);
        throw sysError("bind(AF_PACKET) on " + ifname);
    }
    const int one = 1;
    if (bypass && ::setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
        ::close(fd);
        throw sysError("setsockopt(PACKET_QDISC_BYPASS) on " + ifname);
    }
    return fd;
}

class MmsgTx : public FloorTx {
public:
    MmsgTx(int fd, const std::vector<const FloorFrame*>& batch, int ifindex) : fd_(fd) {
        size_ = batch.size();
        addrs_.resize(size_);
        iovs_.resize(size_);
        msgs_.resize(size_);
        for (size_t i = 0; i < size_; ++i) {
            const FloorFrame& f = *batch[i];
            sockaddr_ll& sll = addrs_[i];
            sll.sll_family = AF_PACKET;
            sll.sll_protocol = htons(f.family == Family::V4 ? ETH_P_IP : ETH_P_IPV6);
            sll.sll_ifindex = ifindex;
            sll.sll_halen = 6;
            std::memcpy(sll.sll_addr, f.dst_mac.data(), 6);
            iovs_[i] = {const_cast<uint8_t*>(f.ip.data()), f.ip.size()};
            msgs_[i].msg_hdr.msg_name = &sll;
            msgs_[i].msg_hdr.msg_namelen = sizeof(sll);
            msgs_[i].msg_hdr.msg_iov = &iovs_[i];
            msgs_[i].msg_hdr.msg_iovlen = 1;
        }
    }
    ~MmsgTx() override { ::close(fd_); }
    size_t send() override {
        size_t sent = 0;
        while (sent < size_) {
            int n = ::sendmmsg(fd_, &msgs_[sent], static_cast<unsigned>(size_ - sent), 0);
            if (n > 0) {
                sent += static_cast<size_t>(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                ++errors_;  // the frame that failed; the rest still go
                ++sent;
            }
        }
        return sent;
    }

private:
    int fd_;
    std::vector<sockaddr_ll> addrs_;
    std::vector<iovec> iovs_;
    std::vector<mmsghdr> msgs_;
};

// One frame per ring slot, written once: the kernel walks the ring from where it stopped,
// and with exactly one slot per frame it is back at slot 0 after every batch.
class RingTx : public FloorTx {
public:
    RingTx(int fd, const std::vector<const FloorFrame*>& batch, const std::string& ifname)
        : fd_(fd) {
        size_ = batch.size();
        const int version = TPACKET_V2;
        if (::setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0)
            fail("setsockopt(PACKET_VERSION) on " + ifname);
        const unsigned page = static_cast<unsigned>(::sysconf(_SC_PAGESIZE));
        frame_size_ = page;
        while (frame_size_ < kDataOffset + 1600) frame_size_ += page;
        tpacket_req req{};
        req.tp_block_size = frame_size_;
        req.tp_frame_size = frame_size_;
        req.tp_block_nr = static_cast<unsigned>(size_);
        req.tp_frame_nr = static_cast<unsigned>(size_);
        if (::setsockopt(fd_, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0)
            fail("setsockopt(PACKET_TX_RING) on " + ifname);
        map_len_ = size_t{frame_size_} * size_;
        void* m = ::mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
        if (m == MAP_FAILED) fail("mmap(PACKET_TX_RING) on " + ifname);
        ring_ = static_cast<uint8_t*>(m);
        for (size_t i = 0; i < size_; ++i) {
            const auto& bytes = batch[i]->frame;
            if (kDataOffset + bytes.size() > frame_size_) fail("frame too long for the ring");
            std::memcpy(slot(i) + kDataOffset, bytes.data(), bytes.size());
            hdr(i)->tp_len = static_cast<uint32_t>(bytes.size());
        }
    }
    ~RingTx() override {
        if (ring_) ::munmap(ring_, map_len_);
        ::close(fd_);
    }
    size_t send() override {
        size_t marked = 0;
        for (size_t k = 0; k < size_; ++k) {
            const size_t i = (head_ + k) % size_;
            // Still in flight from the last batch: the kernel would stop there.
            if (__atomic_load_n(&hdr(i)->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
                ++errors_;
                break;
            }
            __atomic_store_n(&hdr(i)->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
            ++marked;
        }
        if (marked && ::send(fd_, nullptr, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN) ++errors_;
        head_ = (head_ + marked) % size_;  // where the kernel stopped walking the ring
        return marked;
    }

private:
    // Frame data starts where a TPACKET_V2 header would end without the sockaddr_ll.
    static constexpr size_t kDataOffset = TPACKET2_HDRLEN - sizeof(sockaddr_ll);
    uint8_t* slot(size_t i) const { return ring_ + size_t{frame_size_} * i; }
    tpacket2_hdr* hdr(size_t i) const { return reinterpret_cast<tpacket2_hdr*>(slot(i)); }
    [[noreturn]] void fail(const std::string& what) {
        auto e = sysError(what);
        if (ring_) ::munmap(ring_, map_len_);
        ::close(fd_);
        fd_ = -1;
        ring_ = nullptr;
        throw e;
    }

    int fd_;
    unsigned frame_size_ = 0;
    size_t map_len_ = 0;
    uint8_t* ring_ = nullptr;
    size_t head_ = 0;
};

}  // namespace

std::unique_ptr<FloorTx> FloorTx::open(TxKind kind, bool qdisc_bypass, int ifindex,
                                       const std::string& ifname,
                                       const std::vector<const FloorFrame*>& batch) {
    if (batch.empty()) throw std::runtime_error("empty batch for " + ifname);
    if (kind == TxKind::Mmsg)
        return std::make_unique<MmsgTx>(packetSocket(SOCK_DGRAM, ifindex, qdisc_bypass, ifname),
                                        batch, ifindex);
    return std::make_unique<RingTx>(packetSocket(SOCK_RAW, ifindex, qdisc_bypass, ifname), batch,
                                    ifname);
}

}  // namespace xvrrp::bench
