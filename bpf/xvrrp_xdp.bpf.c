// SPDX-License-Identifier: GPL-2.0
/* xv_rx: the ingress side of xvrrp.
 * - VRRP (IP protocol 112): on interfaces with configured instances (XV_IF_FILTER) the
 *   message is validated here, an advert that repeats the one the daemon follows
 *   (xv_expect, and its copy in the instance's xv_seen slot, found through xv_slots) is
 *   absorbed (before the other checks: the daemon accepted these bytes) and counted and
 *   stamped in xv_seen, anything else goes to the daemon through xv_ring with a wakeup.
 *   On a shared interface without instances (XV_IF_SHARED: another VRRP speaker, or an
 *   interface that only carries VIPs) VRRP goes to the stack; elsewhere every message goes
 *   to the ring.
 * - While the daemon's heartbeat is stale (dead or hung) VRRP it would drop passes to the
 *   stack as well, so a keepalived started on the node hears its peers at once; the
 *   bookkeeping above still runs, so a daemon that resumes has lost nothing.
 * - BFD Control packets (UDP to port 3784): a repeat of the last packet an Up session
 *   accepted (xv_bfd_expect) is stamped in xv_bfd_seen and dropped; anything else goes on
 *   as below, to the daemon's socket (xv_bfd_rx).
 * - Traffic to a VIP (IPv4/IPv6 destination, ARP target, ND target) gets the VIP's
 *   effective verdict (xv_verdict.h), the dead-man switch included. Everything else passes. */
#include "xv_parse.h"
#include "xv_validate.h"
#include "xv_verdict.h"
#include "xv_bfd.h"

#include <linux/icmpv6.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XV_RING_BYTES);
} xv_ring SEC(".maps");

/* Written only by xvrrpd: the advert each backup follows. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_MAX_INSTANCES);
	__type(key, struct xv_inst_key);
	__type(value, struct xv_expect);
} xv_expect SEC(".maps");

/* Written only here, per CPU: no read-modify-write shared with userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, XV_MAX_INSTANCES);
	__type(key, struct xv_inst_key);
	__type(value, struct xv_vrid_rx);
} xv_vrid_rx SEC(".maps");

/* Written only here, from any CPU; xvrrpd reads it through a mapping (no system call). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XV_MAX_INSTANCES);
	__type(key, __u32);
	__type(value, struct xv_seen);
} xv_seen SEC(".maps");

/* Written only by xvrrpd (through its mapping): which xv_seen slot holds the expectation of
 * an instance (xv_slot_index), + 1. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XV_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} xv_slots SEC(".maps");

/* Stamps SLOT of xv_seen; null without a slot. Two CPUs may absorb one instance's adverts at
 * once: a stamp never moves back (a lost race leaves one of two stamps a few microseconds
 * apart). */
static __always_inline struct xv_seen *xv_stamp_seen(__u32 slot, __u64 ts)
{
	struct xv_seen *s;

	if (slot == XV_SEEN_NONE)
		return NULL;
	s = bpf_map_lookup_elem(&xv_seen, &slot);
	if (s && s->last_seen_ns < ts)
		s->last_seen_ns = ts;
	return s;
}

/* This CPU's counters of an instance, created on its first advert. */
static __always_inline struct xv_vrid_rx *xv_rx_counters(const struct xv_inst_key *k)
{
	struct xv_vrid_rx *rx = bpf_map_lookup_elem(&xv_vrid_rx, k);
	struct xv_vrid_rx zero = {};

	if (rx)
		return rx;
	bpf_map_update_elem(&xv_vrid_rx, k, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&xv_vrid_rx, k);
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_MAX_VLANS);
	__type(key, struct xv_vlan_key);
	__type(value, struct xv_vlan);
} xv_vlans SEC(".maps");

#define XV_ADVERT_HALF (sizeof(struct xv_advert) / 16 * 8)
_Static_assert(sizeof(struct xv_advert) - XV_ADVERT_HALF <= 1024, "xv_submit zeroes in two memsets");

