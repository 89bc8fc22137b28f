#pragma once
// A real etcd cluster (Debian's etcd-server) for the witness tests and tools/bench/splitbrain:
// one member per LAN namespace of a SplitLab (its extraNodes), plain HTTP or TLS with a CA,
// member and client certificates made per run with openssl. Failures throw.
#include <string>
#include <vector>

#include "split_fixture.hpp"

namespace xvrrp::itest {

class EtcdCluster {
  public:
    // `members` are namespaces of `lab` (SplitOptions::extraNodes).
    EtcdCluster(SplitLab& lab, std::vector<std::string> members, bool tls);
    // The arbiter.conf block for this cluster (before SplitLab::start()).
    std::string witnessBlock(double leaseTtl, double timeout, const std::string& prefix) const;
    // Starts every member (a new cluster the first time, the same data after stop()) and
    // waits until each is healthy.
    void start();
    void stop(const std::string& member);  // SIGTERM, then SIGKILL after a grace period
    void kill(const std::string& member);  // SIGKILL
    void stopAll();
    bool running(const std::string& member) const;
    // The member that leads now ("" when no member says).
    std::string leader();
    bool healthy();
    std::string logs() const;  // the tail of each member's log
    const std::vector<std::string>& members() const { return members_; }
    std::string clientUrl(const std::string& m) const;

  private:
    std::string url(const std::string& m, int port) const;
    std::string pki(const std::string& f) const;
    void openssl(const std::vector<std::string>& args) const;
    void issue(const std::string& name, const std::string& ext) const;
    void makeCertificates() const;
    std::vector<std::string> etcdctl(const std::vector<std::string>& args) const;
    void startMember(size_t i);
    size_t idx(const std::string& m) const;

    SplitLab& lab_;
    std::vector<std::string> members_;
    bool tls_;
    bool created_ = false;  // data dirs exist: later starts rejoin, not bootstrap
    std::vector<lab::Process*> procs_;
    std::vector<int> starts_;  // per member, for a fresh log each start
};

}  // namespace xvrrp::itest
