/* Maps shared by xv_rx (XDP ingress) and xv_tx (TC egress). Each object declares them;
 * the dataplane loads xv_tx with the fds of xv_rx's maps (bpf_map__reuse_fd). */
#pragma once

#include <linux/bpf.h>
#include <stdbool.h>

#include <bpf/bpf_helpers.h>

#include "xvrrp/abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_stats);
} xv_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_MAX_IFACES);
	__type(key, __u32); /* ifindex */
	__type(value, struct xv_if_cfg);
} xv_ifcfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_global);
} xv_global SEC(".maps");

/* Flags of IFINDEX. The hash lookup costs more than the rest of the non-VRRP path, so
 * callers that only need XV_IF_NO_ETH skip it while no interface has that flag. */
static __always_inline __u32 xv_if_flags(__u32 ifindex, bool only_no_eth)
{
	struct xv_if_cfg *cfg;
	struct xv_global *g;
	__u32 zero = 0;

	if (only_no_eth) {
		g = bpf_map_lookup_elem(&xv_global, &zero);
		if (!g || !g->no_eth_ifaces)
			return 0;
	}
	cfg = bpf_map_lookup_elem(&xv_ifcfg, &ifindex);
	return cfg ? cfg->flags : 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_MAX_VIPS);
	__type(key, struct xv_addr_key);
	__type(value, struct xv_vip);
} xv_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_vip_bits);
} xv_vipbits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * XV_MAX_INSTANCES); /* the operator's and the arbiter's */
	__type(key, struct xv_fence_key);
	__type(value, struct xv_fence);
} xv_fence SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_heartbeat);
} xv_heartbeat SEC(".maps");