#ifdef XV_RX_META
/* Device-bound build (xvrrp_xdp_meta): a tag the driver took out of the frame (veth: the
 * sender's hardware VLAN insertion; NICs: rx-vlan-offload) is only in the metadata. */
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym;

/* That tag is the outermost: its VID, when not 0, wins over the frame's tags. */
static __always_inline void xv_driver_vlan(struct xdp_md *ctx, struct xv_meta *m)
{
	__be16 proto = 0;
	__u16 tci = 0;

	if (bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &tci))
		return; /* -ENODATA: no tag; -EOPNOTSUPP: the driver cannot tell */
	m->has_vlan = 1;
	if (tci & XV_VID_MASK) {
		m->vlan_id = tci & XV_VID_MASK;
		m->vlan_proto = proto;
	}
}
#else
static __always_inline void xv_driver_vlan(struct xdp_md *ctx, struct xv_meta *m)
{
}
#endif

/* Tagged VRRP on IFINDEX: the stack would hand it to the VLAN sub-interface (or drop it
 * when there is none), never to an instance of IFINDEX (RFC 5798 7.1 takes an advert on
 * the instance's interface). Passed for a VLAN with an instance of ours or on a shared
 * interface, dropped otherwise. */
static __always_inline int xv_vrrp_tagged(struct xv_stats *st, const struct xv_meta *m,
					  __u32 ifindex, __u32 ifflags)
{
	struct xv_vlan_key k = {
		.ifindex = ifindex,
		.tpid = m->vlan_proto,
		.vid = m->vlan_id,
	};

	if ((ifflags & XV_IF_SHARED) || bpf_map_lookup_elem(&xv_vlans, &k)) {
		st->vlan_passed++;
		return XDP_PASS;
	}
	st->drop_vlan++;
	return XDP_DROP;
}

/* ARP for a VIP we must not own: drop requests and replies aimed at it. A gratuitous ARP
 * (sender == target) announces someone else's ownership and passes. */
static __always_inline int xv_arp_in(struct xv_stats *st, __u32 ifindex, void *cur, void *end)
{
	struct xv_arp_eth4 *a = cur;
	enum xv_eff eff;

	if ((void *)(a + 1) > end || a->ptype != bpf_htons(ETH_P_IP) || a->plen != 4)
		goto pass;
	if (xv_msg_equal(a->spa, a->tpa, 4))
		goto pass;
	eff = xv_vip_verdict(ifindex, XV_FAMILY_V4, a->tpa);
	if (eff >= XV_E_DROP_ALL) {
		xv_count_vip_drop(st, eff);
		return XDP_DROP;
	}
pass:
	st->rx_passed++;
	return XDP_PASS;
}

/* IP to a VIP. EXEMPT: ND, which DROP_IP lets through (RFC 5798 6.4.3 keeps the master
 * answering neighbour discovery for the VIP). */
static __always_inline int xv_ip_in(struct xv_stats *st, __u32 ifindex, __u8 family,
				    const __u8 *daddr, bool exempt, bool counted)
{
	enum xv_eff eff = xv_vip_verdict(ifindex, family, daddr);

	if (eff >= XV_E_DROP_ALL || (eff == XV_E_DROP_IP && !exempt)) {
		xv_count_vip_drop(st, eff);
		return XDP_DROP;
	}
	if (!counted)
		st->rx_passed++;
	return XDP_PASS;
}

static __always_inline int xv_ipv6_in(struct xv_stats *st, __u32 ifindex, struct ipv6hdr *ip6,
				      __u8 nh, void *l4, void *end, bool counted, bool deep)
{
	bool nd = false;

	/* Past the walk bound the upper layer is unknown. With hop limit 255 it may be ND
	 * (RFC 4861 7.1.1 needs 255) for a VIP whose target cannot be checked. */
	if (deep && ip6->hop_limit == 255) {
		st->ext_too_deep++;
		return XDP_DROP;
	}
	if (nh == IPPROTO_ICMPV6) {
		struct icmp6hdr *ic = l4;
		__u8 *target = l4 + sizeof(struct icmp6hdr);

		if ((void *)(ic + 1) > end)
			goto dst;
		nd = ic->icmp6_type >= XV_ND_FIRST && ic->icmp6_type <= XV_ND_LAST;
		/* A solicitation for a VIP we must not own is not answered (RFC 4861 7.2.3). */
		if (ic->icmp6_type == XV_ND_NS && (void *)(target + 16) <= end) {
			enum xv_eff eff = xv_vip_verdict(ifindex, XV_FAMILY_V6, target);

			if (eff >= XV_E_DROP_ALL) {
				xv_count_vip_drop(st, eff);
				return XDP_DROP;
			}
		}
	}
dst:
	return xv_ip_in(st, ifindex, XV_FAMILY_V6, ip6->daddr.in6_u.u6_addr8, nd, counted);
}

