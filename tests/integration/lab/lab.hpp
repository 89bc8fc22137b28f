#pragma once
// A switched L2 segment made of namespaces: a hub holding a Linux bridge and
// N nodes, each with eth0 whose veth peer is a bridge port in the hub.
#include <memory>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "lab/netns.hpp"

namespace xvrrp::lab {

struct LabOptions {
    std::string tag = "lab";           // namespaces are xvt-<tag>-<role>-<pid>-<n>
    std::string v4Prefix = "10.77.0";  // node i (1-based) gets <v4Prefix>.<i>/24
    std::string v6Prefix = "fd00:77";  // node i gets <v6Prefix>::<i>/64, nodad
    bool keepLogs = false;             // keep logDir() after destruction
    // Non-empty: a management network beside the VRRP segment - every node also gets eth1
    // on a second bridge (br1 in the hub) with <mgmtV4Prefix>.<i>/24. cutLink() leaves it up.
    std::string mgmtV4Prefix = "";
};

class Lab {
  public:
    // Builds the hub and one namespace per name in `nodes`. Throws
    // std::runtime_error naming the failed command; whatever was built is removed.
    explicit Lab(const std::vector<std::string>& nodes, LabOptions opts = {});
    ~Lab();
    Lab(const Lab&) = delete;
    Lab& operator=(const Lab&) = delete;

    Netns& hub() { return *hub_; }
    Netns& node(const std::string& name);
    const std::vector<std::string>& nodeNames() const { return names_; }

    IpAddr v4(const std::string& node) const;
    IpAddr v6(const std::string& node) const;
    // The node's eth1 address on the management network (LabOptions::mgmtV4Prefix).
    IpAddr mgmt4(const std::string& node) const;
    // An address on the lab subnet that no node owns, e.g. vip4(100) = 10.77.0.100.
    IpAddr vip4(int host) const;
    IpAddr vip6(int host) const;
    std::string bridgePort(const std::string& node) const;  // veth name in the hub

    // Sets the bridge-side veth down/up: the node's eth0 loses/regains carrier.
    void cutLink(const std::string& node);
    void restoreLink(const std::string& node);

    // A per-lab directory for configs, pid files and logs.
    const std::string& logDir() const { return logDir_; }

  private:
    size_t index(const std::string& node) const;

    LabOptions opts_;
    std::string logDir_;
    std::vector<std::string> names_;
    // Declared after logDir_ and hub_ before nodes_: nodes go first on destruction,
    // which removes their veths before the bridge.
    std::unique_ptr<Netns> hub_;
    std::vector<std::unique_ptr<Netns>> nodes_;
};

}  // namespace xvrrp::lab
