# shellcheck shell=bash
# adverts_lib.sh: the configuration, states and one trial of tools/bench/adverts. Source
# after lab.sh and bench_cpu.sh with VRIDS, IFACES, FAMILIES, ADV, SETTLE, DURATION,
# INSTANCES and FLOOR_TX set.

declare -gA NODE_DAEMON=()

# vip_of K N: the VIP of VRID N on ethK (IPv4 or IPv6 by --families).
family_of() {
  case $FAMILIES in
    v4) echo 4 ;; v6) echo 6 ;;
    mixed) if (($1 % 2)); then echo 4; else echo 6; fi ;;
  esac
}
vip_of() {
  if [[ $(family_of "$2") == 4 ]]; then printf '10.%d.%d.1/32' $((79 + $1)) "$2"
  else printf 'fd00:79:%x:%x::1/128' "$1" "$2"; fi
}

# conf NODE PRIORITY: VRIDS instances on each of IFACES interfaces.
conf() {
  local node=$1 prio=$2 n k
  # No second GARP burst (vrrp_garp_master_delay 0), for both daemons: keepalived sends
  # its 255 x 5 delayed GARPs in one go 5 s after MASTER, its advert timers stall past
  # Master_Down_Interval (36 ms), the backup takes over and the pair flaps for the rest of
  # the trial (thousands of transitions), so its steady state could not be measured.
  printf 'global_defs {\n  router_id %s\n  vrrp_version 3\n  vrrp_garp_master_delay 0\n}\n' "$node"
  for ((k = 0; k < IFACES; k++)); do
    for ((n = 1; n <= VRIDS; n++)); do
      cat <<CONF
vrrp_instance VI_${k}_$n {
  state BACKUP
  interface eth$k
  virtual_router_id $n
  priority $prio
  advert_int $ADV
  virtual_ipaddress {
    $(vip_of "$k" "$n") dev eth$k
  }
}
CONF
    done
  done
}

node_log() { echo "$LAB_DIR/$1.${NODE_DAEMON[$1]}.log"; }

# VIPs (/32, /128) NODE holds on its eth interfaces.
vips_held() {
  lab_run "$1" ip -o addr show | grep -v ' lo ' | grep -cE ' inet6? [^ ]+/(32|128) ' || true
}

# count_state NODE STATE: instances of NODE in STATE (xvrrpd: control socket; keepalived:
# VIPs present for MASTER, log lines for BACKUP; the floor: every instance while it runs).
count_state() {
  local node=$1 want=$2 d=${NODE_DAEMON[$1]}
  case $d in
    xvrrpd*)
      DAEMON=$d "$(DAEMON=$d lab_daemon_bin)/xvrrpctl" --control "$LAB_DIR/$node.sock" status --json 2>/dev/null |
        python3 -c 'import json,sys
d = json.load(sys.stdin)
print(sum(1 for i in d.get("instances", []) if i.get("state") == sys.argv[1]))' "$want" 2>/dev/null || echo 0 ;;
    floor*)
      if [[ $want == MASTER ]] && kill -0 "${LAB_PID[$node]:-0}" 2>/dev/null; then echo "$INSTANCES"; else echo 0; fi ;;
    keepalived)
      if [[ $want == MASTER ]]; then vips_held "$node"
      else
        # Backup: no VIP held and every instance logged its BACKUP entry.
        local logged
        logged=$(grep -c 'Entering BACKUP STATE' "$(node_log "$node")" 2>/dev/null || true)
        if (($(vips_held "$node") == 0)); then echo "${logged:-0}"; else echo 0; fi
      fi ;;
  esac
}
all_in() { (( $(count_state "$1" "$2") >= INSTANCES )); }

# transitions NODE: "Entering ... STATE" lines in the node's log (the floor logs none).
node_transitions() {
  local n
  n=$(grep -c 'Entering [A-Z]* STATE' "$(node_log "$1")" 2>/dev/null) || true
  echo "${n:-0}"
}

# realtime NODE: every process of NODE's namespace SCHED_FIFO at RT (with --rt; the host
# is shared, and without it a 30 ms stall of any sender flaps a 10 ms pair).
realtime() {
  ((RT > 0)) || return 0
  local p
  for p in $(ip netns pids "${LAB_NS[$1]}"); do chrt -f -p "$RT" "$p" >/dev/null 2>&1 || true; done
}

node_start() {
  local node=$1 d=${NODE_DAEMON[$1]} conf="$LAB_DIR/$1.conf" tx
  case $d in
    floor*)
      case $d in
        floor) tx=$FLOOR_TX ;;
        floor-mmsg) tx="mmsg" ;;
        floor-bypass) tx="mmsg --qdisc-bypass" ;;
        floor-ring) tx="ring" ;;
      esac
      # shellcheck disable=SC2086
      lab_spawn "$node" "$(node_log "$node")" "$LAB_BIN/xvrrp-bench-floor" send -f "$conf" --tx $tx
      LAB_PID[$node]=$LAB_SPAWNED ;;
    *) DAEMON=$d lab_daemon_start "$node" "$conf" ;;
  esac
  realtime "$node"
}

# floor_stop NODE: stops the floor sender, which then writes its JSON line (frames,
# batches, ...) to its log; not in a subshell, which could not wait for it.
floor_stop() {
  kill -TERM "${LAB_PID[$1]}" 2>/dev/null || true
  wait "${LAB_PID[$1]}" 2>/dev/null || true
}

