#include "daemon/advert_batch.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace xvrrp::daemon {

class AdvertBatch::Transport : public AdvertTransport {
public:
    Transport(AdvertBatch& batch, std::shared_ptr<net::VrrpSocket> sock, std::string instance)
        : batch_(batch), sock_(std::move(sock)), errors_(std::make_shared<Errors>()) {
        errors_->instance = std::move(instance);
    }
    void send(std::span<const uint8_t> vrrp, const IpAddr& dst) override {
        batch_.enqueue(sock_, errors_, vrrp, dst);
    }
    void flush() override { batch_.flush(); }
    uint64_t errors() const override { return errors_->count; }
    int fd() const override { return sock_->fd(); }

private:
    AdvertBatch& batch_;
    std::shared_ptr<net::VrrpSocket> sock_;
    std::shared_ptr<Errors> errors_;
};

std::unique_ptr<AdvertTransport> AdvertBatch::transport(const std::string& instance, Family f,
                                                        int tx_ifindex, const std::string& tx_name,
                                                        const IpAddr& src, const IpAddr* join) {
    Key key{f, tx_ifindex, src};
    auto sock = sockets_[key].lock();
    if (!sock) {
        sock = net::VrrpSocket::open(f, tx_ifindex, tx_name, src);
        sockets_[key] = sock;
    }
    if (join) sock->joinGroup(*join);  // joining again is not an error
    return std::make_unique<Transport>(*this, std::move(sock), instance);
}

size_t AdvertBatch::sockets() const {
    return static_cast<size_t>(std::count_if(sockets_.begin(), sockets_.end(),
                                             [](const auto& kv) { return !kv.second.expired(); }));
}

void AdvertBatch::enqueue(const std::shared_ptr<net::VrrpSocket>& sock,
                          const std::shared_ptr<Errors>& errors, std::span<const uint8_t> vrrp,
                          const IpAddr& dst) {
    queue_.push_back({sock, errors, arena_.size(), vrrp.size(), dst});
    arena_.insert(arena_.end(), vrrp.begin(), vrrp.end());
}

void AdvertBatch::flush() {
    if (queue_.empty()) return;
    // Group by socket, keeping each socket's adverts in the order they were queued.
    std::stable_sort(queue_.begin(), queue_.end(),
                     [](const Queued& a, const Queued& b) { return a.sock.get() < b.sock.get(); });
    std::vector<net::VrrpSocket::Outgoing> out;
    for (size_t begin = 0; begin < queue_.size();) {
        size_t end = begin;
        out.clear();
        for (; end < queue_.size() && queue_[end].sock == queue_[begin].sock; ++end)
            out.push_back({{arena_.data() + queue_[end].offset, queue_[end].size}, queue_[end].dst});
        queue_[begin].sock->sendMany(out, [&](size_t i, const std::string& error) {
            auto& e = *queue_[begin + i].errors;
            if (e.count++ == 0 || e.count % 1000 == 0)
                spdlog::warn("({}) {} ({} errors)", e.instance, error, e.count);
        });
        begin = end;
    }
    queue_.clear();
    arena_.clear();
    // Sockets whose last instance went away were closed with it.
    std::erase_if(sockets_, [](const auto& kv) { return kv.second.expired(); });
}

}  // namespace xvrrp::daemon
