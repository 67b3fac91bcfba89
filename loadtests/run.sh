#!/usr/bin/env bash
# loadtests/run.sh — Sluice side by side with nginx (and optionally HAProxy, h2o, Caddy, Apache httpd) on
# loopback, measured honestly.
#
#   loadtests/run.sh                   # 3 rounds x 10 s per scenario, all scenarios, results in loadtests/results/
#   loadtests/run.sh --quick           # 1 round x 1 s, 1,000 idle connections: checks the harness (< 2 min)
#   loadtests/run.sh --rounds 5 --duration 20 --scenarios "proxy static-small" --peers
#   loadtests/run.sh --paradigms       # Sluice, nginx, Apache prefork/worker/event at 10 ... 5,000 connections
#
# What it does: installs wrk, nghttp2-client (h2load), nginx, curl, gcc, gnuplot from Debian when missing;
# builds Sluice (unless the jar exists and --no-build); makes a docroot (1 KiB, 100 KiB, 10 MiB), an ECDSA
# certificate and the configurations (lib/targets.sh: same workers, sendfile, open-file cache, upstream
# keep-alive, TLS + h2); starts the backend and every target (each on its own ports, pinned to the same
# target core, idle while another is measured); then per scenario runs ROUNDS rounds, each measuring every
# target once in an order that rotates every round (A B, B A, ...), each run after a warm-up.
#
# Pinning (2-core machine): the target gets CPU 0 with one worker; backend and load generator share CPU 1.
# The load core saturates first in most scenarios, so req/s understates a faster target: compare the
# target's own CPU time per request (over the measured run: from a cgroup the target runs in where one can
# be made, else utime+stime from /proc/PID/stat of its processes; lib/processes.sh) first.
#
# Scenarios (lib/scenarios.sh): proxy (GET / proxied, keep-alive, 64 connections), churn (the same with
# Connection: close: CPU per new connection), static-small (1 KiB), static-medium (100 KiB), static-large
# (10 MiB with tools/splice_get, which discards bodies with splice(2); MB/s), h2-static and h2-proxy (TLS 1.3
# + h2, h2load 16 connections x 4 streams), tls-handshake (full TLS handshakes, no resumption, with
# `openssl s_time -new`), idle (memory growth per idle keep-alive connection). The `direct` target is the
# backend itself in the target's slot: the upper bound for proxy and churn.
# The `paradigms` set (paradigm-static-N, paradigm-proxy-N): static 1 KiB and proxied GET over N keep-alive
# connections, N in PARADIGM_CONNECTIONS [10 100 1000 5000]; req/s, p99, errors and the server's memory (RSS
# and PSS of all its processes, read near the end of the run) per server and N, with its own chart.
#
# Options:
#   --quick               1 round, 1 s runs, 1 s warm-up, 1,000 idle connections, no quiet gate, a 90 s budget
#                         (runs that would start later are reported as skipped); results go to the scratch
#                         directory unless --out is given. Fails only when the harness breaks or a target
#                         does not answer, never because a number is slow.
#   --rounds N  --duration S  --warmup S   [3, 10, 3]
#   --scenarios "LIST"    [proxy churn static-small static-medium static-large h2-static h2-proxy tls-handshake idle]
#   --targets "LIST"      [sluice nginx direct]; --peers adds haproxy, h2o, caddy and apache-event (installed
#                         from Debian if missing); apache-prefork and apache-worker are the other two MPMs;
#                         sluice-b is a second Sluice build (SLUICE_B_JAR) for before/after comparisons
#   --paradigms           the paradigms set against [sluice nginx apache-prefork apache-worker apache-event]
#                         (a `paradigms` entry in --scenarios is the same set beside other scenarios)
#   --fresh               cold starts: every run measures a target started just before it (stopped and started
#                         again before each round of each scenario), after only --warmup, and Sluice runs with
#                         plain `java -jar` (no JVM options unless SLUICE_JAVA_OPTS is set): what a deploy or a
#                         restart sees in its first seconds, JIT compilation included
#   --idle-connections N  [10000] (the open-files limit, often 20,000, bounds it)
#   --out DIR             [loadtests/results]
#   --no-install          never call apt-get; --no-build: use the existing jar
#   --keep                keep the scratch directory (configurations, logs)
# Environment:
#   SLUICE_JAR            [proxy/target/sluice.jar]; SLUICE_B_JAR, SLUICE_B_JAVA_OPTS: the sluice-b target's
#   SLUICE_JAVA_OPTS      [-Xms256m -Xmx256m -XX:+AlwaysPreTouch; with --fresh none] a fixed, resident heap, so
#                         RSS is not heap resizing noise (idle adds the live-heap growth, read with jcmd); the
#                         JVM picks the GC
#   SLUICE_CONF           your own Sluice configuration serving the same paths; @PORT@ @TLS_PORT@
#                         @BACKEND_PORT@ @DOCROOT@ @CERT@ @KEY@ in it are filled in
#   TARGET_CPUS [0]  LOAD_CPUS [1]  WORKERS [1]  LOAD_THREADS [1]
#   BASE_PORT [28080]  BASE_TLS_PORT [28443]  BACKEND_PORT [29001]   first ports tried; taken ones are skipped
#   QUIET_PCT [15]  QUIET_WAIT [60]   before each measured run, wait up to QUIET_WAIT s until other processes
#                         use at most QUIET_PCT % of a CPU (warn and go on after that)
#   FIRST_WARMUP [15]     warm-up before a scenario's first round (JIT); later rounds use --warmup
#   HANDSHAKE_CLIENTS [8] parallel `openssl s_time -new` clients in tls-handshake
#   APACHE_SLOTS [1024]  APACHE_THREADS [64]   requests Apache serves at once; threads per worker/event
#                         process (lib/targets.sh: write_apache_conf)
#   RUN_LABEL             a line for the report saying what was measured (branch, commit, JVM flags)
#   BUDGET_SECONDS        start no new run after this many seconds; the report lists what was skipped
#
# Only 127.0.0.1 is ever contacted. Every load run is bounded by `timeout`; every process started here is
# stopped by its PID (process group) on exit. Packaged services of the servers the harness installs are
# stopped and disabled right after the install (see install_tools); services installed otherwise are not
# touched.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=lib/processes.sh
source "$HERE/lib/processes.sh"
# shellcheck source=lib/targets.sh
source "$HERE/lib/targets.sh"
# shellcheck source=lib/scenarios.sh
source "$HERE/lib/scenarios.sh"

