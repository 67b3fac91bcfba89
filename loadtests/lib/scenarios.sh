# shellcheck shell=bash
# The scenarios. Each `measure_*` runs one load for DURATION seconds (or the warm-up) against the target on
# 127.0.0.1 and prints a RESULT line: requests= bytes= seconds= p50_us= p99_us= errors= [non2xx=].
# The load generator runs pinned to LOAD_CPUS, bounded by `timeout`.

SCENARIO_PATHS=(
  "proxy|/|http"
  "churn|/|http"
  "static-small|/static/small.html|http"
  "static-medium|/static/medium.bin|http"
  "static-large|/static/large.bin|http"
  "h2-static|/static/small.html|h2"
  "h2-proxy|/|h2"
  "tls-handshake|/static/small.html|https"
  "idle|/static/small.html|http"
)

# The paradigms set: the static-small and proxy workloads at rising concurrency, as paradigm-static-N and
# paradigm-proxy-N (N connections, keep-alive), for N in PARADIGM_CONNECTIONS.
PARADIGM_CONNECTIONS=${PARADIGM_CONNECTIONS:-10 100 1000 5000}

paradigm_scenarios() {
  local workload n
  for workload in static proxy; do
    for n in $PARADIGM_CONNECTIONS; do printf 'paradigm-%s-%s ' "$workload" "$n"; done
  done
}

# The scenario whose request a paradigms scenario repeats.
base_scenario() {
  case $1 in
    paradigm-static-*) echo static-small ;;
    paradigm-proxy-*) echo proxy ;;
    *) echo "$1" ;;
  esac
}

scenario_path() {
  local e name
  name=$(base_scenario "$1")
  for e in "${SCENARIO_PATHS[@]}"; do [[ ${e%%|*} == "$name" ]] && { e=${e#*|}; echo "${e%%|*}"; return; }; done
}
scenario_scheme() {
  local e name
  name=$(base_scenario "$1")
  for e in "${SCENARIO_PATHS[@]}"; do [[ ${e%%|*} == "$name" ]] && { echo "${e##*|}"; return; }; done
}

# What the scenario reports as its headline number.
scenario_metric() {
  case $1 in
    static-large | static-medium) echo "MB/s" ;;
    tls-handshake) echo "handshakes/s" ;;
    churn) echo "conn/s" ;;
    idle) echo "B/conn" ;;
    *) echo "req/s" ;;
  esac
}

# preflight TARGET SCENARIO : prints the status the target answers for the scenario's request ("200", "501",
# "000" for no answer, "h1" when TLS works but ALPN did not pick h2).
preflight() {
  local path scheme out
  path=$(scenario_path "$2")
  scheme=$(scenario_scheme "$2")
  case $scheme in
    http) curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$TARGET_PORT$path" || true ;;
    https) curl -sk -o /dev/null -w '%{http_code}' --max-time 5 "https://127.0.0.1:$TLS_PORT$path" || true ;;
    h2)
      out=$(curl -sk --http2 -o /dev/null -w '%{http_code} %{http_version}' --max-time 5 "https://127.0.0.1:$TLS_PORT$path" || true)
      if [[ $out == "200 2" ]]; then echo 200; elif [[ ${out% *} == 200 ]]; then echo h1; else echo "${out% *}"; fi
      ;;
  esac
}

run_wrk() {  # run_wrk SECONDS CONNECTIONS URL [wrk options...]
  local seconds=$1 connections=$2 url=$3
  shift 3
  timeout $((seconds + 30)) taskset -c "$LOAD_CPUS" wrk -t "$LOAD_THREADS" -c "$connections" -d "${seconds}s" \
    --timeout 5s -s "$HERE/tools/result.lua" "$@" "$url" | grep '^RESULT' || echo "RESULT requests=0 errors=1"
}

