// Receive dataplane: loads the xv_rx XDP program, pins its maps under a pin root,
// attaches it to interfaces through libxdp and consumes the xv_ring ring buffer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "xvrrp/abi.h"

struct xvrrp_xdp;
struct ring_buffer;
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
};

enum class XdpMode { kNative, kGeneric };

struct AttachInfo {
    std::string ifname;
    XdpMode mode = XdpMode::kNative;
    bool dispatcher = false;  // false: single program without libxdp's dispatcher
};

class Dataplane {
  public:
    using AdvertCallback = std::function<void(const xv_advert&)>;

    // Opens and loads the skeleton, pins the maps, sets up the ring consumer.
    static std::unique_ptr<Dataplane> open(const DataplaneOptions& opts);
    ~Dataplane();
    Dataplane(const Dataplane&) = delete;
    Dataplane& operator=(const Dataplane&) = delete;

    // Attaches xv_rx to IFINDEX (native, falling back to generic). no_eth: frames start
    // at the IP header (tun, WireGuard). Throws DataplaneError when a foreign XDP
    // program is attached and force_xdp is false.
    void attach(int ifindex, const std::string& ifname, bool no_eth);
    void detach(int ifindex);
    void detachAll();

    // Readable when ring records are pending (ring_buffer__epoll_fd).
    int epollFd() const;
    // Delivers pending records; returns how many were valid adverts. Records with a
    // wrong size or ABI version are counted in badRecords() and skipped.
    int consume(const AdvertCallback& cb);
    uint64_t badRecords() const { return bad_records_; }

    xv_stats stats() const;  // summed over CPUs
    // "native", "generic" or "" when IFINDEX is not attached.
    std::string attachModeOf(int ifindex) const;
    const AttachInfo* attachment(int ifindex) const;

    // xv_ifcfg entry for IFINDEX (XV_IF_* flags); attach() sets it.
    void setInterfaceFlags(int ifindex, uint32_t flags);
    void clearInterfaceFlags(int ifindex);

    int progFd() const;  // the loaded xv_rx, for bpf_prog_test_run_opts
    const std::string& pinRoot() const { return pin_root_; }
    std::vector<std::string> pinnedPaths() const;

  private:
    struct SkelDeleter {
        void operator()(xvrrp_xdp* s) const;
    };
    using SkelPtr = std::unique_ptr<xvrrp_xdp, SkelDeleter>;
    struct Attachment {
        AttachInfo info;
        SkelPtr instance;  // per-interface program sharing the maps of skel_
        xdp_program* prog = nullptr;
    };

    explicit Dataplane(DataplaneOptions opts);
    void pinMaps();
    void unpinMaps();
    void checkExisting(int ifindex, const std::string& ifname);
    SkelPtr openInstance(const std::string& ifname);
    static int onRecord(void* self, void* data, size_t size);

    DataplaneOptions opts_;
    std::string pin_root_;
    SkelPtr skel_;
    ring_buffer* ring_ = nullptr;
    const AdvertCallback* cb_ = nullptr;
    int delivered_ = 0;
    uint64_t bad_records_ = 0;
    bool pinned_ = false;
    std::vector<uint32_t> stale_map_ids_;  // maps of a crashed predecessor
    std::map<int, Attachment> attached_;
};

// Makes DIR a bpffs: mounts one there unless DIR already is on a bpffs. If DIR cannot be
// created because its parent is an unmounted /sys/fs/bpf, mounts bpffs there first.
// Returns true when it mounted something at DIR.
bool ensureBpffs(const std::string& dir);
bool isBpffs(const std::string& path);

}  // namespace xvrrp::dataplane
