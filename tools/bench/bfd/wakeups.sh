#!/usr/bin/env bash
# BFD thread wake-ups and CPU (docs/bfd.md): xvrrpd in one namespace, keepalived in another,
# one BFD session between them at MIN_MS x 3 (default 10 ms). MODE xdp: xvrrpd's VRRP
# instance (so xv_rx) is on the interface the BFD packets arrive on; noxdp: on another one,
# so every BFD packet reaches the socket, as before XDP absorbed them. Prints one JSON line
# from /proc/PID/task/TID/schedstat of the thread "xvrrpd-bfd" over WINDOW seconds.
# MULT=M: the multiplier (default 3). RESTARTS=N: xvrrpctl restart N times in the window, then count Down lines on both sides.
# Usage: [SETTLE=S] [DEBUG=1] [RESTARTS=N] tools/bench/bfd/wakeups.sh BUILD_BIN_DIR xdp|noxdp [WINDOW_S] [MIN_MS]
set -euo pipefail
BIN=${1:?build/bin dir}
MODE=${2:?xdp or noxdp}
WINDOW=${3:-10}
MS=${4:-10}
TAG="xvbw$$"
A="$TAG-a" B="$TAG-b"
DIR=$(mktemp -d "/tmp/$TAG.XXXX")
PIN="/sys/fs/bpf/$TAG"
XPID="" KPID=""
cleanup() {
  [[ -n $XPID ]] && kill -TERM "$XPID" 2>/dev/null || true
  [[ -n $KPID ]] && kill -TERM "$KPID" 2>/dev/null || true
  sleep 0.5
  for ns in "$A" "$B"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$PIN" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
ip netns add "$A"
ip netns add "$B"
inA() { nsenter --net="/run/netns/$A" -- "$@"; }
inB() { nsenter --net="/run/netns/$B" -- "$@"; }
ip link add "${TAG}a0" netns "$A" type veth peer name "${TAG}b0" netns "$B"
ip link add "${TAG}a1" netns "$A" type veth peer name "${TAG}b1" netns "$B"
inA ip link set lo up; inB ip link set lo up
inA ip link set "${TAG}a0" name eth0; inB ip link set "${TAG}b0" name eth0
inA ip link set "${TAG}a1" name eth1; inB ip link set "${TAG}b1" name eth1
for i in 0 1; do
  inA ip addr add "10.99.$i.1/24" dev "eth$i"; inA ip link set "eth$i" up
  inB ip addr add "10.99.$i.2/24" dev "eth$i"; inB ip link set "eth$i" up
done
VIF=eth0
[[ $MODE == noxdp ]] && VIF=eth1
cat >"$DIR/a.conf" <<CONF
bfd_instance b1 {
  neighbor_ip 10.99.0.2
  source_ip 10.99.0.1
  min_rx $MS
  min_tx $MS
  multiplier ${MULT:-3}
}
vrrp_instance VI_1 {
  interface $VIF
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.99.9.100/24
  }
}
CONF
cat >"$DIR/b.conf" <<CONF
bfd_instance b1 {
  neighbor_ip 10.99.0.1
  source_ip 10.99.0.2
  min_rx $MS
  min_tx $MS
  multiplier ${MULT:-3}
}
vrrp_instance VI_2 {
  interface eth1
  virtual_router_id 52
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.99.8.100/24
  }
}
CONF
inB keepalived -n -l -D -f "$DIR/b.conf" -p "$DIR/ka.pid" -r "$DIR/ka-vrrp.pid" -b "$DIR/ka-bfd.pid" \
  -i b >"$DIR/ka.log" 2>&1 &
KPID=$!
inA "$BIN/xvrrpd" -f "$DIR/a.conf" -n -l --pin-root "$PIN" --control "$DIR/a.sock" \
  -p "$DIR/xv.pid" >"$DIR/xv.log" 2>&1 &
