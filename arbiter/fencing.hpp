#pragma once
// How the arbiter fences its own node. The decision never touches this; the loop calls it
// and tests replace it with a fake.

#include <cstdint>
#include <memory>
#include <string>

#include "common/ip.hpp"
#include "evidence.hpp"

namespace xvrrp::arbiter {

// An instance as the fence map keys it (from xvrrpd's status).
struct InstanceRef {
    std::string name;
    int ifindex = 0;
    Family family = Family::V4;
    uint8_t vrid = 0;
};

class Fencer {
  public:
    virtual ~Fencer() = default;
    // Whose entries the instance has; Unknown when the map cannot be read. Never throws.
    virtual FenceOwner owner(const InstanceRef& ref) = 0;
    // The arbiter's own entry. Throw std::runtime_error naming the map and errno text.
    virtual void fence(const InstanceRef& ref) = 0;
    virtual void unfence(const InstanceRef& ref) = 0;
};

// PIN_ROOT/xv_fence through dataplane::FenceMap, the arbiter's own entry only. The map is
// opened per call because xvrrpd may (re)create it after the arbiter started.
std::unique_ptr<Fencer> makeMapFencer(const std::string& pin_root);

}  // namespace xvrrp::arbiter
