#!/usr/bin/env bash
# TLS handshakes/s and HTTP/2 small-response req/s, Sluice next to nginx, same certificate (ECDSA P-256),
# same protocols (TLS 1.3, ALPN h2), same number of workers, same 1 KiB body, on loopback.
# usage: loadtests/tls-h2.sh [workers] [seconds] [h2 requests]
# (needs openssl, nginx, h2load; builds the jar if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
workers=${1:-2}
seconds=${2:-10}
requests=${3:-200000}
jar=proxy/target/sluice.jar
[ -f "$jar" ] || mvn -q -B -DskipTests package
work=$(mktemp -d)
sluice_port=18443
nginx_port=18444
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
body=$(head -c 1024 /dev/zero | tr '\0' 'x')
mkdir -p "$work/www"
printf '%s' "$body" > "$work/www/1k"

cat > "$work/sluice.conf" <<CONF
sluice {
  workers = $workers
  access-log { format = off }
  admin { listen = off }
  servers = [ { listen = [ { address = "127.0.0.1:$sluice_port", tls = true, http2 = true } ]
    tls { certificates = [ { cert = "cert.pem", key = "key.pem" } ], protocols = [ "TLSv1.3" ] }
    locations = [ { match = "/", return { status = 200, body = "$body" } } ] } ]
}
CONF
cat > "$work/nginx.conf" <<CONF
user root;
worker_processes $workers;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
# nginx 1.22 (Debian 12) takes "http2" on the listen line; 1.25+ warns and prefers "http2 on;"
http {
  access_log off;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.3;
    location = /1k { return 200 "$body"; }
    location /static/ { alias $work/www/; }
  }
}
CONF

java -Xmx512m -Dio.netty.leakDetection.level=disabled -jar "$jar" -c "$work/sluice.conf" > "$work/sluice.log" 2>&1 &
pids+=($!)
nginx -c "$work/nginx.conf" -g 'daemon off;' > "$work/nginx.log" 2>&1 &
pids+=($!)
for port in $sluice_port $nginx_port; do
  for _ in $(seq 1 100); do
    curl -skf "https://127.0.0.1:$port/1k" -o /dev/null && break
    sleep 0.2
  done
done

# a fixed request count: h2load's -D sometimes keeps going past the duration against a fast server
h2() { timeout 300 h2load -n "$requests" -c 32 -m 16 "$1" 2>/dev/null | grep -E "^finished in|^requests:" | tr '\n' ' '; echo; }
# four parallel clients each open new connections for the whole period; total full handshakes per second
handshakes() {
  for _ in 1 2 3 4; do
    timeout $((seconds + 10)) openssl s_time -connect "127.0.0.1:$1" -new -time "$seconds" 2>/dev/null \
      | grep -E "real seconds" &
  done | awk -v s="$seconds" '{ n += $1 } END { printf "%d handshakes in %ds = %.0f/s\n", n, s, n / s }'
}

echo "== warm-up (JIT)"
timeout 300 h2load -n "$requests" -c 32 -m 16 "https://127.0.0.1:$sluice_port/1k" > /dev/null 2>&1 || true
timeout 20 openssl s_time -connect "127.0.0.1:$sluice_port" -new -time 10 > /dev/null 2>&1 || true

echo "== HTTP/2 over TLS, 1 KiB response, 32 connections x 16 streams, $requests requests"
echo "sluice (return):      $(h2 "https://127.0.0.1:$sluice_port/1k")"
echo "nginx  (return):      $(h2 "https://127.0.0.1:$nginx_port/1k")"
echo "nginx  (static file): $(h2 "https://127.0.0.1:$nginx_port/static/1k")"
echo "== new TLS 1.3 handshakes (openssl s_time -new, 4 clients), ${seconds}s"
echo "sluice: $(handshakes $sluice_port)"
echo "nginx:  $(handshakes $nginx_port)"
