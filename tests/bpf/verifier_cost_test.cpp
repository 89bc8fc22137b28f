// The verifier's cost of xv_rx: xvrrpd loads one per interface, so what the verifier
// processes is paid at every start-up, per interface, and a program near the 1M-insn limit
// can become unloadable with the next compiler or kernel. Both builds (xvrrp_xdp and the
// device-bound xvrrp_xdp_meta, bound to lo as xvrrpd binds it to its interface) are loaded
// with BPF_LOG_STATS and their "processed N insns" held under a bound.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <linux/bpf.h>
#include <net/if.h>
#include <sched.h>

#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "xvrrp_xdp.skel.h"
#include "xvrrp_xdp_meta.skel.h"

namespace {

// 73,107 / 73,813 insns with xv_expect_msg_equal a global function (584,617 / 585,097 with it
// inlined twice); the bound leaves room for a compiler's variation, not for another inlined loop.
constexpr long kMaxProcessed = XV_RX_MAX_PROCESSED;
constexpr unsigned kLogStats = 4;  // BPF_LOG_STATS
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

struct Cost {
    int err = 0;
    long processed = -1;
    long usec = -1;
    std::string log;
};

template <typename Skel>
Cost load(Skel* (*open)(), int (*load_fn)(Skel*), void (*destroy)(Skel*), bool dev_bound) {
    Cost c;
    Skel* s = open();
    if (!s) {
        c.err = -1;
        return c;
    }
    std::vector<char> buf(1 << 16);
    if (dev_bound) {
        // As userspace/dataplane/attach.cpp loads it, bound to a veth (lo has no metadata
        // kfuncs) in a network namespace of this process's own, gone when it exits.
        unsigned ifindex = 0;
        if (::unshare(CLONE_NEWNET) == 0 &&
            std::system("ip link add xvcost0 type veth peer name xvcost1") == 0)
            ifindex = ::if_nametoindex("xvcost0");
        if (!ifindex) {
            c.err = -1;
            c.log = "no veth to bind to";
            destroy(s);
            return c;
        }
        bpf_program__set_ifindex(s->progs.xv_rx, ifindex);
        bpf_program__set_flags(s->progs.xv_rx,
                               bpf_program__flags(s->progs.xv_rx) | BPF_F_XDP_DEV_BOUND_ONLY);
    }
    bpf_program__set_log_level(s->progs.xv_rx, kLogStats);
    bpf_program__set_log_buf(s->progs.xv_rx, buf.data(), buf.size());
    c.err = load_fn(s);
    c.log = buf.data();
    const char* p = std::strstr(buf.data(), "processed ");
    if (p) std::sscanf(p, "processed %ld insns", &c.processed);
    if (const char* t = std::strstr(buf.data(), "verification time ")) {
        std::sscanf(t, "verification time %ld usec", &c.usec);
    }
    destroy(s);
    return c;
}

void expectCheap(const char* build, const Cost& c) {
    ASSERT_EQ(c.err, 0) << build << ": load failed\n" << c.log;
    ASSERT_GT(c.processed, 0) << build << ": no 'processed N insns' in the log\n" << c.log;
    EXPECT_LE(c.processed, kMaxProcessed)
        << build << ": the verifier processed " << c.processed << " insns of xv_rx, over the "
        << kMaxProcessed << " this test allows (verifier cost regressed)\n"
        << c.log;
    std::printf("%s: xv_rx processed %ld insns (bound %ld), verified in %ld us\n", build,
                c.processed, kMaxProcessed, c.usec);
}

TEST(VerifierCost, Generic) {
    expectCheap("xvrrp_xdp",
                load<xvrrp_xdp>(xvrrp_xdp__open, xvrrp_xdp__load, xvrrp_xdp__destroy, false));
}

TEST(VerifierCost, DeviceBoundBuild) {
    expectCheap("xvrrp_xdp_meta", load<xvrrp_xdp_meta>(xvrrp_xdp_meta__open,
                                                       xvrrp_xdp_meta__load,
                                                       xvrrp_xdp_meta__destroy, true));
}

}  // namespace
