/* Every struct that crosses the kernel/user boundary. Compiles as BPF C and C++.
 * Only fixed-width kernel types; padding is spelled out; every offset is asserted. */
#pragma once

#include <linux/types.h>

#define XV_ABI_VERSION 11

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

/* Largest VRRP message the ring carries; longer ones are counted (too_long) and dropped.
 * The longest advert keepalived 2.2.7 sends on a 1500-byte MTU: 8 + 89 IPv6 addresses.
 * IPv4 adverts never need more (255 addresses, 1036 bytes with v2 authentication);
 * `xvrrpd -t` refuses an instance that would advertise more than fits here. */
#define XV_VRRP_MAX 1432

/* Capacities of the kernel maps, all derived from the instance count. `xvrrpd -t` checks a
 * configuration against them (what it accepts, start accepts), so raising the instance
 * count is this one change. */
#define XV_MAX_INSTANCES 1024                  /* xv_inst, xv_expect, xv_vrid_rx, xv_seen; xv_fence x2 */
#define XV_MAX_VIPS (4 * XV_MAX_INSTANCES)     /* xv_vips: (interface, address) of all VIPs */
#define XV_MAX_PEERS (4 * XV_MAX_INSTANCES)    /* xv_peers: unicast peers of all instances */
#define XV_MAX_IFACES XV_MAX_INSTANCES         /* xv_ifcfg: interfaces with xv_rx attached */
#define XV_MAX_VLANS XV_MAX_INSTANCES          /* xv_vlans: one VLAN per instance at most */
#define XV_MAX_RATELIM (8 * XV_MAX_INSTANCES)  /* xv_ratelim: sources seen (LRU) */
#define XV_MAX_BFD XV_MAX_INSTANCES            /* xv_bfd_expect, xv_bfd_seen: BFD sessions */
/* xv_slots: rows of 512 (family, VRID) indexed by ifindex modulo this; two interfaces with
 * instances whose ifindexes share a row and VRID share an entry (the first keeps it, the
 * other absorbs through xv_expect's hash: slower, never wrong). 2 MiB. */
#define XV_SLOT_ROWS 512
#define XV_SLOTS (XV_SLOT_ROWS * 512)

/* Ring buffer size in bytes (a power of two, a multiple of the page size). */
#define XV_RING_BYTES (1u << 22)

/* A daemon whose heartbeat (xv_heartbeat) is older than this is gone or hung: xv_rx then
 * hands VRRP to the stack as well, so a keepalived started on the node hears its peers. For
 * a configured instance the bound is lower, 3 of its advert intervals (xv_gone_after, bpf/xvrrp_xdp.bpf.c).
 * xvrrpd writes the heartbeat at least every 500 ms (its housekeeping timer). */
#define XV_HEARTBEAT_GONE_NS 1000000000ull

enum xv_family {
	XV_FAMILY_V4 = 4,
	XV_FAMILY_V6 = 6,
};

enum xv_event_kind {
	XV_EV_ADVERT = 1,  /* a VRRP message as received, timestamped */
	XV_EV_DROPPED = 2, /* a sample of the messages the kernel refused for an instance, at
			    * most one per XV_DROP_SAMPLE_NS per CPU: the daemon logs why */
};

/* Interval between two samples of refused adverts of one instance on one CPU. */
#define XV_DROP_SAMPLE_NS 250000000ull

