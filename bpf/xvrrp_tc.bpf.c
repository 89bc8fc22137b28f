// SPDX-License-Identifier: GPL-2.0
/* xv_tx (TC egress, clsact): a node must not speak from a VIP it does not serve. Drops
 * IPv4/IPv6 packets whose source is a VIP with effective verdict DROP_IP or worse, except
 * VRRP and ND. ARP and ND that claim a VIP (ARP sender, ND source, NA target) leave only
 * while the VIP is served (PASS or DROP_IP: RFC 5798 6.4.3 keeps a master without accept
 * mode answering them); from a backup, a fenced node or a hung daemon (stale heartbeat)
 * they would point neighbours' caches at a node that must not answer. Replaces
 * keepalived's nftables `ip saddr @vips drop` (its `out` chain). */
#include <linux/pkt_cls.h>

#include "xv_parse.h"
#include "xv_verdict.h"

#include <linux/icmpv6.h>

char LICENSE[] SEC("license") = "GPL";

/* Effective verdict of the VIP an ND message claims: its source, and an NA's target. */
static __always_inline enum xv_eff xv_nd_claim(__u32 ifindex, struct ipv6hdr *ip6,
					       struct icmp6hdr *ic, void *end)
{
	enum xv_eff eff = xv_vip_verdict(ifindex, XV_FAMILY_V6, ip6->saddr.in6_u.u6_addr8);
	__u8 *target = (__u8 *)(ic + 1);

	if (eff < XV_E_DROP_ALL && ic->icmp6_type == XV_ND_NA && (void *)(target + 16) <= end)
		eff = xv_vip_verdict(ifindex, XV_FAMILY_V6, target);
	return eff;
}

SEC("tc")
int xv_tx(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 ifindex = skb->ifindex, key = 0;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *ip4 = NULL;
	struct xv_meta m = {};
	struct xv_stats *st;
	enum xv_parse r = XV_P_NOT_VRRP;
	enum xv_eff eff = XV_E_NONE;
	__u8 nh = XV_NH_UNKNOWN;
	void *cur = data, *l4 = NULL;
	__be16 proto = 0;

	st = bpf_map_lookup_elem(&xv_stats, &key);
	if (!st)
		return TC_ACT_OK;
	if (xv_if_flags(ifindex, true) & XV_IF_NO_ETH)
		proto = skb->protocol;
	else
		r = xv_parse_eth(&cur, end, &proto, &m);
	if (r != XV_P_NOT_VRRP)
		goto pass;
	if (proto == bpf_htons(ETH_P_ARP)) {
		struct xv_arp_eth4 *a = cur;

		if ((void *)(a + 1) > end || a->ptype != bpf_htons(ETH_P_IP) || a->plen != 4)
			goto pass;
		eff = xv_vip_verdict(ifindex, XV_FAMILY_V4, a->spa);
		if (eff >= XV_E_DROP_ALL)
			goto drop;
		goto pass;
	} else if (proto == bpf_htons(ETH_P_IP)) {
		r = xv_parse_ipv4(&cur, end, &m, &ip4);
		if (!ip4 || (void *)(ip4 + 1) > end || ip4->protocol == XV_IPPROTO_VRRP)
			goto pass;
		eff = xv_vip_verdict(ifindex, XV_FAMILY_V4, (__u8 *)&ip4->saddr);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		r = xv_parse_ipv6(&cur, end, &m, &ip6, &nh, &l4);
		if (!ip6 || (void *)(ip6 + 1) > end || r == XV_P_VRRP)
			goto pass;
		if (nh == IPPROTO_ICMPV6) {
			struct icmp6hdr *ic = l4;

			if ((void *)(ic + 1) <= end && ic->icmp6_type >= XV_ND_FIRST &&
			    ic->icmp6_type <= XV_ND_LAST) {
				if (xv_nd_claim(ifindex, ip6, ic, end) >= XV_E_DROP_ALL)
					goto drop;
				goto pass;
			}
		}
		eff = xv_vip_verdict(ifindex, XV_FAMILY_V6, ip6->saddr.in6_u.u6_addr8);
	}
	if (eff >= XV_E_DROP_IP) {
drop:
		st->tx_vip_drop++;
		return TC_ACT_SHOT;
	}
pass:
	st->tx_passed++;
	return TC_ACT_OK;
}
