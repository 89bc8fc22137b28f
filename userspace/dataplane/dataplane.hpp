// Dataplane: loads xv_rx (XDP ingress) and xv_tx (TC egress), pins their maps under a
// pin root, attaches them to interfaces and consumes the xv_ring ring buffer. It also writes
// the maps the kernel enforces VIP ownership with (issue 3):
//  - setVipVerdict/removeVip: per interface and VIP, what the node may do (xv_vips);
//  - heartbeat: the dead-man switch (xv_heartbeat); a VIP whose max_age_ns has passed since
//    the last heartbeat is treated as DROP_ALL by the kernel, so a hung daemon stops
//    answering for its VIPs;
//  - fences() is the fence map (xv_fence) through the one owner-aware writer, FenceMap:
//    xvrrpd writes the operator's entries there; xvrrp-arbiter writes its own by pin path;
//  - configureInstance: in-kernel validation of adverts (xv_inst, xv_peers). Once an
//    interface has a configured instance, adverts for other VRIDs are dropped there;
//  - expectMaster: the quiet fast path (xv_expect, written only here): adverts that repeat
//    the followed one are absorbed in XDP; the kernel's per-CPU xv_vrid_rx tells when the
//    master was last heard (lastSeen) and what was counted (vridState).
// Order on a transition (no moment where a non-owner answers): becoming master, add the
// addresses first and then set PASS/DROP_IP; leaving master, set DROP_ALL first and then
// remove the addresses.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ip.hpp"
#include "dataplane/bfd_maps.hpp"
#include "dataplane/fence.hpp"
#include "xvrrp/abi.h"

struct xvrrp_xdp;
struct xvrrp_xdp_meta;
struct xvrrp_tc;
struct ring_buffer;
struct bpf_object;
struct xdp_program;

namespace xvrrp::dataplane {

// A failed system or library call; the message names the call, the object and the errno text.
class DataplaneError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct DataplaneOptions {
    // Maps are pinned at PIN_ROOT/<map name>. Empty: do not pin (tests).
    std::string pin_root = "/sys/fs/bpf/xvrrp";
    // Replace a foreign XDP program already attached to an interface.
    bool force_xdp = false;
    // Hitless restart: keep using the predecessor's pinned maps (their entries, the ring
    // with the adverts received meanwhile) when every one matches this build's layout.
    bool reuse_pinned = false;
    // With reused maps, the predecessor's attached programs are this build's (the same
    // objects, programsFingerprint()): they stay. Otherwise attach() keeps them for the
    // moment too and swapPending() replaces them, one interface per call, so no verifier
    // run delays the first adverts.
    bool keep_programs = false;
    // Loads xv_rx in the shared object as well, for bpf_prog_test_run (tests, benches).
    // The daemon attaches per-interface copies only and saves the verifier run.
    bool load_test_program = true;
};

enum class XdpMode { kNative, kGeneric };

struct AttachInfo {
    std::string ifname;
    XdpMode mode = XdpMode::kNative;
    bool dispatcher = false;  // false: single program without libxdp's dispatcher
    // Device-bound (native only): xv_rx also sees a VLAN tag the driver moved out of the
    // frame. Generic XDP cannot, so there a driver-stripped tag is not seen (docs/bpf.md).
    bool vlan_meta = false;
    bool egress = false;      // xv_tx attached to the clsact egress hook
};

enum class Verdict : uint8_t {
    kPass = XV_VERDICT_PASS,         // owner, or master with accept mode
    kDropIp = XV_VERDICT_DROP_IP,    // master without accept mode: ARP, ND and VRRP only
    kDropAll = XV_VERDICT_DROP_ALL,  // backup, fault, init: nothing, not even ARP/NS
};

struct PeerFilter {
    IpAddr addr;
    uint8_t min_ttl = 0;  // keepalived unicast_peer min_ttl/max_ttl
    uint8_t max_ttl = 255;
};

// A VLAN sub-interface as XDP on its parent sees it: frames tagged TPID/VID.
struct VlanOf {
    int parent_ifindex = 0;
    uint16_t tpid = 0x8100;  // host order: 0x8100 802.1Q, 0x88a8 802.1ad
    uint16_t vid = 0;
    bool operator==(const VlanOf&) const = default;
};

// What the kernel checks for one instance (mirrors vrrp::validate).
struct InstanceFilter {
    int version = 3;                                  // 2 or 3
    std::optional<std::array<uint8_t, 8>> auth_pass;  // v2 PASS password, zero padded
    bool unicast = false;                             // unicast_peer set: no TTL 255 rule
    std::vector<PeerFilter> peers;                    // non-empty: only these sources are accepted
    uint16_t interval_cs = 100;                       // configured advert_int
    // Per-source token bucket. 0: max(10x the advert rate, kMinRatePps), so a v3 master
    // advertising faster than our own interval is not cut off.
    uint32_t rate_pps = 0;
    uint16_t burst = 50;
    bool rate_limit = true;
    // The instance's interface is a VLAN sub-interface: XDP on the parent passes adverts
    // tagged with its VLAN to the stack instead of dropping them (xv_vlans, drop_vlan).
    std::optional<VlanOf> vlan;
};
inline constexpr uint32_t kMinRatePps = 200;

class Dataplane {
  public:
    using AdvertCallback = std::function<void(const xv_advert&)>;