/* One received VRRP message, as submitted to the xv_ring ring buffer. */
struct xv_advert {
	__u64 ts_ns;          /* bpf_ktime_get_ns() at XDP entry (CLOCK_MONOTONIC) */
	__u32 abi_version;    /* XV_ABI_VERSION */
	__u32 ifindex;        /* ingress interface */
	__u8 kind;            /* enum xv_event_kind */
	__u8 family;          /* enum xv_family */
	__u8 ttl;             /* IPv4 TTL or IPv6 hop limit */
	__u8 has_vlan;        /* 1 when an 802.1Q/802.1ad tag was present (frame or driver) */
	__u16 vlan_id;        /* host order: first non-zero VID; 0: untagged or priority only */
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

/* Per-CPU counters (xv_stats, one entry). Every drop reason has its own field. */
struct xv_stats {
	__u64 rx_adverts;    /* VRRP messages submitted to the ring */
	__u64 rx_passed;     /* frames that were not VRRP, passed to the stack */
	__u64 ring_full;     /* VRRP messages lost because the ring was full */
	__u64 too_long;      /* VRRP messages longer than XV_VRRP_MAX */
	__u64 truncated;     /* frames shorter than their headers claim */
	__u64 bad_ip;        /* malformed IP header (version, IHL, fragment) */
	/* Validation on XV_IF_FILTER interfaces (RFC 5798 section 7.1), all dropped: */
	__u64 drop_vrid;     /* VRID/family not configured on the interface */
	__u64 drop_ttl;      /* TTL / hop limit not 255 (multicast) or outside a peer's range */
	__u64 drop_version;  /* version not the instance's, or type not ADVERTISEMENT */
	__u64 drop_length;   /* length does not match the address count */
	__u64 drop_csum;     /* checksum wrong */
	__u64 drop_auth;     /* v2 auth type or PASS password mismatch */
	__u64 drop_peer;     /* source not in the unicast peer allow-list */
	__u64 drop_rate;     /* over the per-source rate limit */
	__u64 vrid_shared;   /* VRRP passed to the stack on an XV_IF_SHARED interface: an unknown
			      * VRID, or any VRRP where no instance is configured */
	/* Quiet fast path: */
	__u64 adv_quiet;     /* adverts that only confirmed the expected master: no ring record */
	__u64 adv_woken;     /* adverts submitted with a forced wakeup */
	/* VIP verdicts (ingress XDP, egress TC): */
	__u64 vip_drop_ip;   /* IP to a VIP of a master without accept mode */
	__u64 vip_drop_all;  /* anything to a VIP of a non-owner (backup, fault, init) */
	__u64 vip_fenced;    /* dropped because the instance is fenced */
	__u64 vip_stale;     /* dropped because the daemon heartbeat is too old */
	__u64 tx_vip_drop;   /* egress packets from a VIP we must not speak for */
	__u64 tx_passed;     /* egress packets passed */
	/* VLAN (an advert counts only on the VLAN of its instance) and IPv6 header chains: */
	__u64 drop_vlan;     /* VRRP tagged with a VLAN that has no instance of ours here */
	__u64 vlan_passed;   /* tagged VRRP passed to the stack, for a VLAN sub-interface */
	__u64 ext_too_deep;  /* IPv6 hop limit 255 with more extension headers than the walk
			      * bound: it may be ND whose target cannot be checked, dropped */
	__u64 drop_cast;     /* multicast advert to a unicast instance or the reverse */
	__u64 drop_interval; /* v2 Adver Int not the configured one (RFC 3768 7.1) */
};
XV_CHECK(xv_stats, rx_adverts, 0);
XV_CHECK(xv_stats, rx_passed, 8);
XV_CHECK(xv_stats, ring_full, 16);
XV_CHECK(xv_stats, too_long, 24);
XV_CHECK(xv_stats, truncated, 32);
XV_CHECK(xv_stats, bad_ip, 40);
XV_CHECK(xv_stats, drop_vrid, 48);
XV_CHECK(xv_stats, drop_ttl, 56);
XV_CHECK(xv_stats, drop_version, 64);
XV_CHECK(xv_stats, drop_length, 72);
XV_CHECK(xv_stats, drop_csum, 80);
XV_CHECK(xv_stats, drop_auth, 88);
XV_CHECK(xv_stats, drop_peer, 96);
XV_CHECK(xv_stats, drop_rate, 104);
XV_CHECK(xv_stats, vrid_shared, 112);
XV_CHECK(xv_stats, adv_quiet, 120);
XV_CHECK(xv_stats, adv_woken, 128);
XV_CHECK(xv_stats, vip_drop_ip, 136);
XV_CHECK(xv_stats, vip_drop_all, 144);
XV_CHECK(xv_stats, vip_fenced, 152);
XV_CHECK(xv_stats, vip_stale, 160);
XV_CHECK(xv_stats, tx_vip_drop, 168);
XV_CHECK(xv_stats, tx_passed, 176);
XV_CHECK(xv_stats, drop_vlan, 184);
XV_CHECK(xv_stats, vlan_passed, 192);
XV_CHECK(xv_stats, ext_too_deep, 200);
XV_CHECK(xv_stats, drop_cast, 208);
XV_CHECK(xv_stats, drop_interval, 216);
XV_ASSERT(sizeof(struct xv_stats) == 224, "xv_stats size");

/* Per-interface receive configuration (xv_ifcfg, key: __u32 ifindex). Interfaces
 * without an entry are treated as Ethernet. */
enum xv_if_flags {
	XV_IF_NO_ETH = 1u << 0, /* frames start at the IP header (tun, WireGuard) */
	XV_IF_SHARED = 1u << 1, /* another VRRP speaker uses it: pass unknown VRIDs to the stack */
	XV_IF_FILTER = 1u << 2, /* instances configured: validate adverts in the kernel */
	/* xvrrpd created the clsact qdisc here (not read by BPF): `xvrrpd --cleanup` after a
	 * crash removes only a qdisc it finds this flag for. */
	XV_IF_OWN_CLSACT = 1u << 3,
};

struct xv_if_cfg {
	__u32 flags; /* enum xv_if_flags */
};
XV_CHECK(xv_if_cfg, flags, 0);
XV_ASSERT(sizeof(struct xv_if_cfg) == 4, "xv_if_cfg size");

/* xv_global (one entry): summaries that keep per-packet hash lookups off the common path. */
struct xv_global {
	__u32 no_eth_ifaces; /* xv_ifcfg entries with XV_IF_NO_ETH; 0: skip the lookup */
	__u32 pad;           /* zero */
};
XV_CHECK(xv_global, no_eth_ifaces, 0);
XV_CHECK(xv_global, pad, 4);
XV_ASSERT(sizeof(struct xv_global) == 8, "xv_global size");

/* Key of xv_vlans: a VLAN of the XDP interface IFINDEX that carries one of our instances on
 * a sub-interface (or that the daemon otherwise lets through). Tagged VRRP for other VLANs
 * is dropped (drop_vlan): the stack would not deliver it to an instance of IFINDEX. */
struct xv_vlan_key {
	__u32 ifindex; /* the interface XDP sees the tagged frame on (the VLAN's parent) */
	__be16 tpid;   /* 0x8100 (802.1Q) or 0x88a8 (802.1ad), network order */
	__u16 vid;     /* 1..4094, host order */
};
XV_CHECK(xv_vlan_key, ifindex, 0);
XV_CHECK(xv_vlan_key, tpid, 4);
XV_CHECK(xv_vlan_key, vid, 6);
XV_ASSERT(sizeof(struct xv_vlan_key) == 8, "xv_vlan_key size");

/* Value of xv_vlans. */
struct xv_vlan {
	__u32 instances; /* instances of ours on that sub-interface */
};
XV_CHECK(xv_vlan, instances, 0);
XV_ASSERT(sizeof(struct xv_vlan) == 4, "xv_vlan size");

/* Identifies one VRRP instance: key of the per-instance maps. */
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
	XV_FENCE_OPERATOR = 1, /* xvrrpctl fence (through xvrrpd), or bpftool by hand */
	XV_FENCE_ARBITER = 2,  /* xvrrp-arbiter */
};

