#!/usr/bin/env bash
# loadtests/startup.sh — time from launching Sluice to its first answered request, several builds or JVM
# flag sets side by side, launches interleaved (A B C, B C A, ...) so that a busy machine slows all alike.
#
#   loadtests/startup.sh                                          # the built jar, default JVM flags, 7 launches
#   loadtests/startup.sh --launches 9 \
#     --variant "before|/tmp/before.jar|" --variant "after|proxy/target/sluice.jar|" \
#     --variant "after+cds|proxy/target/sluice.jar|-XX:SharedArchiveFile=/tmp/sluice.jsa"
#
# Each launch starts `java OPTS -jar JAR -c CONF` pinned to TARGET_CPUS, polls GET / with curl every 10 ms
# (as run.sh does), and records the wall time from launch to the first answer and the CPU time (utime +
# stime of every thread of the JVM, from /proc/PID/stat) spent by then; the process is then stopped. The
# configuration is run.sh's: one worker, GET / proxied to an nginx backend (so the first answer includes
# the upstream connection), /static/ files, and a TLS + h2 listener unless --plain. One more launch per
# variant, not timed, logs class loading (-Xlog:class+load) and counts the classes loaded by the first
# answer, and how many of them came from a class-data-sharing archive (the JDK's default one or an AppCDS
# / AOT cache).
#
# Options:
#   --variant "LABEL|JAR|JAVA OPTIONS"   repeatable [sluice|proxy/target/sluice.jar|] (JAVA may be set per
#                                        variant with a fourth field: "LABEL|JAR|OPTS|/path/to/java")
#   --train "LABEL|JAR|JAVA OPTIONS"     repeatable; before the timed launches, one training run with these
#                                        options: start, GET / and a static file (and over TLS + h2 unless
#                                        --plain), stop with SIGTERM. For archives a variant then uses, e.g.
#                                        --train "cds|proxy/target/sluice.jar|-XX:ArchiveClassesAtExit=/tmp/s.jsa"
#                                        --variant "cds|proxy/target/sluice.jar|-XX:SharedArchiveFile=/tmp/s.jsa"
#   --launches N   [7]          timed launches per variant
#   --plain                     no TLS listener in the configuration
#   --out FILE                  also write the report (markdown) to FILE
# Environment: TARGET_CPUS [0], LOAD_CPUS [1], BASE_PORT [23180], BASE_TLS_PORT [23543], BACKEND_PORT [23901]
# (first ports tried; taken ones are skipped).
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

LAUNCHES=7 TLS=1 OUT=""
VARIANTS=() TRAININGS=()
while (($#)); do
  case $1 in
    --variant) VARIANTS+=("$2"); shift ;;
    --train) TRAININGS+=("$2"); shift ;;
    --launches) LAUNCHES=$2; shift ;;
    --plain) TLS=0 ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
