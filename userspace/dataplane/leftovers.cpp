// xvrrpd --cleanup, the dataplane half: programs, filters, the qdisc and the pins a daemon
// that is gone left behind.
#include "dataplane/leftovers.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "dataplane/dataplane.hpp"

namespace xvrrp::dataplane {
namespace {

namespace fs = std::filesystem;

std::string errText(int err) { return std::strerror(err < 0 ? -err : err); }

struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

bool usesLeftMaps(const Leftovers& left, uint32_t prog_id) {
    for (uint32_t id : progMapIds(prog_id))
        if (left.map_ids.count(id)) return true;
    return false;
}

// Every key of the map at FD (key size K), with bpf_map_get_next_key.
template <typename K>
std::vector<K> keysOf(int fd) {
    std::vector<K> keys;
    K key{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0 && keys.size() < 1u << 20) {
        keys.push_back(next);
        key = next;
        prev = &key;
    }
    return keys;
}

// The contents of the maps cleanup needs: VIPs, interface flags, the heartbeat.
void readContents(Leftovers& left, const std::string& name, int fd, const bpf_map_info& info) {
    if (name == "xv_vips" && info.key_size == sizeof(xv_addr_key)) {
        left.vips = keysOf<xv_addr_key>(fd);
    } else if (name == "xv_ifcfg" && info.key_size == 4 && info.value_size == sizeof(xv_if_cfg)) {
        for (uint32_t ifindex : keysOf<uint32_t>(fd)) {
            xv_if_cfg cfg{};
            if (bpf_map_lookup_elem(fd, &ifindex, &cfg) == 0)
                left.if_flags[static_cast<int>(ifindex)] = cfg.flags;
        }
    } else if (name == "xv_heartbeat" && info.value_size == sizeof(xv_heartbeat)) {
        xv_heartbeat hb{};
        const uint32_t zero = 0;
        if (bpf_map_lookup_elem(fd, &zero, &hb) == 0) left.heartbeat = hb;
    }
}

struct MultiprogCloser {
    void operator()(xdp_multiprog* mp) const { xdp_multiprog__close(mp); }
};
using MultiprogPtr = std::unique_ptr<xdp_multiprog, MultiprogCloser>;

MultiprogPtr currentXdp(int ifindex) {
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    if (!mp || libxdp_get_error(mp)) return nullptr;
    return MultiprogPtr(mp);
}

// The daemon's program on IFINDEX: the single program, or its slot in libxdp's dispatcher.
xdp_program* leftProgram(const Leftovers& left, xdp_multiprog* mp) {
    if (xdp_multiprog__is_legacy(mp)) {
        xdp_program* main = xdp_multiprog__main_prog(mp);
        return main && usesLeftMaps(left, xdp_program__id(main)) ? main : nullptr;
    }
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p;
         p = xdp_multiprog__next_prog(p, mp))
        if (usesLeftMaps(left, xdp_program__id(p))) return p;
    return nullptr;
}

std::optional<std::string> removeXdp(const Leftovers& left, int ifindex,
                                     const std::string& ifname) {
    MultiprogPtr mp = currentXdp(ifindex);
    if (!mp) return std::nullopt;
    xdp_program* prog = leftProgram(left, mp.get());
    if (!prog) return std::nullopt;
    const std::string what = std::string("XDP program ") + xdp_program__name(prog) + " (id " +
                             std::to_string(xdp_program__id(prog)) + ") from " + ifname;
    const int err =
        xdp_multiprog__is_legacy(mp.get())
            ? xdp_multiprog__detach(mp.get())
            : xdp_program__detach(prog, ifindex, xdp_multiprog__attach_mode(mp.get()), 0);
    if (err) throw DataplaneError("detach " + what + ": " + errText(err));
    return "removed " + what;
}

std::optional<std::string> removeTcFilter(const Leftovers& left, int ifindex,
                                          const std::string& ifname) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
    LIBBPF_OPTS(bpf_tc_opts, query, .handle = kTcHandle, .priority = kTcPriority);
    if (bpf_tc_query(&hook, &query) != 0 || !usesLeftMaps(left, query.prog_id)) return std::nullopt;
    const std::string what =
        "TC egress filter (prog id " + std::to_string(query.prog_id) + ") from " + ifname;
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
    if (int err = bpf_tc_detach(&hook, &opts); err && err != -ENOENT)
        throw DataplaneError("bpf_tc_detach(" + what + "): " + errText(err));
    return "removed " + what;
}

