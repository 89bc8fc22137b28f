#pragma once
// The one writer of the fence map (PIN_ROOT/xv_fence). xvrrpd writes the operator's fences
// through its skeleton's map (for `xvrrpctl fence`, which asks xvrrpd over the control
// socket), xvrrp-arbiter its own by pin path, so it still works while xvrrpd is hung. Each
// owner has an entry of its own (xv_fence_key), so nobody reads an entry to decide whether
// to delete it; XDP and TC drop the instance's VIP traffic while either entry exists, and
// xvrrpd moves the instance to FAULT when it looks (at once when asked, else within its
// housekeeping period).

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
    auto operator<=>(const InstanceId&) const = default;
};

xv_inst_key toKey(const InstanceId& id);
xv_fence_key fenceKey(const InstanceId& id, xv_fence_by owner);

// The rule of who may lift whose fence, in one place: the operator any (xvrrpctl unfence is
// how a person ends an arbiter fence the arbiter cannot prove safe to lift), the arbiter
// only its own - never an operator's.
bool mayLift(xv_fence_by who, xv_fence_by owner);

struct FenceState {
    bool by_operator = false;
    bool by_arbiter = false;
    bool any() const { return by_operator || by_arbiter; }
};

class FenceMap {
  public:
    // Opens PIN_ROOT/xv_fence (bpf_obj_get); throws DataplaneError naming the path and errno.
    explicit FenceMap(const std::string& pin_root);
    // Over a map fd the caller holds (xvrrpd's skeleton); the fd is duplicated.
    FenceMap(int map_fd, std::string name);
    ~FenceMap();
    FenceMap(const FenceMap&) = delete;
    FenceMap& operator=(const FenceMap&) = delete;

    // Sets `who`'s entry; an entry already there keeps its since_ns.
    void fence(const InstanceId& id, xv_fence_by who);
    // Deletes the entries `who` may lift (mayLift); returns whose were there and went.
    std::vector<xv_fence_by> unfence(const InstanceId& id, xv_fence_by who);
    FenceState state(const InstanceId& id) const;
    bool fenced(const InstanceId& id) const { return state(id).any(); }
    std::optional<xv_fence> get(const InstanceId& id, xv_fence_by owner) const;
    std::vector<std::pair<xv_fence_key, xv_fence>> list() const;
    // Every instance with an entry of either owner, sorted, from one walk over the keys: one
    // syscall when nothing is fenced, where state() of each instance costs two.
    std::vector<InstanceId> fencedIds() const;
    // Writes entries read from an earlier map; an entry of a map from before the owner was
    // part of the key (owner byte 0) goes to the owner its value names.
    void restore(const std::vector<std::pair<xv_fence_key, xv_fence>>& entries);

  private:
    void put(const xv_fence_key& k, xv_fence_by by);

    int fd_ = -1;
    std::string path_;
};

}  // namespace xvrrp::dataplane
