/* Receive checks of RFC 5798 section 7.1 done in XDP for instances the daemon configured
 * (xv_inst), mirroring vrrp::validate(): TTL, version and type, length, checksum, v2 PASS
 * authentication, unicast peers, plus a per-source rate limit. */
#pragma once

#include "xv_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_MAX_INSTANCES);
	__type(key, struct xv_inst_key);
	__type(value, struct xv_inst_cfg);
} xv_inst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XV_MAX_PEERS);
	__type(key, struct xv_src_key);
	__type(value, struct xv_peer);
} xv_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XV_MAX_RATELIM);
	__type(key, struct xv_src_key);
	__type(value, struct xv_ratelim);
} xv_ratelim SEC(".maps");

/* Per-CPU copy of the message being checked (bpf_csum_diff needs it in memory). */
struct xv_scratch {
	__u8 msg[XV_VRRP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xv_scratch);
} xv_scratch SEC(".maps");

#define XV_VRRP_TYPE_ADVERT 1
#define XV_AUTH_LEN 8

/* Token bucket as a theoretical arrival time (GCRA): BURST adverts back to back, then one
 * per INTERVAL. True when this advert is over the limit. */
static __always_inline bool xv_rate_exceeded(const struct xv_src_key *key,
					     const struct xv_inst_cfg *cfg, __u64 now)
{
	__u64 t = cfg->rl_interval_ns, tat;
	__u64 tau = t * (cfg->rl_burst ? cfg->rl_burst - 1 : 0);
	struct xv_ratelim *rl, fresh = {};

	if (!t)
		return false;
	rl = bpf_map_lookup_elem(&xv_ratelim, key);
	if (!rl) {
		fresh.tat_ns = now + t;
		bpf_map_update_elem(&xv_ratelim, key, &fresh, BPF_NOEXIST);
		return false;
	}
	tat = rl->tat_ns > now ? rl->tat_ns : now;
	if (tat - now > tau) {
		__sync_fetch_and_add(&rl->dropped, 1);
		return true;
	}
	rl->tat_ns = tat + t;
	return false;
}

static __always_inline __u32 xv_csum_add(__u32 a, __u32 b)
{
	a += b;
	return a + (a < b);
}

static __always_inline __u16 xv_csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* bpf_csum_diff sums at most 512 bytes a call (its scratch buffer). */
#define XV_CSUM_CHUNK 512
_Static_assert(XV_VRRP_MAX <= 3 * XV_CSUM_CHUNK, "xv_csum_msg sums three chunks");

/* Adds the chunk at OFF of the LEN bytes at MSG to SUM (OFF a constant). */
static __always_inline __s64 xv_csum_chunk(const __u8 *msg, __u32 len, __u32 off, __s64 sum)
{
	__u64 n;

	if (sum < 0 || off >= len)
		return sum;
	/* 64-bit and kept in one register, so the clamps below are on what the helper gets. */
	n = (__u64)len - off;
	barrier_var(n);
	if (n > XV_CSUM_CHUNK)
		n = XV_CSUM_CHUNK;
	if (n > XV_VRRP_MAX - off)
		n = XV_VRRP_MAX - off;
	return bpf_csum_diff(0, 0, (__be32 *)(msg + off), n, (__u32)sum);
}

/* Unfolded sum of the LEN bytes at MSG (LEN a multiple of 4, <= XV_VRRP_MAX); negative on
 * a helper error. Chunks start at multiples of 512, so the 16-bit words line up. */
static __always_inline __s64 xv_csum_msg(const __u8 *msg, __u32 len)
{
	__s64 sum = xv_csum_chunk(msg, len, 0, 0);

	sum = xv_csum_chunk(msg, len, XV_CSUM_CHUNK, sum);
	return xv_csum_chunk(msg, len, 2 * XV_CSUM_CHUNK, sum);
}

/* RFC 5798 section 5.2.8: v3 sums a pseudo-header (IPv4 as RFC 768, IPv6 as RFC 8200
 * 8.1); v2 over IPv4 sums the message alone (RFC 3768 5.3.8). keepalived's unicast v3
 * over IPv4 may use 224.0.0.18 as the pseudo destination: accepted as well. MSG holds LEN
 * bytes, LEN a multiple of 4 in 8..XV_VRRP_MAX. */
static __always_inline bool xv_csum_ok(const struct xv_meta *m, const __u8 *msg, __u32 len,
				       __u8 version)
{
	__u8 ph[40] = {};
	__s64 body, pseudo;

	body = xv_csum_msg(msg, len);
	if (body < 0)
		return false;
	if (m->family == XV_FAMILY_V6) {
		__builtin_memcpy(ph, m->saddr, 16);
		__builtin_memcpy(ph + 16, m->daddr, 16);
		ph[34] = len >> 8;
		ph[35] = len & 0xff;
		ph[39] = XV_IPPROTO_VRRP;
		pseudo = bpf_csum_diff(0, 0, (__be32 *)ph, 40, 0);
		return pseudo >= 0 && xv_csum_fold(xv_csum_add(body, pseudo)) == 0xffff;
	}
	if (version == 2)
		return xv_csum_fold(body) == 0xffff;
	__builtin_memcpy(ph, m->saddr, 4);
	__builtin_memcpy(ph + 4, m->daddr, 4);
	ph[9] = XV_IPPROTO_VRRP;
	ph[10] = len >> 8;
	ph[11] = len & 0xff;
	pseudo = bpf_csum_diff(0, 0, (__be32 *)ph, 12, 0);
	if (pseudo >= 0 && xv_csum_fold(xv_csum_add(body, pseudo)) == 0xffff)
		return true;
	if ((m->daddr[0] & 0xf0) == 0xe0)
		return false; /* multicast: only the standard form */
	ph[4] = 224;
	ph[5] = 0;
	ph[6] = 0;
	ph[7] = 18;
	pseudo = bpf_csum_diff(0, 0, (__be32 *)ph, 12, 0);
	return pseudo >= 0 && xv_csum_fold(xv_csum_add(body, pseudo)) == 0xffff;
}

/* v2 authentication (RFC 3768 section 7.1 / keepalived): type must match, PASS data must
 * equal the configured password. AUTH_OFF is where the 8 bytes start. */
static __always_inline bool xv_auth_ok(const struct xv_inst_cfg *cfg, const __u8 *msg,
				       __u32 auth_off)
{
	__u64 want, got;

	if (msg[4] != cfg->auth_type)
		return false;
	if (cfg->auth_type != XV_AUTH_PASS)
		return true;
	if (auth_off > XV_VRRP_MAX - XV_AUTH_LEN)
		return false;
	__builtin_memcpy(&want, cfg->auth_pass, XV_AUTH_LEN);
	__builtin_memcpy(&got, msg + auth_off, XV_AUTH_LEN);
	return want == got;
}

/* True when the LEN bytes at A and B are equal; LEN a multiple of 4, <= XV_VRRP_MAX.
 * (clang may turn __builtin_memcmp into a call BPF cannot make.) */
static __always_inline bool xv_msg_equal(const __u8 *a, const __u8 *b, __u32 len)
{
	for (__u32 i = 0; i < XV_VRRP_MAX / 4; i++) {
		__u32 x, y;

		if (i * 4 >= len)
			break;
		__builtin_memcpy(&x, a + i * 4, 4);
		__builtin_memcpy(&y, b + i * 4, 4);
		if (x != y)
			return false;
	}
	return true;
}