# h2load reports no percentiles; its per-request log does (start time, status, duration µs).
run_h2load() {  # run_h2load SECONDS URL
  local seconds=$1 url=$2 requestlog=$WORK/h2load-requests.log out requests seconds_taken succeeded failed p50 p99
  rm -f "$requestlog"
  out=$(timeout $((seconds + 30)) taskset -c "$LOAD_CPUS" h2load -t "$LOAD_THREADS" -c 16 -m 4 -D "$seconds" \
    --log-file="$requestlog" "$url" 2>&1) || true
  seconds_taken=$(sed -n 's/^finished in \([0-9.]*\)s.*/\1/p' <<<"$out")
  # h2load sometimes ends without its summary (seen on a starved machine): the run counts as one error
  read -r requests succeeded < <(sed -n 's/^requests: .* \([0-9]*\) done, \([0-9]*\) succeeded.*/\1 \2/p' <<<"$out") \
    || { requests=1 succeeded=0; log "  h2load printed no summary: $(tail -1 <<<"$out")"; }
  read -r p50 p99 < <(awk -F'\t' '$2 == 200 { print $3 }' "$requestlog" 2>/dev/null | sort -n | awk '
    { v[NR] = $1 } END { if (NR == 0) print 0, 0; else print v[int((NR + 1) * 0.5)] + 0, v[int((NR - 1) * 0.99) + 1] + 0 }')
  echo "RESULT requests=${succeeded:-0} bytes=0 seconds=${seconds_taken:-$seconds} p50_us=${p50:-0} p99_us=${p99:-0} errors=$((${requests:-0} - ${succeeded:-0})) non2xx=0"
}

# Full TLS handshakes: parallel `openssl s_time -new` clients, each a new connection, a full handshake (no
# session resumption) and one GET of the page, one after another. wrk is not used here: it resumes sessions
# on reconnect (SSL_shutdown + SSL_clear keep the session), which would measure resumption.
run_handshakes() {  # run_handshakes SECONDS PATH
  local seconds=$1 path=$2 i total=0 n clients=()
  for ((i = 0; i < ${HANDSHAKE_CLIENTS:-8}; i++)); do
    timeout $((seconds + 30)) taskset -c "$LOAD_CPUS" openssl s_time -connect "127.0.0.1:$TLS_PORT" -new \
      -www "$path" -time "$seconds" >"$WORK/s_time.$i" 2>&1 &
    clients+=($!)
  done
  wait "${clients[@]}"
  for ((i = 0; i < ${HANDSHAKE_CLIENTS:-8}; i++)); do
    n=$(sed -n 's/^\([0-9]*\) connections in [0-9.]* real seconds.*/\1/p' "$WORK/s_time.$i" | tail -1)
    total=$((total + ${n:-0}))
  done
  # each client connects for exactly SECONDS (its start-up and exit are not part of the rate)
  echo "RESULT requests=$total bytes=0 seconds=$seconds p50_us= p99_us= errors=0"
}

run_splice() {  # run_splice SECONDS PATH
  timeout $(($1 + 30)) taskset -c "$LOAD_CPUS" "$TOOLS_BIN/splice_get" 127.0.0.1 "$TARGET_PORT" "$2" 8 "$1" \
    | grep '^RESULT' || echo "RESULT requests=0 errors=1"
}

# load SCENARIO SECONDS : runs the scenario's load once.
load() {
  local path
  path=$(scenario_path "$1")
  case $1 in
    proxy | static-small | static-medium) run_wrk "$2" 64 "http://127.0.0.1:$TARGET_PORT$path" ;;
    churn) run_wrk "$2" 64 "http://127.0.0.1:$TARGET_PORT$path" -H "Connection: close" ;;
    static-large) run_splice "$2" "$path" ;;
    paradigm-*) run_wrk "$2" "${1##*-}" "http://127.0.0.1:$TARGET_PORT$path" ;;
    h2-static | h2-proxy) run_h2load "$2" "https://127.0.0.1:$TLS_PORT$path" ;;
    tls-handshake) run_handshakes "$2" "$path" ;;
  esac
}

