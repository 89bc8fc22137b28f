// The pinned-map side of fencing. With userspace/dataplane/fence.cpp built (issue 3) we use
// dataplane::FenceMap; until then a minimal bpf_obj_get() writer of the same map and key.
#include <ctime>
#include <stdexcept>

#include "fencing.hpp"
#include "xvrrp/abi.h"

#ifdef XVRRP_HAVE_FENCE_MAP
#include "dataplane/fence.hpp"
#else
#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#endif

namespace xvrrp::arbiter {

namespace {

FenceOwner ownerOf(uint32_t by) {
    return by == XV_FENCE_ARBITER ? FenceOwner::Arbiter : FenceOwner::Operator;
}

#ifdef XVRRP_HAVE_FENCE_MAP

dataplane::InstanceId idOf(const InstanceRef& r) {
    return {r.ifindex, r.family, r.vrid};
}

class MapFencer : public Fencer {
public:
    explicit MapFencer(std::string pin_root) : pin_root_(std::move(pin_root)) {}
    FenceOwner owner(const InstanceRef& ref) override {
        try {
            dataplane::FenceMap map(pin_root_);
            auto v = map.get(idOf(ref));
            return v ? ownerOf(v->by) : FenceOwner::None;
        } catch (const std::exception&) {
            return FenceOwner::Unknown;
        }
    }
    void fence(const InstanceRef& ref) override {
        dataplane::FenceMap(pin_root_).fence(idOf(ref), XV_FENCE_ARBITER);
    }
    void unfence(const InstanceRef& ref) override { dataplane::FenceMap(pin_root_).unfence(idOf(ref)); }

private:
    std::string pin_root_;
};

#else

class MapFencer : public Fencer {
public:
    explicit MapFencer(std::string pin_root) : path_(std::move(pin_root) + "/xv_fence") {}
    FenceOwner owner(const InstanceRef& ref) override {
        int fd = ::bpf_obj_get(path_.c_str());
        if (fd < 0) return FenceOwner::Unknown;
        xv_inst_key k = keyOf(ref);
        xv_fence v{};
        int rc = ::bpf_map_lookup_elem(fd, &k, &v);
        int e = errno;
        ::close(fd);
        if (rc == 0) return ownerOf(v.by);
        return e == ENOENT ? FenceOwner::None : FenceOwner::Unknown;
    }
    void fence(const InstanceRef& ref) override {
        int fd = open();
        xv_inst_key k = keyOf(ref);
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        xv_fence v{};
        v.since_ns = static_cast<__u64>(ts.tv_sec) * 1000000000ull + static_cast<__u64>(ts.tv_nsec);
        v.by = XV_FENCE_ARBITER;
        int rc = ::bpf_map_update_elem(fd, &k, &v, BPF_ANY);
        int e = errno;
        ::close(fd);
        if (rc < 0) throw std::runtime_error("bpf_map_update_elem " + path_ + " (" + ref.name + "): " + std::strerror(e));
    }
    void unfence(const InstanceRef& ref) override {
        int fd = open();
        xv_inst_key k = keyOf(ref);
        int rc = ::bpf_map_delete_elem(fd, &k);
        int e = errno;
        ::close(fd);
        if (rc < 0 && e != ENOENT)
            throw std::runtime_error("bpf_map_delete_elem " + path_ + " (" + ref.name + "): " + std::strerror(e));
    }

private:
    static xv_inst_key keyOf(const InstanceRef& r) {
        xv_inst_key k{};
        k.ifindex = static_cast<__u32>(r.ifindex);
        k.family = r.family == Family::V6 ? XV_FAMILY_V6 : XV_FAMILY_V4;
        k.vrid = r.vrid;
        return k;
    }
    int open() {
        int fd = ::bpf_obj_get(path_.c_str());
        if (fd < 0) throw std::runtime_error("bpf_obj_get " + path_ + ": " + std::strerror(errno));
        return fd;
    }
    std::string path_;
};

#endif

}  // namespace

std::unique_ptr<Fencer> makeMapFencer(const std::string& pin_root) {
    return std::make_unique<MapFencer>(pin_root);
}

}  // namespace xvrrp::arbiter
