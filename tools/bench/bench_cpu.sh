# shellcheck shell=bash
# bench_cpu.sh: CPU and transition accounting shared by tools/bench/adverts and flood.
# Source after tools/lab/lab.sh.

# ns_cpu_ticks NODE: utime+stime (clock ticks) of every process in NODE's namespace.
ns_cpu_ticks() {
  local p sum=0 stat rest
  for p in $(ip netns pids "${LAB_NS[$1]:?no node $1}" 2>/dev/null); do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    rest=${stat##*) }   # fields after "pid (comm) "; comm may contain spaces
    # shellcheck disable=SC2086
    set -- $rest
    sum=$((sum + ${12} + ${13}))   # fields 14 and 15 of stat: utime, stime
  done
  echo "$sum"
}

# softirq_ticks: system-wide softirq time (the "cpu" line of /proc/stat, field 7).
softirq_ticks() { awk '$1 == "cpu" { print $8; exit }' /proc/stat; }

# transitions NODE: "Entering ... STATE" lines in the node's daemon log (both daemons
# log state changes with this phrase; "(init)" is the start-up BACKUP).
transitions() {
  local log="$LAB_DIR/$1.$DAEMON.log" n
  n=$(grep -c 'Entering [A-Z]* STATE' "$log" 2>/dev/null) || true
  echo "${n:-0}"
}

now_ns() { date +%s%N; }

# cpu_sample NODE...: one JSON object {NODE: {cpu_ns, bpf_ns, bpf_runs, bpf_progs}} for the
# lab nodes (tools/bench/cpu_sample.py: thread run time from schedstat, nanoseconds, and the
# kernel's run time of the BPF programs on each node's interfaces).
cpu_sample() {
  local args=() n
  for n in "$@"; do args+=("$n=${LAB_NS[$n]:?no node $n}"); done
  python3 "$LAB_ROOT/tools/bench/cpu_sample.py" "${args[@]}"
}

# bpf_stats_on: BPF run-time statistics on until the bench exits (BPF_ENABLE_STATS held by
# xvrrp-bench-floor, so they go off again even if the bench is killed). Sets BPF_STATS_PID.
bpf_stats_on() {
  local fifo
  fifo=$(mktemp -u /tmp/xvt-bpfstats-XXXXXX)
  mkfifo "$fifo"
  "$LAB_BIN/xvrrp-bench-floor" bpf-stats <"$fifo" >"$fifo.out" 2>&1 &
  BPF_STATS_PID=$!
  exec {BPF_STATS_FD}>"$fifo"   # the holder's stdin: closed when the bench exits
  rm -f "$fifo"
  lab_wait 5 grep -q enabled "$fifo.out" || lab_die "xvrrp-bench-floor bpf-stats: $(cat "$fifo.out")"
  rm -f "$fifo.out"
}
bpf_stats_off() {
  [[ -n ${BPF_STATS_PID:-} ]] || return 0
  kill -TERM "$BPF_STATS_PID" 2>/dev/null || true
  wait "$BPF_STATS_PID" 2>/dev/null || true
  BPF_STATS_PID=""
}

# load_avg: the 1-minute load average (the host is shared; every report notes it).
load_avg() { cut -d' ' -f1 /proc/loadavg; }
