#pragma once
// The pinned fence map (PIN_ROOT/xv_fence) seen from outside xvrrpd: xvrrpctl and
// xvrrp-arbiter open it by path and set or clear an instance's entry. The XDP program
// drops the instance's VIP traffic while the entry exists (issue 3), and xvrrpd moves the
// instance to FAULT when it sees it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "xvrrp/abi.h"

namespace xvrrp::dataplane {

struct InstanceId {
    int ifindex = 0;
    Family family = Family::V4;
    uint8_t vrid = 0;
};

xv_inst_key toKey(const InstanceId& id);

// Opens PIN_ROOT/xv_fence (bpf_obj_get); throws DataplaneError naming the path and errno.
class FenceMap {
  public:
    explicit FenceMap(const std::string& pin_root);
    ~FenceMap();
    FenceMap(const FenceMap&) = delete;
    FenceMap& operator=(const FenceMap&) = delete;

    void fence(const InstanceId& id, xv_fence_by by);
    void unfence(const InstanceId& id);  // absent entry is fine
    std::optional<xv_fence> get(const InstanceId& id) const;
    std::vector<std::pair<xv_inst_key, xv_fence>> list() const;

  private:
    int fd_ = -1;
    std::string path_;
};

}  // namespace xvrrp::dataplane
