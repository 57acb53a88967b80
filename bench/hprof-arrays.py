#!/usr/bin/env python3
"""Byte arrays in two heap dumps (jcmd GC.heap_dump, HPROF 1.0.2 with 4- or 8-byte ids), by length and by the class
of the object that refers to them: what the second dump holds more of than the first, per unit (e.g. per call held).

    python3 bench/hprof-arrays.py heap-idle.hprof heap-held.hprof CALLS [TOP]
"""
import struct, sys, collections

BASIC = {2: None, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}  # type -> size (2 = object: id size)


def read(path):
    with open(path, 'rb') as f:
        data = f.read()
    p = data.index(b'\0') + 1
    ids = struct.unpack_from('>I', data, p)[0]
    p += 4 + 8
    rid = (lambda o: struct.unpack_from('>I', data, o)[0]) if ids == 4 else (lambda o: struct.unpack_from('>Q', data, o)[0])
    size = dict(BASIC); size[2] = ids
    names, class_name = {}, {}
    fields = {}   # class id -> (super id, [(type)...])
    instances = []  # (class id, offset, length)
    byte_arrays = {}  # id -> length
    objarrays = []  # (array class id, offset, n)
    while p < len(data):
        tag = data[p]; length = struct.unpack_from('>I', data, p + 5)[0]; body = p + 9; p = body + length
        if tag == 0x01:
            names[rid(body)] = data[body + ids:body + length].decode('utf-8', 'replace')
        elif tag == 0x02:
            class_name[rid(body + 4)] = rid(body + 8 + ids)
        elif tag in (0x0C, 0x1C):
            q, end = body, body + length
            while q < end:
                sub = data[q]; q += 1
                if sub == 0xFF: q += ids
                elif sub in (0x01,): q += 2 * ids
                elif sub in (0x02, 0x03): q += ids + 8
                elif sub == 0x04: q += ids + 4
                elif sub in (0x05, 0x07): q += ids
                elif sub == 0x06: q += ids + 4
                elif sub == 0x08: q += ids + 8
                elif sub == 0x20:
                    cid = rid(q); sup = rid(q + 4 + ids); q += 4 + 7 * ids + 4
                    n = struct.unpack_from('>H', data, q)[0]; q += 2
                    for _ in range(n):
                        t = data[q + 2]; q += 3 + size[t]
                    n = struct.unpack_from('>H', data, q)[0]; q += 2
                    for _ in range(n):
                        t = data[q + ids]; q += ids + 1 + size[t]
                    n = struct.unpack_from('>H', data, q)[0]; q += 2
                    fl = []
                    for _ in range(n):
                        fl.append(data[q + ids]); q += ids + 1
                    fields[cid] = (sup, fl)
                elif sub == 0x21:
                    cid = rid(q + ids + 4); n = struct.unpack_from('>I', data, q + 2 * ids + 4)[0]
                    instances.append((cid, q + 2 * ids + 8)); q += 2 * ids + 8 + n
                elif sub == 0x22:
                    n = struct.unpack_from('>I', data, q + ids + 4)[0]; acid = rid(q + ids + 8)
                    objarrays.append((acid, q + 2 * ids + 8, n)); q += 2 * ids + 8 + n * ids
                elif sub == 0x23:
                    oid = rid(q); n = struct.unpack_from('>I', data, q + ids + 4)[0]; t = data[q + ids + 8]
                    if t == 8: byte_arrays[oid] = n
                    q += ids + 9 + n * size[t]
                else:
                    raise SystemExit(f'unknown heap dump record {sub:#x} at {q}')
    cname = lambda cid: names.get(class_name.get(cid), '?').replace('/', '.')
    owner = {}
    layout = {}
    def lay(cid):
        if cid not in layout:
            out = []; c = cid
            while c in fields:
                out.extend(fields[c][1]); c = fields[c][0]
            layout[cid] = out
        return layout[cid]
    for cid, off in instances:
        q = off
        for t in lay(cid):
            if t == 2:
                v = rid(q)
                if v in byte_arrays: owner[v] = cname(cid)
            q += size[t]
    for acid, off, n in objarrays:
        for i in range(n):
            v = rid(off + i * ids)
            if v in byte_arrays: owner.setdefault(v, cname(acid))
    by = collections.Counter(); count = collections.Counter()
    for oid, n in byte_arrays.items():
        key = (owner.get(oid, '(no instance refers)'), n)
        by[key] += n; count[key] += 1
    return by, count


idle_b, idle_c = read(sys.argv[1])
held_b, held_c = read(sys.argv[2])
calls = int(sys.argv[3]); top = int(sys.argv[4]) if len(sys.argv) > 4 else 25
rows = sorted(((held_b[k] - idle_b.get(k, 0), k) for k in held_b), reverse=True)
total = sum(d for d, _ in rows if d > 0)
print(f'byte arrays held more than idle: {total / calls:.0f} bytes per call; by referring class and length:')
print(f'{"bytes/call":>10} {"arrays/call":>11} {"length":>7}  referred to by')
for d, (cls, n) in rows[:top]:
    print(f'{d / calls:10.0f} {(held_c[(cls, n)] - idle_c.get((cls, n), 0)) / calls:11.2f} {n:7d}  {cls}')