/* Key of the pinned xv_fence map: one entry per instance and owner, so each writer only
 * ever sets and deletes its own entry (no read-then-delete between the arbiter and the
 * operator) and the kernel drops the VIPs while either exists. Same layout as xv_inst_key
 * with its first pad byte naming the owner: a key written by hand with zero padding is the
 * operator's. */
struct xv_fence_key {
	__u32 ifindex;
	__u8 family;  /* enum xv_family */
	__u8 vrid;
	__u8 arbiter; /* 1: xvrrp-arbiter's entry, 0: the operator's */
	__u8 pad;     /* zero */
};
XV_CHECK(xv_fence_key, ifindex, 0);
XV_CHECK(xv_fence_key, family, 4);
XV_CHECK(xv_fence_key, vrid, 5);
XV_CHECK(xv_fence_key, arbiter, 6);
XV_CHECK(xv_fence_key, pad, 7);
XV_ASSERT(sizeof(struct xv_fence_key) == 8, "xv_fence_key size");

/* Value of the pinned xv_fence map: the instance must not serve its VIPs. Written by
 * dataplane::FenceMap (xvrrpd for the operator, xvrrp-arbiter for itself) or by hand; the
 * kernel applies it even when xvrrpd is hung. `by` repeats the key's owner for readers. */
