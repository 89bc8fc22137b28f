#pragma once
// Puts instances on the system: resolves the interface and source address, attaches XDP
// and TC, creates a VMAC, sets the sysctls keepalived sets, opens the advert transport and
// tells the kernel what to validate. Every change it makes goes into the ledger, so a stop,
// a failed start or a reload that drops an instance undoes exactly what was done.

#include <map>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "daemon/advert_batch.hpp"
#include "daemon/instance_table.hpp"
#include "daemon/ledger.hpp"
#include "daemon/options.hpp"
#include "net/netlink.hpp"

namespace xvrrp::dataplane {
class Dataplane;
}

namespace xvrrp::daemon {

struct BindResult {
    bool bound = false;                    // false: waits for its interface or an address
    std::optional<std::string> fault;      // bound, but cannot run there (keepalived FAULT)
    bool fenced = false;                   // a fence from an earlier run holds it
};

class Binder {
public:
    Binder(const Options& options, net::Netlink& nl, dataplane::Dataplane& dp,
           AdvertBatch& adverts, Ledger& ledger)
        : options_(options), nl_(nl), dp_(dp), adverts_(adverts), ledger_(ledger) {}

    // Throws when a step that must succeed fails (XDP refused, VMAC name taken); what was
    // done before stays in the ledger for the caller's unwind.
    BindResult bind(InstanceRuntime& rt);
    // Throws when an interface CFG would attach XDP to is served by another xvrrpd (or holds
    // a foreign program without --force-xdp): called before the start changes anything.
    void checkInterfaces(const config::Config& cfg);
    // The instance goes away (reload): its kernel state, VMAC and verdicts.
    void unbind(InstanceRuntime& rt);
    // Where XDP lets VRRP it does not validate through to the stack (XV_IF_SHARED).
    void refreshSharedFlags(const InstanceTable& table);
    // Detaches XDP from interfaces no bound instance uses any more.
    void detachUnused(const InstanceTable& table);
    const std::map<int, std::string>& attached() const { return attached_; }

private:
    void attachXdp(const net::LinkInfo& link);
    void configureKernel(const InstanceRuntime& rt);
    void setConfSysctl(Family f, const std::string& ifname, const std::string& key, int value);
    int useVmac(InstanceRuntime& rt, const net::LinkInfo& link, std::string& tx_name);

    const Options& options_;
    net::Netlink& nl_;
    dataplane::Dataplane& dp_;
    AdvertBatch& adverts_;
    Ledger& ledger_;
    std::map<int, std::string> attached_;  // ifindex -> ifname with our XDP program
};

}  // namespace xvrrp::daemon
