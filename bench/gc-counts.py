#!/usr/bin/env python3
"""What G1 did in a window of a -Xlog:gc* log (utctime,uptime decorations), per 1,000 requests served in it.

    python3 bench/gc-counts.py gc.log FROM TO REQUESTS

FROM and TO are Unix times (s, fractions allowed) or JVM uptimes (s) when both are under 10^6. Prints, per 1,000
requests: young (normal / concurrent start / prepare mixed), mixed and full pauses, evacuation failures, pause time,
bytes allocated (the heap before a pause minus the heap after the one before it, summed), bytes promoted (old regions
gained by young pauses that are not mixed ones; 1 region = the log's region size), concurrent mark cycles; and the
heap after the young and mixed pauses (min / median / max) and after full pauses. Counts and bytes per request do
not move with the machine's load as times do; pause sums do, and are printed for what they are."""
import re, sys, statistics
from datetime import datetime, timezone

log, t0, t1, reqs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
use_uptime = t0 < 1e6 and t1 < 1e6
line_re = re.compile(r'^\[(\d{4}-\d\d-\d\dT[\d:.]+)([+-]\d{4})\]\[(\d+\.\d+)s\](?:\[[^\]]*\])* ?(.*)$')
region_mb = 1.0
gcs = {}
order = []
collector = 'the collector'
others = []  # (uptime or time, kind, ms): pauses without heap figures (Shenandoah, ZGC)
for raw in open(log, errors='replace'):
    m = line_re.match(raw.rstrip())
    if not m:
        continue
    ts = datetime.strptime(m.group(1) + m.group(2), '%Y-%m-%dT%H:%M:%S.%f%z').timestamp()
    t = float(m.group(3)) if use_uptime else ts
    rest = m.group(4)
    u = re.match(r'Using (G1|Parallel|Serial|Shenandoah|The Z Garbage Collector)$', rest)
    if u:
        collector = {'The Z Garbage Collector': 'ZGC'}.get(u.group(1), u.group(1))
    r = re.match(r'Heap Region Size: (\d+)([MK])', rest)
    if r:
        region_mb = int(r.group(1)) / (1 if r.group(2) == 'M' else 1024)
    g = re.match(r'GC\((\d+)\) (.*)$', rest)
    if not g:
        continue
    gid, body = int(g.group(1)), g.group(2)
    rec = gcs.setdefault(gid, {'t': t, 'evacfail': False})
    if gid not in order:
        order.append(gid)
    o = re.match(r'Old regions: (\d+)->(\d+)', body)
    if o:
        rec['old'] = (int(o.group(1)), int(o.group(2)))
    o = re.match(r'ParOldGen: (\d+)K\(\d+K\)->(\d+)K', body)
    if o:
        rec['old'] = (int(o.group(1)) / 1024 / region_mb, int(o.group(2)) / 1024 / region_mb)
    p = re.match(r'(Pause \w+) \(([^)]*)\)(?: \([^)]*\))*? ?(?:\(Evacuation Failure[^)]*\))? ?(\d+)M->(\d+)M\((\d+)M\) ([\d.]+)ms$', body)
    if p:
        rec.update(t=t, kind=p.group(1), sub=p.group(2), before=int(p.group(3)), after=int(p.group(4)),
                   pause=float(p.group(6)))
    elif re.match(r'(?:[yO]: )?Pause ', body):
        q = re.match(r'(?:([yO]): )?(Pause [A-Za-z ]+?)(?: \(([^)]*)\))*(?: (\d+)M->(\d+)M\((\d+)M\))? ([\d.]+)ms$', body)
        if q:
            kind = (q.group(1) + ': ' if q.group(1) else '') + q.group(2)
            if q.group(2) in ('Pause Full', 'Pause Degenerated GC') and q.group(4):
                rec.update(t=t, kind='Pause Full', sub=q.group(2), before=int(q.group(4)), after=int(q.group(5)),
                           pause=float(q.group(7)))
            else:
                others.append((t, kind, float(q.group(7))))
    if 'Evacuation Failure' in body:
        rec['evacfail'] = True
    if re.match(r'Concurrent Mark Cycle [\d.]+ms', body):
        rec['mark'] = True

pauses = [gcs[i] for i in order if 'pause' in gcs[i]]
inside = [g for g in pauses if t0 <= g['t'] <= t1]
marks = sum(1 for i in order if gcs[i].get('mark') and t0 <= gcs[i]['t'] <= t1)
inside_others = [o for o in others if t0 <= o[0] <= t1]
if not (inside or inside_others) or reqs <= 0:
    sys.exit(f'no pause between {t0} and {t1} in {log}, or no request')
alloc = 0
for prev, cur in zip(pauses, pauses[1:]):
    if t0 <= cur['t'] <= t1:
        alloc += max(0, cur['before'] - prev['after'])
per = 1000 / reqs
young = [g for g in inside if g['kind'] == 'Pause Young']
mixed = [g for g in young if g['sub'] == 'Mixed']
normal = [g for g in young if g['sub'] != 'Mixed']
full = [g for g in inside if g['kind'] == 'Pause Full']
promoted = sum(max(0, g['old'][1] - g['old'][0]) for g in normal if 'old' in g) * region_mb
after = sorted(g['after'] for g in young)
nfail = sum(g['evacfail'] for g in inside)
psum = sum(g['pause'] for g in inside)
span = t1 - t0
from collections import Counter
osum = sum(o[2] for o in inside_others)
okinds = Counter(o[1] for o in inside_others)
print(f'{collector} between {t0:.1f} and {t1:.1f} ({span:.1f} s), {reqs} requests; per 1,000 requests:')
print(f'  pauses {len(inside) * per:.2f}: young {len(normal) * per:.2f}, mixed {len(mixed) * per:.2f}, '
      f'full {len(full) * per:.3f}; evacuation failures {nfail * per:.3f}; '
      f'mark cycles {marks * per:.2f}')
print(f'  allocated {alloc * per:.1f} MB ({alloc * 1024 / reqs:.1f} KB per request), promoted by young pauses '
      f'{promoted * per:.1f} MB ({promoted * 1024 / reqs:.2f} KB per request)')
print(f'  pause time {psum * per:.0f} ms ({psum / 10 / span:.1f} % '
      f'of the window; times move with load)')
if inside_others:
    print(f'  other pauses {osum * per:.1f} ms ({osum / 10 / span:.1f} % of the window): '
          + ', '.join(f'{k} {n}' for k, n in okinds.most_common()))
print(f'  counts in the window: {len(normal)} young, {len(mixed)} mixed, {len(full)} full '
      f'({", ".join("%dM->%dM" % (g["before"], g["after"]) for g in full) or "none"}), '
      f'{nfail} evacuation failures, {marks} mark cycles')
if after:
    print(f'  heap after young/mixed pauses: min {after[0]} / median {statistics.median(after):.0f} / max {after[-1]} MB'
          + ("; after full pauses %s MB" % ", ".join(str(g["after"]) for g in full) if full else ''))
elif full:
    print("  heap after full pauses %s MB" % ", ".join(str(g["after"]) for g in full))
