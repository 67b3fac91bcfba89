#!/usr/bin/env bash
# Static files, Sluice against nginx on the same machine and the same files:
#   req/s and CPU per request for a 1 KiB file, MB/s for a 10 MiB file.
# nginx runs with sendfile on, open_file_cache on, access log off and the same number of workers as
# Sluice has event loops. Both servers are warmed up first (the JIT needs it). Build the jar first
# (mvn -B -DskipTests package). Needs nginx and wrk on the PATH.
# usage: loadtests/static-vs-nginx.sh [workers] [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
workers=${1:-1}
seconds=${2:-10}
connections=${3:-64}
nginx_port=18081
sluice_port=18082
work=$(mktemp -d)
trap 'kill "${sluice_pid:-}" 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT

chmod 755 "$work"   # nginx workers run as an unprivileged user and must read the files
mkdir -p "$work/www" "$work/logs"
head -c 1024 /dev/urandom > "$work/www/1k.bin"
head -c $((10 * 1024 * 1024)) /dev/urandom > "$work/www/10m.bin"

cat > "$work/nginx.conf" <<CONF
worker_processes $workers;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  open_file_cache max=10000 inactive=30s;
  open_file_cache_valid 30s;
  client_body_temp_path $work/logs;
  proxy_temp_path $work/logs;
  fastcgi_temp_path $work/logs;
  uwsgi_temp_path $work/logs;
  scgi_temp_path $work/logs;
  server {
    listen 127.0.0.1:$nginx_port reuseport;
    root $work/www;
  }
}
CONF
cat > "$work/sluice.conf" <<CONF
sluice {
  workers = $workers
  access-log { format = off }
  admin { listen = "" }
  servers = [ { listen = [ "127.0.0.1:$sluice_port" ], locations = [
    { match = "/", static { root = "$work/www" } }
  ] } ]
}
CONF

nginx -c "$work/nginx.conf" -p "$work"
java -Xmx512m -jar proxy/target/sluice.jar -c "$work/sluice.conf" > "$work/logs/sluice.out" 2>&1 &
sluice_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$sluice_port/1k.bin" -o /dev/null && break; sleep 0.2; done
nginx_pid=$(cat "$work/nginx.pid")
for port in $nginx_port $sluice_port; do
  for file in 1k.bin 10m.bin; do
    curl -fs "http://127.0.0.1:$port/$file" -o "$work/check" || { echo "port $port does not serve $file"; exit 1; }
    cmp -s "$work/check" "$work/www/$file" || { echo "port $port serves wrong bytes for $file"; exit 1; }
  done
done

# CPU seconds (user + system) of a process and its children threads
cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }
nginx_cpu() { local total=0; for p in $(pgrep -P "$nginx_pid") "$nginx_pid"; do total=$(echo "$total + $(cpu "$p")" | bc); done; echo "$total"; }

run() { # name port file duration -> prints "requests/s transfer/s cpu"
  local port=$2 file=$3 duration=$4 before after out
  if [ "$1" = nginx ]; then before=$(nginx_cpu); else before=$(cpu "$sluice_pid"); fi
  out=$(wrk -t1 -c"$connections" -d"${duration}s" "http://127.0.0.1:$port/$file")
  if [ "$1" = nginx ]; then after=$(nginx_cpu); else after=$(cpu "$sluice_pid"); fi
  local rps mbs
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  mbs=$(echo "$out" | awk '/Transfer\/sec/ { v = $2; if (v ~ /GB/) { sub(/GB/, "", v); v *= 1024 } else if (v ~ /KB/) { sub(/KB/, "", v); v /= 1024 } else { sub(/MB/, "", v) } print v }')
  local cpu_used; cpu_used=$(echo "$after - $before" | bc)
  echo "$rps $mbs $cpu_used"
}

echo "== warm-up"
run sluice $sluice_port 1k.bin 10 > /dev/null
run sluice $sluice_port 10m.bin 5 > /dev/null
run nginx $nginx_port 1k.bin 3 > /dev/null

read -r s_rps _ s_cpu <<< "$(run sluice $sluice_port 1k.bin "$seconds")"
read -r n_rps _ n_cpu <<< "$(run nginx $nginx_port 1k.bin "$seconds")"
read -r _ s_mbs _ <<< "$(run sluice $sluice_port 10m.bin "$seconds")"
read -r _ n_mbs _ <<< "$(run nginx $nginx_port 10m.bin "$seconds")"

s_us=$(echo "scale=2; $s_cpu * 1000000 / ($s_rps * $seconds)" | bc)
n_us=$(echo "scale=2; $n_cpu * 1000000 / ($n_rps * $seconds)" | bc)
echo "workers=$workers connections=$connections seconds=$seconds (wrk -t1 on the same host)"
printf '%-28s %12s %12s %8s\n' "" sluice nginx ratio
printf '%-28s %12s %12s %8s\n' "1 KiB req/s" "$s_rps" "$n_rps" "$(echo "scale=2; $s_rps / $n_rps" | bc)"
printf '%-28s %12s %12s %8s\n' "1 KiB CPU µs/request" "$s_us" "$n_us" "$(echo "scale=2; $s_us / $n_us" | bc)"
printf '%-28s %12s %12s %8s\n' "10 MiB MB/s" "$s_mbs" "$n_mbs" "$(echo "scale=2; $s_mbs / $n_mbs" | bc)"