struct xv_fence {
	__u64 since_ns; /* CLOCK_MONOTONIC when set */
	__u32 by;       /* enum xv_fence_by */
	__u32 pad;      /* zero */
};
XV_CHECK(xv_fence, since_ns, 0);
XV_CHECK(xv_fence, by, 8);
XV_CHECK(xv_fence, pad, 12);
XV_ASSERT(sizeof(struct xv_fence) == 16, "xv_fence size");

/* Key of xv_vips: an address on an interface. */
struct xv_addr_key {
	__u32 ifindex;
	__u8 family;  /* enum xv_family */
	__u8 pad[3];  /* zero */
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes, rest zero */
};
XV_CHECK(xv_addr_key, ifindex, 0);
XV_CHECK(xv_addr_key, family, 4);
XV_CHECK(xv_addr_key, pad, 5);
XV_CHECK(xv_addr_key, addr, 8);
XV_ASSERT(sizeof(struct xv_addr_key) == 24, "xv_addr_key size");

/* What this node may do with traffic to (ingress) or from (egress) a VIP. */
enum xv_verdict {
	XV_VERDICT_PASS = 1,     /* owner, or master in accept mode */
	XV_VERDICT_DROP_IP = 2,  /* master without accept mode (RFC 5798 6.4.3): ARP, ND, VRRP only */
	XV_VERDICT_DROP_ALL = 3, /* backup, fault, init: nothing, not even ARP or NS for it */
};

/* Value of xv_vips. The fence entry of inst and a stale heartbeat both turn any verdict
 * into XV_VERDICT_DROP_ALL; unknown verdicts count as DROP_ALL. */
struct xv_vip {
	__u64 max_age_ns; /* heartbeat older than this: DROP_ALL (0: no dead-man switch) */
	struct xv_inst_key inst;
	__u8 verdict; /* enum xv_verdict */
	__u8 pad[7];  /* zero */
};
XV_CHECK(xv_vip, max_age_ns, 0);
XV_CHECK(xv_vip, inst, 8);
XV_CHECK(xv_vip, verdict, 16);
XV_CHECK(xv_vip, pad, 17);
XV_ASSERT(sizeof(struct xv_vip) == 24, "xv_vip size");

/* xv_vipbits (one entry): bit (addr[n-2] << 8 | addr[n-1]) is set when some VIP ends in
 * those two bytes, so traffic to other addresses skips the hash lookup. */
#define XV_VIPBITS_WORDS 1024
struct xv_vip_bits {
	__u64 w[XV_VIPBITS_WORDS];
};
XV_CHECK(xv_vip_bits, w, 0);
XV_ASSERT(sizeof(struct xv_vip_bits) == 8192, "xv_vip_bits size");

/* xv_heartbeat (one entry): the daemon's dead-man switch, and who writes it (a second
 * daemon finding our xv_rx on an interface names the one that serves it). */
struct xv_heartbeat {
	__u64 ts_ns; /* CLOCK_MONOTONIC of the daemon's last loop turn */
	__u32 pid;   /* the daemon writing it */
	__u32 pad;   /* zero */
};
XV_CHECK(xv_heartbeat, ts_ns, 0);
XV_CHECK(xv_heartbeat, pid, 8);
XV_CHECK(xv_heartbeat, pad, 12);
XV_ASSERT(sizeof(struct xv_heartbeat) == 16, "xv_heartbeat size");

enum xv_inst_flags {
	XV_INST_UNICAST = 1u << 0, /* unicast_peer: no TTL 255 rule, peers' TTL range instead */
	XV_INST_PEERS = 1u << 1,   /* only sources in xv_peers are accepted */
};

enum xv_auth {
	XV_AUTH_NONE = 0,
	XV_AUTH_PASS = 1, /* RFC 3768 section 5.3.6, v2 over IPv4 only */
};