((${#VARIANTS[@]})) || VARIANTS=("sluice|$ROOT/proxy/target/sluice.jar|")

TARGET_CPUS=${TARGET_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
WORKERS=1
CLK_TCK=$(getconf CLK_TCK)

prepare() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-startup.XXXXXX")
  chmod 755 "$WORK"
  DOCROOT=$WORK/docroot
  mkdir -p "$DOCROOT" "$WORK/tmp"
  echo 'Sluice static test page.' >"$DOCROOT/small.html"
  chmod -R a+rX "$DOCROOT"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
  TARGET_PORT=$(free_port "${BASE_PORT:-23180}")
  TLS_PORT=$(free_port "${BASE_TLS_PORT:-23543}")
  BACKEND_PORT=$(free_port "${BACKEND_PORT:-23901}")
  sluice_conf "$TLS" >"$WORK/sluice.conf"
  start_backend
}

# launch VARIANT [EXTRA JAVA OPTIONS...] : starts the variant, waits for its first answer; sets WALL_MS,
# CPU_MS and LAUNCHED_PID (still running; the caller stops it). Fails when it exits or takes over 60 s.
launch() {
  local variant=$1 jar opts java started_ns code pid
  shift
  jar=$(field "$variant" 2) opts=$(field "$variant" 3) java=$(field "$variant" 4)
  port_in_use "$TARGET_PORT" && die "port $TARGET_PORT is taken by someone else"
  started_ns=$(date +%s%N)
  # shellcheck disable=SC2086 # the options are words
  start_pinned "$WORK/sluice.log" "$TARGET_CPUS" "${java:-java}" $opts "$@" -jar "$jar" -c "$WORK/sluice.conf"
  pid=$STARTED_PID
  local deadline=$((SECONDS + 60))
  while ((SECONDS <= deadline)); do
    kill -0 "$pid" 2>/dev/null || break
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$TARGET_PORT/" || true)
    if [[ $code != 000 ]]; then
      WALL_MS=$((($(date +%s%N) - started_ns) / 1000000))
      CPU_MS=$(($(tree_cpu_ticks "$pid") * 1000 / CLK_TCK))
      LAUNCHED_PID=$pid
      return 0
    fi
    sleep 0.01
  done
  log "$(field "$variant" 1) did not answer; its log:"
  tail -20 "$WORK/sluice.log" >&2 || true
  stop_group "$pid"
  return 1
}

# train VARIANT : one launch that serves a few requests and stops, so that options like
# -XX:ArchiveClassesAtExit record what a start and its first requests use.
train() {
  local variant=$1
  launch "$variant" || die "training $(field "$variant" 1) failed to start"
  curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$TARGET_PORT/static/small.html" || true
  if ((TLS)); then
    curl -sk -o /dev/null --max-time 5 --http2 "https://127.0.0.1:$TLS_PORT/" || true
    curl -sk -o /dev/null --max-time 5 --http1.1 "https://127.0.0.1:$TLS_PORT/static/small.html" || true
  fi
  # the JVM writes archives while it exits: give it time before stop_group's KILL
  kill -TERM -- "-$LAUNCHED_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 1200; i++)); do
    kill -0 "$LAUNCHED_PID" 2>/dev/null || break
    sleep 0.1
  done
  stop_group "$LAUNCHED_PID"
  log "trained $(field "$variant" 1): $(field "$variant" 3)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

main() {
  trap stop_all_and_clean_up EXIT
  trap 'exit 130' INT TERM
  prepare
  local load_before load_after n=${#VARIANTS[@]} round i v
  for v in "${TRAININGS[@]}"; do train "$v"; done
  read -r load_before _ </proc/loadavg
  declare -A WALLS CPUS CLASSES SHARED
  for ((round = 0; round < LAUNCHES; round++)); do
    for ((i = 0; i < n; i++)); do
      v=${VARIANTS[(i + round) % n]}
      launch "$v" || die "$(field "$v" 1) failed to start"
      stop_group "$LAUNCHED_PID"
      WALLS[$v]+="$WALL_MS " CPUS[$v]+="$CPU_MS "
      log "$(field "$v" 1): ${WALL_MS} ms wall, ${CPU_MS} ms CPU"
    done
  done
  for v in "${VARIANTS[@]}"; do
    launch "$v" "-Xlog:class+load:file=$WORK/classes.log" || die "$(field "$v" 1) failed to start"
    CLASSES[$v]=$(wc -l <"$WORK/classes.log")
    SHARED[$v]=$(grep -c 'source: shared objects file' "$WORK/classes.log" || true)
    stop_group "$LAUNCHED_PID"
  done
  read -r load_after _ </proc/loadavg
  {
    echo "# Startup: launch to first answered request"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, target pinned to CPU $TARGET_CPUS, $LAUNCHES launches per variant" \
      "(interleaved), configuration: proxy + static$( ((TLS)) && echo ' + TLS/h2 listener'), load average" \
      "$load_before at the start, $load_after at the end."
    echo
    echo "| variant | JVM options | wall ms, median (min–max) | CPU ms, median (min–max) | classes loaded (from a CDS archive) |"
    echo "|---|---|---|---|---|"
    for v in "${VARIANTS[@]}"; do
      local java
      java=$(field "$v" 4)
      printf '| %s | %s%s | **%s** (%s) | **%s** (%s) | %s (%s) |\n' "$(field "$v" 1)" "$(field "$v" 3)" \
        "${java:+ (java: $java)}" \
        "$(tr ' ' '\n' <<<"${WALLS[$v]}" | grep . | median)" "$(tr ' ' '\n' <<<"${WALLS[$v]}" | grep . | range)" \
        "$(tr ' ' '\n' <<<"${CPUS[$v]}" | grep . | median)" "$(tr ' ' '\n' <<<"${CPUS[$v]}" | grep . | range)" \
        "${CLASSES[$v]}" "${SHARED[$v]}"
    done
  } | tee "${OUT:-/dev/null}"
}

main
