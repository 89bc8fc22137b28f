// FenceMap: the pinned xv_fence opened by path, usable from any process.
#include "dataplane/fence.hpp"

#include <bpf/bpf.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dataplane/dataplane.hpp"

namespace xvrrp::dataplane {
namespace {

std::string describe(const xv_inst_key& k) {
    return "ifindex " + std::to_string(k.ifindex) + " IPv" + std::to_string(k.family) + " VRID " +
           std::to_string(k.vrid);
}

}  // namespace

xv_inst_key toKey(const InstanceId& id) {
    xv_inst_key k{};
    k.ifindex = static_cast<uint32_t>(id.ifindex);
    k.family = id.family == Family::V4 ? XV_FAMILY_V4 : XV_FAMILY_V6;
    k.vrid = id.vrid;
    return k;
}

FenceMap::FenceMap(const std::string& pin_root) : path_(pin_root + "/xv_fence") {
    fd_ = bpf_obj_get(path_.c_str());
    if (fd_ < 0) {
        throw DataplaneError("bpf_obj_get(" + path_ + "): " + std::strerror(errno) +
                             " (is xvrrpd running with this pin root?)");
    }
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd_, &info, &len) != 0 || info.key_size != sizeof(xv_inst_key) ||
        info.value_size != sizeof(xv_fence)) {
        ::close(fd_);
        throw DataplaneError(path_ + ": not an xv_fence map of this ABI version");
    }
}

FenceMap::~FenceMap() {
    if (fd_ >= 0) ::close(fd_);
}

void FenceMap::fence(const InstanceId& id, xv_fence_by by) {
    const xv_inst_key k = toKey(id);
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    xv_fence v{};
    v.since_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
    v.by = by;
    // Keep the first setter's record when already fenced.
    if (bpf_map_update_elem(fd_, &k, &v, BPF_NOEXIST) != 0 && errno != EEXIST) {
        throw DataplaneError("bpf_map_update_elem(" + path_ + ", " + describe(k) +
                             "): " + std::strerror(errno));
    }
}

void FenceMap::unfence(const InstanceId& id) {
    const xv_inst_key k = toKey(id);
    if (bpf_map_delete_elem(fd_, &k) != 0 && errno != ENOENT) {
        throw DataplaneError("bpf_map_delete_elem(" + path_ + ", " + describe(k) +
                             "): " + std::strerror(errno));
    }
}

std::optional<xv_fence> FenceMap::get(const InstanceId& id) const {
    const xv_inst_key k = toKey(id);
    xv_fence v{};
    if (bpf_map_lookup_elem(fd_, &k, &v) == 0) return v;
    if (errno != ENOENT) {
        throw DataplaneError("bpf_map_lookup_elem(" + path_ + ", " + describe(k) +
                             "): " + std::strerror(errno));
    }
    return std::nullopt;
}

std::vector<std::pair<xv_inst_key, xv_fence>> FenceMap::list() const {
    std::vector<std::pair<xv_inst_key, xv_fence>> out;
    xv_inst_key k{}, next{};
    const xv_inst_key* prev = nullptr;
    while (bpf_map_get_next_key(fd_, prev, &next) == 0) {
        xv_fence v{};
        if (bpf_map_lookup_elem(fd_, &next, &v) == 0) out.emplace_back(next, v);
        k = next;
        prev = &k;
    }
    return out;
}

}  // namespace xvrrp::dataplane
