#!/usr/bin/env bash
# A random-client flood against a rate-limited location: every request carries a new key, so the zone
# sees millions of distinct clients. Prints the live heap (after a full GC) before and after each round:
# it must level off at about max-keys x 200 bytes however many keys arrive. Also compares req/s of a
# location without limits and one with a limit that never refuses (the cost of deciding). Needs wrk and
# jcmd on PATH and a built proxy/target/sluice.jar; everything listens on 127.0.0.1 and stops at the end.
#   loadtests/ratelimit-flood.sh [rounds=2] [duration=20s] [max-keys=100000]
set -euo pipefail
ROUNDS=${1:-2}
DURATION=${2:-20s}
MAX_KEYS=${3:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/sluice-ratelimit.XXXXXX)
PORT=${SLUICE_PORT:-28911} ADMIN=${ADMIN_PORT:-28912}
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/sluice.conf" <<CONF
sluice {
  workers = 2
  admin { listen = "127.0.0.1:$ADMIN" }
  access-log { format = off }
  rate-limit-zones {
    roomy { max-keys = 1000 }
    flood { max-keys = $MAX_KEYS }
  }
  servers = [ { listen = [ "127.0.0.1:$PORT" ], locations = [
    { match = "/free", return { body = "ok" } }
    { match = "/limited", return { body = "ok" }
      rate-limit { zone = "roomy", key = "\$remote_addr", rate = 100000000r/s, burst = 1000000, nodelay = true } }
    { match = "/flood", return { body = "ok" }
      rate-limit { zone = "flood", key = "\$header:X-Client", rate = 1r/m, nodelay = true } }
  ] } ]
}
CONF
cat > "$WORK/flood.lua" <<'LUA'
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/flood", { ["X-Client"] = "c" .. math.random(1, 2000000000) .. "-" .. counter })
end
LUA

java -Xmx256m -jar "$ROOT/proxy/target/sluice.jar" -c "$WORK/sluice.conf" > "$WORK/sluice.log" 2>&1 &
PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/free" > /dev/null && break; sleep 0.2; done

live_heap() {
  jcmd "$PID" GC.run > /dev/null
  jcmd "$PID" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") print $(i + 1); exit }'
}

for path in free limited free limited; do
  printf '%-8s %s\n' "$path" "$(wrk -t1 -c32 -d8s "http://127.0.0.1:$PORT/$path" | awk '/Requests\/sec/ { print $2 " req/s" }')"
done
echo "live heap before the flood: $(live_heap)"
for round in $(seq "$ROUNDS"); do
  requests=$(wrk -t1 -c32 -d"$DURATION" -s "$WORK/flood.lua" "http://127.0.0.1:$PORT/" | awk '/requests in/ { print $1 }')
  echo "round $round: $requests requests, each a new key; live heap after: $(live_heap)"
done
