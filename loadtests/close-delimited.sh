#!/usr/bin/env bash
# Proxied GETs to an upstream that ends every body by closing its connection (no length, not chunked),
# through two Sluice builds in turn (A B B A ...), with a keep-alive HTTP/1.1 client (wrk). Reports per
# round the client connections Sluice accepted per request (from its metrics; wrk, told nothing of a
# body's end but the close, even opens two per request), Sluice's CPU microseconds per request
# (/proc/PID/stat), req/s, and wrk's read errors (it counts each close-delimited response as one).
# usage: JAR_A=a.jar JAR_B=b.jar [ROUNDS=2] [PORT=20750] [BODY=1024] loadtests/close-delimited.sh
set -euo pipefail
: "${JAR_A:?}" "${JAR_B:?}"
ROUNDS=${ROUNDS:-2} PORT=${PORT:-20750} BODY=${BODY:-1024} WARMUP=${WARMUP:-2} DURATION=${DURATION:-8}
BACKEND=$PORT SLUICE=$((PORT + 1)) ADMIN=$((PORT + 2))
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# the upstream: nginx serving a BODY-byte file through SSI, which leaves the length unknown; without
# chunked coding nginx then ends every body by closing the connection
mkdir -p "$work/html" "$work/logs"
head -c "$BODY" /dev/zero | tr '\0' x >"$work/html/index.html"
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$BACKEND backlog=1024;
    root $work/html;
    ssi on;
    ssi_types *;
    chunked_transfer_encoding off;
    keepalive_timeout 0;
  }
}
NGINX
taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)

cat >"$work/sluice.conf" <<CONF
sluice {
  workers = 1
  admin { listen = "127.0.0.1:$ADMIN" }
  access-log { format = off }
  limits { keepalive-timeout = 300s }
  upstreams { app { servers = [ { address = "127.0.0.1:$BACKEND" } ] } }
  servers = [ { listen = [ "127.0.0.1:$SLUICE" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
}
CONF

metric() { curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v name="$1" '$1 ~ "^"name"({|$)" { sum += $2 } END { printf "%d", sum }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

round() {
  local label=$1 jar=$2
  taskset -c 0 java -XX:+UseSerialGC -jar "$jar" -c "$work/sluice.conf" >"$work/$label.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$SLUICE/" && break; sleep 0.1; done
  taskset -c 1 wrk -t1 -c50 -d"${WARMUP}s" "http://127.0.0.1:$SLUICE/" >/dev/null
  local conns0 reqs0 ticks0
  conns0=$(metric sluice_connections_total) reqs0=$(metric sluice_requests_total) ticks0=$(cpu_ticks "$pid")
  local out
  out=$(taskset -c 1 wrk -t1 -c50 -d"${DURATION}s" "http://127.0.0.1:$SLUICE/")
  local ticks1 conns1 reqs1
  ticks1=$(cpu_ticks "$pid") conns1=$(metric sluice_connections_total) reqs1=$(metric sluice_requests_total)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local reqs=$((reqs1 - reqs0)) hz
  hz=$(getconf CLK_TCK)
  awk -v l="$label" -v c=$((conns1 - conns0)) -v r=$reqs -v t=$((ticks1 - ticks0)) -v hz="$hz" \
      -v rps="$(echo "$out" | awk '/Requests\/sec/ { print $2 }')" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
      -v reads="$(echo "$out" | awk -F'read ' '/Socket errors/ { split($2, a, ","); print a[1] + 0 }')" \
      'BEGIN { printf "%s requests=%d conns/req=%.3f cpu_us/req=%.1f req/s=%s wrk_read_errors=%d load=%s\n", l, r, c / r, t * 1e6 / hz / r, rps, reads, load }'
}

for i in $(seq "$ROUNDS"); do
  if (( i % 2 )); then round A "$JAR_A"; round B "$JAR_B"; else round B "$JAR_B"; round A "$JAR_A"; fi
done
