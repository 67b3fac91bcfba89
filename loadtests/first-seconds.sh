#!/usr/bin/env bash
# loadtests/first-seconds.sh — what a freshly started JVM costs per request in its first seconds, and
# where that CPU goes (the event loop, the C2 and C1 JIT compilers, the rest), several builds or JVM flag
# sets side by side, launches interleaved (A B, B A, ...) so that a busy machine slows all alike.
#
#   loadtests/first-seconds.sh                                    # the built jar, plain `java -jar`, 5 launches
#   loadtests/first-seconds.sh --launches 7 \
#     --variant "before|/tmp/before.jar|" --variant "after|proxy/target/sluice.jar|" \
#     --variant "fg-jit|proxy/target/sluice.jar|-XX:-BackgroundCompilation"
#
# Each launch is measured the way the reference benchmark measures a round: start `java OPTS -jar JAR -c CONF`
# pinned to TARGET_CPUS, wait until it answers, 0.3 s, a WARMUP-second wrk run that is not recorded, then a
# DURATION-second wrk run (64 connections, keep-alive, on LOAD_CPUS) whose requests are counted against the
# CPU time every thread of the JVM used meanwhile (/proc/PID/task/*/stat). The split by thread shows how
# much of a request's cost is the JIT compiling rather than the loop serving: a long-running server pays
# the compilation once, a fresh one pays it inside these seconds. The configuration is startup.sh's: one
# worker, GET / proxied to an nginx backend with keep-alive, /static/ files, no TLS.
#
# Options:
#   --variant "LABEL|JAR|JAVA OPTIONS"   repeatable [sluice|proxy/target/sluice.jar|]
#   --launches N   [5]          measured launches per variant
#   --path PATH    [/]          what wrk asks for (/ is proxied, /static/small.html is a file)
#   --out FILE                  also write the report (markdown) to FILE
# Environment: WARMUP [1], DURATION [10], TARGET_CPUS [0], LOAD_CPUS [1], BASE_PORT [24180],
# BACKEND_PORT [24901] (first ports tried; taken ones are skipped).
#
# Only 127.0.0.1 is contacted; every process started here is stopped by its PID (process group) on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=lib/processes.sh
source "$HERE/lib/processes.sh"
# shellcheck source=lib/targets.sh
source "$HERE/lib/targets.sh"
# shellcheck source=lib/variants.sh
source "$HERE/lib/variants.sh"

LAUNCHES=5 URL_PATH=/ OUT=""
VARIANTS=()
while (($#)); do
  case $1 in
    --variant) VARIANTS+=("$2"); shift ;;
    --launches) LAUNCHES=$2; shift ;;
    --path) URL_PATH=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
