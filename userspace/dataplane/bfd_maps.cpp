#include "dataplane/bfd_maps.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/dataplane.hpp"  // DataplaneError

namespace xvrrp::dataplane {
namespace {

std::string errText(int err) { return std::strerror(err < 0 ? -err : err); }

int dupFd(int fd, const char* what) {
    const int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) throw DataplaneError(std::string("fcntl(F_DUPFD_CLOEXEC, ") + what + "): " + errText(errno));
    return d;
}

}  // namespace

BfdMaps::BfdMaps(int expect_fd, int seen_fd, int stats_fd) {
    expect_fd_ = dupFd(expect_fd, "xv_bfd_expect");
    try {
        stats_fd_ = dupFd(stats_fd, "xv_bfd_stats");
        const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
        seen_len_ = (sizeof(xv_bfd_seen) * XV_MAX_BFD + page - 1) / page * page;
        void* m = ::mmap(nullptr, seen_len_, PROT_READ, MAP_SHARED, seen_fd, 0);
        if (m == MAP_FAILED) throw DataplaneError("mmap(xv_bfd_seen): " + errText(errno));
        seen_ = static_cast<const volatile xv_bfd_seen*>(m);
    } catch (...) {
        ::close(expect_fd_);
        if (stats_fd_ >= 0) ::close(stats_fd_);
        throw;
    }
}

BfdMaps::~BfdMaps() {
    if (seen_) ::munmap(const_cast<xv_bfd_seen*>(seen_), seen_len_);
    ::close(expect_fd_);
    ::close(stats_fd_);
}

void BfdMaps::expect(uint32_t local_disc, const BfdExpectation& e) {
    xv_bfd_expect v{};
    std::memcpy(v.saddr, e.src.data(), e.src.size());
    std::memcpy(v.daddr, e.dst.data(), e.dst.size());
    std::memcpy(v.ctl, e.control.data(), sizeof(v.ctl));
    const uint8_t port[2] = {uint8_t(e.src_port >> 8), uint8_t(e.src_port)};
    std::memcpy(&v.sport, port, 2);
    v.family = e.src.family() == Family::V4 ? XV_FAMILY_V4 : XV_FAMILY_V6;
    v.ttl = e.ttl;
    v.seen_slot = e.slot;
    if (bpf_map_update_elem(expect_fd_, &local_disc, &v, BPF_ANY) < 0)
        throw DataplaneError("bpf_map_update_elem(xv_bfd_expect, discriminator " + std::to_string(local_disc) +
                             "): " + errText(errno));
}

void BfdMaps::forget(uint32_t local_disc) {
    if (bpf_map_delete_elem(expect_fd_, &local_disc) < 0 && errno != ENOENT)
        throw DataplaneError("bpf_map_delete_elem(xv_bfd_expect, discriminator " + std::to_string(local_disc) +
                             "): " + errText(errno));
}

void BfdMaps::clear() {
    std::vector<uint32_t> keys;
    uint32_t key = 0;
    const uint32_t* prev = nullptr;
    while (bpf_map_get_next_key(expect_fd_, prev, &key) == 0 && keys.size() < XV_MAX_BFD) {
        keys.push_back(key);
        prev = &keys.back();
    }
    for (uint32_t k : keys) forget(k);
}

xv_bfd_seen BfdMaps::seen(uint32_t slot) const {
    xv_bfd_seen s{};
    if (slot >= XV_MAX_BFD) return s;
    // Aligned 64-bit loads: the kernel stores each field whole.
    s.last_seen_ns = seen_[slot].last_seen_ns;
    s.absorbed = seen_[slot].absorbed;
    return s;
}

xv_bfd_stats BfdMaps::stats() const {
    const int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) throw DataplaneError("libbpf_num_possible_cpus: " + errText(ncpu));
    std::vector<xv_bfd_stats> per(static_cast<size_t>(ncpu));
    uint32_t key = 0;
    if (bpf_map_lookup_elem(stats_fd_, &key, per.data()) < 0)
        throw DataplaneError("bpf_map_lookup_elem(xv_bfd_stats): " + errText(errno));
    constexpr size_t kFields = sizeof(xv_bfd_stats) / sizeof(uint64_t);
    std::array<uint64_t, kFields> sum{};
    for (const auto& s : per) {
        std::array<uint64_t, kFields> f;
        std::memcpy(f.data(), &s, sizeof(s));
        for (size_t i = 0; i < kFields; ++i) sum[i] += f[i];
    }
    xv_bfd_stats out;
    std::memcpy(&out, sum.data(), sizeof(out));
    return out;
}

}  // namespace xvrrp::dataplane
