// SPDX-License-Identifier: GPL-2.0
/* Bench helpers for tools/bench/fence and tools/bench/flood (never part of xvrrpd).
 * xvb_gen:  traffic generator run by bpf_prog_test_run_opts with BPF_F_TEST_XDP_LIVE_FRAMES;
 *           rewrites one field per frame, then XDP_TX, which test_run turns into a
 *           redirect out of the ingress_ifindex it was given (a veth: the frame lands in
 *           the peer's receive queue).
 * xvb_drop: the XDP drop-all floor, counting what it drops. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

enum xvb_kind {
	XVB_ROTATE_DADDR = 0, /* IPv4 destination = rot_base + seq % rot_count */
	XVB_ROTATE_VRID = 1,  /* VRRP VRID = rot_base + seq % rot_count */
};

const volatile __u32 gen_kind = XVB_ROTATE_DADDR;
const volatile __u32 rot_base = 0; /* host order address, or first VRID */
const volatile __u32 rot_count = 1;

/* test_run runs the program on one CPU at a time: a plain global is enough. */
__u64 gen_seq = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xvb_drops SEC(".maps");

static __always_inline __u16 csumFold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int xvb_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u32 n = rot_count ? (__u32)(gen_seq++ % rot_count) : 0;

	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	if (gen_kind == XVB_ROTATE_DADDR) {
		__u16 *w = (__u16 *)ip;
		__u32 sum = 0;

		ip->daddr = bpf_htonl(rot_base + n);
		ip->check = 0;
#pragma unroll
		for (int i = 0; i < 10; i++)
			sum += w[i];
		ip->check = csumFold(sum);
		return XDP_TX;
	}
	/* VRRP right after a 20-byte IPv4 header: byte 1 is the VRID, bytes 6-7 the
	 * checksum. RFC 1624 eqn. 3 keeps the checksum valid for the new first word. */
	__u8 *v = (__u8 *)(ip + 1);
	if ((void *)(v + 8) > end)
		return XDP_ABORTED;
	__u16 old = *(__u16 *)v;
	v[1] = (__u8)(rot_base + n);
	__u16 neu = *(__u16 *)v;
	__u16 *ck = (__u16 *)(v + 6);
	__u32 sum = (__u16)~*ck + (__u16)~old + neu;
	*ck = csumFold(sum);
	return XDP_TX;
}

SEC("xdp")
int xvb_drop(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&xvb_drops, &k);

	if (c)
		*c += 1;
	return XDP_DROP;
}
