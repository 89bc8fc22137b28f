// Skeleton lifetime, map pinning, ring consumer and statistics.
#include "dataplane/dataplane.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include <xdp/libxdp.h>

#include "xvrrp_tc.skel.h"
#include "xvrrp_xdp.skel.h"
#include "xvrrp_xdp_meta.skel.h"

namespace xvrrp::dataplane {
namespace detail {
std::vector<std::string>* libbpfCapture = nullptr;
}  // namespace detail
namespace {

std::string errText(int err) { return std::strerror(err < 0 ? -err : err); }

int libbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_DEBUG) return 0;
    char buf[1024];
    int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
    std::string msg(buf);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    if (msg.rfind("libbpf: ", 0) == 0) msg.erase(0, 8);
    if (level == LIBBPF_WARN && detail::libbpfCapture) {
        detail::libbpfCapture->push_back(msg);
    } else if (level == LIBBPF_WARN) {
        spdlog::warn("libbpf: {}", msg);
    } else {
        spdlog::debug("libbpf: {}", msg);  // section skips and the like
    }
    return n;
}

// Id of the object pinned at PATH, or 0.
uint32_t pinnedMapId(const std::string& path) {
    int fd = bpf_obj_get(path.c_str());
    if (fd < 0) return 0;
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    uint32_t id = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
    ::close(fd);
    return id;
}

std::vector<bpf_map*> objectMaps(bpf_object* obj) {
    std::vector<bpf_map*> out;
    bpf_map* m = nullptr;
    bpf_object__for_each_map(m, obj) { out.push_back(m); }
    return out;
}

}  // namespace

void Dataplane::SkelDeleter::operator()(xvrrp_xdp* s) const { xvrrp_xdp__destroy(s); }
void Dataplane::SkelDeleter::operator()(xvrrp_tc* s) const { xvrrp_tc__destroy(s); }
void Dataplane::SkelDeleter::operator()(xvrrp_xdp_meta* s) const { xvrrp_xdp_meta__destroy(s); }

Dataplane::Dataplane(DataplaneOptions opts)
    : opts_(std::move(opts)), pin_root_(opts_.pin_root), vip_bit_refs_(XV_VIPBITS_WORDS * 64) {}

std::unique_ptr<Dataplane> Dataplane::open(const DataplaneOptions& opts) {
    libbpf_set_print(libbpfPrint);
    std::unique_ptr<Dataplane> dp(new Dataplane(opts));

    dp->skel_.reset(xvrrp_xdp__open());
    if (!dp->skel_) {
        throw DataplaneError("xvrrp_xdp__open(xvrrp_xdp.bpf.o): " + errText(errno));
    }
    if (!dp->pin_root_.empty()) {
        ensureBpffs(dp->pin_root_);
        dp->pin_lock_fd_ = lockPinRoot(dp->pin_root_);
        if (opts.reuse_pinned) dp->reusePinnedMaps();
        if (!dp->maps_reused_) dp->reusePinnedFence();
    }
    if (!opts.load_test_program) bpf_program__set_autoload(dp->skel_->progs.xv_rx, false);
    if (int err = xvrrp_xdp__load(dp->skel_.get()); err) {
        throw DataplaneError("xvrrp_xdp__load(xv_rx): " + errText(err));
    }
    dp->fences_ = std::make_unique<FenceMap>(bpf_map__fd(dp->skel_->maps.xv_fence), "xv_fence");
    if (!dp->fence_carried_.empty()) {
        dp->fences_->restore(dp->fence_carried_);
        spdlog::info("kept {} fence(s) of the replaced xv_fence", dp->fence_carried_.size());
        dp->fence_carried_.clear();
    }
    // Kept programs need no TC program of ours until an interface is new (ensureEgress).
    if (!dp->maps_reused_ || !opts.keep_programs) dp->loadEgress();
    dp->mapSeen();
    if (!dp->pin_root_.empty()) dp->pinMaps();
    dp->ring_ = ring_buffer__new(bpf_map__fd(dp->skel_->maps.xv_ring), &Dataplane::onRecord,
                                 dp.get(), nullptr);
    if (!dp->ring_) {
        throw DataplaneError("ring_buffer__new(xv_ring): " + errText(errno));
    }
    return dp;
}

