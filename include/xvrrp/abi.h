/* Every struct that crosses the kernel/user boundary. Compiles as BPF C and C++.
 * Only fixed-width kernel types; padding is spelled out; every offset is asserted. */
#pragma once

#include <linux/types.h>

#define XV_ABI_VERSION 1

#ifdef __cplusplus
#include <cstddef>
#include <type_traits>
#define XV_ASSERT(cond, msg) static_assert(cond, msg)
#define XV_OFFSETOF(t, f) offsetof(t, f)
#else
#define XV_ASSERT(cond, msg) _Static_assert(cond, msg)
#define XV_OFFSETOF(t, f) __builtin_offsetof(t, f)
#endif

#define XV_CHECK(t, f, off) XV_ASSERT(XV_OFFSETOF(struct t, f) == (off), #t "." #f " moved")

/* IP protocol number of VRRP (RFC 5798 section 5.1.1.4). */
#define XV_IPPROTO_VRRP 112

/* Largest VRRP message the ring carries; longer ones are counted and dropped.
 * Covers 126 IPv4 or 31 IPv6 addresses. */
#define XV_VRRP_MAX 512

/* Ring buffer size in bytes (a power of two, a multiple of the page size). */
#define XV_RING_BYTES (1u << 22)

enum xv_family {
	XV_FAMILY_V4 = 4,
	XV_FAMILY_V6 = 6,
};

enum xv_event_kind {
	XV_EV_ADVERT = 1, /* a VRRP message as received, timestamped */
};

/* One received VRRP message, as submitted to the xv_ring ring buffer. */
struct xv_advert {
	__u64 ts_ns;          /* bpf_ktime_get_ns() at XDP entry (CLOCK_MONOTONIC) */
	__u32 abi_version;    /* XV_ABI_VERSION */
	__u32 ifindex;        /* ingress interface */
	__u8 kind;            /* enum xv_event_kind */
	__u8 family;          /* enum xv_family */
	__u8 ttl;             /* IPv4 TTL or IPv6 hop limit */
	__u8 has_vlan;        /* 1 when an 802.1Q tag was present */
	__u16 vlan_id;        /* host order, valid when has_vlan */
	__u16 vrrp_len;       /* bytes of VRRP message copied to vrrp[] */
	__u16 ip_payload_len; /* VRRP message length as the IP header states it */
	__u8 src_mac[6];      /* zero on interfaces without an Ethernet header */
	__u8 saddr[16];       /* network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];       /* network order; IPv4 in the first 4 bytes */
	__u8 vrrp[XV_VRRP_MAX];
};
XV_CHECK(xv_advert, ts_ns, 0);
XV_CHECK(xv_advert, abi_version, 8);
XV_CHECK(xv_advert, ifindex, 12);
XV_CHECK(xv_advert, kind, 16);
XV_CHECK(xv_advert, family, 17);
XV_CHECK(xv_advert, ttl, 18);
XV_CHECK(xv_advert, has_vlan, 19);
XV_CHECK(xv_advert, vlan_id, 20);
XV_CHECK(xv_advert, vrrp_len, 22);
XV_CHECK(xv_advert, ip_payload_len, 24);
XV_CHECK(xv_advert, src_mac, 26);
XV_CHECK(xv_advert, saddr, 32);
XV_CHECK(xv_advert, daddr, 48);
XV_CHECK(xv_advert, vrrp, 64);
XV_ASSERT(sizeof(struct xv_advert) == 64 + XV_VRRP_MAX, "xv_advert size");

/* Per-CPU receive counters (xv_stats, one entry). */
struct xv_stats {
	__u64 rx_adverts;    /* VRRP messages submitted to the ring */
	__u64 rx_passed;     /* frames that were not VRRP, passed to the stack */
	__u64 ring_full;     /* VRRP messages lost because the ring was full */
	__u64 too_long;      /* VRRP messages longer than XV_VRRP_MAX */
	__u64 truncated;     /* frames shorter than their headers claim */
	__u64 bad_ip;        /* malformed IP header (version, IHL, fragment) */
};
XV_CHECK(xv_stats, rx_adverts, 0);
XV_CHECK(xv_stats, rx_passed, 8);
XV_CHECK(xv_stats, ring_full, 16);
XV_CHECK(xv_stats, too_long, 24);
XV_CHECK(xv_stats, truncated, 32);
XV_CHECK(xv_stats, bad_ip, 40);
XV_ASSERT(sizeof(struct xv_stats) == 48, "xv_stats size");

/* Per-interface receive configuration (xv_ifcfg, key: __u32 ifindex). Interfaces
 * without an entry are treated as Ethernet. */
enum xv_if_flags {
	XV_IF_NO_ETH = 1u << 0, /* frames start at the IP header (tun, WireGuard) */
};

struct xv_if_cfg {
	__u32 flags; /* enum xv_if_flags */
};
XV_CHECK(xv_if_cfg, flags, 0);
XV_ASSERT(sizeof(struct xv_if_cfg) == 4, "xv_if_cfg size");

/* Identifies one VRRP instance: key of xv_fence (and of per-instance maps). */
struct xv_inst_key {
	__u32 ifindex;
	__u8 family; /* enum xv_family */
	__u8 vrid;
	__u8 pad[2]; /* zero */
};
XV_CHECK(xv_inst_key, ifindex, 0);
XV_CHECK(xv_inst_key, family, 4);
XV_CHECK(xv_inst_key, vrid, 5);
XV_CHECK(xv_inst_key, pad, 6);
XV_ASSERT(sizeof(struct xv_inst_key) == 8, "xv_inst_key size");

enum xv_fence_by {
	XV_FENCE_OPERATOR = 1, /* xvrrpctl fence */
	XV_FENCE_ARBITER = 2,  /* xvrrp-arbiter */
};

/* Value of the pinned xv_fence map: the instance must not serve its VIPs. Set and cleared
 * by processes other than xvrrpd; the kernel applies it even when xvrrpd is hung. */
struct xv_fence {
	__u64 since_ns; /* CLOCK_MONOTONIC when set */
	__u32 by;       /* enum xv_fence_by */
	__u32 pad;      /* zero */
};
XV_CHECK(xv_fence, since_ns, 0);
XV_CHECK(xv_fence, by, 8);
XV_CHECK(xv_fence, pad, 12);
XV_ASSERT(sizeof(struct xv_fence) == 16, "xv_fence size");

#ifdef __cplusplus
static_assert(std::is_trivially_copyable_v<xv_advert>);
static_assert(std::has_unique_object_representations_v<xv_advert>);
static_assert(std::is_trivially_copyable_v<xv_stats>);
static_assert(std::has_unique_object_representations_v<xv_stats>);
static_assert(std::is_trivially_copyable_v<xv_if_cfg>);
static_assert(std::has_unique_object_representations_v<xv_if_cfg>);
static_assert(std::is_trivially_copyable_v<xv_inst_key>);
static_assert(std::has_unique_object_representations_v<xv_inst_key>);
static_assert(std::is_trivially_copyable_v<xv_fence>);
static_assert(std::has_unique_object_representations_v<xv_fence>);
#endif
