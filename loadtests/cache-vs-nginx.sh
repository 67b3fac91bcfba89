#!/usr/bin/env bash
# Response cache, Sluice against nginx proxy_cache on the same content, then the hit-rate comparison.
#
#   loadtests/cache-vs-nginx.sh [rounds=3] [seconds=8] [connections=64] [body-bytes=1024]
#
# 1. Cache-hit throughput: an nginx backend serves one body with Cache-Control: max-age=3600; Sluice
#    (proxy { cache = true }) and nginx (proxy_cache, the cache directory on tmpfs when /dev/shm exists,
#    proxy_cache_lock on, access log off) each proxy it with one worker pinned to CPU 0 while wrk (one
#    thread) runs pinned to CPU 1. After the first request every request is a cache hit on both (checked
#    with X-Cache / X-Cache-Status before measuring). Rounds alternate the order; req/s and the target's
#    own CPU time per request (utime+stime from /proc/PID/stat over the run) are reported as medians with
#    the Sluice/nginx ratio. The backend's request count is checked afterwards: both hit, none went up.
# 2. Hit rate on a Zipf trace with scans: the ZipfScanHitRateTest (Sluice's Caffeine cache against an
#    LRU of the same byte size on one seeded trace) run through Maven; its line is copied into the report.
#
# Needs nginx, wrk, curl, taskset and a built proxy/target/sluice.jar (mvn -B -DskipTests package).
# Only 127.0.0.1 is contacted; every process started here is stopped by its process group on exit.
# Results: printed, and written to loadtests/results/cache-<UTC time>.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=lib/processes.sh
source "$HERE/lib/processes.sh"
CLK_TCK=$(getconf CLK_TCK)
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-8}
CONNECTIONS=${3:-64}
BODY_BYTES=${4:-1024}
TARGET_CPUS=${TARGET_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
JAR=${SLUICE_JAR:-$ROOT/proxy/target/sluice.jar}
[ -f "$JAR" ] || die "no $JAR: build it first (mvn -B -DskipTests package)"
for tool in nginx wrk curl taskset; do command -v "$tool" > /dev/null || die "$tool is not on the PATH"; done

WORK=$(mktemp -d /tmp/sluice-cache-bench.XXXXXX)
CACHE_DIR=$WORK/nginx-cache
[ -d /dev/shm ] && CACHE_DIR=$(mktemp -d /dev/shm/sluice-cache-bench.XXXXXX)
cleanup() {
  stop_all
  rm -rf "$WORK"
  [[ $CACHE_DIR == /dev/shm/* ]] && rm -rf "$CACHE_DIR"
  return 0
}
trap cleanup EXIT
chmod 755 "$WORK" "$CACHE_DIR"
mkdir -p "$WORK/www" "$WORK/logs"
head -c "$BODY_BYTES" /dev/urandom > "$WORK/www/object.bin"

BACKEND=$(free_port 29101)
NGINX=$(free_port $((BACKEND + 1)))
SLUICE=$(free_port $((NGINX + 1)))

cat > "$WORK/backend.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/backend.pid;
error_log $WORK/logs/backend-error.log warn;
events { worker_connections 4096; }
http {
  access_log $WORK/logs/backend-access.log;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/logs; proxy_temp_path $WORK/logs; fastcgi_temp_path $WORK/logs;
  uwsgi_temp_path $WORK/logs; scgi_temp_path $WORK/logs;
  server { listen 127.0.0.1:$BACKEND; root $WORK/www; expires 1h; etag on; }
}
CONF

cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/logs/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/logs; proxy_temp_path $WORK/logs; fastcgi_temp_path $WORK/logs;
  uwsgi_temp_path $WORK/logs; scgi_temp_path $WORK/logs;
  proxy_cache_path $CACHE_DIR levels=1:2 keys_zone=bench:16m max_size=256m inactive=1h use_temp_path=off;
  upstream app { server 127.0.0.1:$BACKEND; keepalive 32; }
  server {
    listen 127.0.0.1:$NGINX;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_cache bench;
      proxy_cache_lock on;
      proxy_cache_key \$scheme\$host\$uri\$is_args\$args;
      add_header X-Cache-Status \$upstream_cache_status;
    }
  }
}
CONF

cat > "$WORK/sluice.conf" <<CONF
sluice {
  workers = 1
  access-log { format = off }
  cache { max-size = 256m }
  upstreams { app { servers = [ { address = "127.0.0.1:$BACKEND" } ], keepalive { max-idle = 32 } } }
  servers = [ { listen = [ "127.0.0.1:$SLUICE" ], locations = [
    { match = "/", proxy { upstream = app, cache = true } }
  ] } ]
}
CONF

start_pinned "$WORK/logs/backend.out" "$LOAD_CPUS" nginx -p "$WORK" -c "$WORK/backend.conf"
start_pinned "$WORK/logs/nginx.out" "$TARGET_CPUS" nginx -p "$WORK" -c "$WORK/nginx.conf"
NGINX_PID=$STARTED_PID
# shellcheck disable=SC2086
start_pinned "$WORK/logs/sluice.out" "$TARGET_CPUS" java ${SLUICE_JAVA_OPTS:--Xms256m -Xmx256m -XX:+AlwaysPreTouch} \
  -jar "$JAR" -c "$WORK/sluice.conf"
SLUICE_PID=$STARTED_PID
for port in $BACKEND $NGINX $SLUICE; do wait_for_port "$port" 30 || die "nothing listens on $port"; done

URL_PATH=/object.bin
for port in $NGINX $SLUICE; do
  curl -fs "http://127.0.0.1:$port$URL_PATH" -o /dev/null
  curl -fs "http://127.0.0.1:$port$URL_PATH" -o "$WORK/check" -D "$WORK/head"
  cmp -s "$WORK/check" "$WORK/www/object.bin" || die "port $port serves wrong bytes"
  grep -qiE '^x-cache(-status)?: HIT' "$WORK/head" || die "port $port does not answer from its cache: $(cat "$WORK/head")"
done
backend_before=$(wc -l < "$WORK/logs/backend-access.log")

target_pid() { if [ "$1" = nginx ]; then echo "$NGINX_PID"; else echo "$SLUICE_PID"; fi; }
port_of() { if [ "$1" = nginx ]; then echo "$NGINX"; else echo "$SLUICE"; fi; }

run() { # target seconds -> "req/s cpu-µs/req"
  local target=$1 seconds=$2 pid before after out rps requests
  pid=$(target_pid "$target")
  before=$(tree_cpu_ticks "$pid")
  out=$(timeout $((seconds + 30)) taskset -c "$LOAD_CPUS" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" \
    "http://127.0.0.1:$(port_of "$target")$URL_PATH")
  after=$(tree_cpu_ticks "$pid")
  echo "$out" | grep -q "Non-2xx" && die "$target answered errors: $out"
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  requests=$(echo "$out" | awk '/requests in/ { print $1 }')
  echo "$rps $(echo "scale=2; ($after - $before) * 1000000 / $CLK_TCK / $requests" | bc)"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

log "warm-up (JIT), load average $(cut -d' ' -f1 /proc/loadavg)"
run sluice 10 > /dev/null
run nginx 3 > /dev/null

declare -A RPS CPU
for ((round = 1; round <= ROUNDS; round++)); do
  order="sluice nginx"
  ((round % 2 == 0)) && order="nginx sluice"
  for target in $order; do
    read -r rps us <<< "$(run "$target" "$SECONDS_PER_RUN")"
    log "round $round $target: $rps req/s, $us µs CPU/req"
    RPS[$target]+="$rps "
    CPU[$target]+="$us "
  done
done
backend_after=$(wc -l < "$WORK/logs/backend-access.log")

s_rps=$(tr ' ' '\n' <<< "${RPS[sluice]}" | grep . | median)
n_rps=$(tr ' ' '\n' <<< "${RPS[nginx]}" | grep . | median)
s_cpu=$(tr ' ' '\n' <<< "${CPU[sluice]}" | grep . | median)
n_cpu=$(tr ' ' '\n' <<< "${CPU[nginx]}" | grep . | median)

log "hit-rate trace (mvn test -Dtest=ZipfScanHitRateTest)"
(cd "$ROOT" && mvn -q -B -o test -Dtest=ZipfScanHitRateTest -Dsurefire.failIfNoSpecifiedTests=false > "$WORK/logs/mvn.out" 2>&1) \
  || die "ZipfScanHitRateTest failed: $(tail -20 "$WORK/logs/mvn.out")"
hit_rates=$(grep -h 'zipf+scan trace' "$ROOT"/proxy/target/surefire-reports/io.sluice.cache.ZipfScanHitRateTest-output.txt)

stamp=$(date -u +%Y-%m-%dT%H%MZ)
mkdir -p "$HERE/results"
report="$HERE/results/cache-$stamp.md"
{
  echo "# Response cache: Sluice vs nginx proxy_cache ($stamp)"
  echo
  echo "- machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- $(nginx -v 2>&1); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); sluice $(cd "$ROOT" && git rev-parse --short HEAD)"
  echo "- one worker each pinned to CPU $TARGET_CPUS, wrk -t1 -c$CONNECTIONS pinned to CPU $LOAD_CPUS (with the backend), ${SECONDS_PER_RUN}s runs, $ROUNDS rounds, $BODY_BYTES-byte body, every request a cache hit"
  echo "- nginx cache directory: $CACHE_DIR (tmpfs when under /dev/shm); backend requests during the measured runs: $((backend_after - backend_before))"
  echo
  echo "| | Sluice | nginx | Sluice/nginx |"
  echo "|---|---|---|---|"
  echo "| cache-hit req/s (median) | $s_rps | $n_rps | $(echo "scale=2; $s_rps / $n_rps" | bc)× |"
  echo "| CPU µs/request (median) | $s_cpu | $n_cpu | $(echo "scale=2; $s_cpu / $n_cpu" | bc)× |"
  echo
  echo "Per round: Sluice req/s ${RPS[sluice]}; nginx req/s ${RPS[nginx]}; Sluice µs ${CPU[sluice]}; nginx µs ${CPU[nginx]}"
  echo
  echo "Hit rate: $hit_rates"
} > "$report"
cat "$report"
