// Generator: frames out of a veth at the rate the kernel can redirect them, from
// bpf_prog_test_run_opts with BPF_F_TEST_XDP_LIVE_FRAMES (kernel 5.18+). xvb_gen rewrites
// the destination address or the VRID of every frame, then XDP_TX sends it out of the
// interface named as ingress_ifindex; on a veth the frame lands in the peer's queue.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct xvb_gen;

namespace xvrrp::bench {

enum class Rotate : uint32_t { kDaddr = 0, kVrid = 1 };

struct GenConfig {
    Rotate rotate = Rotate::kDaddr;
    uint32_t rot_base = 0;   // host order IPv4 address, or first VRID
    uint32_t rot_count = 1;  // how many values the field cycles through
};

struct SendResult {
    uint64_t attempted = 0;  // frames handed to XDP_TX (test_run repeat)
    double seconds = 0;
    double pps() const { return seconds > 0 ? attempted / seconds : 0; }
};

class Generator {
  public:
    explicit Generator(const GenConfig& cfg);  // loads xvb_gen; throws std::runtime_error
    ~Generator();
    Generator(const Generator&) = delete;
    Generator& operator=(const Generator&) = delete;

    // Sends FRAME out of IFINDEX (in the caller's network namespace) for SECONDS, in
    // test_run calls of REPEAT frames each (bounded: stops at the first call past the
    // deadline).
    SendResult send(int ifindex, const std::vector<uint8_t>& frame, double seconds,
                    uint32_t repeat = 100000);

    int dropProgFd() const;              // xvb_drop, the XDP drop-all floor
    uint64_t dropCount() const;          // xvb_drops summed over CPUs

  private:
    xvb_gen* skel_ = nullptr;
};

// Enters the network namespace /run/netns/NAME (setns); throws with the errno text.
void enterNetns(const std::string& name);
// Interface MAC address in the current namespace.
std::vector<uint8_t> macOf(const std::string& ifname);
// ETHTOOL_SGRO: GRO gives a veth the NAPI context that XDP redirects into it need.
void setGro(const std::string& ifname, bool on);

}  // namespace xvrrp::bench