    // Opens and loads the skeleton, pins the maps, sets up the ring consumer.
    static std::unique_ptr<Dataplane> open(const DataplaneOptions& opts);
    ~Dataplane();
    Dataplane(const Dataplane&) = delete;
    Dataplane& operator=(const Dataplane&) = delete;

    // Attaches xv_rx to IFINDEX (native, falling back to generic) and xv_tx to its clsact
    // egress hook. no_eth: frames start at the IP header (tun, WireGuard). Throws
    // DataplaneError when a foreign XDP program is attached and force_xdp is false.
    void attach(int ifindex, const std::string& ifname, bool no_eth);
    // Throws what attach() would refuse IFINDEX for (another daemon's xv_rx, a foreign
    // program without force_xdp) and changes nothing: a start checks before it touches the
    // system.
    void checkAttachable(int ifindex, const std::string& ifname);
    void detach(int ifindex);
    void detachAll();
    // Removes an xv_rx/xv_tx of this pin root that this process did not attach (left by the
    // process it took over from, on an interface this configuration no longer uses).
    void detachLeftover(int ifindex, const std::string& ifname);
    // Interfaces still running the predecessor's programs (see keep_programs).
    bool pendingSwaps() const { return !pending_swaps_.empty(); }
    // Swaps this build's xv_rx and xv_tx in on one such interface (atomically, as attach()
    // replaces a predecessor); a failure keeps the running ones and is logged.
    void swapPending();
    // Identifies the BPF objects built into this binary (FNV-1a of their ELF bytes).
    static std::string programsFingerprint();
    // The maps were the predecessor's (reuse_pinned and compatible).
    bool reusedMaps() const { return maps_reused_; }
    // Deletes map entries this process did not write since it took over the maps: what
    // the predecessor configured and this configuration does not have.
    void pruneUnknown();
    // attach() created the clsact qdisc on IFINDEX (there was none): destroyClsact removes
    // it again, unless someone else's filter hangs on it by then.
    bool createdClsact(int ifindex) const;
    void destroyClsact(int ifindex, const std::string& ifname);
    // The predecessor created the clsact qdisc on IFINDEX: ours to remove as if we had.
    void adoptClsact(int ifindex) { clsact_created_.insert(ifindex); }

    // ---- VIP ownership (xv_vips) ----
    // max_age_ns: the instance's Master_Down_Interval; 0 disables the dead-man switch.
    void setVipVerdict(int ifindex, const IpAddr& vip, Verdict v, const InstanceId& inst,
                       uint64_t max_age_ns);
    void removeVip(int ifindex, const IpAddr& vip);  // absent is fine
    std::optional<xv_vip> vip(int ifindex, const IpAddr& vip) const;
    // Dead-man switch: CLOCK_MONOTONIC now, written every loop turn.
    void heartbeat(uint64_t now_ns);
    // xv_fence of this skeleton (shared with the pinned map a restart kept).
    FenceMap& fences() { return *fences_; }
    bool isFenced(const InstanceId& id) const { return fences_->fenced(id); }

    // ---- in-kernel validation (xv_inst, xv_peers) ----
    void configureInstance(const InstanceId& id, const InstanceFilter& f);
    void removeInstance(const InstanceId& id);  // also its xv_expect, xv_vrid_rx, xv_vlans
    // Another VRRP speaker (e.g. keepalived) runs on IFINDEX: pass unknown VRIDs to it.
    void setInterfaceShared(int ifindex, bool shared);

    // ---- BFD (xv_bfd_expect, xv_bfd_seen, xv_bfd_stats) ----
    // A handle of its own for the BFD thread (bfd_maps.hpp), usable apart from this object.
    std::unique_ptr<BfdMaps> bfdMaps() const;