/* Value of xv_inst (key xv_inst_key): what the kernel checks for one instance. */
struct xv_inst_cfg {
	__u8 version;   /* 2 or 3 */
	__u8 auth_type; /* enum xv_auth */
	__u8 flags;     /* enum xv_inst_flags */
	__u8 pad;       /* zero */
	__u16 interval_cs;
	__u16 rl_burst;       /* adverts a source may send back to back */
	__u64 rl_interval_ns; /* one token per this many ns per source; 0: no limit */
	__u8 auth_pass[8];    /* zero padded */
};
XV_CHECK(xv_inst_cfg, version, 0);
XV_CHECK(xv_inst_cfg, auth_type, 1);
XV_CHECK(xv_inst_cfg, flags, 2);
XV_CHECK(xv_inst_cfg, pad, 3);
XV_CHECK(xv_inst_cfg, interval_cs, 4);
XV_CHECK(xv_inst_cfg, rl_burst, 6);
XV_CHECK(xv_inst_cfg, rl_interval_ns, 8);
XV_CHECK(xv_inst_cfg, auth_pass, 16);
XV_ASSERT(sizeof(struct xv_inst_cfg) == 24, "xv_inst_cfg size");

/* Key of xv_peers and xv_ratelim: a source address seen by one instance. */
struct xv_src_key {
	struct xv_inst_key inst;
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes, rest zero */
};
XV_CHECK(xv_src_key, inst, 0);
XV_CHECK(xv_src_key, addr, 8);
XV_ASSERT(sizeof(struct xv_src_key) == 24, "xv_src_key size");

/* Value of xv_peers: an allowed unicast peer and its TTL range (keepalived min/max_ttl). */
struct xv_peer {
	__u8 min_ttl;
	__u8 max_ttl;
	__u8 pad[2]; /* zero */
};
XV_CHECK(xv_peer, min_ttl, 0);
XV_CHECK(xv_peer, max_ttl, 1);
XV_CHECK(xv_peer, pad, 2);
XV_ASSERT(sizeof(struct xv_peer) == 4, "xv_peer size");

/* Value of the LRU xv_ratelim: a token bucket kept as its theoretical arrival time. */
struct xv_ratelim {
	__u64 tat_ns;  /* next conforming arrival; up to burst intervals ahead of now */
	__u64 dropped; /* adverts over the limit from this source */
};
XV_CHECK(xv_ratelim, tat_ns, 0);
XV_CHECK(xv_ratelim, dropped, 8);
XV_ASSERT(sizeof(struct xv_ratelim) == 16, "xv_ratelim size");

/* Value of xv_expect (key xv_inst_key): the advert a backup follows, written only by
 * xvrrpd (vrrp::AbsorbAdverts) after its own checks accepted it. XDP absorbs repeats of it
 * before any other check: same source, destination, TTL and message bytes (so the same
 * priority, never 0, interval, address list and checksum); a changed address list is
 * never absorbed. No entry: every advert is checked and goes to the daemon. */
#define XV_SEEN_NONE 0xffffffffu
struct xv_expect {
	__u8 master[16];    /* source, network order */
	__u8 daddr[16];     /* destination it was sent to (the group, or our unicast address) */
	__u16 interval_cs;  /* Max Adver Int (v2: Adver Int * 100) */
	__u8 priority;      /* never 0 */
	__u8 ttl;           /* TTL / hop limit it arrived with */
	__u16 len;          /* bytes of msg */
	__u16 own_interval_cs; /* the instance's configured interval: the heartbeat bound */
	__u32 seen_slot;    /* entry of xv_seen to stamp; XV_SEEN_NONE: none */
	__u8 pad[4];        /* zero */
	__u8 msg[XV_VRRP_MAX];
};
XV_CHECK(xv_expect, master, 0);
XV_CHECK(xv_expect, daddr, 16);
XV_CHECK(xv_expect, interval_cs, 32);
XV_CHECK(xv_expect, priority, 34);
XV_CHECK(xv_expect, ttl, 35);
XV_CHECK(xv_expect, len, 36);
XV_CHECK(xv_expect, own_interval_cs, 38);
XV_CHECK(xv_expect, seen_slot, 40);
XV_CHECK(xv_expect, pad, 44);
XV_CHECK(xv_expect, msg, 48);
XV_ASSERT(sizeof(struct xv_expect) == 48 + XV_VRRP_MAX, "xv_expect size");

