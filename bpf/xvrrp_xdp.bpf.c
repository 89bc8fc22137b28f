// SPDX-License-Identifier: GPL-2.0
/* xv_rx: hands every received VRRP message (IP protocol 112) to the daemon through
 * the xv_ring ring buffer and drops it; everything else goes to the stack. */
#include "xv_parse.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XV_RING_BYTES);
} xv_ring SEC(".maps");

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

static __always_inline enum xv_parse xv_parse_l3(struct xdp_md *ctx, void **cur, void *end,
						 struct xv_meta *m)
{
	__u32 ifindex = ctx->ingress_ifindex;
	struct xv_if_cfg *cfg = bpf_map_lookup_elem(&xv_ifcfg, &ifindex);
	enum xv_parse r;
	__be16 proto;

	if (cfg && (cfg->flags & XV_IF_NO_ETH)) {
		/* tun/WireGuard: no link header, the IP version nibble decides. */
		__u8 *b = *cur;

		if ((void *)(b + 1) > end)
			return XV_P_TRUNCATED;
		if ((*b >> 4) == 4)
			return xv_parse_ipv4(cur, end, m);
		if ((*b >> 4) == 6)
			return xv_parse_ipv6(cur, end, m);
		return XV_P_NOT_VRRP;
	}

	r = xv_parse_eth(cur, end, &proto, m);
	if (r != XV_P_NOT_VRRP)
		return r;
	if (proto == bpf_htons(ETH_P_IP))
		return xv_parse_ipv4(cur, end, m);
	if (proto == bpf_htons(ETH_P_IPV6))
		return xv_parse_ipv6(cur, end, m);
	return XV_P_NOT_VRRP;
}

SEC("xdp")
int xv_rx(struct xdp_md *ctx)
{
	__u64 ts = bpf_ktime_get_ns(); /* first, so queueing in XDP is not hidden */
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	void *cur = data;
	struct xv_meta m = {};
	struct xv_advert *ev;
	struct xv_stats *st;
	__u32 key = 0;
	__u32 off, len;

	st = bpf_map_lookup_elem(&xv_stats, &key);
	if (!st)
		return XDP_PASS;

	switch (xv_parse_l3(ctx, &cur, end, &m)) {
	case XV_P_VRRP:
		break;
	case XV_P_TRUNCATED:
		st->truncated++;
		return XDP_PASS;
	case XV_P_BAD_IP:
		st->bad_ip++;
		return XDP_PASS;
	case XV_P_FRAGMENT:
		st->bad_ip++;
		return XDP_DROP;
	default:
		st->rx_passed++;
		return XDP_PASS;
	}

	len = m.payload_len;
	off = cur - data;
	if (len > XV_VRRP_MAX) {
		st->too_long++;
		return XDP_DROP;
	}
	/* The IP header promises more than the frame holds (or less than a VRRP header). */
	if (len < XV_VRRP_HDR_MIN || (__u64)off + len > bpf_xdp_get_buff_len(ctx)) {
		st->truncated++;
		return XDP_PASS;
	}

	ev = bpf_ringbuf_reserve(&xv_ring, sizeof(*ev), 0);
	if (!ev) {
		st->ring_full++;
		return XDP_DROP;
	}
	/* Zeroed so a record never carries bytes of an older one past vrrp_len. */
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = ts;
	ev->abi_version = XV_ABI_VERSION;
	ev->ifindex = ctx->ingress_ifindex;
	ev->kind = XV_EV_ADVERT;
	ev->family = m.family;
	ev->ttl = m.ttl;
	ev->has_vlan = m.has_vlan;
	ev->vlan_id = m.vlan_id;
	ev->vrrp_len = len;
	ev->ip_payload_len = m.payload_len;
	__builtin_memcpy(ev->src_mac, m.src_mac, sizeof(ev->src_mac));
	__builtin_memcpy(ev->saddr, m.saddr, sizeof(ev->saddr));
	__builtin_memcpy(ev->daddr, m.daddr, sizeof(ev->daddr));

	/* Hide len from the optimiser so the re-check below survives and the verifier
	 * sees 1..XV_VRRP_MAX at the helper call. */
	barrier_var(len);
	if (len < 1 || len > XV_VRRP_MAX || bpf_xdp_load_bytes(ctx, off, ev->vrrp, len)) {
		bpf_ringbuf_discard(ev, 0);
		st->truncated++;
		return XDP_PASS;
	}
	/* Default wakeup policy: the kernel only signals when the consumer has caught
	 * up, so a busy daemon is not woken per advert. */
	bpf_ringbuf_submit(ev, 0);
	st->rx_adverts++;
	return XDP_DROP;
}