Dataplane::~Dataplane() {
    try {
        detachAll();
    } catch (const std::exception& e) {
        spdlog::error("detaching XDP on shutdown: {}", e.what());
    }
    if (ring_) ring_buffer__free(ring_);
    if (seen_) ::munmap(seen_, seen_len_);
    if (slot_index_) ::munmap(slot_index_, slot_index_len_);
    unpinMaps();
    if (pin_lock_fd_ >= 0) ::close(pin_lock_fd_);
}

// xv_seen and xv_slots in our address space: the absorbing backups' timer pass reads the
// kernel's stamps with plain loads, and expectations reach the quiet path without a system
// call per instance.
void Dataplane::mapSeen() {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    auto map = [&](bpf_map* m, size_t bytes, size_t& len, const char* name) {
        len = (bytes + page - 1) / page * page;
        void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
        if (p == MAP_FAILED) throw DataplaneError(std::string("mmap(") + name + "): " + errText(errno));
        return p;
    };
    seen_ = static_cast<xv_seen*>(
        map(skel_->maps.xv_seen, sizeof(xv_seen) * XV_MAX_INSTANCES, seen_len_, "xv_seen"));
    slot_index_ = static_cast<uint64_t*>(
        map(skel_->maps.xv_slots, sizeof(uint64_t) * XV_SLOTS, slot_index_len_, "xv_slots"));
}

bool writePinnedHeartbeat(const std::string& pin_root, uint64_t now_ns) {
    int fd = bpf_obj_get((pin_root + "/xv_heartbeat").c_str());
    if (fd < 0) return false;
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    bool ok = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.key_size == sizeof(uint32_t) &&
              info.value_size == sizeof(xv_heartbeat);
    if (ok) {
        const uint32_t zero = 0;
        const xv_heartbeat hb{now_ns, static_cast<uint32_t>(::getpid()), 0};
        ok = bpf_map_update_elem(fd, &zero, &hb, BPF_ANY) == 0;
    }
    ::close(fd);
    return ok;
}

std::vector<std::string> Dataplane::pinnedPaths() const {
    std::vector<std::string> out;
    if (pin_root_.empty() || !skel_) return out;
    for (bpf_map* m : objectMaps(skel_->obj)) {
        out.push_back(pin_root_ + "/" + bpf_map__name(m));
    }
    return out;
}

namespace {

// Same type, sizes and flags as this build's map M.
bool sameLayout(int fd, bpf_map* m) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == bpf_map__type(m) &&
           info.key_size == bpf_map__key_size(m) && info.value_size == bpf_map__value_size(m) &&
           info.max_entries == bpf_map__max_entries(m) && info.map_flags == bpf_map__map_flags(m);
}

}  // namespace

// Hitless restart: every map of the predecessor, or none but the fence. Its entries, the
// kernel's counters and the ring with what arrived during the handover go on; a map that
// is missing or laid out otherwise means another ABI, and then pinMaps replaces them all
// and attach() swaps the predecessor's programs for ours.
void Dataplane::reusePinnedMaps() {
    std::vector<std::pair<bpf_map*, int>> found;
    auto closeAll = [&] {
        for (auto& [m, fd] : found) ::close(fd);
    };
    for (bpf_map* m : objectMaps(skel_->obj)) {
        const std::string path = pin_root_ + "/" + bpf_map__name(m);
        int fd = bpf_obj_get(path.c_str());
        if (fd < 0 || !sameLayout(fd, m)) {
            spdlog::warn("handover: {} {}; starting with new maps", path,
                         fd < 0 ? "is not pinned" : "has another layout than this build's");
            if (fd >= 0) ::close(fd);
            closeAll();
            return;
        }
        found.emplace_back(m, fd);
    }
    for (auto& [m, fd] : found) {
        if (int err = bpf_map__reuse_fd(m, fd); err) {
            closeAll();
            throw DataplaneError(std::string("bpf_map__reuse_fd(") + pin_root_ + "/" +
                                 bpf_map__name(m) + "): " + errText(err));
        }
    }
    closeAll();  // reuse_fd took copies
    maps_reused_ = fence_reused_ = true;
    inheritSeenSlots();
    spdlog::info("handover: reusing the {} pinned maps under {}", found.size(), pin_root_);
}

