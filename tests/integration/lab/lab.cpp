#include "lab/lab.hpp"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace xvrrp::lab {

namespace {
constexpr const char* kBridge = "br0";
constexpr const char* kMgmtBridge = "br1";
}

Lab::Lab(const std::vector<std::string>& nodes, LabOptions opts)
    : opts_(std::move(opts)), names_(nodes) {
    char tmpl[] = "/tmp/xvt-lab-XXXXXX";
    if (!::mkdtemp(tmpl))
        throw std::system_error(errno, std::generic_category(), "mkdtemp(/tmp/xvt-lab-XXXXXX)");
    logDir_ = tmpl;
    try {
        hub_ = std::make_unique<Netns>(opts_.tag + "-hub");
        hub_->runOk({"ip", "link", "set", "lo", "up"});
        // No STP, no snooping: VRRP multicast (224.0.0.18, ff02::12) must flood
        // like on a plain switch without a querier.
        hub_->runOk({"ip", "link", "add", kBridge, "type", "bridge", "stp_state", "0",
                     "forward_delay", "0", "mcast_snooping", "0"});
        hub_->runOk({"ip", "link", "set", kBridge, "up"});
        if (!opts_.mgmtV4Prefix.empty()) {
            hub_->runOk({"ip", "link", "add", kMgmtBridge, "type", "bridge", "stp_state", "0",
                         "forward_delay", "0"});
            hub_->runOk({"ip", "link", "set", kMgmtBridge, "up"});
        }
        for (size_t i = 0; i < names_.size(); ++i) {
            auto ns = std::make_unique<Netns>(opts_.tag + "-" + names_[i]);
            const std::string port = bridgePort(names_[i]);
            hub_->runOk({"ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
                         ns->name()});
            hub_->runOk({"ip", "link", "set", port, "master", kBridge, "up"});
            ns->runOk({"ip", "link", "set", "lo", "up"});
            // No DAD on eth0 at all: the link-local must be usable at once too
            // (VRRPv3 over IPv6 sends from it, RFC 5798 section 5.1.2.1).
            ns->runOk({"sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0"});
            ns->runOk({"ip", "addr", "add", v4(names_[i]).str() + "/24", "dev", "eth0"});
            ns->runOk({"ip", "addr", "add", v6(names_[i]).str() + "/64", "dev", "eth0", "nodad"});
            ns->runOk({"ip", "link", "set", "eth0", "up"});
            if (!opts_.mgmtV4Prefix.empty()) {
                const std::string mport = "vm" + std::to_string(i + 1);
                hub_->runOk({"ip", "link", "add", mport, "type", "veth", "peer", "name", "eth1",
                             "netns", ns->name()});
                hub_->runOk({"ip", "link", "set", mport, "master", kMgmtBridge, "up"});
                ns->runOk({"ip", "addr", "add", mgmt4(names_[i]).str() + "/24", "dev", "eth1"});
                ns->runOk({"ip", "link", "set", "eth1", "up"});
            }
            nodes_.push_back(std::move(ns));
        }
    } catch (...) {
        nodes_.clear();
        hub_.reset();
        std::error_code ec;
        std::filesystem::remove_all(logDir_, ec);
        throw;
    }
}

Lab::~Lab() {
    nodes_.clear();
    hub_.reset();
    if (!opts_.keepLogs) {
        std::error_code ec;
        std::filesystem::remove_all(logDir_, ec);
    }
}

size_t Lab::index(const std::string& node) const {
    for (size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == node) return i;
    throw std::out_of_range("Lab: no node named " + node);
}

Netns& Lab::node(const std::string& name) { return *nodes_.at(index(name)); }

IpAddr Lab::v4(const std::string& node) const { return vip4(static_cast<int>(index(node)) + 1); }

IpAddr Lab::v6(const std::string& node) const { return vip6(static_cast<int>(index(node)) + 1); }

IpAddr Lab::mgmt4(const std::string& node) const {
    if (opts_.mgmtV4Prefix.empty()) throw std::logic_error("Lab: no management network");
    auto a = IpAddr::parse(opts_.mgmtV4Prefix + "." + std::to_string(index(node) + 1));
    if (!a) throw std::invalid_argument("Lab: bad mgmtV4Prefix " + opts_.mgmtV4Prefix);
    return *a;
}

IpAddr Lab::vip4(int host) const {
    auto a = IpAddr::parse(opts_.v4Prefix + "." + std::to_string(host));
    if (!a) throw std::invalid_argument("Lab: bad v4Prefix " + opts_.v4Prefix);
    return *a;
}

IpAddr Lab::vip6(int host) const {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%x", host);
    auto a = IpAddr::parse(opts_.v6Prefix + "::" + hex);
    if (!a) throw std::invalid_argument("Lab: bad v6Prefix " + opts_.v6Prefix);
    return *a;
}

std::string Lab::bridgePort(const std::string& node) const {
    return "vh" + std::to_string(index(node) + 1);
}

void Lab::cutLink(const std::string& node) {
    hub_->runOk({"ip", "link", "set", bridgePort(node), "down"});
}

void Lab::restoreLink(const std::string& node) {
    hub_->runOk({"ip", "link", "set", bridgePort(node), "up"});
}

}  // namespace xvrrp::lab
