#!/usr/bin/env bash
# loadtests/h2-alloc.sh — the bytes one HTTP/2 request allocates (TLS h2: a static 1 KiB file, a proxied GET),
# class by class, for one build or several side by side. The count does not depend on how busy the machine is.
#
#   loadtests/h2-alloc.sh                                              # the built jar
#   loadtests/h2-alloc.sh --jar /tmp/before.jar --jar proxy/target/sluice.jar --requests 20000
#
# Each build runs in a fresh JVM pinned to TARGET_CPUS (Serial GC, a young generation large enough that no
# collection runs while it is measured) with run.sh's configuration, warmed up the way the reference benchmark
# reaches its h2 scenarios: HTTP/1.1 proxied and static first, then h2. Per scenario: a full GC, a class
# histogram of every object on the heap (`jcmd GC.class_histogram -all` counts unreachable ones too), exactly
# REQUESTS h2load requests (-c16 -m4), the histogram again. The difference divided by REQUESTS is what those
# requests allocated, on all threads (h2load's 16 TLS handshakes included). A collection in between would make
# the difference meaningless: the run then fails. int[] is left out: the fillers of retired TLABs are int arrays.
#
# Options:
#   --jar JAR        [proxy/target/sluice.jar]  repeat to compare builds (each in its own JVM, in order)
#   --requests N     [20000] measured requests per scenario
#   --top K          [25]    classes listed per scenario, by bytes per request in the first build
# Environment: TARGET_CPUS [0], LOAD_CPUS [1], BASE_PORT [24280], BASE_TLS_PORT [24643], BACKEND_PORT [24902]
#
# Only 127.0.0.1 is contacted; every load run is bounded by `timeout`; every process started here is stopped
# by its PID (process group) on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
source "$HERE/lib/processes.sh"
source "$HERE/lib/targets.sh"

JARS=() REQUESTS=20000 TOP=25
while (($#)); do
  case $1 in
    --jar) JARS+=("$2"); shift ;;
    --requests) REQUESTS=$2; shift ;;
    --top) TOP=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
((${#JARS[@]})) || JARS=("$ROOT/proxy/target/sluice.jar")
for jar in "${JARS[@]}"; do
  [[ -f $jar ]] || die "no jar at $jar (build with: mvn -q -B -DskipTests package)"
done
for tool in h2load wrk nginx openssl jcmd; do command -v "$tool" >/dev/null || die "$tool is missing"; done

TARGET_CPUS=${TARGET_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
WORKERS=1
SCENARIOS=(h2-static h2-proxy)

prepare() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-h2-alloc.XXXXXX")
  chmod 755 "$WORK"
  DOCROOT=$WORK/docroot
  mkdir -p "$DOCROOT" "$WORK/tmp"
  chmod 755 "$DOCROOT"
  head -c 1024 < <(yes 0123456789abcdef | tr -d '\n') >"$DOCROOT/small.html"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
  BACKEND_PORT=$(free_port "${BACKEND_PORT:-24902}")
  start_backend
}

url_of() {  # url_of SCENARIO
  case $1 in
    h2-static) echo "https://127.0.0.1:$TLS_PORT/static/small.html" ;;
    h2-proxy) echo "https://127.0.0.1:$TLS_PORT/" ;;
  esac
}

h2() {  # h2 REQUESTS URL : h2load's line of finished requests
  timeout 120 taskset -c "$LOAD_CPUS" h2load -c16 -m4 -n "$1" "$2" | grep '^requests:'
}

gc_count() {
  grep -c 'Pause' "$1" || true
}

# histogram PID FILE : "class bytes" lines of every object on the heap; a lambda's class is named without the
# numbers that differ between JVMs, so that builds compare
histogram() {
  jcmd "$1" GC.class_histogram -all | awk '$1 ~ /^[0-9]+:$/ { name = $4; sub(/\$\$Lambda\$.*/, "$$Lambda", name)
      bytes[name] += $3 }
    END { for (name in bytes) print name, bytes[name] }' >"$2"
}

