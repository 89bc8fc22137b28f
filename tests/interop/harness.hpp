#pragma once
// Interop harness: one xvrrpd node and one Debian keepalived node on the lab
// bridge, plus a client, running the same keepalived.conf (only the priority
// and the unicast source/peer differ).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/ip.hpp"
#include "lab/lab.hpp"
#include "lab/process.hpp"

namespace xvrrp::interop {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

struct Scenario {
    std::string name;
    int version = 3;               // vrrp_version
    Family family = Family::V4;    // of the VIP
    std::string advertInt = "1";   // advert_int exactly as written in the config
    Ms advert{1000};               // the same value as a duration
    bool auth = false;             // VRRPv2 auth_type PASS
    bool unicast = false;          // unicast_src_ip / unicast_peer
    int vrid = 51;
    std::string authPass = "xvInt3r0";
    std::string extra;             // more vrrp_instance lines, verbatim
    int moreVips = 0;              // VIPs after the lab one: 10.79.x.y/32 or fd00:79::N/128
    int advertLength = 0;          // VRRP message length every advert must have (0: any)
};

enum class Kind { Xvrrpd, Keepalived };
const char* kindName(Kind k);

// The config both daemons read. `self`/`peer` only matter for unicast.
std::string renderConfig(const Scenario& s, int priority, const IpAddr& self, const IpAddr& peer,
                         const IpAddr& vip);

// RFC 5798 section 6.1: Skew_Time and Master_Down_Interval for `priority`
// (also used for VRRPv2, whose RFC 3768 section 6.1 has the same shape in seconds).
Ms skewTime(const Scenario& s, int priority);
Ms masterDownInterval(const Scenario& s, int priority);

// Lines of a keepalived log that show it disliked a received advert (or the
// config), using keepalived 2.2.7's own message texts (keepalived/vrrp/vrrp.c,
// vrrp_check_packet(), and vrrp_scheduler.c).
std::vector<std::string> keepalivedComplaints(const std::string& log);

// VRRP adverts seen on the lab bridge (tcpdump in the hub, br0 promiscuous, so
// unicast adverts between ports are seen too) for `d`: the priority and VRRP message
// length of each. tcpdump's text goes to `savePath` for post-mortems.
struct WireAdvert {
    int priority = 0;
    int length = 0;
};
std::vector<WireAdvert> captureAdverts(lab::Lab& lab, int vrid, Clock::duration d,
                                       const std::string& savePath);
std::vector<int> captureAdvertPriorities(lab::Lab& lab, int vrid, Clock::duration d,
                                         const std::string& savePath);

// One VRRP daemon of either kind in one lab node. Every start writes a new
// log file; logs() returns all of them.
class Node {
  public:
    Node(Kind kind, lab::Lab& lab, std::string name, std::string confPath);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    Kind kind() const { return kind_; }
    const std::string& name() const { return name_; }
    lab::Netns& ns() { return lab_.node(name_); }

    void start();
    // SIGTERM to the daemon's main pid only, as systemd stops it; returns at once.
    void sigterm();
    // Waits for the exit after sigterm(); true when it came before `timeout`
    // (else the process is killed). The status is left in lastExitStatus().
    bool waitStopped(Clock::duration timeout = std::chrono::seconds(5));
    bool running();
    int lastExitStatus() const { return exitStatus_; }

    // Whether eth0 holds `vip` right now: the observable truth for both daemons.
    bool holdsVip(const IpAddr& vip);
    // xvrrpd: `xvrrpctl status --json`, nullopt if it does not answer.
    std::optional<nlohmann::json> status() const;
    // xvrrpd: the XDP program's drop_* counters (`xvrrpctl bpf --json`); adverts
    // dropped in the kernel never reach adverts_rejected.
    nlohmann::json kernelDrops() const;
    // keepalived: the state of the last "(VI_1) Entering X STATE" line; "" if none.
    std::string loggedState() const;

    std::string logs() const;

  private:
    Kind kind_;
    lab::Lab& lab_;
    std::string name_;
    std::string confPath_;
    std::string pinRoot_;
    lab::Process* proc_ = nullptr;  // owned by the namespace
    std::vector<std::string> logPaths_;
    int exitStatus_ = -1;
};

// Absolute paths of the binaries under test; keepalived is looked up in PATH
// and /usr/sbin (empty when missing, which a test must treat as a failure).
struct Binaries {
    std::string xvrrpd;
    std::string xvrrpctl;
    std::string keepalived;
};
Binaries binaries();

}  // namespace xvrrp::interop
