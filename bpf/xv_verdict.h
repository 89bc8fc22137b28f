/* The effective verdict of a VIP: its xv_vips entry, overridden by the instance's fence
 * entry and by the daemon's dead-man switch. Shared by ingress and egress. */
#pragma once

#include "xv_maps.h"

/* Effective verdicts; the last three all act as XV_VERDICT_DROP_ALL. */
enum xv_eff {
	XV_E_NONE = 0, /* not a VIP */
	XV_E_PASS,
	XV_E_DROP_IP,
	XV_E_DROP_ALL,
	XV_E_FENCED,
	XV_E_STALE,
};

/* Fenced by the operator or by the arbiter: each owns an entry of its own. */
static __always_inline bool xv_fenced(const struct xv_inst_key *inst)
{
	struct xv_fence_key k = {
		.ifindex = inst->ifindex, .family = inst->family, .vrid = inst->vrid,
	};

	if (bpf_map_lookup_elem(&xv_fence, &k))
		return true;
	k.arbiter = 1;
	return bpf_map_lookup_elem(&xv_fence, &k) != NULL;
}

/* The dead-man switch: true when the daemon's heartbeat is older than MAX_AGE_NS at NOW, or
 * was never written. Signed: a heartbeat written on another CPU after NOW was read is fresh. */
static __always_inline bool xv_heartbeat_stale(__u64 now, __u64 max_age_ns)
{
	struct xv_heartbeat *hb;
	__u32 zero = 0;

	hb = bpf_map_lookup_elem(&xv_heartbeat, &zero);
	return !hb || !hb->ts_ns || (__s64)(now - hb->ts_ns) > (__s64)max_age_ns;
}

/* ADDR points at 4 (IPv4) or 16 (IPv6) bytes, in the packet or on the stack. */
static __always_inline enum xv_eff xv_vip_verdict(__u32 ifindex, __u8 family, const __u8 *addr)
{
	struct xv_addr_key key = {};
	struct xv_vip_bits *bits;
	struct xv_vip *vip;
	__u32 zero = 0, idx;

	/* Most traffic is not to a VIP: one bit test instead of a hash lookup. */
	bits = bpf_map_lookup_elem(&xv_vipbits, &zero);
	if (!bits)
		return XV_E_NONE;
	if (family == XV_FAMILY_V4)
		idx = (__u32)addr[2] << 8 | addr[3];
	else
		idx = (__u32)addr[14] << 8 | addr[15];
	if (!(bits->w[(idx >> 6) & (XV_VIPBITS_WORDS - 1)] & (1ull << (idx & 63))))
		return XV_E_NONE;

	key.ifindex = ifindex;
	key.family = family;
	if (family == XV_FAMILY_V4)
		__builtin_memcpy(key.addr, addr, 4);
	else
		__builtin_memcpy(key.addr, addr, 16);
	vip = bpf_map_lookup_elem(&xv_vips, &key);
	if (!vip)
		return XV_E_NONE;
	if (vip->verdict != XV_VERDICT_PASS && vip->verdict != XV_VERDICT_DROP_IP)
		return XV_E_DROP_ALL;
	if (xv_fenced(&vip->inst))
		return XV_E_FENCED;
	if (vip->max_age_ns && xv_heartbeat_stale(bpf_ktime_get_ns(), vip->max_age_ns))
		return XV_E_STALE;
	return vip->verdict == XV_VERDICT_PASS ? XV_E_PASS : XV_E_DROP_IP;
}

/* Counts a drop of EFF (>= XV_E_DROP_IP) on ingress. */
static __always_inline void xv_count_vip_drop(struct xv_stats *st, enum xv_eff eff)
{
	if (eff == XV_E_DROP_IP)
		st->vip_drop_ip++;
	else if (eff == XV_E_FENCED)
		st->vip_fenced++;
	else if (eff == XV_E_STALE)
		st->vip_stale++;
	else
		st->vip_drop_all++;
}
