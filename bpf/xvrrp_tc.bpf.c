// SPDX-License-Identifier: GPL-2.0
/* xv_tx (TC egress, clsact): a node must not speak from a VIP it does not serve. Drops
 * IPv4/IPv6 packets whose source is a VIP with effective verdict DROP_IP or worse, except
 * VRRP and ND; ARP is not IP and always passes. Replaces keepalived's nftables
 * `ip saddr @vips drop` (its `out` chain). */
#include <linux/pkt_cls.h>

#include "xv_parse.h"
#include "xv_verdict.h"

#include <linux/icmpv6.h>

char LICENSE[] SEC("license") = "GPL";

#define XV_ND_FIRST 133
#define XV_ND_LAST 137

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
	if (proto == bpf_htons(ETH_P_IP)) {
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
			    ic->icmp6_type <= XV_ND_LAST)
				goto pass;
		}
		eff = xv_vip_verdict(ifindex, XV_FAMILY_V6, ip6->saddr.in6_u.u6_addr8);
	}
	if (eff >= XV_E_DROP_IP) {
		st->tx_vip_drop++;
		return TC_ACT_SHOT;
	}
pass:
	st->tx_passed++;
	return TC_ACT_OK;
}
