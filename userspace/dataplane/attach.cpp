// Attaching xv_rx with libxdp.
//
// libxdp 1.3.1 first tries its multi-program dispatcher, which needs freplace
// (BPF_PROG_TYPE_EXT) and a bpffs at $LIBXDP_BPFFS (default /sys/fs/bpf, state in
// its xdp/ subdir). When either is missing it logs and falls back to attaching the
// program alone; LIBXDP_SKIP_DISPATCHER=1 forces that. A program already loaded as
// XDP cannot join a dispatcher, so every interface gets its own, not yet loaded,
// instance of the object whose maps reuse the fds of the main skeleton: libxdp then
// loads it as EXT or XDP as the kernel allows.
//
// Native XDP first tries the device-bound build (xvrrp_xdp_meta), which reads a VLAN tag
// the driver moved out of the frame with bpf_xdp_metadata_rx_vlan_tag; a kernel or driver
// that refuses it (or libxdp's dispatcher) gets the plain build.
#include <bpf/bpf.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <xdp/libxdp.h>

#include <algorithm>
#include <set>
#include <signal.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "dataplane/dataplane.hpp"
#include "xvrrp_xdp.skel.h"
#include "xvrrp_xdp_meta.skel.h"

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

namespace xvrrp::dataplane {
namespace detail {
extern std::vector<std::string>* libbpfCapture;
}  // namespace detail
namespace {

// libxdp's dispatcher probe makes libbpf warn about failed loads even when the
// fallback then works; keep those lines unless the attach fails as a whole.
class LibbpfWarnings {
  public:
    LibbpfWarnings() { detail::libbpfCapture = &lines_; }
    ~LibbpfWarnings() { detail::libbpfCapture = nullptr; }
    void emit(bool failed) {
        detail::libbpfCapture = nullptr;
        for (const auto& l : lines_) {
            if (failed) {
                spdlog::warn("libbpf: {}", l);
            } else {
                spdlog::debug("libbpf: {}", l);
            }
        }
        lines_.clear();
    }

  private:
    std::vector<std::string> lines_;
};

constexpr const char* kProgName = "xv_rx";

std::string xdpErr(int err) {
    char buf[256] = {};
    libxdp_strerror(err, buf, sizeof(buf));
    return buf;
}

int libxdpPrint(enum libxdp_print_level level, const char* fmt, va_list args) {
    if (level == LIBXDP_DEBUG) return 0;
    char buf[1024];
    int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
    std::string msg(buf);
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    while (!msg.empty() && msg.back() == ' ') msg.pop_back();
    if (msg.rfind("libxdp: ", 0) == 0) msg.erase(0, 8);
    if (level == LIBXDP_WARN) {
        spdlog::warn("libxdp: {}", msg);
    } else {
        spdlog::info("libxdp: {}", msg);
    }
    return n;
}

struct MultiprogCloser {
    void operator()(xdp_multiprog* mp) const { xdp_multiprog__close(mp); }
};
using MultiprogPtr = std::unique_ptr<xdp_multiprog, MultiprogCloser>;

// What is attached to IFINDEX now, or null.
MultiprogPtr currentXdp(int ifindex) {
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    if (!mp || libxdp_get_error(mp)) return nullptr;
    return MultiprogPtr(mp);
}

}  // namespace

std::vector<uint32_t> progMapIds(uint32_t prog_id) {
    std::vector<uint32_t> ids;
    int fd = bpf_prog_get_fd_by_id(prog_id);
    if (fd < 0) return ids;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.nr_map_ids > 0) {
        ids.resize(info.nr_map_ids);
        bpf_prog_info again{};
        again.nr_map_ids = info.nr_map_ids;
        again.map_ids = reinterpret_cast<uintptr_t>(ids.data());
        len = sizeof(again);
        if (bpf_obj_get_info_by_fd(fd, &again, &len) != 0) ids.clear();
    }
    ::close(fd);
    return ids;
}

namespace {

// The xv_heartbeat entry of the maps program PROG_ID uses, if it has one.
std::optional<xv_heartbeat> heartbeatOf(uint32_t prog_id) {
    for (uint32_t map_id : progMapIds(prog_id)) {
        int fd = bpf_map_get_fd_by_id(map_id);
        if (fd < 0) continue;
        bpf_map_info info{};
        uint32_t len = sizeof(info);
        std::optional<xv_heartbeat> hb;
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
            std::string(info.name) == "xv_heartbeat" && info.value_size == sizeof(xv_heartbeat)) {
            xv_heartbeat v{};
            const uint32_t zero = 0;
            if (bpf_map_lookup_elem(fd, &zero, &v) == 0) hb = v;
        }
        ::close(fd);
        if (hb) return hb;
    }
    return std::nullopt;
}

}  // namespace

