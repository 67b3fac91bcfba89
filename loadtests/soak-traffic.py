#!/usr/bin/env python3
"""Mixed, paced traffic for loadtests/soak.sh, loopback only, for a bounded time.

Kinds: static (small and 1 MB files), proxied GET, uploads (1 MB POST, proxied), aborted clients (a
download dropped after a few bytes, a request head cut in the middle) and requests to a flapping backend
that this process runs itself: it listens for a while, then closes its listener and every connection,
then listens again. Prints a count per kind and outcome at the end; exits non-zero if a kind that must
always succeed did not.
"""
import http.client
import socket
import sys
import threading
import time
from collections import Counter

port, flap_port, duration = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + duration
counts = Counter()
lock = threading.Lock()


def count(kind, outcome):
    with lock:
        counts[(kind, outcome)] += 1


def flapping_backend():
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nflap!"
    while time.monotonic() < deadline:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", flap_port))
        listener.listen(64)
        listener.settimeout(0.2)
        open_conns = []
        up_until = time.monotonic() + 12
        while time.monotonic() < min(up_until, deadline):
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            open_conns.append(conn)
            threading.Thread(target=serve_flap, args=(conn, reply), daemon=True).start()
        listener.close()
        for conn in open_conns:
            try:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()
            except OSError:
                pass
        time.sleep(4)


def serve_flap(conn, reply):
    try:
        buffered = b""
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buffered += data
            while b"\r\n\r\n" in buffered:
                _, buffered = buffered.split(b"\r\n\r\n", 1)
                conn.sendall(reply)
    except OSError:
        return


def loop(kind, pause, action):
    while time.monotonic() < deadline:
        try:
            outcome = action()
        except Exception as e:  # any failure is counted, the soak goes on
            outcome = type(e).__name__
        count(kind, outcome)
        time.sleep(pause)


def get(path, expect_bytes=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if expect_bytes is not None and len(body) != expect_bytes:
            return "short"
        return str(response.status)
    finally:
        conn.close()


def keepalive_gets():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        statuses = set()
        for _ in range(20):
            conn.request("GET", "/app/hello")
            response = conn.getresponse()
            response.read()
            statuses.add(response.status)
        return ",".join(str(s) for s in sorted(statuses))
    finally:
        conn.close()


UPLOAD = b"u" * (1 << 20)


def upload():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/app/upload", body=UPLOAD, headers={"Content-Type": "application/octet-stream"})
        response = conn.getresponse()
        response.read()
        return str(response.status)
    finally:
        conn.close()


def aborted_download():
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /static/big.bin HTTP/1.1\r\nHost: soak\r\n\r\n")
        s.recv(1000)
    return "aborted"


def aborted_proxy_upload():
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /app/upload HTTP/1.1\r\nHost: soak\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 20000)
    return "aborted"


def cut_head():
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /static/small.txt HTTP/1.1\r\nHo")
    return "aborted"


threads = [threading.Thread(target=flapping_backend, daemon=True)]
for kind, pause, action in [
    ("static-small", 0.02, lambda: get("/static/small.txt", 1024)),
    ("static-1m", 0.1, lambda: get("/static/big.bin", 1 << 20)),
    ("proxied-keepalive", 0.05, keepalive_gets),
    ("upload-1m", 0.2, upload),
    ("aborted-download", 0.1, aborted_download),
    ("aborted-upload", 0.2, aborted_proxy_upload),
    ("cut-head", 0.1, cut_head),
    ("flapping", 0.05, lambda: get("/flap/x")),
]:
    threads.append(threading.Thread(target=loop, args=(kind, pause, action), daemon=True))
for t in threads:
    t.start()
for t in threads[1:]:
    t.join()

failed = False
for (kind, outcome), n in sorted(counts.items()):
    print(f"traffic {kind:18} {outcome:12} {n}")
    must_succeed = kind in ("static-small", "static-1m", "proxied-keepalive", "upload-1m")
    if must_succeed and outcome != "200":
        failed = True
sys.exit(1 if failed else 0)
