#!/usr/bin/env python3
"""Who refers to the instances of some classes, in two heap dumps (jcmd GC.heap_dump, HPROF 1.0.2): what the second
dump holds more of than the first, per unit (e.g. per call held), by the class of the instance, its referrer's class
and the referrer's field. Finds what keeps small objects (maps, lambdas, timers) alive per call in flight, as
bench/hprof-arrays.py does for byte arrays.

    python3 bench/hprof-owners.py heap-idle.hprof heap-held.hprof CALLS 'java.util.HashMap,java.lang.Object[]' [TOP]

A class is named as the histogram names it, arrays as 'java.lang.Object[]'; a name ending in '*' matches a prefix.
"""
import struct, sys, collections

BASIC = {4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}


def read(path, wanted):
    with open(path, 'rb') as f:
        data = f.read()
    p = data.index(b'\0') + 1
    ids = struct.unpack_from('>I', data, p)[0]
    p += 4 + 8
    fmt = '>I' if ids == 4 else '>Q'
    rid = lambda o: struct.unpack_from(fmt, data, o)[0]
    size = dict(BASIC); size[2] = ids
    names, class_name, fields = {}, {}, {}
    instances, objarrays, klass = [], [], {}
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
                elif sub == 0x01: q += 2 * ids
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
                        fl.append((rid(q), data[q + ids])); q += ids + 1
                    fields[cid] = (sup, fl)
                elif sub == 0x21:
                    oid = rid(q); cid = rid(q + ids + 4); n = struct.unpack_from('>I', data, q + 2 * ids + 4)[0]
                    klass[oid] = cid
                    instances.append((oid, cid, q + 2 * ids + 8)); q += 2 * ids + 8 + n
                elif sub == 0x22:
                    oid = rid(q); n = struct.unpack_from('>I', data, q + ids + 4)[0]; acid = rid(q + ids + 8)
                    klass[oid] = acid
                    objarrays.append((oid, acid, q + 2 * ids + 8, n)); q += 2 * ids + 8 + n * ids
                elif sub == 0x23:
                    oid = rid(q); n = struct.unpack_from('>I', data, q + ids + 4)[0]; t = data[q + ids + 8]
                    klass[oid] = ('prim', t)
                    q += ids + 9 + n * size[t]
                else:
                    raise SystemExit(f'unknown heap dump record {sub:#x} at {q}')
    prim = {4: 'boolean[]', 5: 'char[]', 6: 'float[]', 7: 'double[]', 8: 'byte[]', 9: 'short[]', 10: 'int[]', 11: 'long[]'}

    def cname(cid):
        if isinstance(cid, tuple):
            return prim[cid[1]]
        n = names.get(class_name.get(cid), '?').replace('/', '.')
        if n.startswith('[L') and n.endswith(';'):
            return n[2:-1] + '[]'
        if n.startswith('['):
            return n + '(array)'
        return n
    cache = {}

    def match(cid):
        if cid not in cache:
            n = cname(cid)
            cache[cid] = any(n == w or (w.endswith('*') and n.startswith(w[:-1])) for w in wanted)
        return cache[cid]
    layout = {}

    def lay(cid):
        if cid not in layout:
            out = []; c = cid
            while c in fields:
                out.extend(fields[c][1]); c = fields[c][0]
            layout[cid] = out
        return layout[cid]
    found = collections.Counter()
    for oid, cid, off in instances:
        q = off
        for fname, t in lay(cid):
            if t == 2:
                v = rid(q)
                if v and v in klass and match(klass[v]):
                    found[(cname(klass[v]), cname(cid), names.get(fname, '?'))] += 1
            q += size[t]
    for oid, acid, off, n in objarrays:
        for i in range(n):
            v = rid(off + i * ids)
            if v and v in klass and match(klass[v]):
                found[(cname(klass[v]), cname(acid), '[]')] += 1
    return found


wanted = sys.argv[4].split(',')
idle = read(sys.argv[1], wanted)
held = read(sys.argv[2], wanted)
calls = int(sys.argv[3]); top = int(sys.argv[4 + 1]) if len(sys.argv) > 5 else 30
rows = sorted(((held[k] - idle.get(k, 0), k) for k in held), reverse=True)
print(f'references held more than idle, per call ({calls} calls), by class, referrer and field:')
print(f'{"refs/call":>9}  class <- referrer.field')
for d, (cls, ref, field) in rows[:top]:
    if d <= 0:
        break
    print(f'{d / calls:9.2f}  {cls} <- {ref}.{field}')