// Every map of a per-interface object is the shared one of the same name.
void Dataplane::reuseMaps(bpf_object* obj, const std::string& ifname) {
    bpf_map* mine = nullptr;
    while ((mine = bpf_object__next_map(obj, mine))) {
        const char* name = bpf_map__name(mine);
        bpf_map* shared = bpf_object__find_map_by_name(skel_->obj, name);
        if (!shared)
            throw DataplaneError(std::string("xv_rx for ") + ifname + ": no shared map " + name);
        if (int err = bpf_map__reuse_fd(mine, bpf_map__fd(shared)); err) {
            throw DataplaneError(std::string("bpf_map__reuse_fd(") + name + " for " + ifname +
                                 "): " + std::strerror(-err));
        }
    }
}

Dataplane::SkelPtr Dataplane::openInstance(const std::string& ifname) {
    SkelPtr inst(xvrrp_xdp__open());
    if (!inst) {
        throw DataplaneError("xvrrp_xdp__open(xv_rx for " + ifname + "): " + std::strerror(errno));
    }
    reuseMaps(inst->obj, ifname);
    return inst;
}

Dataplane::MetaSkelPtr Dataplane::openMetaInstance(int ifindex, const std::string& ifname) {
    MetaSkelPtr inst(xvrrp_xdp_meta__open());
    if (!inst) {
        throw DataplaneError("xvrrp_xdp_meta__open(xv_rx for " + ifname +
                             "): " + std::strerror(errno));
    }
    reuseMaps(inst->obj, ifname);
    bpf_program* p = inst->progs.xv_rx;
    bpf_program__set_ifindex(p, static_cast<uint32_t>(ifindex));
    bpf_program__set_flags(p, bpf_program__flags(p) | BPF_F_XDP_DEV_BOUND_ONLY);
    return inst;
}

namespace {

xdp_program* createProgram(bpf_object* obj, const std::string& ifname) {
    xdp_program_opts popts{};
    popts.sz = sizeof(popts);
    popts.obj = obj;
    popts.prog_name = kProgName;
    xdp_program* prog = xdp_program__create(&popts);
    if (long err = libxdp_get_error(prog); err || !prog) {
        throw DataplaneError("xdp_program__create(xv_rx for " + ifname +
                             "): " + xdpErr(static_cast<int>(err)));
    }
    return prog;
}

}  // namespace

// The device-bound build first; any failure there falls back to the plain build.
int Dataplane::attachNative(Attachment& a, int ifindex, const std::string& ifname) {
    try {
        a.meta = openMetaInstance(ifindex, ifname);
        a.prog = createProgram(a.meta->obj, ifname);
        if (xdp_program__attach(a.prog, ifindex, XDP_MODE_NATIVE, 0) == 0) {
            a.info.vlan_meta = true;
            return 0;
        }
    } catch (const DataplaneError& e) {
        spdlog::debug("device-bound xv_rx on {}: {}", ifname, e.what());
    }
    if (a.prog) xdp_program__close(a.prog);
    a.prog = nullptr;
    a.meta.reset();
    spdlog::info("device-bound xv_rx refused on {}: VLAN tags the driver strips are not seen",
                 ifname);
    a.instance = openInstance(ifname);
    a.prog = createProgram(a.instance->obj, ifname);
    return xdp_program__attach(a.prog, ifindex, XDP_MODE_NATIVE, 0);
}

// An xv_rx that uses a map of this pin root (the pinned ones, or those a crashed run left
// and pinMaps replaced) is ours: the process this one took over from, or a crashed one.
bool Dataplane::ours(uint32_t prog_id) const {
    std::set<uint32_t> mine(stale_map_ids_.begin(), stale_map_ids_.end());
    for (bpf_map* m = bpf_object__next_map(skel_->obj, nullptr); m;
         m = bpf_object__next_map(skel_->obj, m)) {
        bpf_map_info info{};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len) == 0) mine.insert(info.id);
    }
    for (uint32_t id : progMapIds(prog_id))
        if (mine.count(id)) return true;
    return false;
}