/* Hands the message to the daemon. WAKE: force a wakeup (the picture changed). A sample of
 * a refused message (KIND XV_EV_DROPPED) counts nowhere: its drop counter has it. */
static __always_inline int xv_submit(struct xdp_md *ctx, struct xv_stats *st,
				     const struct xv_meta *m, __u32 off, __u32 len, __u64 ts,
				     struct xv_vrid_rx *rx, bool wake, __u8 kind)
{
	struct xv_advert *ev = bpf_ringbuf_reserve(&xv_ring, sizeof(*ev), 0);

	if (!ev) {
		/* The daemon sees ring_full grow and stops every instance's absorbing. */
		st->ring_full++;
		if (rx)
			rx->missed++;
		return XDP_DROP;
	}
	/* Zeroed so a record never carries bytes of an older one past vrrp_len. In two halves
	 * (clang inlines a BPF memset of at most 1024 bytes), kept apart by a barrier so the
	 * optimiser does not merge them again. */
	__builtin_memset(ev, 0, XV_ADVERT_HALF);
	barrier();
	__builtin_memset((__u64 *)ev + XV_ADVERT_HALF / 8, 0, sizeof(*ev) - XV_ADVERT_HALF);
	ev->ts_ns = ts;
	ev->abi_version = XV_ABI_VERSION;
	ev->ifindex = ctx->ingress_ifindex;
	ev->kind = kind;
	ev->family = m->family;
	ev->ttl = m->ttl;
	ev->has_vlan = m->has_vlan;
	ev->vlan_id = m->vlan_id;
	ev->vrrp_len = len;
	ev->ip_payload_len = m->payload_len;
	__builtin_memcpy(ev->src_mac, m->src_mac, sizeof(ev->src_mac));
	__builtin_memcpy(ev->saddr, m->saddr, sizeof(ev->saddr));
	__builtin_memcpy(ev->daddr, m->daddr, sizeof(ev->daddr));

	/* The copy's length as a 64-bit value hidden from the optimiser: checked and passed in
	 * the same register, so the verifier sees 1..XV_VRRP_MAX at the helper call (a 32-bit
	 * len is zero-extended into a copy that carries the bounds away). */
	__u64 n = len;

	barrier_var(n);
	if (n < 1 || n > XV_VRRP_MAX || bpf_xdp_load_bytes(ctx, off, ev->vrrp, n)) {
		bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP);
		st->truncated++;
		return XDP_PASS;
	}
	if (kind == XV_EV_DROPPED) {
		bpf_ringbuf_submit(ev, 0);
		return XDP_DROP;
	}
	if (wake) {
		bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
		st->adv_woken++;
		if (rx)
			rx->woken++;
	} else {
		/* Unfiltered interface: the kernel signals only when the consumer has caught
		 * up, so a busy daemon is not woken per advert. */
		bpf_ringbuf_submit(ev, 0);
	}
	st->rx_adverts++;
	return XDP_DROP;
}

/* True when the first LEN bytes of the advert the daemon follows (EX) and of the message in
 * BUF are equal. A global function: the verifier walks its XV_VRRP_MAX / 4 iterations once,
 * with LEN unknown, instead of once per state reaching each inlined copy (584,617 insns
 * processed with two copies inlined, most of them here). Both pointers are map values. */
