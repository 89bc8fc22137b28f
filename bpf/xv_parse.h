/* Header parsing for xv_rx: Ethernet + VLAN, IPv4, IPv6 with extension headers.
 * Direct packet access only; every read is preceded by a data_end check. */
#pragma once

/* The kernel uapi headers define the types the libbpf headers use: keep them first. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <stdbool.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xvrrp/abi.h"

#define XV_MAX_VLAN 2	  /* 802.1Q / 802.1ad tags we look through (docs/bounds.md) */
#define XV_MAX_EXTHDR 4	  /* IPv6 extension headers we walk (docs/bounds.md) */
#define XV_VRRP_HDR_MIN 8 /* fixed VRRP header, RFC 5798 section 5.1 */

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define XV_IP_MF 0x2000
#define XV_IP_OFFSET 0x1fff

enum xv_parse {
	XV_P_NOT_VRRP,	/* pass to the stack */
	XV_P_VRRP,	/* headers parsed, VRRP message at cur */
	XV_P_TRUNCATED, /* a header runs past data_end */
	XV_P_BAD_IP,	/* version, IHL or length fields inconsistent */
	XV_P_FRAGMENT,	/* VRRP in a fragment: RFC 5798 adverts are never fragmented */
};

struct xv_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct xv_ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-octet units, not counting the first 8 (RFC 8200 section 4.3) */
};

#define XV_ARPOP_REQUEST 1
#define XV_ND_FIRST 133 /* router solicitation .. redirect (RFC 4861 section 4) */
#define XV_ND_LAST 137
#define XV_ND_NS 135
#define XV_ND_NA 136
#define XV_VID_MASK 0x0fff

struct xv_arp_eth4 {
	__be16 htype, ptype;
	__u8 hlen, plen;
	__be16 op;
	__u8 sha[ETH_ALEN], spa[4], tha[ETH_ALEN], tpa[4];
} __attribute__((packed));

/* What the parser learnt before the ring record is reserved. */
struct xv_meta {
	__u16 vlan_id; /* first non-zero VID (frame or driver); 0: untagged */
	__u16 payload_len;
	__u8 has_vlan; /* any tag, priority-only (VID 0) included */
	__u8 family;
	__u8 ttl;
	__u8 ext_deep; /* IPv6: more extension headers than XV_MAX_EXTHDR */
	__be16 vlan_proto; /* TPID of the tag vlan_id came from */
	__u8 src_mac[ETH_ALEN];
	__u8 saddr[16];
	__u8 daddr[16];
};

static __always_inline enum xv_parse xv_parse_eth(void **cur, void *end, __be16 *proto,
						  struct xv_meta *m)
{
	struct ethhdr *eth = *cur;
	__be16 p;

	if ((void *)(eth + 1) > end)
		return XV_P_TRUNCATED;
	__builtin_memcpy(m->src_mac, eth->h_source, ETH_ALEN);
	p = eth->h_proto;
	*cur = eth + 1;

#pragma unroll
	for (int i = 0; i < XV_MAX_VLAN; i++) {
		struct xv_vlan_hdr *vh = *cur;

		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return XV_P_TRUNCATED;
		/* The first tag with a VID names the sub-interface the stack would hand the
		 * frame to; VID 0 only carries a priority and counts as untagged (IEEE
		 * 802.1Q 9.6, as the kernel's __netif_receive_skb_core treats it). */
		m->has_vlan = 1;
		if (!m->vlan_id) {
			m->vlan_id = bpf_ntohs(vh->tci) & XV_VID_MASK;
			m->vlan_proto = p;
		}
		p = vh->proto;
		*cur = vh + 1;
	}
	*proto = p;
	return XV_P_NOT_VRRP;
}

/* RFC 791 3.1 header checksum over the HLEN (20..60) bytes at IP, as ip_rcv checks it: a
 * VRRP packet the stack would drop is never an advert. The caller checked IP + 1 <= END.
 * One's complement sums come out the same in either byte order. */