void Dataplane::checkAttachable(int ifindex, const std::string& ifname) {
    checkExisting(ifindex, ifname, false);
}

std::optional<Dataplane::Predecessor> Dataplane::checkExisting(int ifindex,
                                                               const std::string& ifname,
                                                               bool detach) {
    MultiprogPtr mp = currentXdp(ifindex);
    if (!mp) return std::nullopt;
    if (!xdp_multiprog__is_legacy(mp.get())) {
        if (detach)
            spdlog::info("{} has a libxdp dispatcher with {} program(s); xv_rx joins it",
                         ifname, xdp_multiprog__program_count(mp.get()));
        return std::nullopt;
    }
    xdp_program* main = xdp_multiprog__main_prog(mp.get());
    if (!main) return std::nullopt;  // only an offloaded program, which does not see our frames first
    const std::string name = xdp_program__name(main);
    const uint32_t id = xdp_program__id(main);

    if (name == kProgName && ours(id)) {
        if (detach && !maps_reused_)
            spdlog::warn("replacing xv_rx (id {}) left on {} by an earlier run", id, ifname);
        const bool skb = xdp_multiprog__attach_mode(mp.get()) == XDP_MODE_SKB;
        return Predecessor{id, skb ? XdpMode::kGeneric : XdpMode::kNative};
    }
    if (name == kProgName && !opts_.force_xdp) {
        // Another daemon's xv_rx: live (fresh heartbeat) or crashed, never ours to take.
        const auto hb = heartbeatOf(id);
        std::string who = "another xvrrpd";
        if (hb && hb->pid && ::kill(static_cast<pid_t>(hb->pid), 0) == 0)
            who = "xvrrpd pid " + std::to_string(hb->pid);
        else if (hb && hb->pid)
            who = "an xvrrpd that is gone (pid " + std::to_string(hb->pid) +
                  "; xvrrpd --cleanup removes what it left)";
        throw DataplaneError("attach XDP to " + ifname + ": " + ifname + " is served by " + who +
                             " (xv_rx id " + std::to_string(id) +
                             " with another pin root); one xvrrpd per interface");
    } else if (!opts_.force_xdp) {
        throw DataplaneError("attach XDP to " + ifname + ": program " + name + " (id " +
                             std::to_string(id) +
                             ") is already attached and is not ours; refusing to replace "
                             "it without force");
    }
    if (!detach) return std::nullopt;
    spdlog::warn("force: detaching XDP program {} (id {}) from {}", name, id, ifname);
    if (int err = xdp_multiprog__detach(mp.get()); err) {
        throw DataplaneError("xdp_multiprog__detach(" + name + " on " + ifname +
                             "): " + xdpErr(err));
    }
    return std::nullopt;
}

// Swaps the predecessor's xv_rx for ours in one netlink request (XDP_FLAGS_REPLACE with its
// fd): every frame meets one or the other. The device-bound build first, as attachNative.
int Dataplane::replaceXdp(Attachment& a, int ifindex, const std::string& ifname,
                          const Predecessor& p) {
    int old_fd = bpf_prog_get_fd_by_id(p.prog_id);
    if (old_fd < 0) return -errno;
    const uint32_t mode = p.mode == XdpMode::kNative ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    auto swap = [&](int fd) {
        LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = old_fd);
        return bpf_xdp_attach(ifindex, fd, XDP_FLAGS_REPLACE | mode, &o);
    };
    int err = -EINVAL;
    if (p.mode == XdpMode::kNative) {
        try {
            a.meta = openMetaInstance(ifindex, ifname);
            err = xvrrp_xdp_meta__load(a.meta.get());
            if (!err) err = swap(bpf_program__fd(a.meta->progs.xv_rx));
        } catch (const DataplaneError& e) {
            spdlog::debug("device-bound xv_rx on {}: {}", ifname, e.what());
        }
        if (!err) {
            a.info.vlan_meta = true;
            a.replaced_fd = bpf_program__fd(a.meta->progs.xv_rx);
        } else {
            a.meta.reset();
        }
    }
    if (err) {
        a.instance = openInstance(ifname);
        err = xvrrp_xdp__load(a.instance.get());
        if (!err) err = swap(bpf_program__fd(a.instance->progs.xv_rx));
        if (!err) a.replaced_fd = bpf_program__fd(a.instance->progs.xv_rx);
    }
    ::close(old_fd);
    a.info.mode = p.mode;
    return err;
}