__noinline int xv_expect_msg_equal(const struct xv_expect *ex, const struct xv_scratch *buf,
				   __u32 len)
{
	if (!ex || !buf)
		return 0;
	return xv_msg_equal(ex->msg, buf->msg, len);
}

/* As xv_expect_msg_equal, against an xv_seen slot's copy of the expectation. */
__noinline int xv_seen_msg_equal(const struct xv_seen *q, const struct xv_scratch *buf, __u32 len)
{
	if (!q || !buf)
		return 0;
	return xv_msg_equal(q->msg, buf->msg, len);
}

/* How old the heartbeat may be before VRRP of this instance also goes to the stack: 3 advert
 * intervals, under the Master_Down_Interval of a keepalived started here (RFC 5798 6.1), so
 * it hears the master before its own timer runs out; at most XV_HEARTBEAT_GONE_NS. */
static __always_inline __u64 xv_gone_after_cs(__u16 interval_cs)
{
	__u64 ns = 3ull * interval_cs * 10000000ull;

	return ns && ns < XV_HEARTBEAT_GONE_NS ? ns : XV_HEARTBEAT_GONE_NS;
}

static __always_inline __u64 xv_gone_after(const struct xv_inst_cfg *cfg)
{
	return xv_gone_after_cs(cfg->interval_cs);
}

/* The quiet fast path, before any other check: a repeat of the advert the daemon follows
 * from the same source to the same destination with the same TTL and bytes is one the
 * daemon's checks (RFC 5798 7.1) already accepted, checksum and all; it only says the master
 * is alive. The expectation is the daemon's copy in the instance's xv_seen slot, found
 * through xv_slots (two array reads, no hash walk), read under its sequence lock. True when
 * absorbed; GONE then holds the instance's heartbeat bound. The rate limit is not applied:
 * absorbed adverts cost the daemon nothing. Without a slot (more instances than slots, or
 * two interfaces sharing an xv_slots entry) the full checks run, and absorb through
 * xv_expect. */
static __always_inline bool xv_vrrp_quiet(struct xdp_md *ctx, struct xv_stats *st,
					  const struct xv_meta *m, const __u8 *hdr, __u32 off,
					  __u32 len, __u64 ts, __u64 *gone)
{
	__u32 ifindex = ctx->ingress_ifindex, zero = 0, idx, seq;
	struct xv_scratch *buf;
	struct xv_seen *q;
	__u64 *slot;

	idx = xv_slot_index(ifindex, m->family, hdr[1]);
	slot = bpf_map_lookup_elem(&xv_slots, &idx);
	if (!slot || !*slot || *slot > XV_MAX_INSTANCES)
		return false;
	idx = *slot - 1;
	q = bpf_map_lookup_elem(&xv_seen, &idx);
	if (!q)
		return false;
	/* The sequence before the fields and after the compare: x86 keeps loads in order and
	 * the barriers keep the compiler from moving them, so a copy xvrrpd rewrote meanwhile
	 * is never absorbed against. A CPU that reorders loads needs an acquire load here
	 * (BPF has one from Linux 6.15); until then such a CPU may, in the instant of a
	 * rewrite, compare a mix of two expectations the daemon accepted one after the other. */
	seq = *(volatile __u32 *)&q->seq;
	barrier();
	if ((seq & 1) || !q->len || len != q->len || q->ifindex != ifindex ||
	    q->family != m->family || q->vrid != hdr[1] || m->ttl != q->ttl ||
	    hdr[2] != q->priority || !xv_msg_equal(q->master, m->saddr, 16) ||
	    !xv_msg_equal(q->daddr, m->daddr, 16))
		return false;
	buf = bpf_map_lookup_elem(&xv_scratch, &zero);
	if (!buf)
		return false;
	/* Checked and passed in one 64-bit register (see xv_submit). */
	__u64 n = len;

	barrier_var(n);
	if (n < XV_VRRP_HDR_MIN || n > XV_VRRP_MAX || bpf_xdp_load_bytes(ctx, off, buf->msg, n) ||
	    !xv_seen_msg_equal(q, buf, len))
		return false;
	__u16 own_cs = q->own_interval_cs;

	barrier();
	if (*(volatile __u32 *)&q->seq != seq)
		return false;
	*gone = xv_gone_after_cs(own_cs);
	if (q->last_seen_ns < ts)
		q->last_seen_ns = ts;
	__sync_fetch_and_add(&q->quiet, 1);
	st->adv_quiet++;
	return true;
}

