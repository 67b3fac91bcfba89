# shellcheck shell=bash
# The servers under test, with equivalent configurations: WORKERS workers, static files under /static/
# (prefix stripped, sendfile, an open-file cache), everything else proxied to the backend over a pool of
# keep-alive connections, TLS 1.2/1.3 + h2 on TLS_PORT with the same certificate, no access log,
# keep-alive timeout 300 s. Each writer puts its files in $WORK; each starter sets TARGET_PID.

# The backend ("application server"): nginx answering `return 200` with a fixed 1 KiB body. Chosen because
# it is a mature C event loop that needs ~15 µs per request, keeps connections alive for a million
# requests, comes from Debian, and is not the code under test; it runs on the load core, so its CPU never
# counts against a target. The `direct` target is a second copy of it in the target's slot: the upper bound
# for the proxied scenarios (no proxy hop at all).
write_backend_conf() {  # write_backend_conf NAME PORT
  local name=$1 port=$2 body
  body=$(head -c 1024 < <(yes 0123456789abcdef | tr -d '\n'))
  cat >"$WORK/$name.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $WORK/$name.pid;
error_log $WORK/$name.error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp/$name-body;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    default_type text/plain;
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / { return 200 "$body"; }
    }
}
EOF
}

# start_backend : the nginx backend on BACKEND_PORT, pinned to LOAD_CPUS (STARTED_PID is its PID)
start_backend() {
  write_backend_conf backend "$BACKEND_PORT"
  start_pinned "$WORK/backend.log" "$LOAD_CPUS" nginx -p "$WORK" -e "$WORK/backend.error.log" -c "$WORK/backend.conf"
  wait_for_port "$BACKEND_PORT" 10 || die "the backend did not start: $(cat "$WORK/backend.error.log")"
}

