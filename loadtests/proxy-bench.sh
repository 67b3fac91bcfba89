#!/usr/bin/env bash
# Proxied small keep-alive GET: Sluice vs nginx, both with one worker and upstream keep-alive, in front of
# the same backend (an nginx worker answering "hello"). Needs nginx and wrk on PATH and a built
# proxy/target/sluice.jar. Everything listens on 127.0.0.1 and stops when the script ends.
#   loadtests/proxy-bench.sh [duration=10s] [connections=64] [workers=1]
set -euo pipefail
DURATION=${1:-10s}
CONNECTIONS=${2:-64}
WORKERS=${3:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/sluice-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

BACKEND=${BACKEND_PORT:-28081} NGINX=${NGINX_PORT:-28082} SLUICE=${SLUICE_PORT:-28083}

cat > "$WORK/backend.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/backend.pid;
error_log $WORK/backend-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$BACKEND; location / { return 200 "hello\n"; } }
}
CONF

cat > "$WORK/nginx.conf" <<CONF
worker_processes $WORKERS;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream app { server 127.0.0.1:$BACKEND; keepalive 32; }
  server {
    listen 127.0.0.1:$NGINX;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_set_header X-Forwarded-Proto \$scheme;
    }
  }
}
CONF

cat > "$WORK/sluice.conf" <<CONF
sluice {
  workers = $WORKERS
  upstreams { app { servers = [ { address = "127.0.0.1:$BACKEND" } ], keepalive { max-idle = 32 } } }
  servers = [ { listen = [ "127.0.0.1:$SLUICE" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
}
CONF

nginx -p "$WORK" -c "$WORK/backend.conf" & PIDS+=($!)
nginx -p "$WORK" -c "$WORK/nginx.conf" & PIDS+=($!)
java -Xms256m -Xmx256m -XX:+UseParallelGC -jar "$ROOT/proxy/target/sluice.jar" -c "$WORK/sluice.conf" \
  > "$WORK/sluice.log" 2>&1 & PIDS+=($!)

for port in $BACKEND $NGINX $SLUICE; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" > /dev/null && break; sleep 0.1; done
done

echo "warm-up (Sluice JIT)"
wrk -t1 -c"$CONNECTIONS" -d5s "http://127.0.0.1:$SLUICE/" > /dev/null
wrk -t1 -c"$CONNECTIONS" -d3s "http://127.0.0.1:$NGINX/" > /dev/null

for round in 1 2; do
  for target in nginx:$NGINX sluice:$SLUICE; do
    name=${target%%:*}; port=${target##*:}
    echo "== round $round: $name"
    wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$port/" \
      | grep -E "Requests/sec|^ +(50|99)%|Non-2xx|Socket errors"
  done
done
