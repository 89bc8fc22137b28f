#include "daemon/timer_index.hpp"

#include <algorithm>

#include "daemon/instance_runtime.hpp"

namespace xvrrp::daemon {

size_t TimerIndex::Heap::siftUp(Positions& pos, size_t i) {
    while (i > 0) {
        const size_t parent = (i - 1) / kArity;
        if (!(h_[i].at < h_[parent].at)) break;
        std::swap(h_[i], h_[parent]);
        place(pos, i);
        i = parent;
    }
    place(pos, i);
    return i;
}

void TimerIndex::Heap::siftDown(Positions& pos, size_t i) {
    const size_t n = h_.size();
    for (;;) {
        const size_t first = kArity * i + 1;
        if (first >= n) break;
        // The earliest child: selects, not branches (which child wins is a coin toss).
        size_t least = first;
        const size_t end = std::min(first + kArity, n);
        for (size_t c = first + 1; c < end; ++c) least = h_[c].at < h_[least].at ? c : least;
        if (!(h_[least].at < h_[i].at)) break;
        std::swap(h_[i], h_[least]);
        place(pos, i);
        i = least;
    }
    place(pos, i);
}

void TimerIndex::Heap::erase(Positions& pos, size_t i) {
    pos[h_[i].slot][which_] = kNone;
    const size_t last = h_.size() - 1;
    if (i != last) h_[i] = h_[last];
    h_.pop_back();
    if (i == last) return;
    // The moved entry may belong above or below its new place.
    if (siftUp(pos, i) == i) siftDown(pos, i);
}

void TimerIndex::Heap::set(Positions& pos, uint32_t slot, std::optional<vrrp::TimePoint> at) {
    const uint32_t p = pos[slot][which_];
    if (!at) {
        if (p != kNone) erase(pos, p);
        return;
    }
    if (p == kNone) {
        h_.push_back({*at, slot});
        siftUp(pos, h_.size() - 1);
        return;
    }
    if (h_[p].at == *at) return;
    const bool earlier = *at < h_[p].at;
    h_[p].at = *at;
    if (earlier) siftUp(pos, p);
    else siftDown(pos, p);
}

void TimerIndex::Heap::collect(vrrp::TimePoint limit, std::vector<uint32_t>& out) const {
    // Children are never earlier than their parent: a walk that stops descending past
    // LIMIT visits the due entries and their direct children only.
    if (h_.empty() || limit < h_[0].at) return;
    stack_.clear();
    stack_.push_back(0);
    while (!stack_.empty()) {
        const size_t i = stack_.back();
        stack_.pop_back();
        out.push_back(h_[i].slot);
        for (size_t c = kArity * i + 1; c <= kArity * i + kArity && c < h_.size(); ++c)
            if (!(limit < h_[c].at)) stack_.push_back(static_cast<uint32_t>(c));
    }
}

void TimerIndex::update(InstanceRuntime& rt) {
    const size_t slot = rt.tableOrder();
    if (slot >= items_.size()) {
        items_.resize(slot + 1, nullptr);
        pos_.resize(slot + 1, {kNone, kNone, kNone});
    }
    items_[slot] = &rt;
    const auto s = static_cast<uint32_t>(slot);
    const auto& m = rt.machine();
    heaps_[kNext].set(pos_, s, rt.nextDeadline());
    // fireTimers's test (vrrp::Instance::timerDue) is "the wake-up has come or the kernel
    // check's window is open": one heap of the earlier of the two answers it.
    auto from = m.wakeAt();
    if (m.kernel_check_due && (!from || *m.kernel_check_due < *from)) from = m.kernel_check_due;
    heaps_[kDue].set(pos_, s, from);
    heaps_[kAnnounce].set(pos_, s, rt.nextAnnouncement());
}

void TimerIndex::remove(InstanceRuntime& rt) {
    const size_t slot = rt.tableOrder();
    if (slot >= items_.size() || items_[slot] != &rt) return;
    for (auto& h : heaps_) h.set(pos_, static_cast<uint32_t>(slot), std::nullopt);
    items_[slot] = nullptr;
}

void TimerIndex::clear() {
    for (auto& h : heaps_) h.clear();
    pos_.clear();
    items_.clear();
}

std::optional<vrrp::TimePoint> TimerIndex::next() const {
    const Entry* e = heaps_[kNext].top();
    return e ? std::optional(e->at) : std::nullopt;
}

void TimerIndex::due(std::initializer_list<Which> heaps, vrrp::TimePoint now,
                     std::vector<InstanceRuntime*>& out) const {
    out.clear();
    slots_.clear();
    for (Which w : heaps) heaps_[w].collect(now, slots_);
    // Table order, each instance once (slots are table positions).
    std::sort(slots_.begin(), slots_.end());
    slots_.erase(std::unique(slots_.begin(), slots_.end()), slots_.end());
    for (uint32_t s : slots_) out.push_back(items_[s]);
}

void TimerIndex::timersDue(vrrp::TimePoint now, std::vector<InstanceRuntime*>& out) const {
    due({kDue}, now, out);
}

void TimerIndex::announcementsDue(vrrp::TimePoint now, std::vector<InstanceRuntime*>& out) const {
    due({kAnnounce}, now, out);
}

}  // namespace xvrrp::daemon