// Only a qdisc the daemon recorded as created by it, and only when nobody else uses it.
std::optional<std::string> removeClsact(const Leftovers& left, int ifindex,
                                        const std::string& ifname, bool filter_removed) {
    auto it = left.if_flags.find(ifindex);
    if (it == left.if_flags.end() || !(it->second & XV_IF_OWN_CLSACT)) {
        if (!filter_removed) return std::nullopt;
        return "kept the clsact qdisc on " + ifname + ": xvrrpd did not create it";
    }
    if (size_t n = clsactFilterCount(ifindex, ifname); n > 0)
        return "kept the clsact qdisc on " + ifname + ": " + std::to_string(n) +
               " filter(s) of others use it";
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
                .attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
    int err = bpf_tc_hook_destroy(&hook);
    if (err == -ENOENT || err == -EINVAL) return std::nullopt;  // already gone
    if (err) throw DataplaneError("bpf_tc_hook_destroy(clsact on " + ifname + "): " + errText(err));
    return "removed the clsact qdisc xvrrpd created on " + ifname;
}

bool isMountPoint(const std::string& dir) {
    struct stat here {
    }, up{};
    return ::stat(dir.c_str(), &here) == 0 && ::stat((dir + "/..").c_str(), &up) == 0 &&
           here.st_dev != up.st_dev;
}

}  // namespace

Leftovers readLeftovers(const std::string& pin_root) {
    Leftovers left;
    left.pin_root = pin_root;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(pin_root.c_str()), ::closedir);
    if (!dir) {
        if (errno == ENOENT || errno == ENOTDIR) return left;
        throw DataplaneError("opendir " + pin_root + ": " + errText(errno));
    }
    while (const dirent* e = ::readdir(dir.get())) {
        const std::string name = e->d_name;
        if (name.rfind("xv_", 0) != 0) continue;
        const std::string path = pin_root + "/" + name;
        Fd fd(bpf_obj_get(path.c_str()));
        if (fd.fd < 0) throw DataplaneError("bpf_obj_get(" + path + "): " + errText(errno));
        bpf_map_info info{};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd.fd, &info, &len) != 0) continue;  // not an object we can read
        left.pins.push_back(path);
        left.map_ids.insert(info.id);
        readContents(left, name, fd.fd, info);
    }
    return left;
}

std::set<int> interfacesServed(const Leftovers& left) {
    std::set<int> out;
    if (left.empty()) return out;
    std::unique_ptr<struct if_nameindex, void (*)(struct if_nameindex*)> ifs(::if_nameindex(),
                                                                             ::if_freenameindex);
    for (auto* i = ifs.get(); i && i->if_index; ++i) {
        MultiprogPtr mp = currentXdp(static_cast<int>(i->if_index));
        if (mp && leftProgram(left, mp.get())) out.insert(static_cast<int>(i->if_index));
    }
    return out;
}

std::vector<std::string> removeAttachments(const Leftovers& left, int ifindex,
                                           const std::string& ifname) {
    std::vector<std::string> done;
    if (left.empty()) return done;
    if (auto d = removeXdp(left, ifindex, ifname)) done.push_back(*d);
    auto filter = removeTcFilter(left, ifindex, ifname);
    if (filter) done.push_back(*filter);
    if (auto d = removeClsact(left, ifindex, ifname, filter.has_value())) done.push_back(*d);
    return done;
}

std::vector<std::string> removePins(const Leftovers& left) {
    std::vector<std::string> done;
    for (const auto& p : left.pins) {
        if (::unlink(p.c_str()) != 0 && errno != ENOENT)
            throw DataplaneError("unlink(" + p + "): " + errText(errno));
        done.push_back("unpinned " + p);
    }
    std::error_code ec;
    const std::string dir = fs::weakly_canonical(left.pin_root, ec).string();
    // Only a bpffs directory can be a pin root; never /sys/fs/bpf itself.
    if (dir.empty() || dir == "/sys/fs/bpf" || !isBpffs(dir)) return done;
    if (!fs::is_empty(dir, ec)) {
        done.push_back("kept " + dir + ": it holds more than xvrrpd's maps");
        return done;
    }
    // A bpffs xvrrpd mounted on the pin root (ensureBpffs), possibly more than once.
    while (isBpffs(dir) && isMountPoint(dir)) {
        if (::umount2(dir.c_str(), MNT_DETACH) != 0)
            throw DataplaneError("umount " + dir + ": " + errText(errno));
        done.push_back("unmounted the bpffs on " + dir);
    }
    if (::rmdir(dir.c_str()) != 0) throw DataplaneError("rmdir " + dir + ": " + errText(errno));
    done.push_back("removed the pin root " + dir);
    return done;
}

}  // namespace xvrrp::dataplane
