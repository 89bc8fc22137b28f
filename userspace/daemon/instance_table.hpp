#pragma once
// The running instances, in configuration order (status lists them so), found by name or by
// what a received advert carries: (ifindex, family, VRID), in O(1).

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/instance_runtime.hpp"
#include "daemon/timer_index.hpp"

namespace xvrrp::daemon {

class InstanceTable {
public:
    using Ptr = std::unique_ptr<InstanceRuntime>;

    void add(Ptr rt);
    // Hands every instance over (a reload sorts them into the new configuration).
    std::vector<Ptr> takeAll();
    // Lookups; null when absent. byKey only finds bound instances.
    InstanceRuntime* byName(const std::string& name) const;
    InstanceRuntime* byKey(int ifindex, Family family, uint8_t vrid) const;
    // After an instance was bound (its ifindex is known now).
    void indexBound(InstanceRuntime& rt);

    // Deadlines of every instance in the table, kept current by the instances themselves.
    const TimerIndex& timers() const { return timers_; }

    size_t size() const { return list_.size(); }
    bool empty() const { return list_.empty(); }
    auto begin() const { return list_.begin(); }
    auto end() const { return list_.end(); }

private:
    static uint64_t key(int ifindex, Family family, uint8_t vrid);

    TimerIndex timers_;
    std::vector<Ptr> list_;
    std::unordered_map<std::string, InstanceRuntime*> names_;
    std::unordered_map<uint64_t, InstanceRuntime*> keys_;
};

}  // namespace xvrrp::daemon