    // ---- quiet fast path (xv_expect, xv_vrid_rx, xv_seen) ----
    // The advert a backup follows, as the daemon accepted it: later identical ones (same
    // source, destination, TTL and MESSAGE bytes) are absorbed in XDP. Priority 0 or a
    // message XDP cannot compare forgets instead.
    struct Expectation {
        IpAddr master;      // its source
        IpAddr dst;         // where it was sent: the group, or our unicast address
        uint8_t ttl = 255;  // TTL / hop limit it arrived with
        uint8_t priority = 0;
        uint16_t interval_cs = 0;  // its Max Adver Int
        std::span<const uint8_t> message;
    };
    void expectMaster(const InstanceId& id, const Expectation& e);
    void forgetMaster(const InstanceId& id);  // every advert wakes the daemon again
    std::optional<xv_expect> expectation(const InstanceId& id) const;
    // bpf_ktime_get_ns of the last absorbed advert (0: none). Read from the mapped xv_seen
    // without a system call for a configured instance (its slot is zeroed when it takes it).
    uint64_t lastSeen(const InstanceId& id) const;
    // The instance's xv_seen slot as XDP left it (the quiet path's own count), nullopt
    // without a slot.
    std::optional<xv_seen> seenSlot(const InstanceId& id) const;
    // What the kernel counted for the instance, summed over CPUs; nullopt before its first
    // valid advert.
    std::optional<xv_vrid_rx> vridState(const InstanceId& id) const;
    // Adverts lost because the ring was full: the daemon then stops every instance's
    // absorbing until it accepts an advert again.
    uint64_t ringOverflows() const { return stats().ring_full; }

    // Readable when ring records are pending (ring_buffer__epoll_fd).
    int epollFd() const;
    // Delivers pending records; returns how many were valid adverts. Records with a
    // wrong size or ABI version are counted in badRecords() and skipped. Samples of
    // adverts the kernel refused (XV_EV_DROPPED) go to DROPPED when given, else are
    // only counted in dropSamples().
    int consume(const AdvertCallback& cb, const AdvertCallback* dropped = nullptr);
    uint64_t badRecords() const { return bad_records_; }
    uint64_t dropSamples() const { return drop_samples_; }

    xv_stats stats() const;  // summed over CPUs

    // ---- whole-map reads for metrics and dumps (readout.cpp) ----
    // Every xv_vrid_rx entry, summed over CPUs; every VIP verdict (fences: fences().list()).
    std::vector<std::pair<xv_inst_key, xv_vrid_rx>> vridStates() const;
    std::vector<std::pair<xv_addr_key, xv_vip>> vips() const;
    // CLOCK_MONOTONIC ns of the last heartbeat written (0: never).
    uint64_t lastHeartbeat() const;
    // "native", "generic" or "" when IFINDEX is not attached.
    std::string attachModeOf(int ifindex) const;
    const AttachInfo* attachment(int ifindex) const;

    // xv_ifcfg entry for IFINDEX (XV_IF_* flags); attach() sets it.
    void setInterfaceFlags(int ifindex, uint32_t flags);
    void clearInterfaceFlags(int ifindex);

    int progFd() const;        // the loaded xv_rx, for bpf_prog_test_run_opts
    int egressProgFd() const;  // the loaded xv_tx
    const std::string& pinRoot() const { return pin_root_; }
    // The fd holding the pin root's lock (-1 without a pin root): a hitless restart passes
    // it across the exec so the lock never drops.
    int lockFd() const { return pin_lock_fd_; }
    std::vector<std::string> pinnedPaths() const;

  private:
    struct SkelDeleter {
        void operator()(xvrrp_xdp* s) const;
        void operator()(xvrrp_tc* s) const;
        void operator()(xvrrp_xdp_meta* s) const;
    };
    using SkelPtr = std::unique_ptr<xvrrp_xdp, SkelDeleter>;
    using TcSkelPtr = std::unique_ptr<xvrrp_tc, SkelDeleter>;
    using MetaSkelPtr = std::unique_ptr<xvrrp_xdp_meta, SkelDeleter>;
    struct Attachment {
        AttachInfo info;
        SkelPtr instance;      // per-interface program sharing the maps of skel_
        MetaSkelPtr meta;      // or its device-bound build (native XDP)
        xdp_program* prog = nullptr;  // attached through libxdp, or
        int replaced_fd = -1;         // swapped in for our predecessor's (not owned), or
        int held_fd = -1;             // the predecessor's own, kept running (owned)
        int fd() const { return replaced_fd >= 0 ? replaced_fd : held_fd; }
    };
    // An xv_rx of this pin root already on an interface: swapped atomically, never detached
    // first, so the interface is not without one for a moment.
    struct Predecessor {
        uint32_t prog_id = 0;
        XdpMode mode = XdpMode::kNative;
    };

