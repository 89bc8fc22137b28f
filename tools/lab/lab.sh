# shellcheck shell=bash
# lab.sh: network-namespace lab for xvrrp from the shell. Source it, then:
#   lab_create TAG node1 node2 client   # hub bridge + one netns per node, trap-based teardown
#                                       # (LAB_IFACES=N: eth0..ethN-1 on bridges br0..brN-1)
#   lab_conf node1 150 0.05 10.77.0.100 > "$LAB_DIR/node1.conf"
#   lab_daemon_start node1 "$LAB_DIR/node1.conf"   # DAEMON=xvrrpd (default) or keepalived
#   lab_wait 5 lab_is_master node1
#   lab_cut node1; lab_restore node1; lab_destroy
# Namespaces are xvt-<tag>-<node>-<pid>-<n>; traffic never leaves them.
# Commands run inside a namespace through nsenter --net (not `ip netns exec`,
# which remounts /sys and can stall).

LAB_V4_PREFIX=${LAB_V4_PREFIX:-10.77.0}
LAB_V6_PREFIX=${LAB_V6_PREFIX:-fd00:77}
LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LAB_BIN=${LAB_BIN:-$LAB_ROOT/build/bin}
DAEMON=${DAEMON:-xvrrpd}
# Interfaces per node: eth0 on bridge br0, eth1 on br1, ... (one L2 segment each).
LAB_IFACES=${LAB_IFACES:-1}

declare -gA LAB_NS=() LAB_IDX=() LAB_PID=()
declare -ga LAB_NODES=()
LAB_HUB=""
LAB_DIR=""
LAB_COUNTER=0

lab_log() { printf '[lab] %s\n' "$*" >&2; }
lab_die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

# lab_ns_add ROLE: creates a namespace and leaves its name in LAB_LAST_NS.
lab_ns_add() {
  LAB_LAST_NS="xvt-${LAB_TAG}-$1-$$-$((LAB_COUNTER++))"
  ip netns add "$LAB_LAST_NS" || lab_die "ip netns add $LAB_LAST_NS failed"
}

lab_exec_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@"; }
# lab_run NODE CMD...: run CMD inside NODE's namespace ("hub" is the bridge namespace)
lab_run() {
  local node=$1; shift
  if [[ $node == hub ]]; then lab_exec_ns "$LAB_HUB" "$@"; else lab_exec_ns "${LAB_NS[$node]:?no node $node}" "$@"; fi
}

# lab_v4 NODE [K] / lab_v6 NODE [K]: NODE's address on eth0 (or ethK: 10.77.K.x, fd00:77:K::x).
lab_v4() {
  local k=${2:-0}
  if ((k == 0)); then printf '%s.%s' "$LAB_V4_PREFIX" "${LAB_IDX[$1]:?no node $1}"
  else printf '%s.%s.%s' "${LAB_V4_PREFIX%.*}" "$k" "${LAB_IDX[$1]:?no node $1}"; fi
}
lab_v6() {
  local k=${2:-0}
  if ((k == 0)); then printf '%s::%x' "$LAB_V6_PREFIX" "${LAB_IDX[$1]:?no node $1}"
  else printf '%s:%x::%x' "$LAB_V6_PREFIX" "$k" "${LAB_IDX[$1]:?no node $1}"; fi
}

# lab_create TAG NODE... : builds the lab and installs the teardown trap.
lab_create() {
  LAB_TAG=$1; shift
  [[ $EUID -eq 0 ]] || lab_die "must run as root (network namespaces)"
  trap lab_destroy EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  LAB_DIR=$(mktemp -d "/tmp/xvt-${LAB_TAG}-XXXXXX")
  lab_ns_add hub; LAB_HUB=$LAB_LAST_NS
  lab_exec_ns "$LAB_HUB" ip link set lo up
  # No STP and no snooping: VRRP multicast must flood like on a plain switch.
  lab_exec_ns "$LAB_HUB" ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0 \
    || lab_die "bridge in $LAB_HUB"
  lab_exec_ns "$LAB_HUB" ip link set br0 up
  local k
  for ((k = 1; k < LAB_IFACES; k++)); do
    lab_exec_ns "$LAB_HUB" ip link add "br$k" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 \
      || lab_die "bridge br$k in $LAB_HUB"
    lab_exec_ns "$LAB_HUB" ip link set "br$k" up
  done
  local i=0 node ns port
  for node in "$@"; do
    i=$((i + 1))
    lab_ns_add "$node"; ns=$LAB_LAST_NS
    LAB_NS[$node]=$ns; LAB_IDX[$node]=$i; LAB_NODES+=("$node")
    lab_exec_ns "$ns" ip link set lo up
    for ((k = 0; k < LAB_IFACES; k++)); do
      port=vh$i; ((k == 0)) || port=vh${i}k$k
      lab_exec_ns "$LAB_HUB" ip link add "$port" type veth peer name "eth$k" netns "$ns" \
        || lab_die "veth eth$k for $node"
      lab_exec_ns "$LAB_HUB" ip link set "$port" master "br$k" up
      # No DAD: addresses and the link-local are usable at once.
      lab_exec_ns "$ns" sysctl -qw "net.ipv6.conf.eth$k.accept_dad=0"
      lab_exec_ns "$ns" ip addr add "$(lab_v4 "$node" "$k")/24" dev "eth$k"
      lab_exec_ns "$ns" ip addr add "$(lab_v6 "$node" "$k")/64" dev "eth$k" nodad
      lab_exec_ns "$ns" ip link set "eth$k" up || lab_die "eth$k up in $ns"
    done
  done
}