// A fence set while no daemon ran (or by the arbiter across a restart) must survive: keep
// using the pinned xv_fence when it has our layout, else carry its entries over. It is
// never unpinned.
void Dataplane::reusePinnedFence() {
    const std::string path = pin_root_ + "/xv_fence";
    int fd = bpf_obj_get(path.c_str());
    if (fd < 0) return;
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    bpf_map* m = skel_->maps.xv_fence;
    const bool compatible =
        bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == bpf_map__type(m) &&
        info.key_size == bpf_map__key_size(m) && info.value_size == bpf_map__value_size(m) &&
        info.max_entries == bpf_map__max_entries(m);
    if (compatible) {
        if (int err = bpf_map__reuse_fd(m, fd); err) {
            ::close(fd);
            throw DataplaneError("bpf_map__reuse_fd(" + path + "): " + errText(err));
        }
        fence_reused_ = true;
        spdlog::info("keeping pinned {} (fences survive restarts)", path);
    } else {
        // An older layout (before the owner was part of the key, or another size): its
        // fences must not be lost, so they are carried into the new map after load.
        if (info.key_size == sizeof(xv_fence_key) && info.value_size == sizeof(xv_fence)) {
            xv_fence_key k{}, next{};
            const xv_fence_key* prev = nullptr;
            while (bpf_map_get_next_key(fd, prev, &next) == 0) {
                xv_fence v{};
                if (bpf_map_lookup_elem(fd, &next, &v) == 0) fence_carried_.emplace_back(next, v);
                k = next;
                prev = &k;
            }
        }
        spdlog::warn("replacing pinned {}: layout differs from this build ({} fence(s) kept)",
                     path, fence_carried_.size());
        if (::unlink(path.c_str()) != 0) {
            ::close(fd);
            throw DataplaneError("unlink(" + path + "): " + errText(errno));
        }
    }
    ::close(fd);
}

std::string Dataplane::programsFingerprint() {
    uint64_t h = 1469598103934665603ull;  // FNV-1a 64
    auto mix = [&](const void* p, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            h ^= static_cast<const uint8_t*>(p)[i];
            h *= 1099511628211ull;
        }
    };
    size_t n = 0;
    const void* xdp = xvrrp_xdp__elf_bytes(&n);
    mix(xdp, n);
    const void* meta = xvrrp_xdp_meta__elf_bytes(&n);
    mix(meta, n);
    const void* tc = xvrrp_tc__elf_bytes(&n);
    mix(tc, n);
    char out[17];
    std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(h));
    return out;
}

void Dataplane::ensureEgress() {
    if (!tc_) loadEgress();
}