/* Value of xv_seen (an array of XV_MAX_INSTANCES, index xv_expect.seen_slot, mmap-able): an
 * absorbing instance's slot. The first 16 bytes are the kernel's: when XDP last absorbed the
 * instance's expected advert (the latest stamp wins, whatever the CPU) and how many it
 * absorbed through the quiet path (atomic). The rest is xvrrpd's copy of the instance's
 * xv_expect, written through its mapping, which the quiet path compares instead of looking
 * xv_expect up: an array entry found through xv_slots is two cache lines where the hash's
 * bucket walk cost two thirds of an absorbed advert at 1,000 instances (cold lines).
 * SEQ is a sequence lock: odd while xvrrpd writes the expectation; XDP absorbs only when it
 * reads the same even SEQ before and after its compare. The key (ifindex, family, vrid) is
 * part of the expectation, so an xv_slots entry that names another instance's slot absorbs
 * nothing. LEN 0: no expectation. xvrrpd zeroes a slot before an instance first takes it;
 * its stamp is read from the mapping without a system call, every timer pass of the
 * absorbing backups. Readers add `quiet` to xv_vrid_rx's adverts and quiet, and take the
 * later of the two stamps. */
struct xv_seen {
	__u64 last_seen_ns;    /* bpf_ktime_get_ns; 0: never */
	__u64 quiet;           /* adverts absorbed through this slot */
	__u32 seq;             /* even: stable; odd: being written */
	__u32 ifindex;         /* the instance's key */
	__u8 family;           /* enum xv_family */
	__u8 vrid;
	__u8 ttl;              /* as xv_expect */
	__u8 priority;
	__u16 len;             /* bytes of msg; 0: nothing to absorb */
	__u16 own_interval_cs; /* the heartbeat bound of what is absorbed */
	__u8 master[16];
	__u8 daddr[16];
	__u8 msg[XV_VRRP_MAX];
	__u8 pad[40];          /* zero; a slot is whole cache lines */
};
XV_CHECK(xv_seen, last_seen_ns, 0);
XV_CHECK(xv_seen, quiet, 8);
XV_CHECK(xv_seen, seq, 16);
XV_CHECK(xv_seen, ifindex, 20);
XV_CHECK(xv_seen, family, 24);
XV_CHECK(xv_seen, vrid, 25);
XV_CHECK(xv_seen, ttl, 26);
XV_CHECK(xv_seen, priority, 27);
XV_CHECK(xv_seen, len, 28);
XV_CHECK(xv_seen, own_interval_cs, 30);
XV_CHECK(xv_seen, master, 32);
XV_CHECK(xv_seen, daddr, 48);
XV_CHECK(xv_seen, msg, 64);
XV_CHECK(xv_seen, pad, 64 + XV_VRRP_MAX);
XV_ASSERT(sizeof(struct xv_seen) % 64 == 0, "xv_seen size");

/* xv_slots (an array of XV_SLOTS __u64, mmap-able, written only by xvrrpd): the xv_seen
 * slot + 1 of the instance (ifindex, family, vrid) at index xv_slot_index; 0: none. 64 bits
 * because a mapped array's entries are 8-byte aligned. */
static inline __u32 xv_slot_index(__u32 ifindex, __u8 family, __u8 vrid)
{
	return (ifindex % XV_SLOT_ROWS) * 512 + (family == XV_FAMILY_V6 ? 256u : 0u) + vrid;
}

/* Value of the per-CPU xv_vrid_rx (key xv_inst_key): what XDP saw of an instance's valid
 * adverts, written only by the kernel (userspace deletes the entry with the instance).
 * Sum the counters over CPUs; the largest last_seen_ns is the latest. Adverts absorbed
 * through an xv_seen slot are counted there, not here (see xv_seen). */
struct xv_vrid_rx {
	__u64 last_seen_ns; /* last advert absorbed (bpf_ktime_get_ns) */
	__u64 adverts;      /* valid adverts */
	__u64 quiet;        /* of which absorbed without a ring record */
	__u64 woken;        /* of which submitted with a wakeup */
	__u64 missed;       /* of which lost because the ring was full */
	__u64 drop_sample_ns; /* when a refused advert was last sampled (XV_EV_DROPPED) */
};
XV_CHECK(xv_vrid_rx, last_seen_ns, 0);
XV_CHECK(xv_vrid_rx, adverts, 8);
XV_CHECK(xv_vrid_rx, quiet, 16);
XV_CHECK(xv_vrid_rx, woken, 24);
XV_CHECK(xv_vrid_rx, missed, 32);
XV_CHECK(xv_vrid_rx, drop_sample_ns, 40);
XV_ASSERT(sizeof(struct xv_vrid_rx) == 48, "xv_vrid_rx size");

