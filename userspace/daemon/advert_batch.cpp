#include "daemon/advert_batch.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace xvrrp::daemon {

class AdvertBatch::Transport : public AdvertTransport {
public:
    Transport(AdvertBatch& batch, Slot& slot, std::shared_ptr<net::VrrpSocket> sock,
              std::string instance)
        : batch_(batch), slot_(slot), sock_(std::move(sock)) {
        errors_.instance = std::move(instance);
    }
    // What it queued still goes out (the slot holds the socket); only its error count
    // has nobody to go to.
    ~Transport() override { batch_.forget(&errors_); }
    void send(std::span<const uint8_t> vrrp, const IpAddr& dst) override {
        batch_.enqueue(slot_, sock_, &errors_, vrrp, dst);
    }
    void flush() override { batch_.flush(); }
    uint64_t errors() const override { return errors_.count; }
    int fd() const override { return sock_->fd(); }

private:
    AdvertBatch& batch_;
    Slot& slot_;
    std::shared_ptr<net::VrrpSocket> sock_;
    Errors errors_;
};

AdvertBatch::~AdvertBatch() = default;

std::unique_ptr<AdvertTransport> AdvertBatch::transport(const std::string& instance, Family f,
                                                        int tx_ifindex, const std::string& tx_name,
                                                        const IpAddr& src, const IpAddr* join) {
    auto& slot = slots_[Key{f, tx_ifindex, src}];
    if (!slot) slot = std::make_unique<Slot>();
    auto sock = slot->sock.lock();
    if (!sock) {
        sock = slot->hold ? slot->hold : net::VrrpSocket::open(f, tx_ifindex, tx_name, src);
        slot->sock = sock;
    }
    if (join) sock->joinGroup(*join);  // joining again is not an error
    return std::make_unique<Transport>(*this, *slot, std::move(sock), instance);
}

size_t AdvertBatch::sockets() const {
    return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [](const auto& kv) {
        return !kv.second->sock.expired();
    }));
}

void AdvertBatch::enqueue(Slot& slot, const std::shared_ptr<net::VrrpSocket>& sock,
                          Errors* errors, std::span<const uint8_t> vrrp, const IpAddr& dst) {
    if (slot.queue.empty()) {
        pending_.push_back(&slot);
        slot.hold = sock;
    }
    slot.queue.push_back({errors, arena_.size(), vrrp.size(), dst});
    arena_.insert(arena_.end(), vrrp.begin(), vrrp.end());
}

void AdvertBatch::forget(const Errors* errors) {
    for (Slot* slot : pending_)
        for (auto& q : slot->queue)
            if (q.errors == errors) q.errors = nullptr;
}

void AdvertBatch::flush() {
    if (pending_.empty()) return;
    for (Slot* slot : pending_) {
        out_.clear();
        for (const auto& q : slot->queue) out_.push_back({{arena_.data() + q.offset, q.size}, q.dst});
        slot->hold->sendMany(out_, [&](size_t i, const std::string& error) {
            Errors* e = slot->queue[i].errors;
            const uint64_t count = e ? ++e->count : 0;
            if (count <= 1 || count % 1000 == 0)
                spdlog::warn("({}) {} ({} errors)", e ? e->instance : "removed instance", error,
                             count);
        });
        slot->queue.clear();
        slot->hold.reset();
    }
    pending_.clear();
    arena_.clear();
    // Sockets whose last instance went away were closed with it.
    std::erase_if(slots_, [](const auto& kv) { return kv.second->sock.expired() && !kv.second->hold; });
}

}  // namespace xvrrp::daemon