void Dataplane::loadEgress() {
    tc_.reset(xvrrp_tc__open());
    if (!tc_) throw DataplaneError("xvrrp_tc__open(xvrrp_tc.bpf.o): " + errText(errno));
    const std::pair<bpf_map*, bpf_map*> maps[] = {
        {tc_->maps.xv_stats, skel_->maps.xv_stats},
        {tc_->maps.xv_ifcfg, skel_->maps.xv_ifcfg},
        {tc_->maps.xv_global, skel_->maps.xv_global},
        {tc_->maps.xv_vips, skel_->maps.xv_vips},
        {tc_->maps.xv_vipbits, skel_->maps.xv_vipbits},
        {tc_->maps.xv_fence, skel_->maps.xv_fence},
        {tc_->maps.xv_heartbeat, skel_->maps.xv_heartbeat},
    };
    for (auto [mine, shared] : maps) {
        if (int err = bpf_map__reuse_fd(mine, bpf_map__fd(shared)); err) {
            throw DataplaneError(std::string("bpf_map__reuse_fd(xv_tx ") + bpf_map__name(mine) +
                                 "): " + errText(err));
        }
    }
    if (int err = xvrrp_tc__load(tc_.get()); err) {
        throw DataplaneError("xvrrp_tc__load(xv_tx): " + errText(err));
    }
}

void Dataplane::pinMaps() {
    for (bpf_map* m : objectMaps(skel_->obj)) {
        if (m == skel_->maps.xv_fence && fence_reused_) continue;
        const std::string path = pin_root_ + "/" + bpf_map__name(m);
        if (maps_reused_) {  // pinned there already: only remember where, for the unpin
            if (int err = bpf_map__set_pin_path(m, path.c_str()); err)
                throw DataplaneError("bpf_map__set_pin_path(" + path + "): " + errText(err));
            continue;
        }
        if (::access(path.c_str(), F_OK) == 0) {
            // A crashed run left its maps; remember them to recognise its XDP program.
            if (uint32_t id = pinnedMapId(path)) stale_map_ids_.push_back(id);
            spdlog::warn("replacing stale pinned map {} (left by an earlier run)", path);
            if (::unlink(path.c_str()) != 0) {
                throw DataplaneError("unlink(" + path + "): " + errText(errno));
            }
        }
        if (int err = bpf_map__pin(m, path.c_str()); err) {
            throw DataplaneError("bpf_map__pin(" + path + "): " + errText(err));
        }
    }
    pinned_ = true;
}

void Dataplane::unpinMaps() {
    if (!pinned_) return;
    for (bpf_map* m : objectMaps(skel_->obj)) {
        if (m == skel_->maps.xv_fence) continue;  // outlives the daemon
        if (int err = bpf_map__unpin(m, nullptr); err) {
            spdlog::warn("bpf_map__unpin({}): {}", bpf_map__name(m), errText(err));
        }
    }
    pinned_ = false;
}

int Dataplane::epollFd() const { return ring_buffer__epoll_fd(ring_); }

int Dataplane::onRecord(void* self, void* data, size_t size) {
    auto* dp = static_cast<Dataplane*>(self);
    if (size != sizeof(xv_advert)) {
        ++dp->bad_records_;
        return 0;
    }
    xv_advert ev;
    std::memcpy(&ev, data, sizeof(ev));
    if (ev.abi_version != XV_ABI_VERSION || ev.vrrp_len > XV_VRRP_MAX ||
        (ev.kind != XV_EV_ADVERT && ev.kind != XV_EV_DROPPED)) {
        ++dp->bad_records_;
        return 0;
    }
    if (ev.kind == XV_EV_DROPPED) {
        ++dp->drop_samples_;
        if (dp->dropped_cb_) (*dp->dropped_cb_)(ev);
        return 0;
    }
    ++dp->delivered_;
    (*dp->cb_)(ev);
    return 0;
}

int Dataplane::consume(const AdvertCallback& cb, const AdvertCallback* dropped) {
    cb_ = &cb;
    dropped_cb_ = dropped;
    delivered_ = 0;
    int n = ring_buffer__consume(ring_);
    cb_ = nullptr;
    dropped_cb_ = nullptr;
    if (n < 0) throw DataplaneError("ring_buffer__consume(xv_ring): " + errText(n));
    return delivered_;
}

