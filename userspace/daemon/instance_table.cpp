#include "daemon/instance_table.hpp"

namespace xvrrp::daemon {

uint64_t InstanceTable::key(int ifindex, Family family, uint8_t vrid) {
    return static_cast<uint64_t>(static_cast<uint32_t>(ifindex)) << 16 |
           static_cast<uint64_t>(family == Family::V6) << 8 | vrid;
}

void InstanceTable::add(Ptr rt) {
    names_[rt->cfg().name] = rt.get();
    if (rt->bound()) indexBound(*rt);
    rt->setTimerIndex(&timers_, list_.size());
    list_.push_back(std::move(rt));
}

std::vector<InstanceTable::Ptr> InstanceTable::takeAll() {
    names_.clear();
    keys_.clear();
    for (auto& rt : list_) rt->setTimerIndex(nullptr, 0);
    timers_.clear();
    std::vector<Ptr> out = std::move(list_);
    list_.clear();
    return out;
}

InstanceRuntime* InstanceTable::byName(const std::string& name) const {
    auto it = names_.find(name);
    return it == names_.end() ? nullptr : it->second;
}

InstanceRuntime* InstanceTable::byKey(int ifindex, Family family, uint8_t vrid) const {
    auto it = keys_.find(key(ifindex, family, vrid));
    return it == keys_.end() ? nullptr : it->second;
}

void InstanceTable::indexBound(InstanceRuntime& rt) {
    if (rt.bound()) keys_[key(rt.ifindex(), rt.family(), rt.cfg().vrid)] = &rt;
}

}  // namespace xvrrp::daemon
