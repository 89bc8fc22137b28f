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