#ifdef __cplusplus
static_assert(std::is_trivially_copyable_v<xv_advert>);
static_assert(std::has_unique_object_representations_v<xv_advert>);
static_assert(std::is_trivially_copyable_v<xv_stats>);
static_assert(std::has_unique_object_representations_v<xv_stats>);
static_assert(std::is_trivially_copyable_v<xv_if_cfg>);
static_assert(std::has_unique_object_representations_v<xv_if_cfg>);
static_assert(std::is_trivially_copyable_v<xv_vlan_key>);
static_assert(std::has_unique_object_representations_v<xv_vlan_key>);
static_assert(std::is_trivially_copyable_v<xv_vlan>);
static_assert(std::has_unique_object_representations_v<xv_vlan>);
static_assert(std::is_trivially_copyable_v<xv_inst_key>);
static_assert(std::has_unique_object_representations_v<xv_inst_key>);
static_assert(std::is_trivially_copyable_v<xv_fence_key>);
static_assert(std::has_unique_object_representations_v<xv_fence_key>);
static_assert(std::is_trivially_copyable_v<xv_fence>);
static_assert(std::has_unique_object_representations_v<xv_fence>);
static_assert(std::is_trivially_copyable_v<xv_global>);
static_assert(std::has_unique_object_representations_v<xv_global>);
static_assert(std::is_trivially_copyable_v<xv_addr_key>);
static_assert(std::has_unique_object_representations_v<xv_addr_key>);
static_assert(std::is_trivially_copyable_v<xv_vip>);
static_assert(std::has_unique_object_representations_v<xv_vip>);
static_assert(std::is_trivially_copyable_v<xv_vip_bits>);
static_assert(std::has_unique_object_representations_v<xv_vip_bits>);
static_assert(std::is_trivially_copyable_v<xv_heartbeat>);
static_assert(std::has_unique_object_representations_v<xv_heartbeat>);
static_assert(std::is_trivially_copyable_v<xv_inst_cfg>);
static_assert(std::has_unique_object_representations_v<xv_inst_cfg>);
static_assert(std::is_trivially_copyable_v<xv_src_key>);
static_assert(std::has_unique_object_representations_v<xv_src_key>);
static_assert(std::is_trivially_copyable_v<xv_peer>);
static_assert(std::has_unique_object_representations_v<xv_peer>);
static_assert(std::is_trivially_copyable_v<xv_ratelim>);
static_assert(std::has_unique_object_representations_v<xv_ratelim>);
static_assert(std::is_trivially_copyable_v<xv_expect>);
static_assert(std::has_unique_object_representations_v<xv_expect>);
static_assert(std::is_trivially_copyable_v<xv_seen>);
static_assert(std::has_unique_object_representations_v<xv_seen>);
static_assert(std::is_trivially_copyable_v<xv_vrid_rx>);
static_assert(std::has_unique_object_representations_v<xv_vrid_rx>);
#endif

/* BFD (RFC 5880, single hop over UDP per RFC 5881; docs/bfd.md). */
#define XV_BFD_PORT 3784   /* RFC 5881 section 4 */
#define XV_BFD_CTL_LEN 24  /* the mandatory section; no Authentication Section is absorbed */
#define XV_BFD_SEEN_NONE 0xffffffffu

/* Value of xv_bfd_expect (key: __u32, our local discriminator in host order, which is the
 * Your Discriminator of the packets it matches): the last Control packet an Up session
 * accepted, written only by xvrrpd's BFD thread, and only for a packet that may be
 * absorbed (state Up, no P, F, A or D bit). XDP drops an exact repeat (same addresses,
 * source port, TTL and 24 bytes) after stamping xv_bfd_seen; anything else goes to the
 * stack and the daemon's socket. The UDP checksum is not compared: a sender on the same
 * host (veth) hands XDP a partial one (CHECKSUM_PARTIAL), measured on every packet. */
