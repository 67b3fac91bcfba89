#!/usr/bin/env bash
# Soak: mixed traffic against a Sluice jar for a while, sampling its resources, failing if any grows
# without bound. Needs nginx (the steady backend), python3 (traffic, a flapping backend and a WebSocket
# echo backend), jcmd and a built proxy/target/sluice.jar. Loopback only; every process it starts is
# stopped when it ends.
#   loadtests/soak.sh [duration-seconds=600] [sample-interval-seconds=10]
# Every interval it records RSS, heap after a full GC, direct (NMT "Other") memory, open descriptors and
# threads in $WORK/samples.csv (the path is printed). After the run it compares the mean of the last third
# of the samples with the first third (the first sample, warm-up, is left out): past the tolerance
# (relative plus absolute slack, below) it fails. The samples, the traffic counts and the verdict are also
# kept in loadtests/results/soak-<time>.csv and .md (SOAK_RESULTS=off to skip).
set -euo pipefail
DURATION=${1:-600}
INTERVAL=${2:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/sluice-soak.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

BACKEND=${BACKEND_PORT:-28181} FLAP=${FLAP_PORT:-28182} SLUICE=${SLUICE_PORT:-28183} WS=${WS_PORT:-28184}

mkdir -p "$WORK/static"
head -c 1024 /dev/urandom > "$WORK/static/small.txt"
head -c 1048576 /dev/urandom > "$WORK/static/big.bin"

cat > "$WORK/backend.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/backend.pid;
error_log $WORK/backend-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_max_body_size 10m;
  client_body_temp_path $WORK/nginx-body;
  server {
    listen 127.0.0.1:$BACKEND;
    location / { return 200 "hello\n"; }
    # reads the whole request body before answering, so a trickled body keeps Sluice waiting for it
    location = /app/slow { proxy_pass http://127.0.0.1:$BACKEND/hello; }
  }
}
CONF

cat > "$WORK/sluice.conf" <<CONF
sluice {
  workers = 2
  admin { listen = off }
  limits { max-body-size = 10m, body-timeout = 10s, send-timeout = 10s, min-send-rate = 4k, min-receive-rate = 1k }
  upstreams {
    app { servers = [ { address = "127.0.0.1:$BACKEND" } ], keepalive { max-idle = 16 } }
    flap { servers = [ { address = "127.0.0.1:$FLAP" } ], connect-timeout = 1s, read-timeout = 5s }
    ws { servers = [ { address = "127.0.0.1:$WS" } ], read-timeout = 30s }
  }
  servers = [ { listen = [ "127.0.0.1:$SLUICE" ], locations = [
    { match = "/static/", static { root = "$WORK/static" } }
    { match = "/app/", proxy { upstream = app } }
    { match = "/flap/", proxy { upstream = flap } }
    { match = "/ws/", proxy { upstream = ws } }
  ] } ]
}
CONF

nginx -p "$WORK" -c "$WORK/backend.conf" & PIDS+=($!)
java -Xms256m -Xmx256m -XX:+UseParallelGC -XX:NativeMemoryTracking=summary \
  -jar "$ROOT/proxy/target/sluice.jar" -c "$WORK/sluice.conf" > "$WORK/sluice.log" 2>&1 &
SLUICE_PID=$!
PIDS+=("$SLUICE_PID")

for port in $BACKEND $SLUICE; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
done
curl -fs -o /dev/null "http://127.0.0.1:$SLUICE/static/small.txt"

python3 "$ROOT/loadtests/soak-traffic.py" "$SLUICE" "$FLAP" "$WS" "$DURATION" > "$WORK/traffic.txt" 2>&1 &
TRAFFIC_PID=$!
PIDS+=("$TRAFFIC_PID")

sample() {
  local rss threads fds heap direct
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$SLUICE_PID/status")
  threads=$(awk '/^Threads/ { print $2 }' "/proc/$SLUICE_PID/status")
  fds=$(ls "/proc/$SLUICE_PID/fd" | wc -l)
  jcmd "$SLUICE_PID" GC.run > /dev/null
  heap=$(jcmd "$SLUICE_PID" GC.heap_info | awk '/^ *(PSYoungGen|ParOldGen)/ {
           for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); sum += v } }
         END { print sum }')
  direct=$(jcmd "$SLUICE_PID" VM.native_memory summary | awk '/^-? *Other \(reserved/ {
           match($0, /committed=[0-9]+KB/); print substr($0, RSTART + 10, RLENGTH - 12) }')
  echo "$1,$rss,$heap,${direct:-0},$fds,$threads"
}