/* A VRRP message at OFF..OFF+LEN on an XV_IF_FILTER interface. GONE: set to the instance's
 * heartbeat bound once its configuration is found. */
static __always_inline int xv_vrrp_filtered(struct xdp_md *ctx, struct xv_stats *st,
					    const struct xv_meta *m, __u8 *hdr, __u32 off,
					    __u32 len, __u32 ifflags, __u64 ts, __u64 *gone)
{
	__u32 alen = m->family == XV_FAMILY_V4 ? 4 : 16, want, zero = 0;
	struct xv_src_key src = {};
	struct xv_inst_cfg *cfg;
	struct xv_scratch *buf;
	struct xv_vrid_rx *rx;
	struct xv_expect *ex;
	struct xv_peer *peer;
	__u64 *ctr;
	__u16 interval;
	__u8 version;

	src.inst.ifindex = ctx->ingress_ifindex;
	src.inst.family = m->family;
	src.inst.vrid = hdr[1];
	__builtin_memcpy(src.addr, m->saddr, 16);

	/* RFC 5798 7.1: the VRID must be configured on the receiving interface. */
	cfg = bpf_map_lookup_elem(&xv_inst, &src.inst);
	if (!cfg) {
		if (ifflags & XV_IF_SHARED) {
			st->vrid_shared++;
			return XDP_PASS; /* the other VRRP speaker's */
		}
		st->drop_vrid++;
		return XDP_DROP;
	}
	*gone = xv_gone_after(cfg);
	if (xv_rate_exceeded(&src, cfg, ts)) {
		st->drop_rate++;
		return XDP_DROP;
	}
	/* RFC 5798 7.1: TTL 255; keepalived (and vrrp::validate) skip it for unicast. */
	if (!(cfg->flags & XV_INST_UNICAST) && m->ttl != 255) {
		ctr = &st->drop_ttl;
		goto refused;
	}
	/* keepalived: a multicast advert for a unicast instance, or the reverse, is an error. */
	if (!(cfg->flags & XV_INST_UNICAST) !=
	    (m->family == XV_FAMILY_V4 ? (m->daddr[0] & 0xf0) == 0xe0 : m->daddr[0] == 0xff)) {
		ctr = &st->drop_cast;
		goto refused;
	}
	version = hdr[0] >> 4;
	if (version != cfg->version || (hdr[0] & 0x0f) != XV_VRRP_TYPE_ADVERT) {
		ctr = &st->drop_version;
		goto refused;
	}
	/* RFC 5798 7.1: exactly the advertised addresses (+ v2 IPv4 auth data). */
	want = XV_VRRP_HDR_MIN + hdr[3] * alen;
	if (version == 2 && m->family == XV_FAMILY_V4)
		want += XV_AUTH_LEN;
	if (len != want) {
		ctr = &st->drop_length;
		goto refused;
	}
	buf = bpf_map_lookup_elem(&xv_scratch, &zero);
	if (!buf)
		return XDP_DROP;
	barrier_var(len);
	if (len < XV_VRRP_HDR_MIN || len > XV_VRRP_MAX ||
	    bpf_xdp_load_bytes(ctx, off, buf->msg, len)) {
		st->truncated++;
		return XDP_PASS;
	}
	if (!xv_csum_ok(m, buf->msg, len & ~3u, version)) {
		ctr = &st->drop_csum;
		goto refused;
	}
	if (version == 2 && m->family == XV_FAMILY_V4 &&
	    !xv_auth_ok(cfg, buf->msg, XV_VRRP_HDR_MIN + hdr[3] * 4)) {
		ctr = &st->drop_auth;
		goto refused;
	}
	/* RFC 3768 7.1: a v2 Adver Int must be ours (v3 learns the master's, RFC 5798 6.4.2). */
	if (version == 2 && buf->msg[5] * 100 != cfg->interval_cs) {
		ctr = &st->drop_interval;
		goto refused;
	}
	if (cfg->flags & XV_INST_PEERS) {
		peer = bpf_map_lookup_elem(&xv_peers, &src);
		if (!peer) {
			ctr = &st->drop_peer;
			goto refused;
		}
		if ((cfg->flags & XV_INST_UNICAST) &&
		    (m->ttl < peer->min_ttl || m->ttl > peer->max_ttl)) {
			ctr = &st->drop_ttl;
			goto refused;
		}
	}

	/* The quiet fast path: same master, priority (not 0), interval and message. */
	rx = xv_rx_counters(&src.inst);
	if (rx)
		rx->adverts++;
	ex = bpf_map_lookup_elem(&xv_expect, &src.inst);
	/* Without counters nothing would tell the daemon its master is alive: never absorb. */
	if (!ex || !rx)
		return xv_submit(ctx, st, m, off, len, ts, rx, true, XV_EV_ADVERT);
	interval = version == 2 ? buf->msg[5] * 100 : ((buf->msg[4] << 8 | buf->msg[5]) & 0x0fff);
	if (hdr[2] == 0 || hdr[2] != ex->priority || interval != ex->interval_cs ||
	    len != ex->len || !xv_msg_equal(ex->master, m->saddr, 16) ||
	    !xv_expect_msg_equal(ex, buf, len))
		return xv_submit(ctx, st, m, off, len, ts, rx, true, XV_EV_ADVERT);
	rx->last_seen_ns = ts;
	rx->quiet++;
	st->adv_quiet++;
	xv_stamp_seen(ex->seen_slot, ts);
	return XDP_DROP;

refused:
	/* keepalived logs every advert it refuses ("wrong version. Received 2 and expect 3"):
	 * a sample per instance and CPU reaches the daemon, which logs it in those words. */
	(*ctr)++;
	rx = xv_rx_counters(&src.inst);
	if (rx && len <= XV_VRRP_MAX && ts - rx->drop_sample_ns >= XV_DROP_SAMPLE_NS) {
		rx->drop_sample_ns = ts;
		xv_submit(ctx, st, m, off, len, ts, NULL, false, XV_EV_DROPPED);
	}
	return XDP_DROP;
}

