#!/bin/bash
# Capture VRRP adverts sent by Debian's keepalived (2.2.7) as codec test vectors.
#
# Builds a private veth pair between two network namespaces, runs keepalived in
# one (--vrrp, private config and pid files in a temp dir) and tcpdump in the
# other, and writes the VRRP messages it saw to tests/vectors/<case>.txt.
# Everything it creates is removed on exit, also on failure.
#
# Vector file format, one advert per line ('#' starts a comment):
#   <src-ip> <dst-ip> <ttl-or-hop-limit> <vrrp-message-hex>
# The hex is the VRRP message only (no IP header), exactly as on the wire.
set -euo pipefail

OUT_DIR=$(cd "$(dirname "$0")" && pwd)
NS_K="xvt-vrrpk-$$"   # keepalived side
NS_C="xvt-vrrpc-$$"   # capture side
TMP=$(mktemp -d /tmp/xvt-vrrp-capture.XXXXXX)
KA_PID=""
TD_PID=""

cleanup() {
    set +e
    [ -n "$TD_PID" ] && kill "$TD_PID" 2>/dev/null && wait "$TD_PID" 2>/dev/null
    if [ -n "$KA_PID" ] && kill -0 "$KA_PID" 2>/dev/null; then
        kill -TERM "$KA_PID"; waitFor 5 "! kill -0 $KA_PID 2>/dev/null" || kill -KILL "$KA_PID"
        wait "$KA_PID" 2>/dev/null
    fi
    # keepalived's children (the vrrp process) carry the pid in its pid file
    for f in "$TMP"/*.pid; do
        [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
    done
    ip netns del "$NS_K" 2>/dev/null
    ip netns del "$NS_C" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# waitFor SECONDS CONDITION: poll CONDITION until true or the deadline passes.
waitFor() {
    local deadline=$((SECONDS + $1))
    while ! eval "$2"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

inK() { nsenter --net="/run/netns/$NS_K" "$@"; }
inC() { nsenter --net="/run/netns/$NS_C" "$@"; }

ip netns add "$NS_K"
ip netns add "$NS_C"
ip link add xvk type veth peer name xvc
ip link set xvk netns "$NS_K"
ip link set xvc netns "$NS_C"
for side in K C; do
    dev=$([ $side = K ] && echo xvk || echo xvc)
    n=$([ $side = K ] && echo 1 || echo 2)
    # no DAD so the link-local source exists at once
    in$side sysctl -qw "net.ipv6.conf.$dev.accept_dad=0"
    in$side ip addr add "10.99.0.$n/24" dev "$dev"
    in$side ip addr add "fd00:99::$n/64" dev "$dev" nodad
    in$side ip link set lo up
    in$side ip link set "$dev" up
done

# conf CASE BODY: write a keepalived config for one instance named vi_CASE.
conf() {
    cat >"$TMP/$1.conf" <<EOF
global_defs {
    router_id xvt_capture
    vrrp_version $2
}
vrrp_instance vi_$1 {
    interface xvk
$3
}
EOF
}

# capture CASE FAMILY COUNT: run keepalived with CASE's config, store COUNT adverts,
# then stop it and store its priority 0 advert too (RFC 5798 section 6.4.3).
capture() {
    local name=$1 family=$2 count=$3
    local pcap="$TMP/$name.pcap" pcap0="$TMP/$name-stop.pcap"
    local filter="ip proto 112" stop_filter="ip proto 112 and ip[22] = 0"
    if [ "$family" = 6 ]; then
        filter="ip6 proto 112"; stop_filter="ip6 proto 112 and ip6[42] = 0"
    fi
    echo "== $name"
    nsenter --net="/run/netns/$NS_C" timeout 20 tcpdump -i xvc -U -c "$count" -w "$pcap" "$filter" 2>"$TMP/$name-td.log" &
    TD_PID=$!
    waitFor 5 "grep -q listening '$TMP/$name-td.log'"
    nsenter --net="/run/netns/$NS_K" keepalived -n -l -D --vrrp -f "$TMP/$name.conf" -p "$TMP/$name-main.pid" \
        -r "$TMP/$name-vrrp.pid" -b "$TMP/$name-bfd.pid" -c "$TMP/$name-chk.pid" >"$TMP/$name-ka.log" 2>&1 &
    KA_PID=$!
    wait "$TD_PID" || { cat "$TMP/$name-ka.log"; echo "no adverts for $name" >&2; exit 1; }
    TD_PID=""
    nsenter --net="/run/netns/$NS_C" timeout 10 tcpdump -i xvc -U -c 1 -w "$pcap0" "$stop_filter" 2>"$TMP/$name-td0.log" &
    TD_PID=$!
    waitFor 5 "grep -q listening '$TMP/$name-td0.log'"
    kill -TERM "$KA_PID"
    waitFor 10 "! kill -0 $KA_PID 2>/dev/null" || { echo "keepalived did not stop" >&2; exit 1; }
    wait "$KA_PID" || true
    KA_PID=""
    wait "$TD_PID" || { tail -20 "$TMP/$name-ka.log"; echo "no priority 0 advert for $name" >&2; exit 1; }
    TD_PID=""
    {
        echo "# keepalived $(keepalived --version 2>&1 | head -1 | awk '{print $2}') case $name"
        echo "# config:"
        sed -n '/vrrp_instance/,$p' "$TMP/$name.conf" | sed 's/^/#   /'
        echo "# src dst ttl vrrp-hex"
        python3 "$OUT_DIR/pcap_to_vectors.py" "$pcap" "$pcap0"
    } >"$OUT_DIR/$name.txt"
    grep -vc '^#' "$OUT_DIR/$name.txt" | xargs echo "  adverts stored:"
}

conf v2_noauth 2 "    state MASTER
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.99.0.100/24
        10.99.0.101/24
    }"
capture v2_noauth 4 3

conf v2_pass 2 "    state MASTER
    virtual_router_id 52
    priority 200
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }
    virtual_ipaddress {
        10.99.0.102/24
    }"
capture v2_pass 4 3

conf v3_v4_mcast 3 "    state MASTER
    virtual_router_id 53
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.99.0.103/24
        10.99.0.104/24
        10.99.0.105/24
    }"
capture v3_v4_mcast 4 3

conf v3_v4_unicast 3 "    state MASTER
    virtual_router_id 54
    priority 120
    advert_int 1
    unicast_src_ip 10.99.0.1
    unicast_peer {
        10.99.0.2
    }
    virtual_ipaddress {
        10.99.0.106/24
    }"
capture v3_v4_unicast 4 3

conf v3_v4_unicast_old 3 "    state MASTER
    virtual_router_id 57
    priority 120
    advert_int 1
    old_unicast_checksum
    unicast_src_ip 10.99.0.1
    unicast_peer {
        10.99.0.2
    }
    virtual_ipaddress {
        10.99.0.109/24
    }"
capture v3_v4_unicast_old 4 3

conf v3_v6_mcast 3 "    state MASTER
    virtual_router_id 55
    priority 254
    advert_int 1
    virtual_ipaddress {
        fd00:99::100/64
        fd00:99::101/64
    }"
capture v3_v6_mcast 6 3

conf v3_v4_fast 3 "    state MASTER
    virtual_router_id 56
    priority 100
    advert_int 0.01
    virtual_ipaddress {
        10.99.0.107/24
    }"
capture v3_v4_fast 4 5

echo "vectors written to $OUT_DIR"