echo "seconds,rss_kb,heap_after_gc_kb,direct_kb,fds,threads" > "$WORK/samples.csv"
start=$(date +%s)
while kill -0 "$TRAFFIC_PID" 2>/dev/null; do
  sleep "$INTERVAL"
  kill -0 "$SLUICE_PID" 2>/dev/null || { echo "sluice died; log: $WORK/sluice.log"; exit 1; }
  sample $(( $(date +%s) - start )) >> "$WORK/samples.csv"
done
traffic_ok=0
wait "$TRAFFIC_PID" || traffic_ok=$?

cat "$WORK/traffic.txt"
echo "samples: $WORK/samples.csv"
column -s, -t "$WORK/samples.csv"

# metric column, relative tolerance, absolute slack (in the column's unit)
verdict=0
python3 - "$WORK/samples.csv" > "$WORK/verdict.txt" <<'PY' || verdict=1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))[1:]
if len(rows) < 6:
    sys.exit("too few samples for a verdict: " + str(len(rows)))
third = len(rows) // 3
rules = {"rss_kb": (0.25, 32768), "heap_after_gc_kb": (0.5, 16384), "direct_kb": (0.25, 16384),
         "fds": (0.0, 40), "threads": (0.0, 4)}
bad = False
for column, (relative, slack) in rules.items():
    first = sum(float(r[column]) for r in rows[:third]) / third
    last = sum(float(r[column]) for r in rows[-third:]) / third
    limit = first * (1 + relative) + slack
    grew = last > limit
    bad |= grew
    print(f"{column:18} first third {first:12.0f}  last third {last:12.0f}  limit {limit:12.0f}  {'GREW' if grew else 'ok'}")
sys.exit(1 if bad else 0)
PY
cat "$WORK/verdict.txt"
if [ "$traffic_ok" -ne 0 ]; then echo "FAIL: traffic that must succeed did not" >> "$WORK/verdict.txt"; verdict=1; fi
result=PASS
if [ "$verdict" -ne 0 ]; then result=FAIL; fi
if [ "${SOAK_RESULTS:-on}" != off ]; then
  name="$ROOT/loadtests/results/soak-$(date -u +%Y-%m-%dT%H%MZ)"
  cp "$WORK/samples.csv" "$name.csv"
  {
    echo "# Soak run $(date -u +%Y-%m-%dT%H:%MZ): $result"
    echo
    echo "Duration ${DURATION}s, a sample every ${INTERVAL}s, on $(nproc) cores shared with other work; $(java -version 2>&1 | head -1)."
    echo
    echo "## Samples (heap after a full GC; direct = NMT \"Other\")"
    echo
    echo "| seconds | RSS KB | heap after GC KB | direct KB | fds | threads |"
    echo "| --- | --- | --- | --- | --- | --- |"
    tail -n +2 "$WORK/samples.csv" | sed 's/^/| /; s/,/ | /g; s/$/ |/'
    echo
    echo "## Growth (mean of the last third vs the first third, the first sample left out)"
    echo
    echo '```'
    cat "$WORK/verdict.txt"
    echo '```'
    echo
    echo "## Traffic (kind, outcome, count)"
    echo
    echo '```'
    cat "$WORK/traffic.txt"
    echo '```'
  } > "$name.md"
  echo "results: $name.csv $name.md"
fi
echo "$result"
[ "$result" = PASS ]
