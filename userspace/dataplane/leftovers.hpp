// What an xvrrpd that is no longer running left of its dataplane, found through its pin
// root, and removing it (`xvrrpd --cleanup`). A program or filter is the daemon's when it
// uses a map pinned under the pin root; nothing else on an interface is touched.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "xvrrp/abi.h"

namespace xvrrp::dataplane {

struct Leftovers {
    std::string pin_root;
    std::vector<std::string> pins;     // xv_* maps pinned there (paths)
    std::set<uint32_t> map_ids;        // their ids
    std::vector<xv_addr_key> vips;     // keys of the pinned xv_vips
    std::map<int, uint32_t> if_flags;  // the pinned xv_ifcfg: ifindex -> XV_IF_* flags
    std::optional<xv_heartbeat> heartbeat;
    bool empty() const { return pins.empty(); }
};

// Reads the pin root (absent or empty: nothing left). Throws DataplaneError when a pin
// cannot be read.
Leftovers readLeftovers(const std::string& pin_root);

// The interfaces (ifindex) whose XDP program uses one of LEFT's maps.
std::set<int> interfacesServed(const Leftovers& left);

// Removes from IFINDEX the XDP program and the TC egress filter that use LEFT's maps, then
// the clsact qdisc if LEFT records that the daemon created it (XV_IF_OWN_CLSACT) and no
// filter of others hangs on it. Returns one line per thing removed or deliberately kept.
// Throws DataplaneError naming the call, the interface and the errno text.
std::vector<std::string> removeAttachments(const Leftovers& left, int ifindex,
                                           const std::string& ifname);

// Unpins LEFT's maps, then removes the pin root if nothing else is in it (unmounting the
// bpffs xvrrpd mounted there). /sys/fs/bpf itself is never removed. Returns what it did.
std::vector<std::string> removePins(const Leftovers& left);

}  // namespace xvrrp::dataplane
