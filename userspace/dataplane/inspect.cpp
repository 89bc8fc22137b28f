// inspectMaps: decode every pinned xv_* map.
#include "dataplane/inspect.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <vector>

#include "common/ip.hpp"
#include "dataplane/dataplane.hpp"
#include "xvrrp/abi.h"

namespace xvrrp::dataplane {
namespace {

using nlohmann::json;

class PinnedMap {
  public:
    PinnedMap(std::string path) : path_(std::move(path)), fd_(bpf_obj_get(path_.c_str())) {}
    ~PinnedMap() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    const std::string& path() const { return path_; }

    // Calls F(key, value) for every entry of a map with K keys and V values.
    template <typename K, typename V>
    void each(const std::function<void(const K&, const V&)>& f) const {
        K k{}, next{};
        const K* prev = nullptr;
        while (bpf_map_get_next_key(fd_, prev, &next) == 0) {
            V v{};
            if (bpf_map_lookup_elem(fd_, &next, &v) == 0) f(next, v);
            k = next;
            prev = &k;
        }
    }

  private:
    std::string path_;
    int fd_;
};

std::string addrText(uint8_t family, const uint8_t* a) {
    return IpAddr::fromBytes(family == XV_FAMILY_V4 ? Family::V4 : Family::V6, a).str();
}

json inst(const xv_inst_key& k) {
    return {{"ifindex", k.ifindex}, {"family", k.family}, {"vrid", k.vrid}};
}

const char* verdictName(uint8_t v) {
    switch (v) {
        case XV_VERDICT_PASS:
            return "pass";
        case XV_VERDICT_DROP_IP:
            return "drop_ip";
        case XV_VERDICT_DROP_ALL:
            return "drop_all";
    }
    return "drop_all (unknown value)";
}

json ifFlags(uint32_t f) {
    json out = json::array();
    if (f & XV_IF_NO_ETH) out.push_back("no_eth");
    if (f & XV_IF_SHARED) out.push_back("shared");
    if (f & XV_IF_FILTER) out.push_back("filter");
    if (f & XV_IF_OWN_CLSACT) out.push_back("own_clsact");
    return out;
}

uint64_t monoNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

json stats(const PinnedMap& m) {
    const int ncpu = libbpf_num_possible_cpus();
    std::vector<xv_stats> per(ncpu > 0 ? ncpu : 1);
    const uint32_t zero = 0;
    if (bpf_map_lookup_elem(m.fd(), &zero, per.data()) != 0) {
        throw DataplaneError("bpf_map_lookup_elem(" + m.path() + "): " + std::strerror(errno));
    }
    xv_stats s{};
    // __u64 (unsigned long long), not uint64_t (unsigned long): another type would
    // break strict aliasing and -O2 then reads the fields of s as still zero.
    auto* sum = reinterpret_cast<__u64*>(&s);
    for (const auto& c : per) {
        const auto* f = reinterpret_cast<const __u64*>(&c);
        for (size_t i = 0; i < sizeof(xv_stats) / 8; ++i) sum[i] += f[i];
    }
#define XV_FIELD(f) \
    { #f, s.f }
    return json{
        XV_FIELD(rx_adverts),   XV_FIELD(rx_passed),   XV_FIELD(ring_full),    XV_FIELD(too_long),
        XV_FIELD(truncated),    XV_FIELD(bad_ip),      XV_FIELD(drop_vrid),    XV_FIELD(drop_ttl),
        XV_FIELD(drop_version), XV_FIELD(drop_length), XV_FIELD(drop_csum),    XV_FIELD(drop_auth),
        XV_FIELD(drop_peer),    XV_FIELD(drop_rate),   XV_FIELD(vrid_shared),  XV_FIELD(adv_quiet),
        XV_FIELD(adv_woken),    XV_FIELD(vip_drop_ip), XV_FIELD(vip_drop_all), XV_FIELD(vip_fenced),
        XV_FIELD(vip_stale),    XV_FIELD(tx_vip_drop), XV_FIELD(tx_passed),    XV_FIELD(drop_vlan),
        XV_FIELD(vlan_passed),  XV_FIELD(ext_too_deep), XV_FIELD(drop_cast),
        XV_FIELD(drop_interval)};
#undef XV_FIELD
}

}  // namespace

json inspectMaps(const std::string& pin_root) {
    json maps = json::object(), missing = json::array();
    auto open = [&](const char* name) {
        auto m = std::make_unique<PinnedMap>(pin_root + "/" + name);
        if (!m->ok()) missing.push_back(name);
        return m;
    };

    if (auto m = open("xv_stats"); m->ok()) maps["xv_stats"] = stats(*m);
    if (auto m = open("xv_ifcfg"); m->ok()) {
        json a = json::array();
        m->each<uint32_t, xv_if_cfg>([&](const uint32_t& k, const xv_if_cfg& v) {
            a.push_back({{"ifindex", k}, {"flags", ifFlags(v.flags)}});
        });
        maps["xv_ifcfg"] = a;
    }
    if (auto m = open("xv_vips"); m->ok()) {
        json a = json::array();
        m->each<xv_addr_key, xv_vip>([&](const xv_addr_key& k, const xv_vip& v) {
            a.push_back({{"ifindex", k.ifindex},
                         {"addr", addrText(k.family, k.addr)},
                         {"verdict", verdictName(v.verdict)},
                         {"instance", inst(v.inst)},
                         {"max_age_ns", v.max_age_ns}});
        });
        maps["xv_vips"] = a;
    }
    if (auto m = open("xv_vipbits"); m->ok()) {
        size_t n = 0;
        m->each<uint32_t, xv_vip_bits>([&](const uint32_t&, const xv_vip_bits& v) {
            for (uint64_t w : v.w) n += __builtin_popcountll(w);
        });
        maps["xv_vipbits"] = {{"bits_set", n}};
    }
    if (auto m = open("xv_fence"); m->ok()) {
        json a = json::array();
        m->each<xv_fence_key, xv_fence>([&](const xv_fence_key& k, const xv_fence& v) {
            xv_inst_key ik{};
            ik.ifindex = k.ifindex;
            ik.family = k.family;
            ik.vrid = k.vrid;
            // The key names the owner (the value's `by` only repeats it).
            a.push_back({{"instance", inst(ik)},
                         {"since_ns", v.since_ns},
                         {"by", k.arbiter ? "arbiter" : "operator"}});
        });
        maps["xv_fence"] = a;
    }
    if (auto m = open("xv_heartbeat"); m->ok()) {
        m->each<uint32_t, xv_heartbeat>([&](const uint32_t&, const xv_heartbeat& v) {
            maps["xv_heartbeat"] = {{"ts_ns", v.ts_ns}, {"pid", v.pid},
                                    {"age_ns", v.ts_ns ? int64_t(monoNs() - v.ts_ns) : -1}};
        });
    }
    if (auto m = open("xv_inst"); m->ok()) {
        json a = json::array();
        m->each<xv_inst_key, xv_inst_cfg>([&](const xv_inst_key& k, const xv_inst_cfg& v) {
            a.push_back({{"instance", inst(k)},
                         {"version", v.version},
                         {"auth", v.auth_type == XV_AUTH_PASS ? "pass" : "none"},
                         {"unicast", bool(v.flags & XV_INST_UNICAST)},
                         {"peer_list", bool(v.flags & XV_INST_PEERS)},
                         {"interval_cs", v.interval_cs},
                         {"rate_interval_ns", v.rl_interval_ns},
                         {"rate_burst", v.rl_burst}});
        });
        maps["xv_inst"] = a;
    }
    for (const char* name : {"xv_peers", "xv_ratelim"}) {
        auto m = open(name);
        if (!m->ok()) continue;
        json a = json::array();
        if (std::string(name) == "xv_peers") {
            m->each<xv_src_key, xv_peer>([&](const xv_src_key& k, const xv_peer& v) {
                a.push_back({{"instance", inst(k.inst)},
                             {"addr", addrText(k.inst.family, k.addr)},
                             {"min_ttl", v.min_ttl},
                             {"max_ttl", v.max_ttl}});
            });
        } else {
            m->each<xv_src_key, xv_ratelim>([&](const xv_src_key& k, const xv_ratelim& v) {
                a.push_back({{"instance", inst(k.inst)},
                             {"addr", addrText(k.inst.family, k.addr)},
                             {"tat_ns", v.tat_ns},
                             {"dropped", v.dropped}});
            });
        }
        maps[name] = a;
    }
    if (auto m = open("xv_vlans"); m->ok()) {
        json a = json::array();
        m->each<xv_vlan_key, xv_vlan>([&](const xv_vlan_key& k, const xv_vlan& v) {
            a.push_back({{"ifindex", k.ifindex},
                         {"tpid", ntohs(k.tpid)},
                         {"vid", k.vid},
                         {"instances", v.instances}});
        });
        maps["xv_vlans"] = a;
    }
    if (auto m = open("xv_expect"); m->ok()) {
        json a = json::array();
        m->each<xv_inst_key, xv_expect>([&](const xv_inst_key& k, const xv_expect& v) {
            a.push_back({{"instance", inst(k)},
                         {"master", addrText(k.family, v.master)},
                         {"daddr", addrText(k.family, v.daddr)},
                         {"ttl", v.ttl},
                         {"priority", v.priority},
                         {"interval_cs", v.interval_cs},
                         {"own_interval_cs", v.own_interval_cs},
                         {"seen_slot", v.seen_slot},
                         {"len", v.len}});
        });
        maps["xv_expect"] = a;
    }
    // Slots in use: an expectation copy or a stamp (a zeroed slot is free).
    if (auto m = open("xv_seen"); m->ok()) {
        json a = json::array();
        const uint64_t now = monoNs();
        m->each<uint32_t, xv_seen>([&](const uint32_t& k, const xv_seen& v) {
            if (v.len == 0 && v.last_seen_ns == 0 && v.quiet == 0) return;
            xv_inst_key ik{};
            ik.ifindex = v.ifindex;
            ik.family = v.family;
            ik.vrid = v.vrid;
            json e = {{"slot", k},
                      {"instance", inst(ik)},
                      {"seq", v.seq},
                      {"len", v.len},
                      {"last_seen_ns", v.last_seen_ns},
                      {"age_ns", v.last_seen_ns ? int64_t(now - v.last_seen_ns) : -1},
                      {"quiet", v.quiet}};
            if (v.len != 0) {
                e["master"] = addrText(v.family, v.master);
                e["priority"] = v.priority;
                e["ttl"] = v.ttl;
                e["own_interval_cs"] = v.own_interval_cs;
            }
            a.push_back(std::move(e));
        });
        maps["xv_seen"] = a;
    }
    // XV_SLOTS entries, read through a mapping (a lookup each would be 262,144 system calls).
    if (auto m = open("xv_slots"); m->ok()) {
        const size_t len = sizeof(uint64_t) * XV_SLOTS;
        void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, m->fd(), 0);
        if (p == MAP_FAILED)
            throw DataplaneError("mmap(" + m->path() + "): " + std::strerror(errno));
        const auto* slots = static_cast<const volatile uint64_t*>(p);
        json a = json::array();
        for (uint32_t i = 0; i < XV_SLOTS; ++i) {
            const uint64_t v = slots[i];
            if (v == 0) continue;
            const uint32_t col = i % 512;
            a.push_back({{"index", i},
                         {"ifindex_row", i / 512},
                         {"family", col >= 256 ? XV_FAMILY_V6 : XV_FAMILY_V4},
                         {"vrid", col % 256},
                         {"seen_slot", v - 1}});
        }
        ::munmap(p, len);
        maps["xv_slots"] = a;
    }
    if (auto m = open("xv_vrid_rx"); m->ok()) {
        json a = json::array();
        const int ncpu = libbpf_num_possible_cpus();
        std::vector<xv_vrid_rx> per(ncpu > 0 ? ncpu : 1);
        xv_inst_key k{}, next{};
        const xv_inst_key* prev = nullptr;
        while (bpf_map_get_next_key(m->fd(), prev, &next) == 0) {
            if (bpf_map_lookup_elem(m->fd(), &next, per.data()) == 0) {
                const xv_vrid_rx v = sumVridRx(per);
                a.push_back({{"instance", inst(next)},
                             {"last_seen_ns", v.last_seen_ns},
                             {"adverts", v.adverts},
                             {"quiet", v.quiet},
                             {"woken", v.woken},
                             {"missed", v.missed}});
            }
            k = next;
            prev = &k;
        }
        maps["xv_vrid_rx"] = a;
    }
    if (auto m = open("xv_bfd_expect"); m->ok()) {
        json a = json::array();
        m->each<uint32_t, xv_bfd_expect>([&](const uint32_t& k, const xv_bfd_expect& v) {
            const Family f = v.family == XV_FAMILY_V6 ? Family::V6 : Family::V4;
            a.push_back({{"local_discriminator", k},
                         {"neighbor", IpAddr::fromBytes(f, v.saddr).str()},
                         {"daddr", IpAddr::fromBytes(f, v.daddr).str()},
                         {"sport", ntohs(v.sport)},
                         {"ttl", v.ttl},
                         {"state", v.ctl[1] >> 6},
                         {"seen_slot", v.seen_slot}});
        });
        maps["xv_bfd_expect"] = a;
    }
    if (auto m = open("xv_bfd_stats"); m->ok()) {
        const int ncpu = libbpf_num_possible_cpus();
        std::vector<xv_bfd_stats> per(ncpu > 0 ? ncpu : 1);
        uint32_t zero = 0;
        if (bpf_map_lookup_elem(m->fd(), &zero, per.data()) == 0) {
            xv_bfd_stats t{};
            for (const auto& p : per) {
                t.absorbed += p.absorbed, t.stale += p.stale, t.no_expect += p.no_expect;
                t.changed += p.changed, t.poll_final += p.poll_final, t.bad_ttl += p.bad_ttl;
                t.bad_addr += p.bad_addr, t.bad_csum += p.bad_csum, t.malformed += p.malformed;
            }
            maps["xv_bfd_stats"] = {{"absorbed", t.absorbed},     {"stale", t.stale},
                                    {"no_expect", t.no_expect},   {"changed", t.changed},
                                    {"poll_final", t.poll_final}, {"bad_ttl", t.bad_ttl},
                                    {"bad_addr", t.bad_addr},     {"bad_csum", t.bad_csum},
                                    {"malformed", t.malformed}};
        }
    }
    for (const char* name : {"xv_ring", "xv_scratch", "xv_bfd_seen"}) {
        if (auto m = open(name); m->ok()) maps[name] = {{"pinned", true}};
    }
    return {{"pin_root", pin_root}, {"maps", maps}, {"missing", missing}};
}

}  // namespace xvrrp::dataplane
