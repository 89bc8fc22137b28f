// Writers of the maps the kernel enforces with: VIP verdicts, heartbeat, instance filters,
// the quiet fast path. Only xvrrpd writes these (the fence map only through FenceMap).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <atomic>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "dataplane/dataplane.hpp"
#include "xvrrp_xdp.skel.h"

namespace xvrrp::dataplane {
namespace {

std::string errText(int err) { return std::strerror(err < 0 ? -err : err); }

uint8_t familyOf(Family f) { return f == Family::V4 ? XV_FAMILY_V4 : XV_FAMILY_V6; }

xv_addr_key addrKey(int ifindex, const IpAddr& a) {
    xv_addr_key k{};
    k.ifindex = static_cast<uint32_t>(ifindex);
    k.family = familyOf(a.family());
    std::memcpy(k.addr, a.data(), a.size());
    return k;
}

std::string describe(const xv_inst_key& k) {
    return "ifindex " + std::to_string(k.ifindex) + " IPv" + std::to_string(k.family) + " VRID " +
           std::to_string(k.vrid);
}

uint64_t packedId(const InstanceId& id) { return packedKey(toKey(id)); }

std::string describe(int ifindex, const IpAddr& a) {
    return a.str() + " on ifindex " + std::to_string(ifindex);
}

// The xv_vipbits bit of an address: its last two bytes.
uint32_t vipBit(const xv_addr_key& k) {
    const size_t n = k.family == XV_FAMILY_V4 ? 4 : 16;
    return uint32_t(k.addr[n - 2]) << 8 | k.addr[n - 1];
}

template <typename T>
std::array<uint8_t, sizeof(T)> bytesOf(const T& v) {
    std::array<uint8_t, sizeof(T)> b;
    std::memcpy(b.data(), &v, sizeof(T));
    return b;
}

void update(bpf_map* m, const void* k, size_t ks, const void* v, size_t vs,
            const std::string& what) {
    if (int err = bpf_map__update_elem(m, k, ks, v, vs, BPF_ANY); err) {
        throw DataplaneError(std::string("bpf_map_update_elem(") + bpf_map__name(m) + ", " + what +
                             "): " + errText(err));
    }
}

void remove(bpf_map* m, const void* k, size_t ks, const std::string& what) {
    int err = bpf_map__delete_elem(m, k, ks, 0);
    if (err && err != -ENOENT) {
        throw DataplaneError(std::string("bpf_map_delete_elem(") + bpf_map__name(m) + ", " + what +
                             "): " + errText(err));
    }
}

template <typename K, typename V>
std::optional<V> lookup(bpf_map* m, const K& k, const std::string& what) {
    V v{};
    int err = bpf_map__lookup_elem(m, &k, sizeof(k), &v, sizeof(v), 0);
    if (err == -ENOENT) return std::nullopt;
    if (err) {
        throw DataplaneError(std::string("bpf_map_lookup_elem(") + bpf_map__name(m) + ", " + what +
                             "): " + errText(err));
    }
    return v;
}

// Forgets the token buckets of instance K, so a new rate applies from a clean slate.
void purgeRateState(bpf_map* m, const xv_inst_key& k) {
    std::vector<xv_src_key> doomed;
    xv_src_key cur{}, next{};
    const xv_src_key* prev = nullptr;
    while (bpf_map__get_next_key(m, prev, &next, sizeof(next)) == 0) {
        if (std::memcmp(&next.inst, &k, sizeof(k)) == 0) doomed.push_back(next);
        cur = next;
        prev = &cur;
    }
    for (const xv_src_key& d : doomed) remove(m, &d, sizeof(d), describe(k));
}

}  // namespace

void Dataplane::writeVipBits() {
    xv_vip_bits bits{};
    for (size_t i = 0; i < vip_bit_refs_.size(); ++i) {
        if (vip_bit_refs_[i]) bits.w[i / 64] |= 1ull << (i % 64);
    }
    const uint32_t zero = 0;
    update(skel_->maps.xv_vipbits, &zero, sizeof(zero), &bits, sizeof(bits), "entry 0");
}

void Dataplane::setVipVerdict(int ifindex, const IpAddr& vip, Verdict v, const InstanceId& inst,
                              uint64_t max_age_ns) {
    const xv_addr_key k = addrKey(ifindex, vip);
    xv_vip val{};
    val.max_age_ns = max_age_ns;
    val.inst = toKey(inst);
    val.verdict = static_cast<uint8_t>(v);
    const auto kb = bytesOf(k);
    const bool fresh = !vips_.count(kb);
    // The bit first: an entry the prefilter hides would not be enforced.
    if (fresh && vip_bit_refs_[vipBit(k)]++ == 0) writeVipBits();
    try {
        update(skel_->maps.xv_vips, &k, sizeof(k), &val, sizeof(val), describe(ifindex, vip));
    } catch (const DataplaneError&) {
        if (fresh && --vip_bit_refs_[vipBit(k)] == 0) writeVipBits();
        throw;
    }
    vips_.insert(kb);
}

void Dataplane::removeVip(int ifindex, const IpAddr& vip) {
    const xv_addr_key k = addrKey(ifindex, vip);
    remove(skel_->maps.xv_vips, &k, sizeof(k), describe(ifindex, vip));
    if (vips_.erase(bytesOf(k)) && --vip_bit_refs_[vipBit(k)] == 0) writeVipBits();
}

std::optional<xv_vip> Dataplane::vip(int ifindex, const IpAddr& a) const {
    return lookup<xv_addr_key, xv_vip>(skel_->maps.xv_vips, addrKey(ifindex, a),
                                       describe(ifindex, a));
}

void Dataplane::heartbeat(uint64_t now_ns) {
    const uint32_t zero = 0;
    const xv_heartbeat hb{now_ns, static_cast<uint32_t>(::getpid()), 0};
    update(skel_->maps.xv_heartbeat, &zero, sizeof(zero), &hb, sizeof(hb), "entry 0");
}

void Dataplane::configureInstance(const InstanceId& id, const InstanceFilter& f) {
    const xv_inst_key k = toKey(id);
    if (f.version != 2 && f.version != 3) {
        throw DataplaneError("configureInstance(" + describe(k) + "): version " +
                             std::to_string(f.version) + " is neither 2 nor 3");
    }
    if (const auto& v = f.vlan;
        v && (v->vid == 0 || v->vid > 4094 || (v->tpid != 0x8100 && v->tpid != 0x88a8))) {
        throw DataplaneError("configureInstance(" + describe(k) + "): VLAN " +
                             std::to_string(v->vid) + " TPID " + std::to_string(v->tpid) +
                             " is not a VLAN sub-interface XDP can match");
    }
    xv_inst_cfg cfg{};
    cfg.version = static_cast<uint8_t>(f.version);
    if (f.auth_pass) {
        cfg.auth_type = XV_AUTH_PASS;
        std::memcpy(cfg.auth_pass, f.auth_pass->data(), sizeof(cfg.auth_pass));
    }
    cfg.flags = (f.unicast ? XV_INST_UNICAST : 0) | (f.peers.empty() ? 0 : XV_INST_PEERS);
    cfg.interval_cs = f.interval_cs;
    if (f.rate_limit) {
        const uint32_t advert_pps = 100 / std::max<uint32_t>(f.interval_cs, 1);
        uint32_t pps = f.rate_pps ? f.rate_pps : std::max(10 * advert_pps, kMinRatePps);
        cfg.rl_interval_ns = 1000000000ull / std::max<uint32_t>(pps, 1);
        cfg.rl_burst = std::max<uint16_t>(f.burst, 1);
    }

    // XDP absorbs a repeat of the expected advert before these checks (the quiet path): one
    // accepted under other settings (password, interval, unicast, peers) is learnt again.
    const auto prev = lookup<xv_inst_key, xv_inst_cfg>(skel_->maps.xv_inst, k, describe(k));
    auto& old = peers_[bytesOf(k)];
    if (prev && (std::memcmp(&*prev, &cfg, sizeof(cfg)) != 0 || !old.empty() || !f.peers.empty()))
        forgetMaster(id);
    // Peers first, so the allow-list is complete when the instance starts being checked.
    for (const xv_src_key& pk : old) remove(skel_->maps.xv_peers, &pk, sizeof(pk), describe(k));
    old.clear();
    for (const PeerFilter& p : f.peers) {
        xv_src_key pk{};
        pk.inst = k;
        std::memcpy(pk.addr, p.addr.data(), p.addr.size());
        const xv_peer pv{p.min_ttl, p.max_ttl, {0, 0}};
        update(skel_->maps.xv_peers, &pk, sizeof(pk), &pv, sizeof(pv),
               "peer " + p.addr.str() + " of " + describe(k));
        old.push_back(pk);
    }
    // What this process configured, not what the map holds: after a handover the map
    // already has the predecessor's entry.
    const bool fresh = configured_.insert(bytesOf(k)).second;
    update(skel_->maps.xv_inst, &k, sizeof(k), &cfg, sizeof(cfg), describe(k));
    Slot& slot = slots_.get(packedId(id));
    slot.interval_cs = f.interval_cs;
    // None left (more instances than the maps hold): lastSeen reads xv_vrid_rx.
    if (slot.seen == XV_SEEN_NONE) slot.seen = takeSeenSlot(bytesOf(k));
    if (slot.seen != XV_SEEN_NONE) claimSlotIndex(k, slot.seen);
    purgeRateState(skel_->maps.xv_ratelim, k);
    if (fresh && filtered_instances_[id.ifindex]++ == 0) {
        updateInterfaceFlags(id.ifindex, XV_IF_FILTER, 0);
    }
    setInstanceVlan(k, f.vlan);
}

// The parent's XDP lets the instance's tagged adverts through while it has instances there.
void Dataplane::setInstanceVlan(const xv_inst_key& k, const std::optional<VlanOf>& v) {
    const auto kb = bytesOf(k);
    auto it = inst_vlan_.find(kb);
    if (v) {
        xv_vlan_key vk{};
        vk.ifindex = static_cast<uint32_t>(v->parent_ifindex);
        vk.tpid = htons(v->tpid);
        vk.vid = v->vid;
        if (it != inst_vlan_.end() && bytesOf(it->second) == bytesOf(vk)) return;
        vlanRef(vk, +1);
        if (it != inst_vlan_.end()) vlanRef(it->second, -1);
        inst_vlan_[kb] = vk;
    } else if (it != inst_vlan_.end()) {
        vlanRef(it->second, -1);
        inst_vlan_.erase(it);
    }
}

void Dataplane::vlanRef(const xv_vlan_key& k, int delta) {
    const auto kb = bytesOf(k);
    uint32_t& n = vlan_refs_[kb];
    const std::string what = "ifindex " + std::to_string(k.ifindex) + " VLAN " +
                             std::to_string(k.vid);
    if (delta < 0 && n <= 1) {
        vlan_refs_.erase(kb);
        remove(skel_->maps.xv_vlans, &k, sizeof(k), what);
        return;
    }
    n += delta;
    const xv_vlan v{n};
    update(skel_->maps.xv_vlans, &k, sizeof(k), &v, sizeof(v), what);
}

void Dataplane::removeInstance(const InstanceId& id) {
    const xv_inst_key k = toKey(id);
    const bool existed = configured_.erase(bytesOf(k)) > 0;
    remove(skel_->maps.xv_inst, &k, sizeof(k), describe(k));
    if (auto it = peers_.find(bytesOf(k)); it != peers_.end()) {
        for (const xv_src_key& pk : it->second) {
            remove(skel_->maps.xv_peers, &pk, sizeof(pk), describe(k));
        }
        peers_.erase(it);
    }
    releaseSlotIndex(k);
    if (const Slot* slot = slots_.find(packedId(id)); slot && slot->seen != XV_SEEN_NONE)
        clearSlot(slot->seen, false);
    remove(skel_->maps.xv_expect, &k, sizeof(k), describe(k));
    // The kernel's counters go with the instance (the one write of ours to xv_vrid_rx).
    remove(skel_->maps.xv_vrid_rx, &k, sizeof(k), describe(k));
    // Its xv_seen slot serves the next instance (no expectation names it any more).
    if (const Slot* slot = slots_.find(packedId(id))) {
        if (slot->seen != XV_SEEN_NONE) seen_taken_[slot->seen] = false;
        slots_.erase(packedId(id));
    }
    if (auto it = inherited_slots_.find(bytesOf(k)); it != inherited_slots_.end()) {
        clearSlot(it->second, false);
        seen_taken_[it->second] = false;
        inherited_slots_.erase(it);
    }
    purgeRateState(skel_->maps.xv_ratelim, k);
    setInstanceVlan(k, std::nullopt);
    if (existed && --filtered_instances_[id.ifindex] == 0) {
        filtered_instances_.erase(id.ifindex);
        updateInterfaceFlags(id.ifindex, 0, XV_IF_FILTER);
    }
}

// The predecessor's expectations name the xv_seen slots its XDP stamps; each instance that
// goes on must read the same one, or it would read another instance's stamps (and a
// master that sends would look silent, or a silent one alive).
void Dataplane::inheritSeenSlots() {
    xv_inst_key k{}, next{};
    const xv_inst_key* prev = nullptr;
    while (bpf_map_get_next_key(bpf_map__fd(skel_->maps.xv_expect), prev, &next) == 0) {
        k = next;
        prev = &k;
        auto e = lookup<xv_inst_key, xv_expect>(skel_->maps.xv_expect, k, describe(k));
        if (!e || e->seen_slot >= XV_MAX_INSTANCES || seen_taken_[e->seen_slot]) continue;
        seen_taken_[e->seen_slot] = true;
        inherited_slots_[bytesOf(k)] = e->seen_slot;
    }
}

uint32_t Dataplane::takeSeenSlot(const std::array<uint8_t, 8>& key) {
    if (auto it = inherited_slots_.find(key); it != inherited_slots_.end()) {
        const uint32_t slot = it->second;  // reserved for this instance
        inherited_slots_.erase(it);
        return slot;
    }
    for (uint32_t i = 0; i < XV_MAX_INSTANCES; ++i) {
        if (!seen_taken_[i]) {
            // No expectation names it yet: the previous instance's stamp and count go.
            clearSlot(i, true);
            seen_taken_[i] = true;
            return i;
        }
    }
    return XV_SEEN_NONE;
}

void Dataplane::setInterfaceShared(int ifindex, bool shared) {
    updateInterfaceFlags(ifindex, shared ? XV_IF_SHARED : 0, shared ? 0 : XV_IF_SHARED);
}

void Dataplane::expectMaster(const InstanceId& id, const Expectation& x) {
    const auto& message = x.message;
    if (x.priority == 0 || message.size() > XV_VRRP_MAX || message.size() < 8 ||
        (message.size() & 3) || x.master.family() != id.family || x.dst.family() != id.family) {
        forgetMaster(id);
        return;
    }
    const xv_inst_key k = toKey(id);
    xv_expect e{};
    std::memcpy(e.master, x.master.data(), x.master.size());
    std::memcpy(e.daddr, x.dst.data(), x.dst.size());
    e.interval_cs = x.interval_cs;
    e.priority = x.priority;
    e.ttl = x.ttl;
    e.len = static_cast<uint16_t>(message.size());
    e.seen_slot = XV_SEEN_NONE;
    if (const Slot* slot = slots_.find(packedId(id))) {
        e.own_interval_cs = slot->interval_cs;
        e.seen_slot = slot->seen;
    }
    std::memcpy(e.msg, message.data(), message.size());
    // One element, replaced whole: XDP never sees half an expectation.
    update(skel_->maps.xv_expect, &k, sizeof(k), &e, sizeof(e), describe(k));
    // The quiet path's copy, compared before any hash lookup.
    if (e.seen_slot != XV_SEEN_NONE) publishSlot(e.seen_slot, k, e);
}

// The writer's half of xv_seen's sequence lock (odd while written), on xvrrpd's part of the
// slot only: the kernel's stamp and count (its first 16 bytes) are never written here
// while an expectation can name the slot.
template <typename F>
void Dataplane::writeSlot(uint32_t slot, F&& fill) {
    if (!seen_ || slot >= XV_MAX_INSTANCES) return;
    xv_seen& q = seen_[slot];
    std::atomic_ref<uint32_t> seq(q.seq);
    const uint32_t odd = seq.load(std::memory_order_relaxed) | 1;
    seq.store(odd, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    fill(q);
    seq.store(odd + 1, std::memory_order_release);
}

void Dataplane::publishSlot(uint32_t slot, const xv_inst_key& k, const xv_expect& x) {
    writeSlot(slot, [&](xv_seen& q) {
        q.ifindex = k.ifindex;
        q.family = k.family;
        q.vrid = k.vrid;
        q.ttl = x.ttl;
        q.priority = x.priority;
        q.len = x.len;
        q.own_interval_cs = x.own_interval_cs;
        std::memcpy(q.master, x.master, sizeof(q.master));
        std::memcpy(q.daddr, x.daddr, sizeof(q.daddr));
        std::memcpy(q.msg, x.msg, x.len);
    });
}

void Dataplane::clearSlot(uint32_t slot, bool zero_kernel) {
    writeSlot(slot, [&](xv_seen& q) {
        q.len = 0;
        if (zero_kernel) {
            // Only for a slot no expectation names (takeSeenSlot): no absorb can race these.
            std::atomic_ref<__u64>(q.last_seen_ns).store(0, std::memory_order_relaxed);
            std::atomic_ref<__u64>(q.quiet).store(0, std::memory_order_relaxed);
        }
    });
}

void Dataplane::claimSlotIndex(const xv_inst_key& k, uint32_t slot) {
    if (!slot_index_) return;
    const uint32_t idx = xv_slot_index(k.ifindex, k.family, k.vrid);
    const uint64_t me = packedKey(k);
    auto [it, fresh] = slot_index_owner_.try_emplace(idx, me);
    if (!fresh && it->second != me) return;  // another interface's instance has it
    std::atomic_ref<uint64_t>(slot_index_[idx]).store(slot + 1, std::memory_order_release);
}

void Dataplane::releaseSlotIndex(const xv_inst_key& k) {
    if (!slot_index_) return;
    const uint32_t idx = xv_slot_index(k.ifindex, k.family, k.vrid);
    auto it = slot_index_owner_.find(idx);
    if (it == slot_index_owner_.end() || it->second != packedKey(k)) return;
    slot_index_owner_.erase(it);
    std::atomic_ref<uint64_t>(slot_index_[idx]).store(0, std::memory_order_release);
    // An instance of another interface that shares the entry takes it over (a removal is
    // rare: a walk of the slots is fine here).
    std::optional<std::pair<xv_inst_key, uint32_t>> heir;
    slots_.forEach([&](uint64_t packed, const Slot& sl) {
        if (heir || sl.seen == XV_SEEN_NONE || packed == packedKey(k)) return;
        const xv_inst_key o = unpackKey(packed);
        if (xv_slot_index(o.ifindex, o.family, o.vrid) == idx) heir.emplace(o, sl.seen);
    });
    if (heir) claimSlotIndex(heir->first, heir->second);
}

std::unique_ptr<BfdMaps> Dataplane::bfdMaps() const {
    return std::make_unique<BfdMaps>(bpf_map__fd(skel_->maps.xv_bfd_expect), bpf_map__fd(skel_->maps.xv_bfd_seen),
                                     bpf_map__fd(skel_->maps.xv_bfd_stats));
}

void Dataplane::forgetMaster(const InstanceId& id) {
    const xv_inst_key k = toKey(id);
    // The copy goes with the expectation; after a handover the slot may still be only the
    // predecessor's (configureInstance forgets before the instance takes its slot again).
    uint32_t seen = XV_SEEN_NONE;
    if (const Slot* slot = slots_.find(packedId(id))) seen = slot->seen;
    else if (auto it = inherited_slots_.find(bytesOf(k)); it != inherited_slots_.end())
        seen = it->second;
    if (seen != XV_SEEN_NONE) clearSlot(seen, false);
    remove(skel_->maps.xv_expect, &k, sizeof(k), describe(k));
}

uint64_t Dataplane::lastSeen(const InstanceId& id) const {
    if (const Slot* slot = slots_.find(packedId(id)); seen_ && slot && slot->seen != XV_SEEN_NONE) {
        // Plain loads of an aligned 64-bit stamp: XDP stores it whole.
        return static_cast<const volatile xv_seen&>(seen_[slot->seen]).last_seen_ns;
    }
    auto rx = vridState(id);
    return rx ? rx->last_seen_ns : 0;
}

std::optional<xv_seen> Dataplane::seenSlot(const InstanceId& id) const {
    const Slot* slot = slots_.find(packedId(id));
    if (!seen_ || !slot || slot->seen == XV_SEEN_NONE) return std::nullopt;
    const volatile xv_seen& s = seen_[slot->seen];
    return xv_seen{s.last_seen_ns, s.quiet};
}

std::optional<xv_vrid_rx> Dataplane::vridState(const InstanceId& id) const {
    const xv_inst_key k = toKey(id);
    const int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) throw DataplaneError("libbpf_num_possible_cpus: " + errText(ncpu));
    std::vector<xv_vrid_rx> per(static_cast<size_t>(ncpu));
    int err = bpf_map__lookup_elem(skel_->maps.xv_vrid_rx, &k, sizeof(k), per.data(),
                                   per.size() * sizeof(xv_vrid_rx), 0);
    if (err && err != -ENOENT)
        throw DataplaneError("bpf_map_lookup_elem(xv_vrid_rx, " + describe(k) + "): " +
                             errText(err));
    xv_vrid_rx rx = err ? xv_vrid_rx{} : sumVridRx(per);
    if (!foldSeen(packedId(id), rx) && err) return std::nullopt;
    return rx;
}

bool Dataplane::foldSeen(uint64_t packed, xv_vrid_rx& rx) const {
    const Slot* slot = slots_.find(packed);
    if (!seen_ || !slot || slot->seen == XV_SEEN_NONE) return false;
    const volatile xv_seen& s = seen_[slot->seen];
    const uint64_t quiet = s.quiet;
    rx.adverts += quiet;
    rx.quiet += quiet;
    rx.last_seen_ns = std::max<uint64_t>(rx.last_seen_ns, s.last_seen_ns);
    return quiet > 0;
}

std::optional<xv_expect> Dataplane::expectation(const InstanceId& id) const {
    const xv_inst_key k = toKey(id);
    return lookup<xv_inst_key, xv_expect>(skel_->maps.xv_expect, k, describe(k));
}

const Dataplane::Slot* Dataplane::SlotTable::find(uint64_t packed) const {
    auto it = rows_.find(static_cast<uint32_t>(packed >> 16));
    if (it == rows_.end()) return nullptr;
    const Slot& s = it->second->slots[packed % kRow];
    return s.used ? &s : nullptr;
}

Dataplane::Slot* Dataplane::SlotTable::find(uint64_t packed) {
    return const_cast<Slot*>(std::as_const(*this).find(packed));
}

Dataplane::Slot& Dataplane::SlotTable::get(uint64_t packed) {
    auto& row = rows_[static_cast<uint32_t>(packed >> 16)];
    if (!row) row = std::make_unique<Row>();
    Slot& s = row->slots[packed % kRow];
    if (!s.used) {
        s = Slot{};
        ++row->used;
        s.used = true;
    }
    return s;
}

void Dataplane::SlotTable::erase(uint64_t packed) {
    auto it = rows_.find(static_cast<uint32_t>(packed >> 16));
    if (it == rows_.end() || !it->second->slots[packed % kRow].used) return;
    it->second->slots[packed % kRow] = Slot{};
    if (--it->second->used == 0) rows_.erase(it);
}

uint64_t packedKey(const xv_inst_key& k) {
    return uint64_t(k.ifindex) << 16 | uint64_t(k.family == XV_FAMILY_V6) << 8 | k.vrid;
}

xv_inst_key unpackKey(uint64_t packed) {
    xv_inst_key k{};
    k.ifindex = static_cast<uint32_t>(packed >> 16);
    k.family = (packed >> 8 & 1) ? XV_FAMILY_V6 : XV_FAMILY_V4;
    k.vrid = static_cast<uint8_t>(packed);
    return k;
}

xv_vrid_rx sumVridRx(std::span<const xv_vrid_rx> per_cpu) {
    xv_vrid_rx sum{};
    for (const auto& r : per_cpu) {
        sum.last_seen_ns = std::max(sum.last_seen_ns, r.last_seen_ns);
        sum.adverts += r.adverts;
        sum.quiet += r.quiet;
        sum.woken += r.woken;
        sum.missed += r.missed;
    }
    return sum;
}

namespace {

// Keys of map M that KEEP rejects, deleted (collected first: deleting while walking skips).
template <typename K>
size_t pruneMap(bpf_map* m, const std::function<bool(const K&)>& keep) {
    std::vector<K> doomed;
    K cur{}, next{};
    const K* prev = nullptr;
    while (bpf_map__get_next_key(m, prev, &next, sizeof(next)) == 0) {
        if (!keep(next)) doomed.push_back(next);
        cur = next;
        prev = &cur;
    }
    for (const K& k : doomed) remove(m, &k, sizeof(k), "left by the previous process");
    return doomed.size();
}

}  // namespace

void Dataplane::pruneUnknown() {
    auto inst = [&](const xv_inst_key& k) { return configured_.count(bytesOf(k)) != 0; };
    size_t n = pruneMap<xv_inst_key>(skel_->maps.xv_inst, inst);
    n += pruneMap<xv_inst_key>(skel_->maps.xv_expect, inst);
    n += pruneMap<xv_inst_key>(skel_->maps.xv_vrid_rx, inst);
    n += pruneMap<xv_src_key>(skel_->maps.xv_peers, [&](const xv_src_key& k) {
        auto it = peers_.find(bytesOf(k.inst));
        return it != peers_.end() &&
               std::any_of(it->second.begin(), it->second.end(), [&](const xv_src_key& p) {
                   return std::memcmp(&p, &k, sizeof(k)) == 0;
               });
    });
    n += pruneMap<xv_addr_key>(skel_->maps.xv_vips,
                               [&](const xv_addr_key& k) { return vips_.count(bytesOf(k)) != 0; });
    n += pruneMap<xv_vlan_key>(skel_->maps.xv_vlans,
                               [&](const xv_vlan_key& k) { return vlan_refs_.count(bytesOf(k)) != 0; });
    n += pruneMap<uint32_t>(skel_->maps.xv_ifcfg, [&](const uint32_t& ifindex) {
        return if_flags_.count(static_cast<int>(ifindex)) != 0;
    });
    // Slots the predecessor's expectations named for instances that are gone serve new ones,
    // and absorb nothing meanwhile; so do xv_slots entries no instance of ours holds.
    for (const auto& [key, slot] : inherited_slots_) {
        clearSlot(slot, false);
        seen_taken_[slot] = false;
    }
    inherited_slots_.clear();
    for (uint32_t i = 0; slot_index_ && i < XV_SLOTS; ++i) {
        if (slot_index_[i] == 0 || slot_index_owner_.count(i)) continue;
        std::atomic_ref<uint64_t>(slot_index_[i]).store(0, std::memory_order_release);
        ++n;
    }
    writeVipBits();
    writeGlobal();
    if (n) spdlog::info("handover: removed {} map entries of configuration that is gone", n);
}

}  // namespace xvrrp::dataplane