    explicit Dataplane(DataplaneOptions opts);
    void pinMaps();
    void unpinMaps();
    void reusePinnedFence();
    void loadEgress();
    // keep_ours: an xv_tx of this pin root already there stays (a hitless restart).
    void attachEgress(int ifindex, const std::string& ifname, bool keep_ours = false);
    void ensureEgress();
    void keepPredecessor(Attachment& a, const Predecessor& p);
    void attachEgressOrDetach(int ifindex, const std::string& ifname);
    void detachEgress(int ifindex, const std::string& ifname);
    void updateInterfaceFlags(int ifindex, uint32_t set, uint32_t clear);
    void writeVipBits();
    void writeGlobal();
    // Our own xv_rx on IFINDEX (to replace in one request), or nullopt; refuses (throws)
    // anything else or, with DETACH and force, clears the way for ours.
    std::optional<Predecessor> checkExisting(int ifindex, const std::string& ifname, bool detach);
    bool ours(uint32_t prog_id) const;
    int replaceXdp(Attachment& a, int ifindex, const std::string& ifname, const Predecessor& p);
    void reusePinnedMaps();
    SkelPtr openInstance(const std::string& ifname);
    MetaSkelPtr openMetaInstance(int ifindex, const std::string& ifname);
    void reuseMaps(bpf_object* obj, const std::string& ifname);
    int attachNative(Attachment& a, int ifindex, const std::string& ifname);
    void vlanRef(const xv_vlan_key& k, int delta);
    void setInstanceVlan(const xv_inst_key& k, const std::optional<VlanOf>& v);
    static int onRecord(void* self, void* data, size_t size);

    DataplaneOptions opts_;
    std::string pin_root_;
    SkelPtr skel_;
    TcSkelPtr tc_;
    ring_buffer* ring_ = nullptr;
    bool fence_reused_ = false;
    // Entries of a pinned xv_fence of another layout, written into ours after load.
    std::vector<std::pair<xv_fence_key, xv_fence>> fence_carried_;
    std::unique_ptr<FenceMap> fences_;
    std::map<int, uint32_t> if_flags_;
    std::map<int, int> filtered_instances_;  // ifindex -> configured instances
    std::map<std::array<uint8_t, 8>, std::vector<xv_src_key>> peers_;  // by xv_inst_key
    std::map<std::array<uint8_t, 8>, xv_vlan_key> inst_vlan_;         // by xv_inst_key
    std::map<std::array<uint8_t, 8>, uint32_t> vlan_refs_;            // by xv_vlan_key
    std::set<std::array<uint8_t, 24>> vips_;                           // xv_addr_key bytes
    std::vector<uint16_t> vip_bit_refs_;                               // VIPs per xv_vipbits bit
    const AdvertCallback* cb_ = nullptr;
    const AdvertCallback* dropped_cb_ = nullptr;
    uint64_t drop_samples_ = 0;
    int delivered_ = 0;
    uint64_t bad_records_ = 0;
    bool pinned_ = false;
    bool maps_reused_ = false;
    std::set<std::array<uint8_t, 8>> configured_;  // xv_inst keys written by this process
    std::set<int> pending_swaps_;                   // ifindexes on the predecessor's programs
    std::vector<uint32_t> stale_map_ids_;  // maps of a crashed predecessor
    std::map<int, Attachment> attached_;
    std::set<int> clsact_created_;
    int pin_lock_fd_ = -1;  // lockPinRoot
    // Configured instances: their xv_seen slot and configured interval (the heartbeat
    // bound XDP applies to what it absorbs), keyed by packed InstanceId.
    struct Slot {
        uint32_t seen = XV_SEEN_NONE;
        uint16_t interval_cs = 0;
        bool used = false;
    };
    // Read on every kernel check of an absorbing backup (lastSeen): one probe of a hash
    // over the few interfaces and one read of that interface's row (family and VRID index
    // it), instead of a walk through a thousand-node hash whose every node is a cache miss.
    class SlotTable {
    public:
        Slot* find(uint64_t packed);
        const Slot* find(uint64_t packed) const;
        Slot& get(uint64_t packed);  // created unused if absent
        void erase(uint64_t packed);
        // F(packed, slot) for every used slot.
        template <class F>
        void forEach(F&& f) const {
            for (const auto& [ifindex, row] : rows_)
                for (uint32_t i = 0; i < kRow; ++i)
                    if (row->slots[i].used) f(uint64_t(ifindex) << 16 | i, row->slots[i]);
        }