# lab_spawn NODE LOG CMD...: CMD in the background inside NODE, stdout+stderr to LOG.
# Its pid (nsenter execs CMD, so the real process) is left in LAB_SPAWNED.
lab_spawn() {
  local node=$1 log=$2; shift 2
  nsenter --net="/run/netns/${LAB_NS[$node]:?no node $node}" -- "$@" >"$log" 2>&1 &
  LAB_SPAWNED=$!
}

# lab_ns_kill NS: TERM then KILL everything inside one namespace.
lab_ns_kill() {
  local ns=$1 pids try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [[ -z $pids ]] && return 0
    # shellcheck disable=SC2086
    if ((try < 8)); then kill -TERM $pids 2>/dev/null || true; else kill -KILL $pids 2>/dev/null || true; fi
    lab_wait 0.5 lab_ns_empty "$ns" && return 0
  done
}
lab_ns_empty() { [[ -z $(ip netns pids "$1" 2>/dev/null) ]]; }

lab_destroy() {
  local node ns
  trap - EXIT INT TERM
  for node in "${LAB_NODES[@]}"; do
    ns=${LAB_NS[$node]}
    lab_ns_kill "$ns"
    ip netns del "$ns" 2>/dev/null
  done
  if [[ -n $LAB_HUB ]]; then lab_ns_kill "$LAB_HUB"; ip netns del "$LAB_HUB" 2>/dev/null; fi
  if [[ -n $LAB_DIR && -d $LAB_DIR && -z ${LAB_KEEP:-} ]]; then rm -rf "$LAB_DIR"; fi
  for ns in /sys/fs/bpf/xvt-"${LAB_TAG}"-*-$$; do
    if [[ -e $ns ]]; then rm -rf "$ns"; fi
  done
  LAB_NODES=(); LAB_NS=(); LAB_IDX=(); LAB_HUB=""
  return 0
}

# lab_port NODE: NODE's bridge-side veth in the hub namespace (what lab_cut sets down).
lab_port() { printf 'vh%s' "${LAB_IDX[$1]:?no node $1}"; }
lab_cut() { lab_exec_ns "$LAB_HUB" ip link set "vh${LAB_IDX[$1]:?no node $1}" down; }
lab_restore() { lab_exec_ns "$LAB_HUB" ip link set "vh${LAB_IDX[$1]:?no node $1}" up; }

