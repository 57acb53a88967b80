#!/usr/bin/env python3
"""Pauses in a -Xlog:gc*,safepoint log between two uptimes (s): count, sum, max, by kind; time to safepoint."""
import re, sys, collections
log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
kinds = collections.defaultdict(list); cpu=[]; stalls=[]; tts = []; other = collections.Counter(); copied=[]
for line in open(log, errors='replace'):
    m = re.match(r'\[(?:[^\]]*\]\[)?(\d+\.\d+)s\]', line)
    if not m: continue
    t = float(m.group(1))
    if not (t0 <= t <= t1): continue
    g = re.search(r'(?:\[gc\s*\] )?GC\(\d+\) (Pause [^(]*?(?:\([^)]*\))?)\s.*?([\d.]+)ms$', line.strip())
    if g and 'Pause' in line:
        kinds[g.group(1).strip()].append(float(g.group(2)))
    # ZGC: "[gc,phases ] GC(3) y: Pause Mark Start 0.010ms"
    z = re.search(r'GC\(\d+\) ([yO]): (Pause [A-Za-z ]+?) ([\d.]+)ms', line)
    if z: kinds[z.group(1)+': '+z.group(2)].append(float(z.group(3)))
    c = re.search(r'\[gc,cpu\s*\] GC\(\d+\) User=([\d.]+)s Sys=([\d.]+)s Real=([\d.]+)s', line)
    if c: cpu.append((float(c.group(1))+float(c.group(2)), float(c.group(3))))
    if 'Allocation Stall' in line: stalls.append(line.strip()[-60:])
    s = re.search(r'Safepoint "([^"]+)".*Reaching safepoint: (\d+) ns.*At safepoint: (\d+) ns', line)
    if s:
        tts.append(int(s.group(2))/1e6)
        if not s.group(1).startswith(('G1','GenCollect','Serial','ZMark','ZRelocate','ZVerify','Parallel','PSYoung','ZMarkStart','ZMarkEnd','ZRelocateStart')):
            other[s.group(1)] += 1
            if int(s.group(3))/1e6 > 1: print('  non-GC safepoint >1ms:', s.group(1), round(int(s.group(3))/1e6,2), 'ms at', t)
print(f'window {t0}-{t1} s ({t1-t0:.1f} s)')
allp=[]
for k, v in sorted(kinds.items()):
    allp+=v
    print(f'  {k:45s} n={len(v):3d} sum={sum(v):8.1f} ms max={max(v):7.1f} ms  median={sorted(v)[len(v)//2]:6.1f}')
if allp:
    print(f'  ALL pauses: n={len(allp)} sum={sum(allp):.1f} ms max={max(allp):.1f} ms; >5ms: {sum(1 for p in allp if p>5)}, >20ms: {sum(1 for p in allp if p>20)}, >50ms: {sum(1 for p in allp if p>50)}')
if cpu: print(f'  gc,cpu lines: {len(cpu)}, GC threads CPU {sum(a for a,b in cpu)*1000:.0f} ms over {sum(b for a,b in cpu)*1000:.0f} ms real')
print(f'  allocation stalls: {len(stalls)}', stalls[:3])
if tts: print(f'  safepoints: {len(tts)}, time to safepoint max {max(tts):.2f} ms, sum {sum(tts):.2f} ms; other ops {dict(other)}')