static __always_inline bool xv_ipv4_csum_ok(struct iphdr *ip, __u32 hlen, void *end)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	for (int i = 5; i < 15; i++) {
		__u32 *o = (__u32 *)ip + i;

		if ((__u32)i * 4 >= hlen)
			break;
		barrier_var(o);
		if ((void *)(o + 1) > end)
			return false;
		sum += (*o & 0xffff) + (*o >> 16);
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* *IPH is set once the fixed header is known to be in the frame, even when the result is
 * not XV_P_VRRP, so the caller can look at the addresses. */
static __always_inline enum xv_parse xv_parse_ipv4(void **cur, void *end, struct xv_meta *m,
						   struct iphdr **iph)
{
	struct iphdr *ip = *cur;
	__u32 hlen;
	__u16 tot;

	if ((void *)(ip + 1) > end)
		return XV_P_TRUNCATED;
	if (ip->version != 4 || ip->ihl < 5)
		return XV_P_BAD_IP;
	*iph = ip;
	hlen = ip->ihl * 4;
	if (*cur + hlen > end)
		return XV_P_TRUNCATED;
	if (ip->protocol != XV_IPPROTO_VRRP)
		return XV_P_NOT_VRRP;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < hlen)
		return XV_P_BAD_IP;
	if (ip->frag_off & bpf_htons(XV_IP_MF | XV_IP_OFFSET))
		return XV_P_FRAGMENT;
	if (!xv_ipv4_csum_ok(ip, hlen, end))
		return XV_P_BAD_IP;

	m->family = XV_FAMILY_V4;
	m->ttl = ip->ttl;
	__builtin_memcpy(m->saddr, &ip->saddr, 4);
	__builtin_memcpy(m->daddr, &ip->daddr, 4);
	m->payload_len = tot - hlen;
	*cur += hlen;
	return XV_P_VRRP;
}

/* As xv_parse_ipv4; for other protocols *NH and *L4 name the upper layer (XV_NH_UNKNOWN
 * when the extension headers were not all walked). */
#define XV_NH_UNKNOWN 0xff
static __always_inline enum xv_parse xv_parse_ipv6(void **cur, void *end, struct xv_meta *m,
						   struct ipv6hdr **iph, __u8 *nhp, void **l4)
{
	struct ipv6hdr *ip6 = *cur;
	void *p = ip6 + 1;
	bool late_hbh = false;
	__u32 ext = 0;
	__u16 plen;
	__u8 nh;

	if ((void *)(ip6 + 1) > end)
		return XV_P_TRUNCATED;
	if (ip6->version != 6)
		return XV_P_BAD_IP;
	*iph = ip6;
	*nhp = XV_NH_UNKNOWN;
	nh = ip6->nexthdr;

#pragma unroll
	for (int i = 0; i < XV_MAX_EXTHDR; i++) {
		struct xv_ext_hdr *eh = p;
		__u32 len;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS)
			break;
		late_hbh |= i > 0 && nh == IPPROTO_HOPOPTS; /* RFC 8200 4.3: first only */
		if ((void *)(eh + 1) > end)
			return XV_P_TRUNCATED;
		len = ((__u32)eh->hdrlen + 1) * 8;
		if (p + len > end)
			return XV_P_TRUNCATED;
		nh = eh->nexthdr;
		p += len;
		ext += len;
	}
	if (nh == IPPROTO_FRAGMENT) {
		struct xv_ext_hdr *fh = p;

		if ((void *)(fh + 1) > end)
			return XV_P_TRUNCATED;
		return fh->nexthdr == XV_IPPROTO_VRRP ? XV_P_FRAGMENT : XV_P_NOT_VRRP;
	}
	if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS) {
		*nhp = nh;
		*l4 = p;
	} else {
		m->ext_deep = 1; /* the chain goes on past the bound: upper layer unknown */
	}
	if (nh != XV_IPPROTO_VRRP)
		return XV_P_NOT_VRRP;
	plen = bpf_ntohs(ip6->payload_len);
	if (plen < ext || late_hbh)
		return XV_P_BAD_IP; /* the stack drops it: never an advert */

	m->family = XV_FAMILY_V6;
	m->ttl = ip6->hop_limit;
	__builtin_memcpy(m->saddr, &ip6->saddr, 16);
	__builtin_memcpy(m->daddr, &ip6->daddr, 16);
	m->payload_len = plen - ext;
	*cur = p;
	return XV_P_VRRP;
}
