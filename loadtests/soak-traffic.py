#!/usr/bin/env python3
"""Mixed, paced traffic for loadtests/soak.sh, loopback only, for a bounded time.

Kinds: static (small and 1 MB files), proxied GET, uploads (1 MB POST, proxied), WebSocket sessions
through the proxy (messages echoed and checked, some sessions dropped mid-stream), aborted clients (a
download dropped after a few bytes, a request head cut in the middle, an upload cut short), slow POSTs
(a body trickled below limits.min-receive-rate, which must get 408) and requests to a flapping backend.
This process runs the flapping backend (it listens for a while, then closes its listener and every
connection, then listens again) and the WebSocket echo backend itself. Prints a count per kind and
outcome at the end; exits non-zero if a kind that must always succeed did not.
"""
import base64
import hashlib
import http.client
import os
import random
import socket
import struct
import sys
import threading
import time
from collections import Counter

port, flap_port, ws_port, duration = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
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


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Stream:
    """Reads from a socket exactly as much as asked, keeping what came early."""

    def __init__(self, sock):
        self.sock = sock
        self.buffered = b""

    def until(self, marker):
        while marker not in self.buffered:
            self._more()
        head, self.buffered = self.buffered.split(marker, 1)
        return head

    def exactly(self, n):
        while len(self.buffered) < n:
            self._more()
        data, self.buffered = self.buffered[:n], self.buffered[n:]
        return data

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        self.buffered += data


def ws_frame(opcode, payload, masked):
    head = bytes([0x80 | opcode])
    mask_bit = 0x80 if masked else 0
    if len(payload) < 126:
        head += bytes([mask_bit | len(payload)])
    elif len(payload) < 65536:
        head += bytes([mask_bit | 126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", len(payload))
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def ws_read(stream):
    first, second = stream.exactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", stream.exactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", stream.exactly(8))[0]
    key = stream.exactly(4) if second & 0x80 else None
    payload = stream.exactly(length)
    if key:
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return first & 0x0F, payload


def websocket_backend():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", ws_port))
    listener.listen(128)
    listener.settimeout(0.2)
    while time.monotonic() < deadline + 5:
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve_websocket, args=(conn,), daemon=True).start()
    listener.close()


def serve_websocket(conn):
    try:
        with conn:
            stream = Stream(conn)
            head = stream.until(b"\r\n\r\n").decode("latin-1")
            key = next(line.split(":", 1)[1].strip() for line in head.split("\r\n")
                       if line.lower().startswith("sec-websocket-key:"))
            accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
            conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
            while True:
                opcode, payload = ws_read(stream)
                if opcode == 8:
                    conn.sendall(ws_frame(8, payload[:2], False))
                    return
                conn.sendall(ws_frame(10 if opcode == 9 else opcode, payload, False))
    except (OSError, ConnectionError, StopIteration):
        return


def websocket_open():
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws/echo HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    stream = Stream(sock)
    status = stream.until(b"\r\n\r\n").split(b" ", 2)[1].decode()
    return sock, stream, status


def websocket_session():
    sock, stream, status = websocket_open()
    with sock:
        if status != "101":
            return status
        for _ in range(20):
            message = os.urandom(random.randint(1, 16384))
            sock.sendall(ws_frame(2, message, True))
            opcode, echoed = ws_read(stream)
            if opcode != 2 or echoed != message:
                return "mismatch"
        sock.sendall(ws_frame(8, struct.pack("!H", 1000), True))
        opcode, _ = ws_read(stream)
        return "echoed" if opcode == 8 else "no-close"


def websocket_dropped():
    sock, stream, status = websocket_open()
    with sock:
        if status == "101":
            sock.sendall(ws_frame(2, os.urandom(100000), True))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    return "aborted" if status == "101" else status


def slow_post():
    """A body trickled one byte a second: limits.min-receive-rate must answer 408 and close."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"POST /app/slow HTTP/1.1\r\nHost: soak\r\nContent-Length: 100000\r\n\r\n")
        stream = Stream(s)
        s.settimeout(1)
        for _ in range(60):
            try:
                s.sendall(b"x")
            except OSError:
                pass
            try:
                status = stream.until(b"\r\n\r\n").split(b" ", 2)[1].decode()
                return status
            except socket.timeout:
                continue
        return "not-cut"


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


threads = [threading.Thread(target=flapping_backend, daemon=True),
           threading.Thread(target=websocket_backend, daemon=True)]
for kind, pause, action in [
    ("static-small", 0.02, lambda: get("/static/small.txt", 1024)),
    ("static-1m", 0.1, lambda: get("/static/big.bin", 1 << 20)),
    ("proxied-keepalive", 0.05, keepalive_gets),
    ("upload-1m", 0.2, upload),
    ("aborted-download", 0.1, aborted_download),
    ("aborted-upload", 0.2, aborted_proxy_upload),
    ("cut-head", 0.1, cut_head),
    ("flapping", 0.05, lambda: get("/flap/x")),
    ("websocket", 0.05, websocket_session),
    ("websocket", 0.05, websocket_session),
    ("websocket-dropped", 0.2, websocket_dropped),
    ("slow-post", 0.5, slow_post),
    ("slow-post", 0.5, slow_post),
]:
    threads.append(threading.Thread(target=loop, args=(kind, pause, action), daemon=True))
for t in threads:
    t.start()
    if t is threads[1]:
        time.sleep(0.5)  # the backends listen before the first client comes
for t in threads[2:]:
    t.join()

expected = {"static-small": "200", "static-1m": "200", "proxied-keepalive": "200", "upload-1m": "200",
            "websocket": "echoed", "slow-post": "408"}
failed = False
for (kind, outcome), n in sorted(counts.items()):
    print(f"traffic {kind:18} {outcome:12} {n}")
    if kind in expected and outcome != expected[kind]:
        failed = True
for kind in expected:
    if not any(k == kind for k, _ in counts):
        print(f"traffic {kind:18} never ran")
        failed = True
sys.exit(1 if failed else 0)