field() {  # field NAME RESULT_LINE
  local v
  v=$(grep -o "\b$1=[0-9.]*" <<<"$2" | head -1)
  echo "${v#*=}"
}

# measure ROUND TARGET SCENARIO WARMUP_SECONDS : warm-up, then one measured run; appends a CSV row. The
# target's memory (RSS and PSS summed over its processes) is read once, shortly before the load ends, while
# every connection is open.
measure() {
  local round=$1 target=$2 scenario=$3 cpu_us0 cpu_us1 busy0 busy1 load_user0 load_user1 result sampler
  load "$scenario" "$4" >/dev/null
  wait_until_quiet
  cpu_us0=$(target_cpu_us "$target" "$TARGET_PID")
  local backend_ticks0 backend_ticks1 rss pss load1
  backend_ticks0=$(tree_cpu_ticks "$BACKEND_PID")
  busy0=$(busy_ticks)
  children_ticks
  load_user0=$CHILD_TICKS
  read -r load1 _ </proc/loadavg
  (
    sleep "$(awk -v d="$DURATION" 'BEGIN { print (d > 5 ? d - 1 : d * 0.8) }')"
    tree_memory_kib "$TARGET_PID"
  ) >"$WORK/memory.txt" &
  sampler=$!
  load "$scenario" "$DURATION" >"$WORK/result.txt"
  result=$(<"$WORK/result.txt")
  wait "$sampler" || true
  read -r rss pss <"$WORK/memory.txt" || true
  children_ticks
  load_user1=$CHILD_TICKS
  busy1=$(busy_ticks)
  backend_ticks1=$(tree_cpu_ticks "$BACKEND_PID")
  cpu_us1=$(target_cpu_us "$target" "$TARGET_PID")

  local requests bytes seconds p50 p99 errors value cpu_us foreign mbps
  requests=$(field requests "$result")
  bytes=$(field bytes "$result")
  seconds=$(field seconds "$result")
  p50=$(field p50_us "$result")
  p99=$(field p99_us "$result")
  local errors_field non2xx_field
  errors_field=$(field errors "$result")
  non2xx_field=$(field non2xx "$result")
  errors=$((${errors_field:-0} + ${non2xx_field:-0}))
  seconds=${seconds:-$DURATION}
  if ((requests > 0)); then
    cpu_us=$(awk -v t=$((cpu_us1 - cpu_us0)) -v n="$requests" 'BEGIN { printf "%.1f", t / n }')
  else
    cpu_us=""
  fi
  mbps=$(awk -v b="${bytes:-0}" -v s="$seconds" 'BEGIN { printf "%.1f", b / s / 1e6 }')
  case $(scenario_metric "$scenario") in
    MB/s) value=$mbps ;;
    *) value=$(awk -v n="$requests" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }') ;;
  esac
  # Whatever ran besides the target, the backend and the load generator: other people's work.
  foreign=$(awk -v all=$((busy1 - busy0)) \
    -v ours=$(((cpu_us1 - cpu_us0) * CLK_TCK / 1000000 + backend_ticks1 - backend_ticks0 + load_user1 - load_user0)) \
    -v hz="$CLK_TCK" -v s="$seconds" 'BEGIN { f = (all - ours) * 100 / hz / s; if (f < 0) f = 0; printf "%.0f", f }')
  row "$round" "$target" "$scenario" "$value" "$cpu_us" "$p50" "$p99" "$errors" "$requests" "$seconds" "$mbps" "$foreign" "" \
    "${rss:-}" "${pss:-}" "$load1"
  log "  $target $scenario: $value $(scenario_metric "$scenario"), ${cpu_us:-?} µs CPU/req, p99 ${p99} µs, errors $errors, RSS ${rss:-?} KiB, others ${foreign}% CPU"
}

# Sets CHILD_TICKS: CPU ticks used so far by this shell's finished children (the load generators), from
# `times`. Call it directly, not in $(...): a subshell's counters start at zero.
children_ticks() {
  times >"$WORK/times.txt"
  CHILD_TICKS=$(awk -v hz="$CLK_TCK" 'NR == 2 {
    split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0f\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * hz }' "$WORK/times.txt")
}

