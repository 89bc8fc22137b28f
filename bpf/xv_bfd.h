/* BFD Control packets in xv_rx (RFC 5880, single hop over UDP per RFC 5881; docs/bfd.md):
 * exact repeats of the packet an Up session last accepted are stamped and dropped, the
 * rest goes on to the stack. Included by xvrrp_xdp.bpf.c only. */
#pragma once

#include <linux/udp.h>

#include "xv_parse.h"
#include "xv_validate.h"
#include "xv_verdict.h"

/* Written only by xvrrpd's BFD thread: the last Control packet each Up session accepted. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_MAX_BFD);
	__type(key, __u32); /* local discriminator, host order */
	__type(value, struct xv_bfd_expect);
} xv_bfd_expect SEC(".maps");

/* Written only here, from any CPU; the BFD thread reads it through a mapping. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XV_MAX_BFD);
	__type(key, __u32);
	__type(value, struct xv_bfd_seen);
} xv_bfd_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_bfd_stats);
} xv_bfd_stats SEC(".maps");

#define XV_BFD_FLAG_PF 0x30 /* RFC 5880 4.1: P (0x20) and F (0x10) in the second byte */

/* RFC 791 3.1 header checksum of a 20-byte IPv4 header copied to the stack. */
static __always_inline bool xv_ipv4_copy_csum_ok(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* A UDP datagram to port 3784 whose IP header starts at L3OFF. Returns XDP_DROP only for an
 * exact repeat of the packet the daemon last accepted for an Up session (xv_bfd_expect: the
 * daemon's checks of RFC 5880 6.8.6 and RFC 5881 5 passed on these bytes), stamped in
 * xv_bfd_seen, while the daemon's heartbeat
 * is fresh; XDP_PASS for anything else, left to the stack and the daemon. Only the plain
 * shape is absorbed: IPv4 without options or fragments, IPv6 without extension headers,
 * one 24-byte Control packet. A global function: the verifier walks it once. */
__noinline int xv_bfd_rx(struct xdp_md *ctx, __u32 l3off, __u32 family)
{
	__u8 saddr[16] = {}, daddr[16] = {}, ctl[XV_BFD_CTL_LEN];
	struct xv_bfd_expect *ex;
	struct xv_bfd_stats *bs;
	struct xv_bfd_seen *seen;
	struct udphdr udp;
	__u32 zero = 0, key, l4off, slot;
	__u64 ts;
	__u8 ttl;

	if (!ctx)
		return XDP_PASS;
	bs = bpf_map_lookup_elem(&xv_bfd_stats, &zero);
	if (!bs)
		return XDP_PASS;
	if (family == XV_FAMILY_V4) {
		struct iphdr ip;

		if (bpf_xdp_load_bytes(ctx, l3off, &ip, sizeof(ip)) || ip.ihl != 5 ||
		    (ip.frag_off & bpf_htons(XV_IP_MF | XV_IP_OFFSET)) ||
		    bpf_ntohs(ip.tot_len) != sizeof(ip) + sizeof(udp) + XV_BFD_CTL_LEN)
			goto malformed;
		if (!xv_ipv4_copy_csum_ok(&ip))
			goto bad_csum;
		ttl = ip.ttl;
		__builtin_memcpy(saddr, &ip.saddr, 4);
		__builtin_memcpy(daddr, &ip.daddr, 4);
		l4off = l3off + sizeof(ip);
	} else {
		struct ipv6hdr ip6;

		if (bpf_xdp_load_bytes(ctx, l3off, &ip6, sizeof(ip6)) ||
		    ip6.nexthdr != IPPROTO_UDP ||
		    bpf_ntohs(ip6.payload_len) != sizeof(udp) + XV_BFD_CTL_LEN)
			goto malformed;
		ttl = ip6.hop_limit;
		__builtin_memcpy(saddr, &ip6.saddr, 16);
		__builtin_memcpy(daddr, &ip6.daddr, 16);
		l4off = l3off + sizeof(ip6);
	}
	if (bpf_xdp_load_bytes(ctx, l4off, &udp, sizeof(udp)) ||
	    udp.dest != bpf_htons(XV_BFD_PORT) ||
	    bpf_ntohs(udp.len) != sizeof(udp) + XV_BFD_CTL_LEN ||
	    bpf_xdp_load_bytes(ctx, l4off + sizeof(udp), ctl, sizeof(ctl)))
		goto malformed;
	if (ctl[1] & XV_BFD_FLAG_PF) {
		bs->poll_final++;
		return XDP_PASS;
	}
	/* Your Discriminator (RFC 5880 4.1), bytes 8-11. */
	key = (__u32)ctl[8] << 24 | (__u32)ctl[9] << 16 | (__u32)ctl[10] << 8 | ctl[11];
	ex = bpf_map_lookup_elem(&xv_bfd_expect, &key);
	if (!ex) {
		bs->no_expect++;
		return XDP_PASS;
	}
	if (ex->family != family || udp.source != ex->sport || !xv_msg_equal(ex->saddr, saddr, 16) ||
	    !xv_msg_equal(ex->daddr, daddr, 16)) {
		bs->bad_addr++;
		return XDP_PASS;
	}
	if (ttl != ex->ttl) {
		bs->bad_ttl++;
		return XDP_PASS;
	}
	if (!xv_msg_equal(ex->ctl, ctl, XV_BFD_CTL_LEN)) {
		bs->changed++;
		return XDP_PASS;
	}
	/* The UDP checksum is not compared: from a sender on this host (veth) it is still
	 * partial here (CHECKSUM_PARTIAL, measured on every packet keepalived sent), and a
	 * datagram whose other bytes all repeat the accepted one proves the peer alive. */
	slot = ex->seen_slot;
	seen = bpf_map_lookup_elem(&xv_bfd_seen, &slot);
	if (!seen) {
		/* Without a stamp the daemon would take the session Down: never absorb. */
		bs->no_expect++;
		return XDP_PASS;
	}
	ts = bpf_ktime_get_ns();
	if (seen->last_seen_ns < ts)
		seen->last_seen_ns = ts; /* a lost race leaves one of two stamps, never older */
	__sync_fetch_and_add(&seen->absorbed, 1);
	/* Dead or hung daemon: its socket, or a keepalived started here, must hear the peer. */
	if (xv_heartbeat_stale(ts, XV_HEARTBEAT_GONE_NS)) {
		bs->stale++;
		return XDP_PASS;
	}
	bs->absorbed++;
	return XDP_DROP;

malformed:
	bs->malformed++;
	return XDP_PASS;
bad_csum:
	bs->bad_csum++;
	return XDP_PASS;
}

/* UDP to port 3784 after the IP header at IP (of FAMILY): cheap enough for every non-VRRP
 * frame (two loads when it is not UDP). */
static __always_inline bool xv_is_bfd(void *l4, __u8 proto, void *end)
{
	struct udphdr *udp = l4;

	return proto == IPPROTO_UDP && (void *)(udp + 1) <= end &&
	       udp->dest == bpf_htons(XV_BFD_PORT);
}