ROUNDS=3 DURATION=10 WARMUP=3 QUICK=0 INSTALL=1 BUILD=1 KEEP=0 PEERS=0 FRESH=0
SCENARIOS="proxy churn static-small static-medium static-large h2-static h2-proxy tls-handshake idle"
TARGETS="sluice nginx direct"
TARGETS_GIVEN=0
IDLE_CONNECTIONS=10000
OUT=""
QUIET_PCT=${QUIET_PCT:-15}
FIRST_WARMUP=${FIRST_WARMUP:-15}
QUIET_WAIT=${QUIET_WAIT:-60}

while (($#)); do
  case $1 in
    --quick) QUICK=1 ROUNDS=1 DURATION=1 WARMUP=1 FIRST_WARMUP=1 IDLE_CONNECTIONS=1000 QUIET_WAIT=0 BUDGET_SECONDS=${BUDGET_SECONDS:-90} ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --scenarios) SCENARIOS=$2; shift ;;
    --targets) TARGETS=$2 TARGETS_GIVEN=1; shift ;;
    --peers) PEERS=1 ;;
    --paradigms) SCENARIOS=paradigms ;;
    --fresh) FRESH=1 FIRST_WARMUP=0 ;;
    --idle-connections) IDLE_CONNECTIONS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
SCENARIOS=${SCENARIOS//paradigms/$(paradigm_scenarios)}
# A run of only the paradigms set compares concurrency models, so its default targets are those models.
only_paradigms() {
  local scenario
  for scenario in $SCENARIOS; do [[ $scenario == paradigm-* ]] || return 1; done
}
if ((TARGETS_GIVEN == 0)) && only_paradigms; then
  TARGETS="sluice nginx apache-prefork apache-worker apache-event"
fi
if ((PEERS)); then
  for peer in haproxy h2o caddy apache-event; do [[ " $TARGETS " == *" $peer "* ]] || TARGETS+=" $peer"; done
fi

TARGET_CPUS=${TARGET_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
WORKERS=${WORKERS:-1}
LOAD_THREADS=${LOAD_THREADS:-1}
BASE_PORT=${BASE_PORT:-28080}
BASE_TLS_PORT=${BASE_TLS_PORT:-28443}
BACKEND_PORT=${BACKEND_PORT:-29001}
if ((FRESH)); then
  SLUICE_JAVA_OPTS=${SLUICE_JAVA_OPTS:-}
else
  SLUICE_JAVA_OPTS=${SLUICE_JAVA_OPTS:--Xms256m -Xmx256m -XX:+AlwaysPreTouch}
fi
SLUICE_JAR=${SLUICE_JAR:-$ROOT/proxy/target/sluice.jar}
CLK_TCK=$(getconf CLK_TCK)
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
RUN_STARTED=$SECONDS

install_tools() {
  local need=() tool tools target package
  tools="wrk:wrk h2load:nghttp2-client nginx:nginx curl:curl gcc:gcc gnuplot:gnuplot-nox python3:python3
    taskset:util-linux openssl:openssl ps:procps perl:perl-base"
  for target in $TARGETS; do
    case $target in
      haproxy | h2o | caddy) tools+=" $target:$target" ;;
      apache-*) tools+=" apache2:apache2" ;;
    esac
  done
  for tool in $tools; do
    package=${tool#*:}
    command -v "${tool%%:*}" >/dev/null 2>&1 || [[ " ${need[*]} " == *" $package "* ]] || need+=("$package")
  done
  ((${#need[@]})) || return 0
  ((INSTALL)) || die "missing: ${need[*]} (apt-get install ${need[*]}, or drop --no-install)"
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's maintainer scripts start and enable a server package's service (unless a policy-rc.d forbids
  # it, as in most containers). The harness runs its own instances on its own ports, so it stops and
  # disables the services of the packages it has just installed, and only those.
  for package in "${need[@]}"; do
    case $package in
      nginx | haproxy | h2o | caddy) stop_packaged_service "$package" ;;
      apache2) stop_packaged_service apache2; stop_packaged_service apache-htcacheclean ;;
    esac
  done
}

stop_packaged_service() {  # stop_packaged_service NAME
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now "$1" >/dev/null 2>&1 || true
  else
    if service "$1" status >/dev/null 2>&1; then service "$1" stop >/dev/null 2>&1 || true; fi
    update-rc.d "$1" disable >/dev/null 2>&1 || true
  fi
}

build_sluice() {
  if ((BUILD == 0)) || { ((QUICK)) && [[ -f $SLUICE_JAR ]]; }; then
    [[ -f $SLUICE_JAR ]] || die "no jar at $SLUICE_JAR (build with: mvn -q -B -DskipTests package)"
    return
  fi
  log "building Sluice"
  (cd "$ROOT" && mvn -q -B -DskipTests package) || die "the Sluice build failed"
}

prepare_work() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-loadtests.XXXXXX")
  chmod 755 "$WORK"   # nginx workers run as an unprivileged user and must read the docroot
  DOCROOT=$WORK/docroot
  TOOLS_BIN=$WORK/bin
  mkdir -p "$DOCROOT" "$TOOLS_BIN" "$WORK/tmp"
  head -c 1024 < <(yes 'Sluice static test page, 1 KiB.' | tr '\n' ' ') >"$DOCROOT/small.html"
  head -c $((100 * 1024)) /dev/urandom >"$DOCROOT/medium.bin"
  head -c $((10 * 1024 * 1024)) /dev/urandom >"$DOCROOT/large.bin"
  chmod 755 "$DOCROOT"
  chmod 644 "$DOCROOT"/*
  cat "$DOCROOT"/* >/dev/null   # into the page cache: the first round must not measure the disk
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
  gcc -O2 -pthread -o "$TOOLS_BIN/splice_get" "$HERE/tools/splice_get.c"
  gcc -O2 -o "$TOOLS_BIN/idle_hold" "$HERE/tools/idle_hold.c"
  CSV=$WORK/results.csv
  echo "round,target,scenario,value,cpu_us_per_op,p50_us,p99_us,errors,ops,seconds,mbps,foreign_pct,note,rss_kib,pss_kib,load1" >"$CSV"
}

on_exit() {
  local status=$?
  stop_all
  remove_cpu_cgroups
  if ((KEEP)); then log "scratch directory kept: $WORK"; elif [[ -n ${WORK:-} ]]; then rm -rf "$WORK"; fi
  exit "$status"
}

# The versions of the peers in this run, for the report.
peer_versions() {
  local target seen=" "
  for target in $TARGETS; do
    case $target in
      haproxy) printf '; %s' "$(haproxy -v | head -1 | cut -d' ' -f1-3)" ;;
      h2o) printf '; %s' "$(h2o --version | head -1)" ;;
      caddy) printf '; Caddy %s' "$(caddy version | cut -d' ' -f1)" ;;
      apache-*)
        [[ $seen == *" apache "* ]] || printf '; %s' "$(apache2 -v | sed -n 's/^Server version: //p')"
        seen+="apache "
        ;;
    esac
  done
}

over_budget() {
  [[ -n ${BUDGET_SECONDS:-} ]] && ((SECONDS - RUN_STARTED > BUDGET_SECONDS))
}

FAILURES=()
NOISY_RUNS=0
declare -A SERVES

# Starts every target once, on its own ports, and asks each which scenarios it serves.
start_targets() {
  local target scenario status next_port=$BASE_PORT next_tls_port=$BASE_TLS_PORT
  for target in $TARGETS; do
    next_port=$(free_port "$next_port")
    PORT_OF[$target]=$next_port
    next_tls_port=$(free_port "$next_tls_port")
    TLS_PORT_OF[$target]=$next_tls_port
    next_port=$((next_port + 1)) next_tls_port=$((next_tls_port + 1))
    use_target "$target"
    write_target_conf "$target"
    if ! start_target "$target"; then
      FAILURES+=("$target did not start")
      row 1 "$target" startup "" "" "" "" 1 0 "" "" "" "did not start"
      continue
    fi
    use_target "$target"
    row 1 "$target" startup "${STARTUP_MS_OF[$target]}" "" "" "" 0 1 "" "" "" "ms from launch to first answer"
    log "$target up in ${STARTUP_MS_OF[$target]} ms (pid $TARGET_PID, port $TARGET_PORT, TLS $TLS_PORT)"
    for scenario in $SCENARIOS; do
      target_offers "$target" "$scenario" || continue
      status=$(preflight "$target" "$scenario")
      if [[ $status == 200 ]]; then
        SERVES[$target:$scenario]=1
      else
        row 1 "$target" "$scenario" "" "" "" "" "" "" "" "" "" "not served (answered $status)"
        log "  $target does not serve $scenario (answered $status)"
        [[ $target == sluice* ]] || FAILURES+=("$target did not serve $scenario (answered $status)")
      fi
    done
  done
}

# With --fresh a run starts on a new process: the target's first seconds are what is measured.
restart_target() {
  local target=$1
  stop_group "${PID_OF[$target]}"
  if ! start_target "$target"; then
    FAILURES+=("$target did not start again")
    return 1
  fi
  sleep 0.3
}

# Rounds alternate the targets inside each scenario (A B, B A, ...), so every ratio compares runs taken
# minutes apart. The first round of a scenario warms up for max(WARMUP, FIRST_WARMUP): JIT compilers,
# caches and pools see that scenario's code path for the first time there.
run_scenarios() {
  local -a order
  read -r -a order <<<"$TARGETS"
  local scenario round i n=${#order[@]} target warm
  for scenario in $SCENARIOS; do
    for ((round = 1; round <= ROUNDS; round++)); do
      for ((i = 0; i < n; i++)); do
        target=${order[(i + round - 1) % n]}
        [[ -n ${SERVES[$target:$scenario]:-} ]] || continue
        if over_budget; then
          row "$round" "$target" "$scenario" "" "" "" "" "" "" "" "" "" "skipped: time budget"
          continue
        fi
        if ((FRESH)) && ! restart_target "$target"; then
          row "$round" "$target" "$scenario" "" "" "" "" "" "" "" "" "" "did not start again"
          continue
        fi
        use_target "$target"
        warm=$WARMUP
        ((round == 1 && FIRST_WARMUP > WARMUP)) && warm=$FIRST_WARMUP
        if [[ $scenario == idle ]]; then measure_idle "$round" "$target" "$warm"; else measure "$round" "$target" "$scenario" "$warm"; fi
      done
    done
  done
}

main() {
  install_tools
  build_sluice
  trap on_exit EXIT
  trap 'exit 130' INT TERM
  prepare_work
  BACKEND_PORT=$(free_port "$BACKEND_PORT")
  local load1
  read -r load1 _ </proc/loadavg
  LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
  if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
    warn "load average is $load1 at the start: others are using this machine, numbers will be noisy"
  fi
  start_backend
  BACKEND_PID=$STARTED_PID
  start_targets
  run_scenarios
  stop_group "$BACKEND_PID"

  local out=${OUT:-}
  if [[ -z $out ]]; then
    if ((QUICK)); then out=$WORK/results; else out=$ROOT/loadtests/results; fi
  fi
  mkdir -p "$out"
  cp "$CSV" "$out/$STAMP.csv"
  local notes=$WORK/notes.txt
  {
    echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(uname -r)"
    echo "versions: $(java -jar "$SLUICE_JAR" --version 2>/dev/null | grep -i -m1 "^sluice"); $(nginx -v 2>&1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $(h2load --version)$(peer_versions)"
    echo "load average (1, 5, 15 min): $LOAD_AT_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; per run in the CSV (load1)"
    [[ -z ${RUN_LABEL:-} ]] || echo "build: $RUN_LABEL"
    echo "settings: rounds=$ROUNDS duration=${DURATION}s warmup=${WARMUP}s workers=$WORKERS target CPUs=$TARGET_CPUS load CPUs=$LOAD_CPUS idle connections=$IDLE_CONNECTIONS quiet gate: ${QUIET_PCT}% for up to ${QUIET_WAIT}s JVM options: ${SLUICE_JAVA_OPTS:-none}$( ((FRESH)) && echo '; fresh: every run on a target started just before it')"
    local w
    for w in "${WARNINGS[@]}"; do echo "warning: $w"; done
    if ((NOISY_RUNS > 0)); then
      echo "warning: $NOISY_RUNS measured runs started after waiting ${QUIET_WAIT}s for other processes to drop below ${QUIET_PCT}% of a CPU (see the other-CPU column)"
    fi
  } >"$notes"
  python3 "$HERE/tools/report.py" "$out/$STAMP.csv" "$notes" "$out/$STAMP.md" "$out/$STAMP.png"
  log "report: $out/$STAMP.md"
  if ((${#FAILURES[@]})); then
    printf '  %s\n' "${FAILURES[@]}" >&2
    die "the harness did not complete"
  fi
  # The smoke check: every target answered; the peers also served every scenario they were given (checked
  # above). A Sluice build may lack a feature (it answers 501 and the report says so).
  local target
  for target in $TARGETS; do
    grep -q ",$target,startup,[0-9]" "$CSV" || die "$target never answered"
    # one awk, not grep | grep -q: under pipefail the first grep's SIGPIPE would fail a found match
    [[ $target == sluice* ]] || awk -F, -v t="$target" '$2 == t && $3 != "startup" && $4 ~ /^[0-9]/ { found = 1 }
      END { exit !found }' "$CSV" \
      || die "$target produced no measurement"
  done
}

main