# profile_master DAEMON TRIAL: PERF_S seconds of perf record (DWARF call graphs, 499 Hz) of
# node1's sender, after the measured window; prints {"samples", "self", "children"} (the
# top 25 symbols by own and by inclusive share) and leaves the report in PERF_DIR.
profile_master() {
  local d=$1 t=$2 pid=${LAB_PID[node1]} data="$PERF_DIR/$1.$2.data" rep="$PERF_DIR/$1.$2"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  perf record -q -F 499 --call-graph dwarf,16384 -p "$pid" -o "$data" -- sleep "$PERF_S" \
    >/dev/null 2>&1 || return 1
  perf report -i "$data" --no-children --sort sym --stdio -g none >"$rep.self.txt" 2>/dev/null
  perf report -i "$data" --children --sort sym --stdio -g none >"$rep.children.txt" 2>/dev/null
  perf report -i "$data" --no-children --sort sym --stdio -g caller,0.5,callee \
    --percent-limit 2 >"$rep.callgraph.txt" 2>/dev/null
  rm -f "$data"
  python3 - "$rep.self.txt" "$rep.children.txt" <<'PY'
import json, re, sys
def top(path):
    rows, samples = [], None
    for line in open(path, errors="replace"):
        m = re.match(r"# Samples: (\S+)", line)
        if m: samples = m.group(1)
        if line.startswith("#") or not line.strip(): continue
        f = line.split()
        try:
            pct = float(f[0].rstrip("%"))  # Overhead, or Children with --children
        except (ValueError, IndexError):
            continue
        sym = line.split("] ", 1)[1].strip() if "] " in line else f[-1]
        rows.append([pct, sym[:160]])
    rows.sort(key=lambda r: -r[0])
    return samples, rows[:25]
samples, own = top(sys.argv[1])
_, inclusive = top(sys.argv[2])
print(json.dumps({"samples": samples, "self": own, "children": inclusive}))
PY
}

trial() {
  local t=$1 d=$2 slow c1 c2 s0 s1 w0 w1 a0 a1 extra="null"
  NODE_DAEMON=([node1]=$d [node2]=$d)
  [[ $d == floor* ]] && NODE_DAEMON[node2]=xvrrpd
  if [[ $d == xvrrpd-* && ! -x $(DAEMON=$d lab_daemon_bin)/xvrrpd ]]; then echo "$d not built"; return 1; fi
  conf node1 150 >"$LAB_DIR/node1.conf"
  conf node2 100 >"$LAB_DIR/node2.conf"
  slow=$((20 + INSTANCES / 10))
  local t0; t0=$(now_ns)
  node_start node1
  lab_wait "$slow" all_in node1 MASTER || { echo "node1: $(count_state node1 MASTER)/$INSTANCES MASTER"; return 1; }
  local up_s; up_s=$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN{printf "%.3f", (b-a)/1e9}')
  node_start node2
  lab_wait "$slow" all_in node2 BACKUP || { echo "node2: $(count_state node2 BACKUP)/$INSTANCES BACKUP"; return 1; }
  realtime node1; realtime node2   # keepalived's children, forked after the start
  c1=$(node_transitions node1); c2=$(node_transitions node2)
  sleep "$SETTLE"   # start-up GARPs and the first ring events are over
  a0=$(cpu_sample node1 node2); s0=$(softirq_ticks); w0=$(now_ns)
  sleep "$DURATION"
  a1=$(cpu_sample node1 node2); s1=$(softirq_ticks); w1=$(now_ns)
  local masters backups tr1 tr2
  masters=$(count_state node1 MASTER); backups=$(count_state node2 BACKUP)
  tr1=$(( $(node_transitions node1) - c1 )); tr2=$(( $(node_transitions node2) - c2 ))
  local prof="null"
  if ((${PERF_S:-0} > 0)) && [[ $d == xvrrpd* || $d == floor* ]]; then
    prof=$(profile_master "$d" "$t") || prof="null"
  fi
  if [[ $d == floor* ]]; then
    floor_stop node1
    extra=$(grep '^{' "$(node_log node1)" | tail -1)
  fi
  python3 - "$d" "$t" "$w0" "$w1" "$a0" "$a1" "$((s1 - s0))" "$tr1" "$tr2" "$masters" "$backups" "$up_s" "${extra:-null}" "$(load_avg)" "$prof" <<'PY'
import json, sys
d, t, w0, w1, a0, a1, soft, sm, sb, m, b, up, extra, load, prof = sys.argv[1:]
a0, a1 = json.loads(a0), json.loads(a1)
row = {"daemon": d, "trial": int(t), "window_s": round((int(w1) - int(w0)) / 1e9, 3),
       "softirq_ticks": int(soft), "spurious_master": int(sm), "spurious_backup": int(sb),
       "end_masters": int(m), "end_backups": int(b), "master_up_s": float(up), "load_end": float(load)}
for node, role in (("node1", "master"), ("node2", "backup")):
    row[role + "_cpu_ns"] = a1[node]["cpu_ns"] - a0[node]["cpu_ns"]
    row[role + "_bpf_ns"] = a1[node]["bpf_ns"] - a0[node]["bpf_ns"]
    row[role + "_bpf_runs"] = a1[node]["bpf_runs"] - a0[node]["bpf_runs"]
    row[role + "_bpf_progs"] = a1[node]["bpf_progs"]
    for name, (ns, runs) in a1[node]["bpf"].items():
        b0 = a0[node]["bpf"].get(name, [0, 0])
        row.setdefault(role + "_bpf", {})[name] = [ns - b0[0], runs - b0[1]]
# Adverts that reached the backup's XDP program in the window: what the master really sent.
row["adverts_rx"] = row.get("backup_bpf", {}).get("xv_rx", [0, 0])[1]
row["floor"] = json.loads(extra)
row["perf"] = json.loads(prof)
print(json.dumps(row))
PY
}
