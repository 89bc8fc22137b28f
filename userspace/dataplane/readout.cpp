// Whole-map reads for scrapes and dumps: one batched syscall per map where the kernel can
// (BPF_MAP_LOOKUP_BATCH), key by key otherwise, so reading 255 instances costs the event
// loop a few system calls instead of hundreds.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "dataplane/dataplane.hpp"
#include "xvrrp_xdp.skel.h"

namespace xvrrp::dataplane {
namespace {

std::string errText(int err) { return std::strerror(err < 0 ? -err : err); }

constexpr int kEnotsupp = 524;  // the kernel's ENOTSUPP, not in userspace errno.h

// Every entry of the map at FD: keys of K and values of VALUE_SIZE bytes (per-CPU maps: the
// per-CPU values back to back, each rounded up to 8 bytes).
template <typename K>
void readAll(int fd, const char* name, size_t value_size, std::vector<K>& keys,
             std::vector<uint8_t>& values) {
    keys.clear();
    values.clear();
    const uint32_t chunk = 256;
    std::vector<K> kbuf(chunk);
    std::vector<uint8_t> vbuf(chunk * value_size);
    K out_batch{};
    bool first = true;
    for (;;) {
        uint32_t count = chunk;
        LIBBPF_OPTS(bpf_map_batch_opts, opts);
        int err = bpf_map_lookup_batch(fd, first ? nullptr : &out_batch, &out_batch, kbuf.data(),
                                       vbuf.data(), &count, &opts);
        if (err && errno != ENOENT) {
            if (first && (errno == EINVAL || errno == ENOTSUP || errno == kEnotsupp)) break;
            throw DataplaneError(std::string("bpf_map_lookup_batch(") + name + "): " +
                                 errText(errno));
        }
        keys.insert(keys.end(), kbuf.begin(), kbuf.begin() + count);
        values.insert(values.end(), vbuf.begin(), vbuf.begin() + count * value_size);
        first = false;
        if (err) return;  // ENOENT: that was the last batch
    }
    // No batch operations here: walk the keys.
    K k{}, next{};
    const K* prev = nullptr;
    std::vector<uint8_t> v(value_size);
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        if (bpf_map_lookup_elem(fd, &next, v.data()) == 0) {
            keys.push_back(next);
            values.insert(values.end(), v.begin(), v.end());
        }
        k = next;
        prev = &k;
    }
}

int possibleCpus() {
    int n = libbpf_num_possible_cpus();
    if (n <= 0) throw DataplaneError("libbpf_num_possible_cpus: " + errText(n));
    return n;
}

}  // namespace

std::vector<std::pair<xv_inst_key, xv_vrid_rx>> Dataplane::vridStates() const {
    const size_t ncpu = static_cast<size_t>(possibleCpus());
    const size_t per = sizeof(xv_vrid_rx);  // a multiple of 8: no per-CPU padding
    std::vector<xv_inst_key> keys;
    std::vector<uint8_t> values;
    readAll(bpf_map__fd(skel_->maps.xv_vrid_rx), "xv_vrid_rx", per * ncpu, keys, values);
    std::vector<std::pair<xv_inst_key, xv_vrid_rx>> out;
    std::vector<xv_vrid_rx> cpus(ncpu);
    std::unordered_set<uint64_t> listed;
    for (size_t i = 0; i < keys.size(); ++i) {
        std::memcpy(cpus.data(), values.data() + i * per * ncpu, per * ncpu);
        xv_vrid_rx rx = sumVridRx(cpus);
        const uint64_t packed = packedKey(keys[i]);
        foldSeen(packed, rx);
        listed.insert(packed);
        out.emplace_back(keys[i], rx);
    }
    // Instances whose adverts were all absorbed through their slot (none of them made an
    // xv_vrid_rx entry: a handover's kept expectation).
    slots_.forEach([&](uint64_t packed, const Slot&) {
        xv_vrid_rx rx{};
        if (listed.count(packed) || !foldSeen(packed, rx)) return;
        out.emplace_back(unpackKey(packed), rx);
    });
    return out;
}

std::vector<std::pair<xv_addr_key, xv_vip>> Dataplane::vips() const {
    std::vector<xv_addr_key> keys;
    std::vector<uint8_t> values;
    readAll(bpf_map__fd(skel_->maps.xv_vips), "xv_vips", sizeof(xv_vip), keys, values);
    std::vector<std::pair<xv_addr_key, xv_vip>> out(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
        out[i].first = keys[i];
        std::memcpy(&out[i].second, values.data() + i * sizeof(xv_vip), sizeof(xv_vip));
    }
    return out;
}

uint64_t Dataplane::lastHeartbeat() const {
    const uint32_t zero = 0;
    xv_heartbeat hb{};
    if (int err = bpf_map__lookup_elem(skel_->maps.xv_heartbeat, &zero, sizeof zero, &hb,
                                       sizeof hb, 0))
        throw DataplaneError("bpf_map_lookup_elem(xv_heartbeat): " + errText(err));
    return hb.ts_ns;
}

}  // namespace xvrrp::dataplane