write_nginx_conf() {
  cat >"$WORK/nginx.conf" <<EOF
worker_processes $WORKERS;
worker_rlimit_nofile 20000;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp/nginx-body;
    proxy_temp_path $WORK/tmp/nginx-proxy;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=10000 inactive=60s;
    open_file_cache_valid 30s;
    types { text/html html; application/octet-stream bin; }
    default_type application/octet-stream;
    upstream app {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 64;
        keepalive_requests 1000000;
        keepalive_timeout 300s;
    }
    server {
        listen 127.0.0.1:$TARGET_PORT backlog=4096 reuseport;
        listen 127.0.0.1:$TLS_PORT ssl http2 backlog=4096 reuseport;
        ssl_certificate $WORK/cert.pem;
        ssl_certificate_key $WORK/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location /static/ { alias $DOCROOT/; }
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
}

# sluice_conf WITH_TLS : the Sluice configuration on stdout (the same shape as docs/configuration.md).
sluice_conf() {
  local tls_listen="" tls_block=""
  if [[ $1 == 1 ]]; then
    tls_listen=", { address = \"127.0.0.1:$TLS_PORT\", tls = true, http2 = true }"
    tls_block="tls { certificates = [ { cert = \"$WORK/cert.pem\", key = \"$WORK/key.pem\" } ] }"
  fi
  cat <<EOF
sluice {
  workers = $WORKERS
  admin { listen = off }
  access-log { format = off }
  limits { keepalive-timeout = 300s }
  upstreams { app {
    servers = [ { address = "127.0.0.1:$BACKEND_PORT" } ]
    keepalive { max-idle = 64, idle-timeout = 300s, max-requests = 1000000 }
  } }
  servers = [ {
    listen = [ "127.0.0.1:$TARGET_PORT" $tls_listen ]
    $tls_block
    locations = [
      { match = "/static/", static { root = "$DOCROOT" } }
      { match = "/", proxy { upstream = app } }
    ]
  } ]
}
EOF
}

# Writes $WORK/sluice.conf: the full configuration when this build accepts it, else the same without the
# TLS listener (a build from before TLS existed). SLUICE_CONF replaces both with the user's own file, in
# which @PORT@, @TLS_PORT@, @BACKEND_PORT@, @DOCROOT@, @CERT@ and @KEY@ are filled in.
write_sluice_conf() {  # write_sluice_conf NAME JAR
  local name=$1 jar=$2 conf=$WORK/$1.conf
  if [[ -n ${SLUICE_CONF:-} ]]; then
    sed -e "s#@PORT@#$TARGET_PORT#g; s#@TLS_PORT@#$TLS_PORT#g; s#@BACKEND_PORT@#$BACKEND_PORT#g" \
      -e "s#@DOCROOT@#$DOCROOT#g; s#@CERT@#$WORK/cert.pem#g; s#@KEY@#$WORK/key.pem#g" "$SLUICE_CONF" >"$conf"
    return
  fi
  sluice_conf 1 >"$conf"
  if ! java -jar "$jar" -t -c "$conf" >"$WORK/$name-check.log" 2>&1; then
    sluice_conf 0 >"$conf"
    java -jar "$jar" -t -c "$conf" >>"$WORK/$name-check.log" 2>&1 \
      || die "$jar rejects the benchmark configuration: $(cat "$WORK/$name-check.log")"
    warn "$name ($jar) does not accept the TLS listener; TLS scenarios are skipped for it"
  fi
}

write_haproxy_conf() {
  cat "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/combined.pem"
  cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread $WORKERS
    maxconn 10500
    no strict-limits
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s
    timeout http-request 30s
frontend front
    bind 127.0.0.1:$TARGET_PORT
    bind 127.0.0.1:$TLS_PORT ssl crt $WORK/combined.pem alpn h2,http/1.1
    default_backend app
backend app
    server app1 127.0.0.1:$BACKEND_PORT
EOF
}

# h2o (Debian's 2.2): WORKERS threads, one event loop each. It has no sendfile and no open-file cache of its
# own; idle upstream connections are kept for 300 s (its pool has no count limit).
write_h2o_conf() {
  cat >"$WORK/h2o.conf" <<EOF
num-threads: $WORKERS
max-connections: 20000
error-log: $WORK/h2o.error.log
http1-request-timeout: 300
http2-idle-timeout: 300
proxy.timeout.keepalive: 300000
proxy.preserve-host: ON
listen:
  host: 127.0.0.1
  port: $TARGET_PORT
listen:
  host: 127.0.0.1
  port: $TLS_PORT
  ssl:
    certificate-file: $WORK/cert.pem
    key-file: $WORK/key.pem
    minimum-version: TLSv1.2
hosts:
  default:
    paths:
      /static:
        file.dir: $DOCROOT
      /:
        proxy.reverse.url: http://127.0.0.1:$BACKEND_PORT/
EOF
}

# Caddy (Debian's 2.6): one process whose Go scheduler gets WORKERS threads (GOMAXPROCS, set where it is
# started); its file server uses sendfile on plaintext connections; 64 idle upstream connections kept 300 s.
# No admin endpoint, no automatic certificates, no HTTP/3 (the others have none).
write_caddy_conf() {
  cat >"$WORK/Caddyfile" <<EOF
{
    admin off
    auto_https off
    storage file_system $WORK/caddy-data
    servers {
        protocols h1 h2
        timeouts {
            idle 300s
        }
    }
}
(site) {
    handle_path /static/* {
        root * $DOCROOT
        file_server
    }
    handle {
        reverse_proxy 127.0.0.1:$BACKEND_PORT {
            transport http {
                keepalive 300s
                keepalive_idle_conns 64
                keepalive_idle_conns_per_host 64
            }
        }
    }
}
http://127.0.0.1:$TARGET_PORT {
    bind 127.0.0.1
    import site
}
https://127.0.0.1:$TLS_PORT {
    bind 127.0.0.1
    tls $WORK/cert.pem $WORK/key.pem {
        protocols tls1.2 tls1.3
    }
    import site
}
EOF
}

# Apache httpd (Debian's apache2) in one of its multi-processing modules. A worker count like nginx's does
# not exist here: each MPM gets APACHE_SLOTS request slots (default 1024), the most requests it serves at
# once; connections beyond them wait in the listen queue (prefork, worker) or, for event, idle keep-alive
# connections are parked in its listener thread and need no slot.
#   prefork  APACHE_SLOTS processes of one thread: a process per connection
#   worker   APACHE_SLOTS / APACHE_THREADS processes of APACHE_THREADS [64] threads: a thread per connection
#   event    the same processes and threads, plus a listener thread per process with an event loop
# Pools are fixed (start = minimum = maximum): the memory measured is that of a server sized for
# APACHE_SLOTS concurrent requests, not of a pool growing and shrinking between runs. sendfile on, no
# access log, keep-alive 300 s without a request limit, upstream connections kept per process (mod_proxy's
# default: one per thread) for 300 s. TLS (mod_ssl, h2 via mod_http2) only for event and only when a TLS
# scenario runs: prefork cannot speak h2, and loading OpenSSL would count in the others' memory.
write_apache_conf() {  # write_apache_conf MPM
  local mpm=$1 dir=$WORK/apache-$1 slots=${APACHE_SLOTS:-1024} threads=${APACHE_THREADS:-64}
  local modules=/usr/lib/apache2/modules processes tls=0 pool site
  processes=$(((slots + threads - 1) / threads))
  mkdir -p "$dir"
  [[ $mpm == event ]] && wants_tls && tls=1
  if [[ $mpm == prefork ]]; then
    pool="StartServers $slots
MinSpareServers $slots
MaxSpareServers $slots
ServerLimit $slots
MaxRequestWorkers $slots"
  else
    pool="StartServers $processes
ServerLimit $processes
ThreadLimit $threads
ThreadsPerChild $threads
MinSpareThreads $((processes * threads))
MaxSpareThreads $((processes * threads))
MaxRequestWorkers $((processes * threads))"
  fi
  site="    Alias /static/ $DOCROOT/
    ProxyPass /static/ !
    ProxyPass / http://127.0.0.1:$BACKEND_PORT/ keepalive=On ttl=300
    ProxyPreserveHost On"
  {
    cat <<EOF
DefaultRuntimeDir $dir
PidFile $dir/httpd.pid
ErrorLog $WORK/apache-$mpm.error.log
LogLevel warn
User www-data
Group www-data
ServerName localhost
LoadModule mpm_${mpm}_module $modules/mod_mpm_$mpm.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule mime_module $modules/mod_mime.so
LoadModule alias_module $modules/mod_alias.so
LoadModule proxy_module $modules/mod_proxy.so
LoadModule proxy_http_module $modules/mod_proxy_http.so
TypesConfig /etc/mime.types
$pool
MaxConnectionsPerChild 0
ListenBacklog 4096
Timeout 60
KeepAlive On
KeepAliveTimeout 300
MaxKeepAliveRequests 0
EnableSendfile On
HostnameLookups Off
<Directory $DOCROOT>
    Require all granted
</Directory>
Listen 127.0.0.1:$TARGET_PORT
<VirtualHost 127.0.0.1:$TARGET_PORT>
$site
</VirtualHost>
EOF
    ((tls == 0)) || cat <<EOF
LoadModule socache_shmcb_module $modules/mod_socache_shmcb.so
LoadModule ssl_module $modules/mod_ssl.so
LoadModule http2_module $modules/mod_http2.so
Listen 127.0.0.1:$TLS_PORT
<VirtualHost 127.0.0.1:$TLS_PORT>
    SSLEngine on
    SSLCertificateFile $WORK/cert.pem
    SSLCertificateKeyFile $WORK/key.pem
    SSLProtocol -all +TLSv1.2 +TLSv1.3
    Protocols h2 http/1.1
$site
</VirtualHost>
EOF
  } >"$WORK/apache-$mpm.conf"
}

# True when a scenario over TLS is requested.
wants_tls() {
  [[ " $SCENARIOS " =~ \ (h2-static|h2-proxy|tls-handshake)\  ]]
}

# Every target runs for the whole session on its own ports (so rounds can alternate targets per scenario
# without restarting them and without re-warming a JIT); use_target selects one for the scenario functions.
declare -A PID_OF PORT_OF TLS_PORT_OF STARTUP_MS_OF

use_target() {
  TARGET_PID=${PID_OF[$1]:-}
  TARGET_PORT=${PORT_OF[$1]}
  TLS_PORT=${TLS_PORT_OF[$1]}
}

write_target_conf() {  # write_target_conf NAME (after use_target)
  case $1 in
    sluice) write_sluice_conf sluice "$SLUICE_JAR" ;;
    sluice-b) write_sluice_conf sluice-b "${SLUICE_B_JAR:?sluice-b needs SLUICE_B_JAR}" ;;
    nginx) write_nginx_conf ;;
    direct) write_backend_conf direct "$TARGET_PORT" ;;
    haproxy) write_haproxy_conf ;;
    h2o) write_h2o_conf ;;
    caddy) write_caddy_conf ;;
    apache-prefork | apache-worker | apache-event) write_apache_conf "${1#apache-}" ;;
    *) die "unknown target $1 (known: sluice sluice-b nginx direct haproxy h2o caddy apache-prefork apache-worker apache-event)" ;;
  esac
}

# start_target NAME : starts NAME pinned to TARGET_CPUS; records its PID and the time from launch to the
# first answered request.
start_target() {
  local name=$1 started_ns pid
  use_target "$name"
  [[ -n ${CGROUP_OF[$name]+set} ]] || make_cpu_cgroup "$name"
  local START_CGROUP=${CGROUP_OF[$name]}
  started_ns=$(date +%s%N)
  case $name in
    sluice) start_pinned "$WORK/sluice.log" "$TARGET_CPUS" java $SLUICE_JAVA_OPTS -jar "$SLUICE_JAR" -c "$WORK/sluice.conf" ;;
    sluice-b) start_pinned "$WORK/sluice-b.log" "$TARGET_CPUS" java ${SLUICE_B_JAVA_OPTS:-$SLUICE_JAVA_OPTS} -jar "$SLUICE_B_JAR" -c "$WORK/sluice-b.conf" ;;
    nginx | direct) start_pinned "$WORK/$name.log" "$TARGET_CPUS" nginx -p "$WORK" -e "$WORK/$name.error.log" -c "$WORK/$name.conf" ;;
    haproxy) start_pinned "$WORK/haproxy.log" "$TARGET_CPUS" haproxy -db -f "$WORK/haproxy.cfg" ;;
    h2o) start_pinned "$WORK/h2o.log" "$TARGET_CPUS" h2o -c "$WORK/h2o.conf" ;;
    caddy) start_pinned "$WORK/caddy.log" "$TARGET_CPUS" env GOMAXPROCS="$WORKERS" HOME="$WORK" XDG_DATA_HOME="$WORK/caddy-data" \
      XDG_CONFIG_HOME="$WORK/caddy-config" caddy run --adapter caddyfile --config "$WORK/Caddyfile" ;;
    apache-*) start_pinned "$WORK/$name.log" "$TARGET_CPUS" apache2 -f "$WORK/$name.conf" -DFOREGROUND ;;
  esac
  pid=$STARTED_PID
  local deadline=$((SECONDS + 30)) code
  while ((SECONDS <= deadline)); do
    kill -0 "$pid" 2>/dev/null || break
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$TARGET_PORT/" || true)
    if [[ $code != 000 ]]; then
      PID_OF[$name]=$pid
      STARTUP_MS_OF[$name]=$((($(date +%s%N) - started_ns) / 1000000))
      return 0
    fi
    sleep 0.01
  done
  log "$name did not start; its log:"
  tail -20 "$WORK/$name.log" >&2 || true
  stop_group "$pid"
  return 1
}

# Which scenarios a target is configured for at all (the rest are skipped, not failed).
# HAProxy serves no files; Apache's prefork and worker MPMs get no TLS listener (see write_apache_conf).
target_offers() {  # target_offers TARGET SCENARIO
  case $1:$2 in
    direct:proxy | direct:churn | direct:idle | direct:paradigm-proxy-* | haproxy:idle) return 0 ;;
    direct:*) return 1 ;;
    haproxy:static-* | haproxy:h2-static | haproxy:paradigm-static-*) return 1 ;;
    apache-prefork:h2-* | apache-prefork:tls-* | apache-worker:h2-* | apache-worker:tls-*) return 1 ;;
    *) return 0 ;;
  esac
}