xv_stats Dataplane::stats() const {
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) throw DataplaneError("libbpf_num_possible_cpus: " + errText(ncpu));
    std::vector<xv_stats> per(ncpu);
    uint32_t key = 0;
    if (int err = bpf_map__lookup_elem(skel_->maps.xv_stats, &key, sizeof(key), per.data(),
                                       per.size() * sizeof(xv_stats), 0);
        err) {
        throw DataplaneError("bpf_map_lookup_elem(xv_stats): " + errText(err));
    }
    // Every field is a __u64 counter (abi.h): sum them as an array.
    constexpr size_t kFields = sizeof(xv_stats) / sizeof(uint64_t);
    std::array<uint64_t, kFields> sum{};
    for (const auto& s : per) {
        std::array<uint64_t, kFields> f;
        std::memcpy(f.data(), &s, sizeof(s));
        for (size_t i = 0; i < kFields; ++i) sum[i] += f[i];
    }
    xv_stats out;
    std::memcpy(&out, sum.data(), sizeof(out));
    return out;
}

// xv_global.no_eth_ifaces after if_flags_ changed: XDP only looks up xv_ifcfg for
// non-VRRP frames while some interface has XV_IF_NO_ETH.
void Dataplane::writeGlobal() {
    xv_global g{};
    for (const auto& [ifindex, flags] : if_flags_) g.no_eth_ifaces += (flags & XV_IF_NO_ETH) != 0;
    const uint32_t zero = 0;
    if (int err = bpf_map__update_elem(skel_->maps.xv_global, &zero, sizeof(zero), &g, sizeof(g),
                                       BPF_ANY);
        err) {
        throw DataplaneError("bpf_map_update_elem(xv_global): " + errText(err));
    }
}

void Dataplane::setInterfaceFlags(int ifindex, uint32_t flags) {
    if_flags_[ifindex] = flags;
    // Before the entry when adding NO_ETH, so no frame is parsed as Ethernet by mistake.
    writeGlobal();
    uint32_t key = static_cast<uint32_t>(ifindex);
    xv_if_cfg cfg{flags};
    if (int err = bpf_map__update_elem(skel_->maps.xv_ifcfg, &key, sizeof(key), &cfg, sizeof(cfg),
                                       BPF_ANY);
        err) {
        throw DataplaneError("bpf_map_update_elem(xv_ifcfg, ifindex " + std::to_string(ifindex) +
                             "): " + errText(err));
    }
}

void Dataplane::updateInterfaceFlags(int ifindex, uint32_t set, uint32_t clear) {
    auto it = if_flags_.find(ifindex);
    const uint32_t now = it == if_flags_.end() ? 0 : it->second;
    const uint32_t want = (now | set) & ~clear;
    if (want == 0) {
        // Nothing to clear is no map write (the daemon re-asserts flags after every bind).
        if (it != if_flags_.end()) clearInterfaceFlags(ifindex);
    } else if (want != now || it == if_flags_.end()) {
        setInterfaceFlags(ifindex, want);
    }
}

void Dataplane::clearInterfaceFlags(int ifindex) {
    if_flags_.erase(ifindex);
    writeGlobal();
    uint32_t key = static_cast<uint32_t>(ifindex);
    int err = bpf_map__delete_elem(skel_->maps.xv_ifcfg, &key, sizeof(key), 0);
    if (err && err != -ENOENT) {
        throw DataplaneError("bpf_map_delete_elem(xv_ifcfg, ifindex " + std::to_string(ifindex) +
                             "): " + errText(err));
    }
}

int Dataplane::progFd() const { return bpf_program__fd(skel_->progs.xv_rx); }
int Dataplane::egressProgFd() const { return tc_ ? bpf_program__fd(tc_->progs.xv_tx) : -1; }

std::string Dataplane::attachModeOf(int ifindex) const {
    const AttachInfo* a = attachment(ifindex);
    if (!a) return "";
    return a->mode == XdpMode::kNative ? "native" : "generic";
}

const AttachInfo* Dataplane::attachment(int ifindex) const {
    auto it = attached_.find(ifindex);
    return it == attached_.end() ? nullptr : &it->second.info;
}

}  // namespace xvrrp::dataplane