((${#VARIANTS[@]})) || VARIANTS=("sluice|$ROOT/proxy/target/sluice.jar|")

WARMUP=${WARMUP:-1}
DURATION=${DURATION:-10}
TARGET_CPUS=${TARGET_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
WORKERS=1
CLK_TCK=$(getconf CLK_TCK)
command -v wrk >/dev/null || die "wrk is needed"

prepare() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-first-seconds.XXXXXX")
  chmod 755 "$WORK"
  DOCROOT=$WORK/docroot
  mkdir -p "$DOCROOT" "$WORK/tmp"
  head -c 1024 /dev/zero | tr '\0' 'x' >"$DOCROOT/small.html"
  chmod -R a+rX "$DOCROOT"
  TARGET_PORT=$(free_port "${BASE_PORT:-24180}")
  BACKEND_PORT=$(free_port "${BACKEND_PORT:-24901}")
  sluice_conf 0 >"$WORK/sluice.conf"
  start_backend
}

# thread_ms PID : "loop C2 C1 all" CPU milliseconds used so far by the JVM's event loops, its C2 and C1
# compiler threads, and all of its threads
thread_ms() {
  local task name ticks
  for task in /proc/"$1"/task/*; do
    name=$(tr ' ' _ <"$task/comm" 2>/dev/null) || continue
    ticks=$(awk '{ print $14 + $15 }' "$task/stat" 2>/dev/null) || continue
    echo "$name $ticks"
  done | awk -v hz="$CLK_TCK" '
    { all += $2 } /^sluice-worker/ { loop += $2 } /^C2_/ { c2 += $2 } /^C1_/ { c1 += $2 }
    END { printf "%d %d %d %d\n", loop * 1000 / hz, c2 * 1000 / hz, c1 * 1000 / hz, all * 1000 / hz }'
}

# launch_and_measure VARIANT : one fresh start measured as described above; sets RESULT to
# "REQ_PER_S US_PER_REQ P99_MS LOOP_MS C2_MS C1_MS ALL_MS"
launch_and_measure() {
  local variant=$1 jar opts pid url out before after req p99
  jar=$(field "$variant" 2) opts=$(field "$variant" 3)
  port_in_use "$TARGET_PORT" && die "port $TARGET_PORT is taken by someone else"
  # shellcheck disable=SC2086 # the options are words
  start_pinned "$WORK/sluice.log" "$TARGET_CPUS" java $opts -jar "$jar" -c "$WORK/sluice.conf"
  pid=$STARTED_PID
  if ! wait_for_port "$TARGET_PORT" 60 || ! kill -0 "$pid" 2>/dev/null; then
    tail -20 "$WORK/sluice.log" >&2 || true
    die "$(field "$variant" 1) did not start"
  fi
  sleep 0.3
  url="http://127.0.0.1:$TARGET_PORT$URL_PATH"
  taskset -c "$LOAD_CPUS" wrk -t1 -c64 -d"${WARMUP}s" --timeout 5s "$url" >/dev/null
  before=$(thread_ms "$pid")
  out=$(taskset -c "$LOAD_CPUS" wrk -t1 -c64 -d"${DURATION}s" --timeout 5s --latency "$url")
  after=$(thread_ms "$pid")
  kill -0 "$pid" 2>/dev/null || die "$(field "$variant" 1) exited during the run: $(tail -5 "$WORK/sluice.log")"
  stop_group "$pid"
  req=$(awk '/requests in/ { print $1 }' <<<"$out")
  p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else v = v * 1000; print v }' <<<"$out")
  ((req > 0)) || die "$(field "$variant" 1) answered no request"
  RESULT=$(awk -v req="$req" -v d="$DURATION" -v p99="$p99" -v b="$before" -v a="$after" 'BEGIN {
    split(b, x, " "); split(a, y, " ")
    printf "%d %.1f %.1f %d %d %d %d\n", req / d, (y[4] - x[4]) * 1000 / req, p99, y[1] - x[1], y[2] - x[2], y[3] - x[3], y[4] - x[4] }')
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

main() {
  trap stop_all_and_clean_up EXIT
  trap 'exit 130' INT TERM
  prepare
  local load_before load_after n=${#VARIANTS[@]} round i v
  read -r load_before _ </proc/loadavg
  declare -A RESULTS
  for ((round = 0; round < LAUNCHES; round++)); do
    for ((i = 0; i < n; i++)); do
      v=${VARIANTS[(i + round) % n]}
      launch_and_measure "$v"
      RESULTS[$v]+="$RESULT"$'\n'
      log "$(field "$v" 1): $(awk '{ printf "%s req/s, %s us/req, p99 %s ms, CPU ms: loop %s, C2 %s, C1 %s, all %s", $1, $2, $3, $4, $5, $6, $7 }' <<<"$RESULT")"
    done
  done
  read -r load_after _ </proc/loadavg
  {
    echo "# First seconds after a fresh start: GET $URL_PATH"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, target pinned to CPU $TARGET_CPUS, wrk on CPU $LOAD_CPUS (64 connections)," \
      "${WARMUP} s unrecorded then ${DURATION} s measured after each start, $LAUNCHES launches per variant (interleaved)," \
      "load average $load_before at the start, $load_after at the end. Medians (min–max); CPU is per measured run."
    echo
    echo "| variant | JVM options | req/s | µs CPU/req (all threads) | p99 ms | loop CPU ms | C2 CPU ms | C1 CPU ms |"
    echo "|---|---|---|---|---|---|---|---|"
    for v in "${VARIANTS[@]}"; do
      local cells="" column
      for column in 1 2 3 4 5 6; do
        cells+=" $(awk -v c="$column" 'NF { print $c }' <<<"${RESULTS[$v]}" | median)"
        cells+=" ($(awk -v c="$column" 'NF { print $c }' <<<"${RESULTS[$v]}" | range)) |"
      done
      printf '| %s | %s |%s\n' "$(field "$v" 1)" "$(field "$v" 3)" "$cells"
    done
  } | tee "${OUT:-/dev/null}"
}

main
