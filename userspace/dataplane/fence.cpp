// FenceMap: the one owner-aware writer of xv_fence, by pin path or over a skeleton's map.
#include "dataplane/fence.hpp"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dataplane/dataplane.hpp"

namespace xvrrp::dataplane {
namespace {

std::string describe(const xv_fence_key& k) {
    return "ifindex " + std::to_string(k.ifindex) + " IPv" + std::to_string(k.family) + " VRID " +
           std::to_string(k.vrid) + (k.arbiter ? " (arbiter)" : " (operator)");
}

constexpr xv_fence_by kOwners[] = {XV_FENCE_OPERATOR, XV_FENCE_ARBITER};

}  // namespace

xv_inst_key toKey(const InstanceId& id) {
    xv_inst_key k{};
    k.ifindex = static_cast<uint32_t>(id.ifindex);
    k.family = id.family == Family::V4 ? XV_FAMILY_V4 : XV_FAMILY_V6;
    k.vrid = id.vrid;
    return k;
}

xv_fence_key fenceKey(const InstanceId& id, xv_fence_by owner) {
    xv_fence_key k{};
    k.ifindex = static_cast<uint32_t>(id.ifindex);
    k.family = id.family == Family::V4 ? XV_FAMILY_V4 : XV_FAMILY_V6;
    k.vrid = id.vrid;
    k.arbiter = owner == XV_FENCE_ARBITER ? 1 : 0;
    return k;
}

bool mayLift(xv_fence_by who, xv_fence_by owner) {
    return who == XV_FENCE_OPERATOR || who == owner;
}

FenceMap::FenceMap(const std::string& pin_root) : path_(pin_root + "/xv_fence") {
    fd_ = bpf_obj_get(path_.c_str());
    if (fd_ < 0) {
        throw DataplaneError("bpf_obj_get(" + path_ + "): " + std::strerror(errno) +
                             " (is xvrrpd running with this pin root?)");
    }
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd_, &info, &len) != 0 || info.key_size != sizeof(xv_fence_key) ||
        info.value_size != sizeof(xv_fence)) {
        ::close(fd_);
        throw DataplaneError(path_ + ": not an xv_fence map of this ABI version");
    }
}

FenceMap::FenceMap(int map_fd, std::string name) : path_(std::move(name)) {
    fd_ = ::fcntl(map_fd, F_DUPFD_CLOEXEC, 0);
    if (fd_ < 0) throw DataplaneError("dup(" + path_ + "): " + std::strerror(errno));
}

FenceMap::~FenceMap() {
    if (fd_ >= 0) ::close(fd_);
}

void FenceMap::put(const xv_fence_key& k, xv_fence_by by) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    xv_fence v{};
    v.since_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
    v.by = by;
    // Already fenced by the same owner: keep the time it started.
    if (bpf_map_update_elem(fd_, &k, &v, BPF_NOEXIST) != 0 && errno != EEXIST) {
        throw DataplaneError("bpf_map_update_elem(" + path_ + ", " + describe(k) +
                             "): " + std::strerror(errno));
    }
}

void FenceMap::fence(const InstanceId& id, xv_fence_by who) { put(fenceKey(id, who), who); }

std::vector<xv_fence_by> FenceMap::unfence(const InstanceId& id, xv_fence_by who) {
    std::vector<xv_fence_by> lifted;
    for (xv_fence_by owner : kOwners) {
        if (!mayLift(who, owner)) continue;
        const xv_fence_key k = fenceKey(id, owner);
        if (bpf_map_delete_elem(fd_, &k) == 0) {
            lifted.push_back(owner);
        } else if (errno != ENOENT) {
            throw DataplaneError("bpf_map_delete_elem(" + path_ + ", " + describe(k) +
                                 "): " + std::strerror(errno));
        }
    }
    return lifted;
}

std::optional<xv_fence> FenceMap::get(const InstanceId& id, xv_fence_by owner) const {
    const xv_fence_key k = fenceKey(id, owner);
    xv_fence v{};
    if (bpf_map_lookup_elem(fd_, &k, &v) == 0) return v;
    if (errno != ENOENT) {
        throw DataplaneError("bpf_map_lookup_elem(" + path_ + ", " + describe(k) +
                             "): " + std::strerror(errno));
    }
    return std::nullopt;
}

FenceState FenceMap::state(const InstanceId& id) const {
    return {get(id, XV_FENCE_OPERATOR).has_value(), get(id, XV_FENCE_ARBITER).has_value()};
}

std::vector<std::pair<xv_fence_key, xv_fence>> FenceMap::list() const {
    std::vector<std::pair<xv_fence_key, xv_fence>> out;
    xv_fence_key k{}, next{};
    const xv_fence_key* prev = nullptr;
    while (bpf_map_get_next_key(fd_, prev, &next) == 0) {
        xv_fence v{};
        if (bpf_map_lookup_elem(fd_, &next, &v) == 0) out.emplace_back(next, v);
        k = next;
        prev = &k;
    }
    return out;
}

std::vector<InstanceId> FenceMap::fencedIds() const {
    std::vector<InstanceId> out;
    xv_fence_key k{}, next{};
    const xv_fence_key* prev = nullptr;
    // A key deleted under the walk restarts it from the first key: the walk is bounded by
    // twice the map's size, repeats go below.
    for (unsigned n = 0; n <= 2 * XV_MAX_INSTANCES; ++n) {
        if (bpf_map_get_next_key(fd_, prev, &next) != 0) {
            if (errno == ENOENT) break;
            throw DataplaneError("bpf_map_get_next_key(" + path_ + "): " + std::strerror(errno));
        }
        out.push_back({static_cast<int>(next.ifindex),
                       next.family == XV_FAMILY_V6 ? Family::V6 : Family::V4, next.vrid});
        k = next;
        prev = &k;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void FenceMap::restore(const std::vector<std::pair<xv_fence_key, xv_fence>>& entries) {
    for (auto [k, v] : entries) {
        auto by = k.arbiter || v.by == XV_FENCE_ARBITER ? XV_FENCE_ARBITER : XV_FENCE_OPERATOR;
        k.arbiter = by == XV_FENCE_ARBITER ? 1 : 0;
        k.pad = 0;
        v.by = by;
        if (bpf_map_update_elem(fd_, &k, &v, BPF_ANY) != 0) {
            throw DataplaneError("bpf_map_update_elem(" + path_ + ", " + describe(k) +
                                 "): " + std::strerror(errno));
        }
    }
}

}  // namespace xvrrp::dataplane