void Dataplane::attach(int ifindex, const std::string& ifname, bool no_eth) {
    static const bool print_set = (libxdp_set_print(libxdpPrint), true);
    (void)print_set;
    if (attached_.count(ifindex)) {
        throw DataplaneError("attach XDP to " + ifname + ": already attached by this daemon");
    }
    const auto predecessor = checkExisting(ifindex, ifname, true);

    // Configure parsing before the first frame can arrive.
    updateInterfaceFlags(ifindex, no_eth ? XV_IF_NO_ETH : 0, no_eth ? 0 : XV_IF_NO_ETH);

    Attachment a;
    a.info.ifname = ifname;
    LibbpfWarnings warnings;
    if (predecessor && maps_reused_) {
        // The predecessor's programs run on these very maps: they go on serving, for good
        // when they are this build's, else until swapPending().
        keepPredecessor(a, *predecessor);
        warnings.emit(false);
        spdlog::info("xv_rx (id {}) of the previous process goes on serving {}{}",
                     predecessor->prog_id, ifname,
                     opts_.keep_programs ? "" : " until this build's is swapped in");
        attached_.emplace(ifindex, std::move(a));
        if (!opts_.keep_programs) pending_swaps_.insert(ifindex);
        try {
            attachEgress(ifindex, ifname, true);
        } catch (const DataplaneError&) {
            detach(ifindex);
            throw;
        }
        return;
    }
    if (predecessor) {
        int err = replaceXdp(a, ifindex, ifname, *predecessor);
        warnings.emit(err != 0);
        if (err)
            throw DataplaneError("bpf_xdp_attach(xv_rx replacing id " +
                                 std::to_string(predecessor->prog_id) + " on " + ifname +
                                 "): " + std::strerror(-err));
        spdlog::info("xv_rx swapped in on {} (ifindex {}) in {} mode{}", ifname, ifindex,
                     a.info.mode == XdpMode::kNative ? "native" : "generic",
                     a.info.vlan_meta ? " (device-bound: sees driver VLAN tags)" : "");
        attached_.emplace(ifindex, std::move(a));
        attachEgressOrDetach(ifindex, ifname);
        return;
    }
    int err = attachNative(a, ifindex, ifname);
    if (err) {
        spdlog::warn("native XDP unavailable on {} ({}), using generic mode (a VLAN tag the "
                     "driver strips is not seen there: docs/bpf.md)",
                     ifname, xdpErr(err));
        a.info.mode = XdpMode::kGeneric;
        err = xdp_program__attach(a.prog, ifindex, XDP_MODE_SKB, 0);
    }
    warnings.emit(err != 0);
    if (err) {
        xdp_program__close(a.prog);
        throw DataplaneError("xdp_program__attach(xv_rx, " + ifname + "): " + xdpErr(err));
    }
    if (MultiprogPtr mp = currentXdp(ifindex)) {
        a.info.dispatcher = !xdp_multiprog__is_legacy(mp.get());
    }
    spdlog::info("xv_rx attached to {} (ifindex {}) in {} mode{}, {}", ifname, ifindex,
                 a.info.mode == XdpMode::kNative ? "native" : "generic",
                 a.info.vlan_meta ? " (device-bound: sees driver VLAN tags)" : "",
                 a.info.dispatcher ? "through the libxdp dispatcher"
                                   : "as a single program (no libxdp dispatcher)");
    attached_.emplace(ifindex, std::move(a));
    attachEgressOrDetach(ifindex, ifname);
}

void Dataplane::attachEgressOrDetach(int ifindex, const std::string& ifname) {
    try {
        attachEgress(ifindex, ifname);
    } catch (const DataplaneError&) {
        detach(ifindex);
        throw;
    }
}

