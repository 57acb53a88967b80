"""A slow streaming upstream for the disconnect check of bench/floor.sh: answers every POST with an SSE stream of
EVENTS content events, 100 ms apart, and logs per request when it ended: 'end' (sent whole) or 'gone' (the
connection closed or was reset under it), with the seconds since the request. Keep-alive, chunked or sized bodies.

    python3 bench/floor/slow_upstream.py PORT [EVENTS]
"""
import socket
import sys
import threading
import time

PORT = int(sys.argv[1])
EVENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
count = 0
lock = threading.Lock()


def read_request(conn, buf):
    while b"\r\n\r\n" not in buf:
        more = conn.recv(65536)
        if not more:
            return None
        buf += more
    head, rest = buf.split(b"\r\n\r\n", 1)
    headers = head.decode(errors="replace").lower()
    if "transfer-encoding: chunked" in headers:
        while not rest.endswith(b"0\r\n\r\n") and b"\r\n0\r\n\r\n" not in rest:
            more = conn.recv(65536)
            if not more:
                return None
            rest += more
        return rest.split(b"0\r\n\r\n", 1)[-1] if rest.startswith(b"0\r\n\r\n") else rest.split(b"\r\n0\r\n\r\n", 1)[1]
    length = 0
    for line in headers.split("\r\n"):
        if line.startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    while len(rest) < length:
        more = conn.recv(65536)
        if not more:
            return None
        rest += more
    return rest[length:]


def serve(conn):
    global count
    buf = b""
    with conn:
        while True:
            buf = read_request(conn, buf)
            if buf is None:
                return
            with lock:
                count += 1
                n = count
            start = time.monotonic()
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                for i in range(EVENTS):
                    data = b'data: {"choices":[{"index":0,"delta":{"content":"w%d "}}]}\n\n' % i
                    conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))
                    time.sleep(0.1)
                done = b"data: [DONE]\n\n"
                conn.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))
                print(f"request {n} end {time.monotonic() - start:.2f}", flush=True)
            except OSError:
                print(f"request {n} gone {time.monotonic() - start:.2f}", flush=True)
                return


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", PORT))
server.listen(128)
while True:
    client, _ = server.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
