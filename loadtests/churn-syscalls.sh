#!/usr/bin/env bash
# loadtests/churn-syscalls.sh — the system calls a server makes per connection in the churn scenario
# (GET / proxied, Connection: close, a new TCP connection per request), Sluice beside nginx.
#
#   loadtests/churn-syscalls.sh                      # the built jar and nginx, 5 s under strace each
#   loadtests/churn-syscalls.sh --jar /tmp/before.jar --seconds 10
#
# The configurations are run.sh's (lib/targets.sh: one worker, upstream keep-alive pool, no access log, no
# TLS listener for Sluice). Each server is pinned to TARGET_CPUS and warmed up with WARMUP seconds of churn
# (JIT, upstream pool); then `strace -c -f` attaches to all its threads (nginx: its workers) while wrk
# opens connections for SECONDS, and every call count is divided by the connections wrk completed. strace
# slows the server down a lot: the counts per connection are what this is for, not times or rates. Calls
# made by threads other than the event loop (JIT compiler, GC) show up too, as fractions per connection.
#
# Options:
#   --jar JAR        [proxy/target/sluice.jar]
#   --seconds S      [5]   traced run per server
#   --connections N  [16]  wrk connections
# Environment: TARGET_CPUS [0], LOAD_CPUS [1], WARMUP [10], BASE_PORT [24180], BASE_TLS_PORT [24543],
#   BACKEND_PORT [24901]
#
# Only 127.0.0.1 is contacted; every run is bounded by `timeout`; every process started here is stopped by
# its PID (process group) on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
source "$HERE/lib/processes.sh"
source "$HERE/lib/targets.sh"

JAR=$ROOT/proxy/target/sluice.jar SECONDS_TRACED=5 CONNECTIONS=16
while (($#)); do
  case $1 in
    --jar) JAR=$2; shift ;;
    --seconds) SECONDS_TRACED=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ -f $JAR ]] || die "no jar at $JAR (build with: mvn -q -B -DskipTests package)"
for tool in strace wrk nginx openssl; do command -v "$tool" >/dev/null || die "$tool is missing"; done

TARGET_CPUS=${TARGET_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
WARMUP=${WARMUP:-10}
WORKERS=1

prepare() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-syscalls.XXXXXX")
  chmod 755 "$WORK"
  DOCROOT=$WORK/docroot
  mkdir -p "$DOCROOT" "$WORK/tmp"
  chmod 755 "$DOCROOT"
  # nginx's configuration always has its TLS listener
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
  BACKEND_PORT=$(free_port "${BACKEND_PORT:-24901}")
  start_backend
}

churn() {  # churn SECONDS CONNECTIONS : wrk's output for a churn run against TARGET_PORT
  timeout $(($1 + 30)) taskset -c "$LOAD_CPUS" wrk -t1 -c"$2" -d"$1s" -H "Connection: close" \
    "http://127.0.0.1:$TARGET_PORT/"
}

# trace NAME PID... : strace -c over a churn run; prints "syscall calls-per-connection" lines, busiest first
trace() {
  local name=$1 out=$WORK/$1.strace tracer wrk_out connections p
  shift
  local args=()
  for p in "$@"; do args+=(-p "$p"); done
  strace -c -f -o "$out" "${args[@]}" 2>/dev/null &
  tracer=$!
  sleep 1
  wrk_out=$(churn "$SECONDS_TRACED" "$CONNECTIONS")
  kill -INT "$tracer"
  wait "$tracer" || true
  connections=$(grep -o '[0-9]* requests in' <<<"$wrk_out" | cut -d' ' -f1)
  [[ ${connections:-0} -gt 0 ]] || die "$name completed no connection under strace"
  log "$name: $connections connections traced"
  # strace -c columns: % time, seconds, usecs/call, calls, [errors], syscall
  awk -v n="$connections" '$1 ~ /^[0-9.]+$/ && $NF != "total" { printf "%s %.2f\n", $NF, $4 / n }' "$out" \
    | sort -k2,2nr >"$WORK/$name.per-connection"
}

main() {
  trap stop_all_and_clean_up EXIT
  trap 'exit 130' INT TERM
  prepare
  local pid
  TARGET_PORT=$(free_port "${BASE_PORT:-24180}")
  TLS_PORT=$(free_port "${BASE_TLS_PORT:-24543}")
  sluice_conf 0 >"$WORK/sluice.conf"
  start_pinned "$WORK/sluice.log" "$TARGET_CPUS" java -Xms256m -Xmx256m -jar "$JAR" -c "$WORK/sluice.conf"
  pid=$STARTED_PID
  wait_for_port "$TARGET_PORT" 60 || die "Sluice did not start: $(tail -5 "$WORK/sluice.log")"
  churn "$WARMUP" 64 >/dev/null
  trace sluice "$pid"
  stop_group "$pid"

  TARGET_PORT=$(free_port "$((TARGET_PORT + 1))")
  TLS_PORT=$(free_port "$((TLS_PORT + 1))")
  write_nginx_conf
  start_pinned "$WORK/nginx.log" "$TARGET_CPUS" nginx -p "$WORK" -e "$WORK/nginx.error.log" -c "$WORK/nginx.conf"
  pid=$STARTED_PID
  wait_for_port "$TARGET_PORT" 10 || die "nginx did not start: $(cat "$WORK/nginx.error.log")"
  churn "$WARMUP" 64 >/dev/null
  # the master only manages its workers; the workers serve
  trace nginx $(pgrep -P "$pid")
  stop_group "$pid"

  printf '%-22s %10s %10s\n' "calls per connection" sluice nginx
  join -a1 -a2 -e 0 -o 0,1.2,2.2 <(sort "$WORK/sluice.per-connection") <(sort "$WORK/nginx.per-connection") \
    | sort -k2,2nr | awk '{ printf "%-22s %10s %10s\n", $1, $2, $3; s += $2; g += $3 }
      END { printf "%-22s %10.2f %10.2f\n", "total", s, g }'
}

main
