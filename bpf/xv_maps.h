/* Maps shared by xv_rx (XDP ingress) and xv_tx (TC egress). Each object declares them;
 * the dataplane loads xv_tx with the fds of xv_rx's maps (bpf_map__reuse_fd). */
#pragma once

#include <linux/bpf.h>
#include <stdbool.h>

#include <bpf/bpf_helpers.h>

#include "xvrrp/abi.h"

#define XV_MAX_VIPS 4096
#define XV_MAX_INSTANCES 1024

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_stats);
} xv_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* ifindex */
	__type(value, struct xv_if_cfg);
} xv_ifcfg SEC(".maps");

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
	__uint(max_entries, XV_MAX_INSTANCES);
	__type(key, struct xv_inst_key);
	__type(value, struct xv_fence);
} xv_fence SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_heartbeat);
} xv_heartbeat SEC(".maps");