/* A VRRP message at OFF (HDR in the frame) of M->payload_len bytes. GONE: how old the
 * heartbeat may be before what is dropped here goes to the stack (per instance when known). */
static __always_inline int xv_vrrp_in(struct xdp_md *ctx, struct xv_stats *st, struct xv_meta *m,
				      __u8 *hdr, __u32 off, __u64 ts, __u64 *gone)
{
	void *end = (void *)(long)ctx->data_end;
	__u32 ifindex = ctx->ingress_ifindex, flags;
	__u32 len = m->payload_len;

	*gone = XV_HEARTBEAT_GONE_NS;
	if (len > XV_VRRP_MAX) {
		st->too_long++;
		return XDP_DROP;
	}
	/* The IP header promises more than the frame holds (or less than a VRRP header). */
	if (len < XV_VRRP_HDR_MIN || (__u64)off + len > bpf_xdp_get_buff_len(ctx) ||
	    (void *)(hdr + XV_VRRP_HDR_MIN) > end) {
		st->truncated++;
		return XDP_PASS;
	}
	xv_driver_vlan(ctx, m);
	if (m->vlan_id)
		return xv_vrrp_tagged(st, m, ifindex, xv_if_flags(ifindex, false));
	if (xv_vrrp_quiet(ctx, st, m, hdr, off, len, ts, gone))
		return XDP_DROP;
	flags = xv_if_flags(ifindex, false);
	if (flags & XV_IF_FILTER)
		return xv_vrrp_filtered(ctx, st, m, hdr, off, len, flags, ts, gone);
	if (flags & XV_IF_SHARED) {
		/* No instance here and another speaker may use it (or it only carries VIPs). */
		st->vrid_shared++;
		return XDP_PASS;
	}
	return xv_submit(ctx, st, m, off, len, ts, NULL, false, XV_EV_ADVERT);
}

