#include "generator.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "xvb_gen.skel.h"

namespace xvrrp::bench {
namespace {

std::runtime_error sysError(const std::string& call, const std::string& obj) {
    return std::runtime_error(call + "(" + obj + "): " + std::strerror(errno));
}

}  // namespace

Generator::Generator(const GenConfig& cfg) {
    skel_ = xvb_gen__open();
    if (!skel_) throw sysError("xvb_gen__open", "xvb_gen");
    skel_->rodata->gen_kind = static_cast<uint32_t>(cfg.rotate);
    skel_->rodata->rot_base = cfg.rot_base;
    skel_->rodata->rot_count = cfg.rot_count;
    if (xvb_gen__load(skel_) != 0) {
        xvb_gen__destroy(skel_);
        throw sysError("xvb_gen__load", "xvb_gen");
    }
}

Generator::~Generator() { xvb_gen__destroy(skel_); }

SendResult Generator::send(int ifindex, const std::vector<uint8_t>& frame, double seconds,
                           uint32_t repeat) {
    using Clock = std::chrono::steady_clock;
    std::vector<uint8_t> data = frame;
    xdp_md ctx{};
    ctx.data_end = static_cast<uint32_t>(data.size());
    ctx.ingress_ifindex = static_cast<uint32_t>(ifindex);
    SendResult r;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data.data(),
                    .data_size_in = static_cast<uint32_t>(data.size()), .ctx_in = &ctx,
                    .ctx_size_in = sizeof(ctx), .repeat = static_cast<int>(repeat),
                    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
        if (bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.xvb_gen), &opts) != 0)
            throw sysError("bpf_prog_test_run_opts", "xvb_gen on ifindex " + std::to_string(ifindex));
        r.attempted += repeat;
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
}

int Generator::dropProgFd() const { return bpf_program__fd(skel_->progs.xvb_drop); }

uint64_t Generator::dropCount() const {
    const int ncpu = libbpf_num_possible_cpus();
    std::vector<uint64_t> v(ncpu > 0 ? ncpu : 1);
    uint32_t key = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.xvb_drops), &key, v.data()) != 0)
        throw sysError("bpf_map_lookup_elem", "xvb_drops");
    uint64_t sum = 0;
    for (uint64_t c : v) sum += c;
    return sum;
}

void enterNetns(const std::string& name) {
    const std::string path = "/run/netns/" + name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw sysError("open", path);
    const int rc = setns(fd, CLONE_NEWNET);
    const int err = errno;
    ::close(fd);
    errno = err;
    if (rc != 0) throw sysError("setns", path);
}

std::vector<uint8_t> macOf(const std::string& ifname) {
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) throw sysError("socket", "AF_INET");
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    const int rc = ::ioctl(s, SIOCGIFHWADDR, &ifr);
    const int err = errno;
    ::close(s);
    errno = err;
    if (rc != 0) throw sysError("ioctl SIOCGIFHWADDR", ifname);
    const auto* m = reinterpret_cast<const uint8_t*>(ifr.ifr_hwaddr.sa_data);
    return {m, m + 6};
}

void setGro(const std::string& ifname, bool on) {
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) throw sysError("socket", "AF_INET");
    ethtool_value ev{.cmd = ETHTOOL_SGRO, .data = on ? 1u : 0u};
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    ifr.ifr_data = reinterpret_cast<char*>(&ev);
    const int rc = ::ioctl(s, SIOCETHTOOL, &ifr);
    const int err = errno;
    ::close(s);
    errno = err;
    if (rc != 0) throw sysError("ioctl SIOCETHTOOL ETHTOOL_SGRO", ifname);
}

}  // namespace xvrrp::bench
