// SPDX-License-Identifier: GPL-2.0
/* xv_empty: XDP_PASS and nothing else, the floor tools/bench/prog measures against. */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xv_empty(struct xdp_md *ctx) { return XDP_PASS; }
