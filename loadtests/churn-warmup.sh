#!/usr/bin/env bash
# loadtests/churn-warmup.sh — what a fresh JVM spends on the churn scenario in its first seconds, thread by
# thread, and (with --jfr) what the switch to one connection per request throws away of the compiled code.
#
#   loadtests/churn-warmup.sh                        # the built jar, 3 fresh starts
#   loadtests/churn-warmup.sh --jar /tmp/before.jar --runs 5 --jfr
#
# Each run starts Sluice anew with a plain `java -jar` (JAVA_OPTS added if set: no flags by default, as
# users start it), pinned to TARGET_CPUS, and drives it the way the reference instrument orders its
# scenarios: proxied GET / with keep-alive (1 s, then SECONDS s), then the same with 'Connection: close'
# (1 s, then SECONDS s: a new TCP connection per request). It prints the CPU time of each busy thread of the
# JVM (/proc/PID/task) during the measured churn run divided by the connections wrk completed: the event
# loop's share is the per-connection work, the compiler threads' share is the warm-up the connections pay
# for. Only the ratio between builds measured in the same way means anything; the machine must be quiet.
#
# With --jfr the JVM also records compilations and deoptimizations (JFR; it compiles a little more itself).
# For the churn phase the run then lists every deoptimization with the method whose code it invalidated
# (and that code's size): a trap in a branch the keep-alive traffic never took throws away the whole
# compiled method it was inlined into, which C2 then compiles again while the connections wait.
#
# Options:
#   --jar JAR        [proxy/target/sluice.jar]
#   --runs N         [3]   fresh starts
#   --seconds S      [10]  measured run per phase
#   --jfr                  record compilations and deoptimizations (needs python3)
# Environment: TARGET_CPUS [0], LOAD_CPUS [1], BASE_PORT [24280], BACKEND_PORT [24911], JAVA_OPTS
#
# Only 127.0.0.1 is contacted; every run is bounded by `timeout`; every process started here is stopped by
# its PID (process group) on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
source "$HERE/lib/processes.sh"
source "$HERE/lib/targets.sh"

JAR=$ROOT/proxy/target/sluice.jar RUNS=3 SECONDS_MEASURED=10 JFR=0
while (($#)); do
  case $1 in
    --jar) JAR=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --seconds) SECONDS_MEASURED=$2; shift ;;
    --jfr) JFR=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ -f $JAR ]] || die "no jar at $JAR (build with: mvn -q -B -DskipTests package)"
for tool in wrk nginx java; do command -v "$tool" >/dev/null || die "$tool is missing"; done
((JFR == 0)) || command -v python3 >/dev/null || die "python3 is missing (needed by --jfr)"

TARGET_CPUS=${TARGET_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
WORKERS=1

prepare() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-churn-warmup.XXXXXX")
  chmod 755 "$WORK"
  DOCROOT=$WORK/docroot
  mkdir -p "$DOCROOT" "$WORK/tmp"
  BACKEND_PORT=$(free_port "${BACKEND_PORT:-24911}")
  start_backend
  TARGET_PORT=$(free_port "${BASE_PORT:-24280}")
  sluice_conf 0 >"$WORK/sluice.conf"
}

# load SECONDS [HEADER] : one wrk run against the target; prints the requests it completed
load() {
  local args=(-t1 -c64 -d"$1s")
  [[ -z ${2:-} ]] || args+=(-H "$2")
  timeout $(($1 + 30)) taskset -c "$LOAD_CPUS" wrk "${args[@]}" "http://127.0.0.1:$TARGET_PORT/" \
    | awk '/requests in/ { print $1 }'
}

# threads PID : "name ticks" per thread name (threads of one name summed), sorted by name
threads() {
  local task
  for task in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$task/comm")" "$(awk '{ print $14 + $15 }' "$task/stat" 2>/dev/null || echo 0)"
  done | awk '{ t[$1] += $2 } END { for (n in t) print n, t[n] }' | sort
}

# mark FILE NAME : appends "NAME epoch-ms", the start of a phase (the --jfr report splits events by these)
mark() { printf '%s %s\n' "$2" "$(date +%s%3N)" >>"$1"; }

run_once() {
  local run=$1 pid before after connections jfr_opts=()
  local markers=$WORK/run$run.phases recording=$WORK/run$run.jfr
  : >"$markers"
  if ((JFR)); then
    cat >"$WORK/jit.jfc" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.Compilation"><setting name="enabled">true</setting><setting name="threshold">0 ms</setting></event>
  <event name="jdk.Deoptimization"><setting name="enabled">true</setting><setting name="stackTrace">false</setting></event>
</configuration>
EOF
    jfr_opts=("-XX:StartFlightRecording=filename=$recording,settings=$WORK/jit.jfc,dumponexit=true")
  fi
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  start_pinned "$WORK/sluice.log" "$TARGET_CPUS" java ${JAVA_OPTS:-} "${jfr_opts[@]}" -jar "$JAR" -c "$WORK/sluice.conf"
  pid=$STARTED_PID
  wait_for_port "$TARGET_PORT" 60 || die "Sluice did not start: $(tail -5 "$WORK/sluice.log")"
  sleep 0.3
  mark "$markers" proxy
  load 1 >/dev/null
  load "$SECONDS_MEASURED" >/dev/null
  mark "$markers" close
  load 1 "Connection: close" >/dev/null
  before=$(threads "$pid")
  connections=$(load "$SECONDS_MEASURED" "Connection: close")
  after=$(threads "$pid")
  mark "$markers" end
  stop_group "$pid"
  [[ ${connections:-0} -gt 0 ]] || die "run $run completed no connection"
  local hz
  hz=$(getconf CLK_TCK)
  printf 'run %d: %d connections in %d s; CPU µs per connection by thread:' "$run" "$connections" "$SECONDS_MEASURED"
  join <(echo "$before") <(echo "$after") | awk -v n="$connections" -v hz="$hz" '
    { d = ($3 - $2) * 1e6 / hz / n; if (d > 0) { printf " %s %.1f", $1, d; s += d } }
    END { printf " | total %.1f\n", s }'
  if ((JFR)); then
    jfr print --json --events jdk.Compilation,jdk.Deoptimization "$recording" >"$WORK/run$run.json"
    python3 "$HERE/tools/jit_phases.py" "$WORK/run$run.json" "$markers"
  fi
}

main() {
  trap stop_all_and_clean_up EXIT
  trap 'exit 130' INT TERM
  prepare
  log "jar $JAR, $RUNS fresh starts, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  local run
  for run in $(seq 1 "$RUNS"); do run_once "$run"; done
}

main
