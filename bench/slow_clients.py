"""Slow and idle clients against a gateway on 127.0.0.1: SLOW connections that send their request head one byte per
second, IDLE connections that send nothing, and one ordinary chat request while they are all open. Prints how many
the gateway closed and after how long, and how the ordinary request fared. Usage: slow_clients.py PORT [SLOW] [IDLE]
"""
import asyncio
import json
import sys
import time
import urllib.request

PORT = int(sys.argv[1])
SLOW = int(sys.argv[2]) if len(sys.argv) > 2 else 500
IDLE = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
PATIENCE = 60  # seconds a connection is watched before it counts as kept open


async def slowloris(stats):
    try:
        reader, writer = await asyncio.open_connection('127.0.0.1', PORT)
    except OSError:
        stats['slow_refused'] += 1
        return
    start = time.monotonic()
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
    try:
        for byte in head:
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(1), timeout=1.0) == b'':
                    raise ConnectionResetError
            except asyncio.TimeoutError:
                pass
            if time.monotonic() - start > PATIENCE:
                break
        stats['slow_kept'] += 1
    except OSError:
        stats['slow_closed'].append(time.monotonic() - start)
    writer.close()


async def idle(stats):
    try:
        reader, writer = await asyncio.open_connection('127.0.0.1', PORT)
    except OSError:
        stats['idle_refused'] += 1
        return
    start = time.monotonic()
    try:
        await asyncio.wait_for(reader.read(1), timeout=PATIENCE)
        stats['idle_closed'].append(time.monotonic() - start)
    except asyncio.TimeoutError:
        stats['idle_kept'] += 1
    except OSError:
        stats['idle_closed'].append(time.monotonic() - start)
    writer.close()


def ordinary():
    body = json.dumps({"model": "fast", "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(f'http://127.0.0.1:{PORT}/v1/chat/completions', data=body,
                                     headers={'content-type': 'application/json'})
    start = time.monotonic()
    status = urllib.request.urlopen(request, timeout=30).status
    return status, (time.monotonic() - start) * 1000


def spread(values):
    if not values:
        return '-'
    values = sorted(values)
    return f'min {values[0]:.1f} s, median {values[len(values) // 2]:.1f} s, max {values[-1]:.1f} s'


async def main():
    stats = dict(slow_refused=0, slow_kept=0, slow_closed=[], idle_refused=0, idle_kept=0, idle_closed=[])
    tasks = [asyncio.create_task(slowloris(stats)) for _ in range(SLOW)]
    tasks += [asyncio.create_task(idle(stats)) for _ in range(IDLE)]
    await asyncio.sleep(3)
    status, millis = await asyncio.get_running_loop().run_in_executor(None, ordinary)
    await asyncio.gather(*tasks)
    print(f'ordinary request with all of them open: HTTP {status} in {millis:.0f} ms')
    print(f'slow heads ({SLOW}): closed {len(stats["slow_closed"])} ({spread(stats["slow_closed"])}), '
          f'kept open {stats["slow_kept"]}, refused {stats["slow_refused"]}')
    print(f'idle ({IDLE}): closed {len(stats["idle_closed"])} ({spread(stats["idle_closed"])}), '
          f'kept open {stats["idle_kept"]}, refused {stats["idle_refused"]}')


asyncio.run(main())
