#pragma once
// Differential fuzz of xv_rx against the userspace validator (issue 9, "Fuzzing"): each
// frame runs through the loaded XDP program (bpf_prog_test_run_opts) and through
// frame_model.hpp's reference (stack + vrrp::decode/validate + the daemon's instance
// lookup); the two must agree on whether an instance takes the advert. Disagreements are
// named by class; the documented ones (docs/bpf.md) say why they are allowed. Used by
// tools/bench/fuzz (long campaigns, JSON) and bpf.differential (seed replay). Test support.
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "dataplane/dataplane.hpp"
#include "support/frame_model.hpp"

namespace xvrrp::test {

struct DiffResult {
    std::string cls;  // agree_accept, agree_reject, xdp_accepts:WHY, user_accepts:COUNTER, ...
    bool agree = false;
};

class XdpDifferential {
  public:
    // Configures INSTANCES on IFINDEX as Daemon::configureKernel would (rate limit off:
    // test_run repeats one source faster than any advert rate).
    XdpDifferential(dataplane::Dataplane& dp, int ifindex, std::vector<ModelInstance> instances);
    ~XdpDifferential();
    XdpDifferential(const XdpDifferential&) = delete;
    XdpDifferential& operator=(const XdpDifferential&) = delete;

    DiffResult run(const Bytes& frame);
    const std::vector<ModelInstance>& instances() const { return instances_; }

  private:
    dataplane::Dataplane& dp_;
    int ifindex_;
    std::vector<ModelInstance> instances_;
};

// Why a disagreement class is allowed (docs/bpf.md), or nullptr: then it is a bug.
const char* documentedReason(const std::string& cls);

// The instances every campaign and the replay run against (on the loopback device).
std::vector<ModelInstance> standardInstances();

// A frame aimed at one of INSTANCES with a few fields off, then byte mutations.
Bytes randomFrame(std::mt19937_64& rng, const std::vector<ModelInstance>& instances);
Bytes mutate(Bytes frame, std::mt19937_64& rng);

}  // namespace xvrrp::test
