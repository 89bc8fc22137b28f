// The pinned-map side of fencing: dataplane::FenceMap (issue 3) behind the arbiter's Fencer.
#include <stdexcept>

#include "dataplane/fence.hpp"
#include "fencing.hpp"
#include "xvrrp/abi.h"

namespace xvrrp::arbiter {

namespace {

dataplane::InstanceId idOf(const InstanceRef& r) { return {r.ifindex, r.family, r.vrid}; }

class MapFencer : public Fencer {
  public:
    explicit MapFencer(std::string pin_root) : pin_root_(std::move(pin_root)) {}

    FenceOwner owner(const InstanceRef& ref) override {
        try {
            auto v = dataplane::FenceMap(pin_root_).get(idOf(ref));
            if (!v) return FenceOwner::None;
            return v->by == XV_FENCE_ARBITER ? FenceOwner::Arbiter : FenceOwner::Operator;
        } catch (const std::exception&) {
            return FenceOwner::Unknown;  // no map (xvrrpd not running) or unreadable
        }
    }
    void fence(const InstanceRef& ref) override {
        dataplane::FenceMap(pin_root_).fence(idOf(ref), XV_FENCE_ARBITER);
    }
    void unfence(const InstanceRef& ref) override {
        dataplane::FenceMap map(pin_root_);
        // Never lift an operator's fence, even one that was set on top of ours.
        auto v = map.get(idOf(ref));
        if (v && v->by != XV_FENCE_ARBITER)
            throw std::runtime_error("xv_fence entry of " + ref.name +
                                     " belongs to the operator; left in place");
        map.unfence(idOf(ref));
    }

  private:
    std::string pin_root_;
};

}  // namespace

std::unique_ptr<Fencer> makeMapFencer(const std::string& pin_root) {
    return std::make_unique<MapFencer>(pin_root);
}

}  // namespace xvrrp::arbiter