XPID=$!
status() { "$BIN/xvrrpctl" --control "$DIR/a.sock" status --json 2>/dev/null || true; }
up=""
for _ in $(seq 1 150); do  # up to 30 s: Up, and the Poll done (the 10 ms rate)
  up=$(status | python3 -c 'import json,sys
try:
  b=json.load(sys.stdin)["bfd"][0]
  print("yes" if b["state"]=="Up" and b["tx_interval_ms"]=='"$MS"' and b["counters"]["polls_completed"]>=1 else "")
except Exception: print("")')
  [[ -n $up ]] && break
  sleep 0.2
done
[[ -n $up ]] || { echo "session not Up" >&2; tail -20 "$DIR/xv.log" >&2; exit 1; }
# Past startup: the VRRP instance's MASTER transition (measured: it blocked the main loop,
# so the heartbeat went stale and repeats passed, about 2 s after the session came Up).
sleep "${SETTLE:-6}"
XPID=$(cat "$DIR/xv.pid")
TID=""
for t in /proc/"$XPID"/task/*; do
  [[ $(cat "$t/comm") == xvrrpd-bfd ]] && TID=${t##*/}
done
[[ -n $TID ]] || { echo "no xvrrpd-bfd thread among:" $(cat /proc/"$XPID"/task/*/comm) >&2; exit 1; }
dbg() {
  [[ -n ${DEBUG:-} ]] || return 0
  "$BIN/xvrrpctl" --pin-root "$PIN" bpf --json | python3 -c 'import json,sys; m=json.load(sys.stdin)["maps"]; print(json.dumps({k: m.get(k) for k in ("xv_bfd_expect","xv_bfd_stats")}))' >&2
}
dbg
read -r cpu0 wait0 runs0 <"/proc/$XPID/task/$TID/schedstat"
s0=$(status)
if [[ ${RESTARTS:-0} -gt 0 ]]; then
  # xvrrpctl restart RESTARTS times in the window (same pid: the thread is found again).
  for _ in $(seq 1 "$RESTARTS"); do
    sleep "$(python3 -c "print($WINDOW / ($RESTARTS + 1))")"
    "$BIN/xvrrpctl" --control "$DIR/a.sock" restart >/dev/null 2>&1 || echo "restart failed" >&2
  done
  sleep "$(python3 -c "print($WINDOW / ($RESTARTS + 1))")"
  for t in /proc/"$XPID"/task/*; do
    [[ $(cat "$t/comm") == xvrrpd-bfd ]] && TID=${t##*/}
  done
  runs0=0 cpu0=0  # a new thread: counted from its start
else
  sleep "$WINDOW"
fi
read -r cpu1 wait1 runs1 <"/proc/$XPID/task/$TID/schedstat"
s1=$(status)
dbg
python3 - "$MODE" "$WINDOW" "$MS" "$cpu0" "$cpu1" "$runs0" "$runs1" "$s0" "$s1" <<'PY'
import json, sys
mode, window, ms = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
cpu0, cpu1, runs0, runs1 = map(int, sys.argv[4:8])
b0 = json.loads(sys.argv[8])["bfd"][0]; b1 = json.loads(sys.argv[9])["bfd"][0]
c0, c1 = b0["counters"], b1["counters"]
print(json.dumps({
    "mode": mode, "interval_ms": ms, "window_s": window,
    "bfd_thread_wakeups_per_s": round((runs1 - runs0) / window, 1),
    "bfd_thread_cpu_percent": round((cpu1 - cpu0) / window / 1e7, 3),
    "packets_rx_per_s": round((c1["packets_rx"] - c0["packets_rx"]) / window, 1),
    "absorbed_xdp_per_s": round((c1.get("absorbed_xdp", 0) - c0.get("absorbed_xdp", 0)) / window, 1),
    "packets_tx_per_s": round((c1["packets_tx"] - c0["packets_tx"]) / window, 1),
    "downs": c1["down"] - c0["down"], "state": b1["state"]}))
PY
if [[ ${RESTARTS:-0} -gt 0 ]]; then
  grep -h 'Entering Down state' "$DIR/ka.log" "$DIR/xv.log" | sed 's/^/  /' >&2 || true
  echo "{\"restarts\": $RESTARTS, \"keepalived_downs\": $(grep -c '(b1) Entering Down state' "$DIR/ka.log" || true), \"xvrrpd_down_lines\": $(grep -c '(b1) Entering Down state' "$DIR/xv.log" || true), \"xvrrpd_restart_lines\": $(grep -c 'Restarting: handing over' "$DIR/xv.log" || true)}"
fi