void Dataplane::detach(int ifindex) {
    auto it = attached_.find(ifindex);
    if (it == attached_.end()) return;
    Attachment& a = it->second;
    int err = 0;
    if (a.prog) {
        const auto mode = a.info.mode == XdpMode::kNative ? XDP_MODE_NATIVE : XDP_MODE_SKB;
        err = xdp_program__detach(a.prog, ifindex, mode, 0);
    } else {
        // Only if it is still ours (the fd we swapped in or kept running).
        LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = a.fd());
        const uint32_t mode =
            a.info.mode == XdpMode::kNative ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
        err = bpf_xdp_detach(ifindex, XDP_FLAGS_REPLACE | mode, &o);
        if (a.held_fd >= 0) ::close(a.held_fd);
    }
    pending_swaps_.erase(ifindex);
    const std::string ifname = a.info.ifname;
    if (a.info.egress) {
        try {
            detachEgress(ifindex, ifname);
        } catch (const DataplaneError& e) {
            spdlog::warn("{}", e.what());
        }
    }
    if (a.prog) xdp_program__close(a.prog);
    attached_.erase(it);  // destroys the instance after libxdp let go of it
    try {
        updateInterfaceFlags(ifindex, 0, XV_IF_NO_ETH);
    } catch (const DataplaneError& e) {
        spdlog::warn("{}", e.what());
    }
    // ENOENT: the interface (or its namespace) is already gone.
    if (err && err != -ENOENT && err != -ENODEV) {
        throw DataplaneError("xdp_program__detach(xv_rx, " + ifname + "): " + xdpErr(err));
    }
    spdlog::info("xv_rx detached from {}", ifname);
}

void Dataplane::keepPredecessor(Attachment& a, const Predecessor& p) {
    a.held_fd = bpf_prog_get_fd_by_id(p.prog_id);
    if (a.held_fd < 0)
        throw DataplaneError("bpf_prog_get_fd_by_id(xv_rx id " + std::to_string(p.prog_id) +
                             " on " + a.info.ifname + "): " + std::strerror(errno));
    a.info.mode = p.mode;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    // A device-bound build carries its device (bpf_program__set_ifindex).
    if (bpf_obj_get_info_by_fd(a.held_fd, &info, &len) == 0) a.info.vlan_meta = info.ifindex != 0;
}

void Dataplane::swapPending() {
    if (pending_swaps_.empty()) return;
    const int ifindex = *pending_swaps_.begin();
    pending_swaps_.erase(pending_swaps_.begin());
    auto it = attached_.find(ifindex);
    if (it == attached_.end() || it->second.held_fd < 0) return;
    Attachment& old = it->second;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(old.held_fd, &info, &len) != 0)
        throw DataplaneError("bpf_obj_get_info_by_fd(xv_rx on " + old.info.ifname +
                             "): " + std::strerror(errno));
    Attachment fresh;
    fresh.info = old.info;
    fresh.info.vlan_meta = false;
    LibbpfWarnings warnings;
    const int err = replaceXdp(fresh, ifindex, fresh.info.ifname, Predecessor{info.id, old.info.mode});
    warnings.emit(err != 0);
    if (err) {
        spdlog::warn("keeping the previous process's xv_rx on {}: bpf_xdp_attach(replace): {}",
                     old.info.ifname, std::strerror(-err));
        return;
    }
    ::close(old.held_fd);
    old = std::move(fresh);
    spdlog::info("xv_rx of this build swapped in on {}{}", old.info.ifname,
                 old.info.vlan_meta ? " (device-bound: sees driver VLAN tags)" : "");
    attachEgress(ifindex, old.info.ifname);  // replaces the filter with this build's xv_tx
}

void Dataplane::detachLeftover(int ifindex, const std::string& ifname) {
    if (attached_.count(ifindex)) return;  // ours by now: detach() is the way
    if (MultiprogPtr mp = currentXdp(ifindex); mp && xdp_multiprog__is_legacy(mp.get())) {
        xdp_program* main = xdp_multiprog__main_prog(mp.get());
        if (main && std::string(xdp_program__name(main)) == kProgName &&
            ours(xdp_program__id(main))) {
            if (int err = xdp_multiprog__detach(mp.get()); err && err != -ENODEV)
                throw DataplaneError("xdp_multiprog__detach(xv_rx on " + ifname +
                                     "): " + xdpErr(err));
            spdlog::info("xv_rx of the previous process detached from {}", ifname);
        }
    }
    detachEgress(ifindex, ifname);
    clearInterfaceFlags(ifindex);
}

void Dataplane::detachAll() {
    std::string failures;
    while (!attached_.empty()) {
        try {
            detach(attached_.begin()->first);
        } catch (const DataplaneError& e) {
            failures += (failures.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    if (!failures.empty()) throw DataplaneError(failures);
}

}  // namespace xvrrp::dataplane
