// The pinned-map side of fencing: dataplane::FenceMap (the one fence writer) behind the
// arbiter's Fencer, always as XV_FENCE_ARBITER: the arbiter sets and lifts only its own
// entry, so an operator's fence is out of its reach by construction (dataplane::mayLift).
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
            auto s = dataplane::FenceMap(pin_root_).state(idOf(ref));
            if (s.by_arbiter && s.by_operator) return FenceOwner::Both;
            if (s.by_arbiter) return FenceOwner::Arbiter;
            return s.by_operator ? FenceOwner::Operator : FenceOwner::None;
        } catch (const std::exception&) {
            return FenceOwner::Unknown;  // no map (xvrrpd not running) or unreadable
        }
    }
    void fence(const InstanceRef& ref) override {
        dataplane::FenceMap(pin_root_).fence(idOf(ref), XV_FENCE_ARBITER);
    }
    void unfence(const InstanceRef& ref) override {
        dataplane::FenceMap(pin_root_).unfence(idOf(ref), XV_FENCE_ARBITER);
    }

  private:
    std::string pin_root_;
};

}  // namespace

std::unique_ptr<Fencer> makeMapFencer(const std::string& pin_root) {
    return std::make_unique<MapFencer>(pin_root);
}

}  // namespace xvrrp::arbiter
