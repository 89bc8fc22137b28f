#pragma once
// Which instances have work at a moment, without looking at every instance: three indexed
// 4-ary min-heaps over the instances' deadlines, updated when an instance's deadlines change
// (O(log n) each), so a timer wake-up costs O(due log n) and arming the timer O(1), not a
// pass over a thousand instances per event.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "vrrp/types.hpp"

namespace xvrrp::daemon {

class InstanceRuntime;

class TimerIndex {
public:
    // Re-reads RT's deadlines (after a step, an announcement round, a bind). RT must have
    // been placed with setTimerIndex (its table order is its slot here).
    void update(InstanceRuntime& rt);
    void remove(InstanceRuntime& rt);
    void clear();

    // Earliest moment any instance has work: the event loop's timer.
    std::optional<vrrp::TimePoint> next() const;
    // Instances whose protocol timers do something at NOW (InstanceRuntime::fireTimers),
    // in table order (InstanceRuntime::tableOrder). OUT is cleared first.
    void timersDue(vrrp::TimePoint now, std::vector<InstanceRuntime*>& out) const;
    // Instances with a GARP/NA round due at NOW, in table order.
    void announcementsDue(vrrp::TimePoint now, std::vector<InstanceRuntime*>& out) const;

private:
    static constexpr uint32_t kNone = UINT32_MAX;
    // kNext: the earliest deadline (the loop's timer); kDue: from when fireTimers has work
    // (the earlier of the wake-up and the kernel check's window); kAnnounce: GARP rounds.
    enum Which : size_t { kNext, kDue, kAnnounce, kHeaps };
    // Positions live here, indexed by slot, not in the instances: a sift touches only
    // these two arrays (a thousand instances moving together cost no cache misses).
    using Positions = std::vector<std::array<uint32_t, kHeaps>>;
    struct Entry {
        vrrp::TimePoint at;
        uint32_t slot;
    };
    // Four children a node: half the levels of a binary heap for the sift that dominates
    // (an absorbing backup's check moves its deadlines from the top to the far end), the
    // children of a node side by side.
    class Heap {
    public:
        static constexpr size_t kArity = 4;
        explicit Heap(Which w) : which_(w) {}
        void set(Positions& pos, uint32_t slot, std::optional<vrrp::TimePoint> at);
        const Entry* top() const { return h_.empty() ? nullptr : &h_.front(); }
        // Slots of every entry at or before LIMIT (a walk of the heap's top, not a pass
        // over it all).
        void collect(vrrp::TimePoint limit, std::vector<uint32_t>& out) const;
        void clear() { h_.clear(); }

    private:
        void place(Positions& pos, size_t i) { pos[h_[i].slot][which_] = static_cast<uint32_t>(i); }
        size_t siftUp(Positions& pos, size_t i);  // returns where the entry ended
        void siftDown(Positions& pos, size_t i);
        void erase(Positions& pos, size_t i);

        Which which_;
        std::vector<Entry> h_;
        mutable std::vector<uint32_t> stack_;  // collect()'s, kept for its capacity
    };
    void due(std::initializer_list<Which> heaps, vrrp::TimePoint now,
             std::vector<InstanceRuntime*>& out) const;

    std::array<Heap, kHeaps> heaps_{Heap(kNext), Heap(kDue), Heap(kAnnounce)};
    Positions pos_;
    std::vector<InstanceRuntime*> items_;  // by slot
    mutable std::vector<uint32_t> slots_;  // due()'s, kept for its capacity
};

}  // namespace xvrrp::daemon
