# shellcheck shell=bash
# Process bookkeeping and /proc readings for run.sh. Every process the harness starts gets its own process
# group and its PID is remembered; stop_all stops exactly those groups and nothing else.

STARTED=()

log() { printf '%(%H:%M:%S)T %s\n' -1 "$*" >&2; }
warn() { log "WARNING: $*"; WARNINGS+=("$*"); }
die() { log "ERROR: $*"; exit 1; }
WARNINGS=()

# start_pinned LOGFILE CPUS COMMAND... : starts COMMAND pinned to CPUS as the leader of its own process
# group (setpgid, then exec: the PID stays the command's, unlike setsid, which forks when the caller
# already leads a group); sets STARTED_PID. With START_CGROUP set to a cgroup directory, the process joins
# it before the exec, so everything it starts is counted there from the first instruction.
start_pinned() {
  local logfile=$1 cpus=$2
  shift 2
  perl -e '
    my $procs = shift;
    if ($procs ne "") { open(my $f, ">>", $procs) or die "$procs: $!"; print $f "$$\n"; close($f) or die "$procs: $!" }
    setpgrp(0, 0) or die "setpgrp: $!";
    exec @ARGV or die "exec: $!"' "${START_CGROUP:+$START_CGROUP/cgroup.procs}" taskset -c "$cpus" "$@" \
    >"$logfile" 2>&1 </dev/null &
  STARTED_PID=$!
  STARTED+=("$STARTED_PID")
}

# A target's CPU time is read from a cgroup of its own where the machine allows one (root, and cgroup v1's
# cpuacct or cgroup v2): the kernel keeps it in nanoseconds over every process and thread that ever ran in
# it. /proc/PID/stat has clock ticks per process, and a prefork server's thousand processes each below one
# tick read as zero. Elsewhere the ticks of the process tree are used.
declare -A CGROUP_OF
CPU_CGROUPS=()

# make_cpu_cgroup NAME : sets CGROUP_OF[NAME] to a new cgroup directory, or to "" where none can be made.
make_cpu_cgroup() {
  local base dir
  CGROUP_OF[$1]=""
  for base in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/unified /sys/fs/cgroup; do
    [[ -f $base/cpuacct.usage || -f $base/cgroup.controllers ]] || continue
    dir=$base/sluice-loadtests-$$-$1
    mkdir -p "$dir" 2>/dev/null || continue
    if [[ -f $dir/cpuacct.usage || -f $dir/cpu.stat ]]; then
      CGROUP_OF[$1]=$dir
      CPU_CGROUPS+=("$dir")
      return
    fi
    rmdir "$dir" 2>/dev/null || true
  done
}

# Removes the cgroups made by this run (after its processes are stopped: a cgroup with members stays).
remove_cpu_cgroups() {
  local dir
  for dir in "${CPU_CGROUPS[@]}"; do rmdir "$dir" 2>/dev/null || log "could not remove $dir"; done
}

# target_cpu_us NAME PID : CPU time in µs used so far by target NAME (PID and its descendants).
target_cpu_us() {
  local dir=${CGROUP_OF[$1]:-}
  if [[ -f $dir/cpuacct.usage ]]; then
    echo $(($(<"$dir/cpuacct.usage") / 1000))
  elif [[ -f $dir/cpu.stat ]]; then
    awk '$1 == "usage_usec" { print $2 }' "$dir/cpu.stat"
  else
    echo $(($(tree_cpu_ticks "$2") * 1000000 / CLK_TCK))
  fi
}

# stop_group PID : TERM the process group PID leads (it was started by start_pinned), KILL after 5 s.
stop_group() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local kept=() p
  for p in "${STARTED[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  STARTED=("${kept[@]}")
}

stop_all() {
  local p
  for p in "${STARTED[@]}"; do stop_group "$p"; done
}

# The EXIT trap of the single-purpose scripts: stop what they started, remove their scratch directory.
stop_all_and_clean_up() {
  local status=$?
  stop_all
  [[ -z ${WORK:-} ]] || rm -rf "$WORK"
  exit "$status"
}

# tree_pids PID : PID and all its descendants (nginx master + workers), from the process table.
tree_pids() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      keep[root] = 1; grew = 1
      while (grew) { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } }
      for (p in keep) if (p in parent) print p
    }'
}

# tree_cpu_ticks PID : CPU time of PID and its descendants, including children that exited and were reaped
# (their time moved to their parent's cutime+cstime): prefork servers start and end processes under load.
tree_cpu_ticks() {
  local p files=()
  for p in $(tree_pids "$1"); do files+=("/proc/$p/stat"); done
  ((${#files[@]})) || { echo 0; return; }
  # after "PID (COMM) " the fields are numbered from state = 1: utime 12, stime 13, cutime 14, cstime 15
  { cat "${files[@]}" 2>/dev/null || true; } | awk '{ sub(/^.*\) /, ""); total += $12 + $13 + $14 + $15 } END { print total + 0 }'
}

# tree_memory_kib PID : "RSS PSS" in KiB, summed over PID and its descendants. RSS counts pages shared by
# several processes (code, a prefork parent's memory) once per process; PSS divides each shared page among
# the processes that map it, so it adds up to what the server really holds.
tree_memory_kib() {
  local p files=()
  for p in $(tree_pids "$1"); do files+=("/proc/$p/status" "/proc/$p/smaps_rollup"); done
  ((${#files[@]})) || { echo " "; return; }
  { cat "${files[@]}" 2>/dev/null || true; } | awk '$1 == "VmRSS:" { rss += $2 } $1 == "Pss:" { pss += $2 } END { print rss + 0, pss + 0 }'
}

# busy_ticks : CPU time processes spent on the machine (user+nice+system), in ticks. Interrupt and softirq
# time (where loopback TCP mostly runs) is left out: with IRQ time accounting the kernel charges it to no
# process, so it could not be told apart from other people's work.
busy_ticks() {
  awk '$1 == "cpu" { print $2 + $3 + $4; exit }' /proc/stat
}

# rss_kib PID... : summed resident set size.
rss_kib() {
  local p total=0 kib
  for p in "$@"; do
    kib=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${kib:-0}))
  done
  echo "$total"
}

# wait_for_port PORT SECONDS : true once something accepts on 127.0.0.1:PORT.
wait_for_port() {
  local deadline=$((SECONDS + $2))
  while ((SECONDS <= deadline)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.02
  done
  return 1
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port PORT : PORT, or the next port above it that nothing listens on.
free_port() {
  local port=$1
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port"
}

# foreign_percent SECONDS : CPU used by other people's processes over SECONDS while ours are idle,
# in percent of one CPU (the harness runs nothing during the sample).
foreign_percent() {
  local before after started_ns elapsed_ms
  started_ns=$(date +%s%N)
  before=$(busy_ticks)
  sleep "$1"
  after=$(busy_ticks)
  elapsed_ms=$((($(date +%s%N) - started_ns) / 1000000))   # sleep overruns on a starved machine
  echo $(((after - before) * 100000 / (CLK_TCK * (elapsed_ms > 0 ? elapsed_ms : 1))))
}