    private:
        static constexpr uint32_t kRow = 512;  // packedKey's low 9 bits: family, VRID
        struct Row {
            std::array<Slot, kRow> slots{};
            uint32_t used = 0;
        };
        std::unordered_map<uint32_t, std::unique_ptr<Row>> rows_;  // by ifindex
    };
    SlotTable slots_;
    std::vector<bool> seen_taken_ = std::vector<bool>(XV_MAX_INSTANCES);
    // After a handover: the slot each of the predecessor's expectations names, kept for
    // its instance (reserved in seen_taken_) so the stamps it follows go on.
    std::map<std::array<uint8_t, 8>, uint32_t> inherited_slots_;
    void inheritSeenSlots();
    uint32_t takeSeenSlot(const std::array<uint8_t, 8>& key);
    // Adds what XDP absorbed through the instance's xv_seen slot (PACKED: packedKey) to RX;
    // true when it absorbed any there.
    bool foldSeen(uint64_t packed, xv_vrid_rx& rx) const;
    // xv_seen and xv_slots, mapped: stamps are read and the quiet path's copies of the
    // expectations written without a system call. Only xvrrpd's part of a slot is written
    // (publishSlot, clearSlot), under its sequence lock; the kernel's stamp and count are
    // read through volatile loads.
    xv_seen* seen_ = nullptr;
    size_t seen_len_ = 0;
    uint64_t* slot_index_ = nullptr;
    size_t slot_index_len_ = 0;
    void mapSeen();
    // The writer's half of SLOT's sequence lock around FILL(slot).
    template <typename F>
    void writeSlot(uint32_t slot, F&& fill);
    // The quiet path's copy of X (instance K's expectation) in SLOT.
    void publishSlot(uint32_t slot, const xv_inst_key& k, const xv_expect& x);
    // SLOT absorbs nothing; ZERO_KERNEL: its stamp and count start again (a fresh slot).
    void clearSlot(uint32_t slot, bool zero_kernel);
    // xv_slots entries this process wrote, by index: the instance (packedKey) each names.
    // An entry another instance holds is left to it (the second absorbs through xv_expect).
    std::unordered_map<uint32_t, uint64_t> slot_index_owner_;
    void claimSlotIndex(const xv_inst_key& k, uint32_t slot);
    void releaseSlotIndex(const xv_inst_key& k);
};

// xv_tx's filter on the clsact egress hook: one fixed handle and priority, so a filter left
// by a crashed run is found and replaced rather than stacked next to ours.
inline constexpr uint32_t kTcHandle = 0x7876;  // "xv"
inline constexpr uint32_t kTcPriority = 0x7876;
// Ids of the maps program PROG_ID uses (empty when it is gone).
std::vector<uint32_t> progMapIds(uint32_t prog_id);
// Filters on the clsact hooks of IFINDEX, anyone's (a netlink dump).
size_t clsactFilterCount(int ifindex, const std::string& ifname);

// Per-CPU xv_vrid_rx values as one: counters summed, the latest last_seen_ns.
xv_vrid_rx sumVridRx(std::span<const xv_vrid_rx> per_cpu);
// An instance's key as one number (interface, family, VRID), for the daemon's own tables.
uint64_t packedKey(const xv_inst_key& k);
xv_inst_key unpackKey(uint64_t packed);  // packedKey's inverse

// Makes DIR a bpffs: mounts one there unless DIR already is on a bpffs. If DIR cannot be
// created because its parent is an unmounted /sys/fs/bpf, mounts bpffs there first.
// Returns true when it mounted something at DIR.
bool ensureBpffs(const std::string& dir);
// Another process holds the pin root's lock: holder() names it ("xvrrpd pid N (path)").
class PinRootBusy : public DataplaneError {
  public:
    PinRootBusy(const std::string& dir, std::string holder)
        : DataplaneError("pin root " + dir + " is in use by " + holder +
                         "; one xvrrpd per pin root (use --pin-root for another)"),
          holder_(std::move(holder)) {}
    const std::string& holder() const { return holder_; }

  private:
    std::string holder_;
};
// Takes the pin root for this process (flock); throws PinRootBusy naming the daemon that
// holds it. Returns the fd that keeps the lock.
int lockPinRoot(const std::string& dir);
// Hitless restart: the new process writes the dead-man switch before anything slow, into
// the predecessor's pinned xv_heartbeat. False when there is none of this layout.
bool writePinnedHeartbeat(const std::string& pin_root, uint64_t now_ns);
bool isBpffs(const std::string& path);

}  // namespace xvrrp::dataplane