struct xv_bfd_expect {
	__u8 saddr[16];           /* the neighbour, network order; IPv4 in the first 4 bytes */
	__u8 daddr[16];           /* our address it was sent to */
	__u8 ctl[XV_BFD_CTL_LEN]; /* the Control packet as received */
	__be16 sport;             /* its UDP source port (fixed per session, RFC 5881 4) */
	__u8 family;              /* enum xv_family */
	__u8 ttl;                 /* TTL / hop limit it arrived with */
	__u32 seen_slot;          /* entry of xv_bfd_seen to stamp */
};
XV_CHECK(xv_bfd_expect, saddr, 0);
XV_CHECK(xv_bfd_expect, daddr, 16);
XV_CHECK(xv_bfd_expect, ctl, 32);
XV_CHECK(xv_bfd_expect, sport, 56);
XV_CHECK(xv_bfd_expect, family, 58);
XV_CHECK(xv_bfd_expect, ttl, 59);
XV_CHECK(xv_bfd_expect, seen_slot, 60);
XV_ASSERT(sizeof(struct xv_bfd_expect) == 64, "xv_bfd_expect size");

/* Value of xv_bfd_seen (an array of XV_MAX_BFD, mmap-able, index xv_bfd_expect.seen_slot):
 * written only by the kernel; the BFD thread reads it from its mapping before it judges a
 * Detection Time. A slot keeps what its previous session left: readers compare. */
struct xv_bfd_seen {
	__u64 last_seen_ns; /* bpf_ktime_get_ns of the last absorbed repeat; 0: never */
	__u64 absorbed;     /* repeats absorbed (atomic adds from any CPU) */
};
XV_CHECK(xv_bfd_seen, last_seen_ns, 0);
XV_CHECK(xv_bfd_seen, absorbed, 8);
XV_ASSERT(sizeof(struct xv_bfd_seen) == 16, "xv_bfd_seen size");

/* Per-CPU xv_bfd_stats (one entry): what xv_rx did with BFD Control packets (UDP to port
 * 3784) on the interfaces it is attached to. Everything but `absorbed` passed to the stack. */
struct xv_bfd_stats {
	__u64 absorbed;   /* repeats dropped (the daemon's heartbeat fresh) */
	__u64 stale;      /* repeats stamped but passed: the daemon's heartbeat is stale */
	__u64 no_expect;  /* no expectation for Your Discriminator (not Up, unknown, or 0) */
	__u64 changed;    /* the 24 bytes differ: state, diag, intervals, discriminators */
	__u64 poll_final; /* the P or F bit */
	__u64 bad_ttl;    /* TTL / hop limit not the one the accepted packet had */
	__u64 bad_addr;   /* source, destination or source port not the accepted ones */
	__u64 bad_csum;   /* IPv4 header checksum wrong (the stack would drop it) */
	__u64 malformed;  /* IP or UDP length not that of one Control packet, a fragment, or
			   * cut short (tagged frames, IPv4 options and IPv6 extension headers
			   * pass uncounted: only the plain shape is looked at) */
};
XV_CHECK(xv_bfd_stats, absorbed, 0);
XV_CHECK(xv_bfd_stats, stale, 8);
XV_CHECK(xv_bfd_stats, no_expect, 16);
XV_CHECK(xv_bfd_stats, changed, 24);
XV_CHECK(xv_bfd_stats, poll_final, 32);
XV_CHECK(xv_bfd_stats, bad_ttl, 40);
XV_CHECK(xv_bfd_stats, bad_addr, 48);
XV_CHECK(xv_bfd_stats, bad_csum, 56);
XV_CHECK(xv_bfd_stats, malformed, 64);
XV_ASSERT(sizeof(struct xv_bfd_stats) == 72, "xv_bfd_stats size");

#ifdef __cplusplus
static_assert(std::is_trivially_copyable_v<xv_bfd_expect>);
static_assert(std::has_unique_object_representations_v<xv_bfd_expect>);
static_assert(std::is_trivially_copyable_v<xv_bfd_seen>);
static_assert(std::has_unique_object_representations_v<xv_bfd_seen>);
static_assert(std::is_trivially_copyable_v<xv_bfd_stats>);
static_assert(std::has_unique_object_representations_v<xv_bfd_stats>);
#endif