SEC("xdp")
int xv_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 ifindex = ctx->ingress_ifindex;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *ip4 = NULL;
	struct xv_meta m = {};
	struct xv_stats *st;
	__u32 key = 0, flags;
	__u8 nh = XV_NH_UNKNOWN;
	enum xv_parse r = XV_P_NOT_VRRP;
	void *cur = data, *l4 = NULL;
	__be16 proto = 0;
	__u64 ts, gone;
	int verdict;

	st = bpf_map_lookup_elem(&xv_stats, &key);
	if (!st)
		return XDP_PASS;
	flags = xv_if_flags(ifindex, true);

	if (flags & XV_IF_NO_ETH) {
		/* tun/WireGuard: no link header, the IP version nibble decides. */
		__u8 *b = cur;

		if ((void *)(b + 1) > end) {
			st->truncated++;
			return XDP_PASS;
		}
		proto = (*b >> 4) == 4	 ? bpf_htons(ETH_P_IP)
			: (*b >> 4) == 6 ? bpf_htons(ETH_P_IPV6)
					 : 0;
	} else {
		r = xv_parse_eth(&cur, end, &proto, &m);
	}
	if (r == XV_P_NOT_VRRP) {
		if (proto == bpf_htons(ETH_P_IP))
			r = xv_parse_ipv4(&cur, end, &m, &ip4);
		else if (proto == bpf_htons(ETH_P_IPV6))
			r = xv_parse_ipv6(&cur, end, &m, &ip6, &nh, &l4);
		else if (proto == bpf_htons(ETH_P_ARP))
			return xv_arp_in(st, ifindex, cur, end);
	}

	switch (r) {
	case XV_P_VRRP:
		break;
	case XV_P_FRAGMENT:
		st->bad_ip++;
		return XDP_DROP;
	case XV_P_BAD_IP:
		st->bad_ip++;
		return XDP_PASS;
	default:
		/* A repeat of an Up BFD session's packet (untagged, plain headers) is absorbed. */
		if (r == XV_P_NOT_VRRP && !m.has_vlan) {
			if (ip4 && ip4->ihl == 5 && xv_is_bfd(ip4 + 1, ip4->protocol, end)) {
				xv_driver_vlan(ctx, &m);
				if (!m.has_vlan &&
				    xv_bfd_rx(ctx, (void *)ip4 - data, XV_FAMILY_V4) == XDP_DROP)
					return XDP_DROP;
			} else if (ip6 && (void *)(ip6 + 1) <= end &&
				   xv_is_bfd(ip6 + 1, ip6->nexthdr, end)) {
				xv_driver_vlan(ctx, &m);
				if (!m.has_vlan &&
				    xv_bfd_rx(ctx, (void *)ip6 - data, XV_FAMILY_V6) == XDP_DROP)
					return XDP_DROP;
			}
		}
		/* Not VRRP (or cut short after the fixed header): the VIP verdict decides. */
		if (r == XV_P_TRUNCATED)
			st->truncated++;
		if (ip4 && (void *)(ip4 + 1) <= end)
			return xv_ip_in(st, ifindex, XV_FAMILY_V4, (__u8 *)&ip4->daddr, false,
					r == XV_P_TRUNCATED);
		if (ip6 && (void *)(ip6 + 1) <= end)
			return xv_ipv6_in(st, ifindex, ip6, nh, l4, end, r == XV_P_TRUNCATED,
					  m.ext_deep);
		if (r != XV_P_TRUNCATED)
			st->rx_passed++;
		return XDP_PASS;
	}

	ts = bpf_ktime_get_ns();
	verdict = xv_vrrp_in(ctx, st, &m, cur, cur - data, ts, &gone);
	/* Dead or hung daemon: nobody acts on what was consumed, let the stack have it too. */
	if (verdict == XDP_DROP && xv_heartbeat_stale(ts, gone))
		return XDP_PASS;
	return verdict;
}