# measure_build INDEX JAR : per scenario, $WORK/<index>-<scenario>.per-request holds "class bytes-per-request"
measure_build() {
  local i=$1 jar=$2 pid sc url before after done_line
  TARGET_PORT=$(free_port "$((${BASE_PORT:-24280} + i))")
  TLS_PORT=$(free_port "$((${BASE_TLS_PORT:-24643} + i))")
  sluice_conf 1 >"$WORK/sluice-$i.conf"
  start_pinned "$WORK/sluice-$i.log" "$TARGET_CPUS" java -XX:+UseSerialGC -Xms1600m -Xmx1600m -Xmn1200m \
    "-Xlog:gc:file=$WORK/gc-$i.log" -jar "$jar" -c "$WORK/sluice-$i.conf"
  pid=$STARTED_PID
  wait_for_port "$TLS_PORT" 60 || die "Sluice did not start: $(tail -5 "$WORK/sluice-$i.log")"
  timeout 30 taskset -c "$LOAD_CPUS" wrk -t1 -c64 -d3s "http://127.0.0.1:$TARGET_PORT/" >/dev/null
  timeout 30 taskset -c "$LOAD_CPUS" wrk -t1 -c64 -d3s "http://127.0.0.1:$TARGET_PORT/static/small.html" >/dev/null
  for sc in "${SCENARIOS[@]}"; do
    url=$(url_of "$sc")
    h2 "$REQUESTS" "$url" >/dev/null
    jcmd "$pid" GC.run >/dev/null
    before=$(gc_count "$WORK/gc-$i.log")
    histogram "$pid" "$WORK/$i-$sc.before"
    done_line=$(h2 "$REQUESTS" "$url")
    histogram "$pid" "$WORK/$i-$sc.after"
    after=$(gc_count "$WORK/gc-$i.log")
    [[ $after == "$before" ]] || die "$jar: a collection ran during the $sc measurement; lower --requests"
    grep -q "$REQUESTS succeeded" <<<"$done_line" || die "$jar: not every $sc request succeeded: $done_line"
    awk -v n="$REQUESTS" 'NR == FNR { was[$1] = $2; next }
      $1 != "[I" { d = ($2 - was[$1]) / n; if (d != 0) printf "%s %.1f\n", $1, d }' \
      "$WORK/$i-$sc.before" "$WORK/$i-$sc.after" | sort -k2,2nr >"$WORK/$i-$sc.per-request"
  done
  stop_group "$pid"
}

report() {
  local sc i files
  for sc in "${SCENARIOS[@]}"; do
    files=()
    for i in "${!JARS[@]}"; do files+=("$WORK/$i-$sc.per-request"); done
    printf '\n%s, bytes allocated per request\n' "$sc"
    for i in "${!JARS[@]}"; do printf '  build %d: %s\n' "$((i + 1))" "${JARS[$i]}"; done
    # classes in the order of build 1; a class of a later build only (8 B per request or more) comes last
    awk -v top="$TOP" -v builds="${#files[@]}" '
      FNR == 1 { b++ }
      { v[$1, b] = $2; total[b] += $2
        if (b == 1) order[++rows] = $1
        else if (!(($1, 1) in v) && ($2 >= 8 || $2 <= -8) && !seen[$1]++) extra[++extras] = $1 }
      END {
        printf "  %-80s", "total"; for (b = 1; b <= builds; b++) printf " %9.1f", total[b]; print ""
        for (r = 1; r <= rows && r <= top; r++) {
          printf "  %-80s", order[r]; for (b = 1; b <= builds; b++) printf " %9.1f", v[order[r], b]; print ""
        }
        for (r = 1; r <= extras; r++) {
          printf "  %-80s", extra[r] " (not in build 1)"; for (b = 1; b <= builds; b++) printf " %9.1f", v[extra[r], b]; print ""
        }
      }' "${files[@]}"
  done
}

main() {
  trap stop_all_and_clean_up EXIT
  trap 'exit 130' INT TERM
  prepare
  local i
  for i in "${!JARS[@]}"; do
    log "build $((i + 1)): ${JARS[$i]}"
    measure_build "$i" "${JARS[$i]}"
  done
  report
}

main
