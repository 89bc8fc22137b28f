// xv_tx on the clsact egress hook (libbpf's tc API, netlink underneath). One fixed
// handle/priority, so a filter left by a crashed run is found and replaced rather than
// stacked next to ours with stale maps.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "dataplane/dataplane.hpp"
#include "xvrrp_tc.skel.h"

namespace xvrrp::dataplane {
namespace detail {
extern std::vector<std::string>* libbpfCapture;
}  // namespace detail
namespace {

constexpr uint32_t kTcHandle = 0x7876;  // "xv"
constexpr uint32_t kTcPriority = 0x7876;

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

void Dataplane::attachEgress(int ifindex, const std::string& ifname) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
    int err = bpf_tc_hook_create(&hook);
    if (err && err != -EEXIST) {
        throw DataplaneError("bpf_tc_hook_create(clsact on " + ifname +
                             "): " + std::strerror(-err));
    }
    LIBBPF_OPTS(bpf_tc_opts, query, .handle = kTcHandle, .priority = kTcPriority);
    // No filter yet is the usual case; keep libbpf's "cannot find filter chain" quiet.
    std::vector<std::string> quiet;
    detail::libbpfCapture = &quiet;
    const int qerr = bpf_tc_query(&hook, &query);
    detail::libbpfCapture = nullptr;
    if (qerr == 0) {
        const std::string name = progNameOf(query.prog_id);
        if (name != "xv_tx" && !opts_.force_xdp) {
            throw DataplaneError("attach TC egress to " + ifname + ": filter " +
                                 std::to_string(kTcHandle) + " prio " +
                                 std::to_string(kTcPriority) + " holds program " + name + " (id " +
                                 std::to_string(query.prog_id) +
                                 "), not ours; refusing to replace it without force");
        }
        spdlog::warn("replacing TC egress program {} (id {}) on {}", name, query.prog_id, ifname);
    }
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = egressProgFd(), .flags = BPF_TC_F_REPLACE,
                .handle = kTcHandle, .priority = kTcPriority);
    if (err = bpf_tc_attach(&hook, &opts); err) {
        throw DataplaneError("bpf_tc_attach(xv_tx, egress of " + ifname +
                             "): " + std::strerror(-err));
    }
    attached_.at(ifindex).info.egress = true;
    spdlog::info("xv_tx attached to the egress of {} (clsact, prog id {})", ifname, opts.prog_id);
}

// The clsact qdisc stays: other filters may hang on it, and an empty one costs nothing.
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