# measure_idle ROUND TARGET WARMUP_SECONDS : RSS growth of the target while IDLE_CONNECTIONS keep-alive
# connections sit idle. The target is restarted first (memory freed after earlier scenarios would otherwise
# be reused and hide the cost) and warmed up with small requests on 64 connections: pools, caches, JIT and,
# for a JVM, the young generation's pages are then resident before the baseline is read.
measure_idle() {
  local round=$1 target=$2 pids before after ready holder
  stop_group "$TARGET_PID"
  start_target "$target" || { FAILURES+=("$target did not restart for idle"); return; }
  use_target "$target"
  run_wrk "$3" 64 "http://127.0.0.1:$TARGET_PORT$(scenario_path idle)" >/dev/null
  sleep 1
  mapfile -t pids < <(tree_pids "$TARGET_PID")
  local heap_before heap_after
  heap_before=$(live_heap_kib "$target")
  before=$(rss_kib "${pids[@]}")
  start_pinned "$WORK/idle_hold.out" "$LOAD_CPUS" "$TOOLS_BIN/idle_hold" 127.0.0.1 "$TARGET_PORT" "$(scenario_path idle)" "$IDLE_CONNECTIONS" 120
  holder=$STARTED_PID
  local deadline=$((SECONDS + 90))
  until grep -q '^READY' "$WORK/idle_hold.out" 2>/dev/null || ((SECONDS > deadline)); do sleep 0.2; done
  sleep 2   # let the server settle (lazy frees, timers)
  mapfile -t pids < <(tree_pids "$TARGET_PID")
  heap_after=$(live_heap_kib "$target")
  after=$(rss_kib "${pids[@]}")
  ready=$(grep '^READY' "$WORK/idle_hold.out" || echo "READY ok=0 failed=$IDLE_CONNECTIONS")
  stop_group "$holder"
  local ok failed per_conn
  ok=$(field ok "$ready")
  failed=$(field failed "$ready")
  per_conn=""
  ((ok > 0)) && per_conn=$(((after - before + heap_after - heap_before) * 1024 / ok))
  local detail="RSS $before -> $after KiB"
  [[ $target == sluice* ]] && detail+="; live heap $heap_before -> $heap_after KiB"
  row "$round" "$target" idle "$per_conn" "" "" "" "$failed" "$ok" "" "" "" "$detail" "$after" "" ""
  log "  $target idle: $ok connections held, ${per_conn:-?} B each ($detail), $failed failed"
}

# live_heap_kib TARGET : for the JVM, the heap in use right after a full collection (its heap is fixed and
# pre-touched, so RSS shows only what grows outside it); 0 for native servers, where RSS says it all.
live_heap_kib() {
  if [[ $1 != sluice* ]]; then
    echo 0
    return
  fi
  jcmd "$TARGET_PID" GC.run >/dev/null 2>&1 || true
  jcmd "$TARGET_PID" GC.heap_info 2>/dev/null | awk '
    /(generation|Gen) .*used/ { for (i = 1; i < NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); total += v } }
    END { print total + 0 }'
}

row() {
  local IFS=,
  echo "$*" >>"$CSV"
}

# Waits (up to QUIET_WAIT s) until other processes use at most QUIET_PCT % of a CPU; records what it saw.
wait_until_quiet() {
  ((QUIET_WAIT > 0)) || return 0
  local deadline=$((SECONDS + QUIET_WAIT)) seen
  while :; do
    seen=$(foreign_percent 1)
    ((seen <= QUIET_PCT)) && return 0
    if ((SECONDS >= deadline)); then
      log "  machine busy: other processes use ${seen}% of a CPU (gate ${QUIET_PCT}%); measuring anyway"
      NOISY_RUNS=$((NOISY_RUNS + 1))
      return 0
    fi
    sleep 2
  done
}
