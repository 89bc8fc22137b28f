// SPDX-License-Identifier: GPL-2.0
/* Test helper (tests/integration/vlan_test.cpp), never loaded by xvrrpd: on a sender's TC
 * egress, gives every VRRP frame a VLAN 200 tag the way hardware VLAN insertion does, in
 * skb metadata (bpf_skb_vlan_push) rather than in the frame. On veth the receiver's driver
 * then hands XDP an untagged frame and the tag only in bpf_xdp_metadata_rx_vlan_tag. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define XVT_VID 200

SEC("tc")
int xvt_vlan_push(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != 112)
		return TC_ACT_OK;
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), XVT_VID);
	return TC_ACT_OK;
}
