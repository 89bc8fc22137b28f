// xv_tx on the clsact egress hook (libbpf's tc API, netlink underneath). One fixed
// handle/priority, so a filter left by a crashed run is found and replaced rather than
// stacked next to ours with stale maps.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <netlink/route/classifier.h>
#include <netlink/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/dataplane.hpp"
#include "xvrrp_tc.skel.h"

namespace xvrrp::dataplane {
namespace detail {
extern std::vector<std::string>* libbpfCapture;
}  // namespace detail
namespace {

std::string progNameOf(uint32_t id) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) return "?";
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    std::string name = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.name : "?";
    ::close(fd);
    return name;
}

}  // namespace

void Dataplane::attachEgress(int ifindex, const std::string& ifname, bool keep_ours) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
    // An existing qdisc (EEXIST) and no filter yet are the usual cases: keep libbpf's
    // "Exclusivity flag on" and "cannot find filter chain" quiet.
    std::vector<std::string> quiet;
    detail::libbpfCapture = &quiet;
    int err = bpf_tc_hook_create(&hook);
    detail::libbpfCapture = nullptr;
    if (err && err != -EEXIST) {
        throw DataplaneError("bpf_tc_hook_create(clsact on " + ifname +
                             "): " + std::strerror(-err));
    }
    if (err == 0) {
        // Ours to remove again; the flag in the pinned xv_ifcfg tells `xvrrpd --cleanup` so
        // after a crash.
        clsact_created_.insert(ifindex);
        updateInterfaceFlags(ifindex, XV_IF_OWN_CLSACT, 0);
    }
    LIBBPF_OPTS(bpf_tc_opts, query, .handle = kTcHandle, .priority = kTcPriority);
    detail::libbpfCapture = &quiet;
    const int qerr = bpf_tc_query(&hook, &query);
    detail::libbpfCapture = nullptr;
    if (qerr == 0) {
        const std::string name = progNameOf(query.prog_id);
        if (name == "xv_tx" && keep_ours) {
            attached_.at(ifindex).info.egress = true;
            spdlog::info("keeping xv_tx (prog id {}) on the egress of {}", query.prog_id, ifname);
            return;
        }
        if (name != "xv_tx" && !opts_.force_xdp) {
            throw DataplaneError("attach TC egress to " + ifname + ": filter " +
                                 std::to_string(kTcHandle) + " prio " +
                                 std::to_string(kTcPriority) + " holds program " + name + " (id " +
                                 std::to_string(query.prog_id) +
                                 "), not ours; refusing to replace it without force");
        }
        spdlog::warn("replacing TC egress program {} (id {}) on {}", name, query.prog_id, ifname);
    }
    ensureEgress();
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = egressProgFd(), .flags = BPF_TC_F_REPLACE,
                .handle = kTcHandle, .priority = kTcPriority);
    if (err = bpf_tc_attach(&hook, &opts); err) {
        throw DataplaneError("bpf_tc_attach(xv_tx, egress of " + ifname +
                             "): " + std::strerror(-err));
    }
    attached_.at(ifindex).info.egress = true;
    spdlog::info("xv_tx attached to the egress of {} (clsact, prog id {})", ifname, opts.prog_id);
}

// Removes only our filter; the qdisc is destroyClsact's (the daemon's ledger calls it).
void Dataplane::detachEgress(int ifindex, const std::string& ifname) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
    int err = bpf_tc_detach(&hook, &opts);
    if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL) {
        throw DataplaneError("bpf_tc_detach(xv_tx, egress of " + ifname +
                             "): " + std::strerror(-err));
    }
}

}  // namespace xvrrp::dataplane

namespace xvrrp::dataplane {

size_t clsactFilterCount(int ifindex, const std::string& ifname) {
    std::unique_ptr<nl_sock, void (*)(nl_sock*)> sk(nl_socket_alloc(), nl_socket_free);
    if (!sk || nl_connect(sk.get(), NETLINK_ROUTE) < 0)
        throw DataplaneError("netlink socket to list TC filters on " + ifname);
    size_t n = 0;
    for (uint32_t parent : {TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
                            TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)}) {
        nl_cache* cache = nullptr;
        if (int err = rtnl_cls_alloc_cache(sk.get(), ifindex, parent, &cache); err < 0)
            throw DataplaneError("rtnl_cls_alloc_cache(" + ifname + "): " + nl_geterror(err));
        n += static_cast<size_t>(nl_cache_nitems(cache));
        nl_cache_free(cache);
    }
    return n;
}

bool Dataplane::createdClsact(int ifindex) const { return clsact_created_.count(ifindex) != 0; }

// The clsact qdisc goes only if we created it and nobody else hung a filter on it since.
void Dataplane::destroyClsact(int ifindex, const std::string& ifname) {
    if (!clsact_created_.erase(ifindex)) return;
    updateInterfaceFlags(ifindex, 0, XV_IF_OWN_CLSACT);
    if (size_t left = clsactFilterCount(ifindex, ifname); left > 0) {
        spdlog::info("keeping the clsact qdisc on {}: {} filter(s) of others use it", ifname, left);
        return;
    }
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
                .attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
    int err = bpf_tc_hook_destroy(&hook);
    if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL)
        throw DataplaneError("bpf_tc_hook_destroy(clsact on " + ifname +
                             "): " + std::strerror(-err));
}

}  // namespace xvrrp::dataplane
