// SPDX-License-Identifier: GPL-2.0
/* xv_rx built to be loaded device-bound (BPF_F_XDP_DEV_BOUND_ONLY) for native XDP: the same
 * program, plus the VLAN tag the driver moved out of the frame (bpf_xdp_metadata_rx_vlan_tag).
 * Generic XDP cannot run device-bound programs and uses xvrrp_xdp.bpf.c. */
#define XV_RX_META 1
#include "xvrrp_xdp.bpf.c"
