"""Whether a streamed answer is relayed as it arrives: POSTs one streamed chat request over a raw socket and prints
the milliseconds from sending to the response head, to the first content event and to the end of the body, and the
number of content events. Through a relay that buffers, the first content comes with the end.

    python3 bench/floor/stream_check.py http://127.0.0.1:PORT/path/v1/chat/completions [timeout_s] [leave_ms]

With leave_ms it closes the connection that many milliseconds after sending (the disconnect check).
"""
import json
import re
import socket
import sys
import time
from urllib.parse import urlsplit

CONTENT = re.compile(rb'"content":"[^"]')  # a content event with text (the role event's content is empty)
url = urlsplit(sys.argv[1])
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
leave_ms = float(sys.argv[3]) if len(sys.argv) > 3 else None
body = json.dumps({"model": "gpt-4o-mini", "stream": True,
                   "messages": [{"role": "user", "content": "hi"}]}).encode()
head = (f"POST {url.path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer bench-key\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
start = time.monotonic()
sock.sendall(head + body)
data = b""
head_ms = first_ms = None
while True:
    if leave_ms is not None:
        left = leave_ms / 1000 - (time.monotonic() - start)
        if left <= 0:
            break
        sock.settimeout(left)
    try:
        chunk = sock.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    now = (time.monotonic() - start) * 1000
    data += chunk
    if head_ms is None and b"\r\n\r\n" in data:
        head_ms = now
    if first_ms is None and CONTENT.search(data.split(b"\r\n\r\n", 1)[-1]):
        first_ms = now
end_ms = (time.monotonic() - start) * 1000
sock.close()
status = data.split(b"\r\n", 1)[0].decode(errors="replace")
events = len(CONTENT.findall(data))
print(f"status='{status}' head_ms={head_ms or -1:.0f} first_content_ms={first_ms or -1:.0f} end_ms={end_ms:.0f} "
      f"content_events={events}")