# lab_wait SECONDS CMD...: polls CMD every 10 ms until it succeeds; 1 at the deadline.
lab_wait() {
  local timeout=$1; shift
  local frac=000000000 end
  [[ $timeout == *.* ]] && { frac=${timeout#*.}000000000; frac=${frac:0:9}; }
  end=$(( $(date +%s%N) + ${timeout%.*} * 1000000000 + 10#$frac ))
  while :; do
    "$@" && return 0
    (( $(date +%s%N) >= end )) && return 1
    sleep 0.01
  done
}

# No `| grep -q`: under pipefail its early exit makes ip fail with SIGPIPE.
lab_has_addr() {
  local out
  out=$(lab_run "$1" ip -o addr show dev eth0) || return 1
  [[ $out == *" $2/"* ]]
}
# lab_can_ping NODE IP: one echo every 100 ms for at most 1 s (xvrrp-probe; no ping(8) needed).
lab_can_ping() {
  lab_run "$1" "$LAB_BIN/xvrrp-probe" --target "$2" --interval-us 100000 --duration-s 1 \
    --until-reply >/dev/null 2>&1
}

# lab_conf NODE PRIORITY ADVERT_INT VIP [VRID]: a keepalived.conf that both daemons take.
lab_conf() {
  local node=$1 prio=$2 adv=$3 vip=$4 vrid=${5:-51}
  cat <<CONF
global_defs {
  router_id $node
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id $vrid
  priority $prio
  advert_int $adv
  virtual_ipaddress {
    $vip/24 dev eth0
  }
}
CONF
}

# lab_daemon_bin: where $DAEMON's binaries are. "xvrrpd-NAME" is xvrrpd built from another
# commit (XVRRP_NAME_BIN=DIR, e.g. xvrrpd-base and XVRRP_BASE_BIN), so benches compare
# builds in interleaved trials.
lab_daemon_bin() {
  case $DAEMON in
    xvrrpd-*)
      local var
      var=XVRRP_$(printf '%s' "${DAEMON#xvrrpd-}" | tr '[:lower:]-' '[:upper:]_')_BIN
      [[ -n ${!var:-} ]] || lab_die "$DAEMON needs $var=DIR of another build"
      echo "${!var}" ;;
    *) echo "$LAB_BIN" ;;
  esac
}

# lab_daemon_start NODE CONF: starts $DAEMON on NODE in the background.
lab_daemon_start() {
  local node=$1 conf=$2 ns=${LAB_NS[$1]:?no node $1} log="$LAB_DIR/$1.$DAEMON.log"
  case $DAEMON in
    keepalived)
      nsenter --net="/run/netns/$ns" -- keepalived -n -l -D --vrrp -f "$conf" \
        -p "$LAB_DIR/$node.ka.pid" -r "$LAB_DIR/$node.vrrp.pid" -b "$LAB_DIR/$node.bfd.pid" \
        -c "$LAB_DIR/$node.chk.pid" -i "$node" >"$log" 2>&1 &
      ;;
    xvrrpd | xvrrpd-*)
      local bin
      bin="$(lab_daemon_bin)/xvrrpd"
      [[ -x $bin ]] || lab_die "$bin not built"
      nsenter --net="/run/netns/$ns" -- "$bin" -f "$conf" -n -l \
        --pin-root "/sys/fs/bpf/xvt-$LAB_TAG-$node-$$" --control "$LAB_DIR/$node.sock" \
        -p "$LAB_DIR/$node.xvrrpd.pid" >"$log" 2>&1 &
      ;;
    *) lab_die "DAEMON must be xvrrpd, xvrrpd-NAME or keepalived, not '$DAEMON'" ;;
  esac
  LAB_PID[$node]=$!
}

# lab_daemon_stop NODE: TERM the daemon and everything it forked, KILL after 3 s.
lab_daemon_stop() {
  local node=$1 pid=${LAB_PID[$1]:-}
  if [[ -n $pid ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
  lab_wait 3 lab_daemon_gone "$node" || lab_ns_kill "${LAB_NS[$node]}"
  if [[ -n $pid ]]; then wait "$pid" 2>/dev/null || true; fi
  LAB_PID[$node]=""
  return 0
}
lab_daemon_gone() {
  local p
  for p in $(ip netns pids "${LAB_NS[$1]}" 2>/dev/null); do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == keepalived || $(cat "/proc/$p/comm" 2>/dev/null) == xvrrpd ]] && return 1
  done
  return 0
}

# lab_state NODE VIP: MASTER / BACKUP / FAULT. xvrrpd answers on its control
# socket; for keepalived the VIP on eth0 is the observable truth (carrier
# loss means FAULT).
lab_state() {
  local node=$1 vip=$2
  if [[ $DAEMON == xvrrpd* && -S $LAB_DIR/$node.sock ]]; then
    local s
    s=$("$(lab_daemon_bin)/xvrrpctl" --control "$LAB_DIR/$node.sock" status --json 2>/dev/null |
      python3 -c 'import json,sys
def find(o):
    if isinstance(o, dict):
        if isinstance(o.get("state"), str): return o["state"]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r: return r
d = json.load(sys.stdin)
# The instance first: a BFD session in bfd[] has a "state" too (and "bfd" sorts first).
if isinstance(d, dict) and d.get("instances"): d = d["instances"]
print((find(d) or "").upper())' 2>/dev/null)
    [[ -n $s ]] && { printf '%s\n' "$s"; return 0; }
  fi
  local link
  link=$(lab_run "$node" ip -o link show eth0 2>/dev/null)
  if [[ $link != *"state UP"* ]]; then echo FAULT
  elif lab_has_addr "$node" "$vip"; then echo MASTER
  else echo BACKUP; fi
}
lab_is_master() { [[ $(lab_state "$1" "$2") == MASTER ]]; }
lab_is_backup() { [[ $(lab_state "$1" "$2") == BACKUP ]]; }
