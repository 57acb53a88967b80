#!/usr/bin/env python3
"""Allocation samples of a JFR recording (jdk.ObjectAllocationSample, e.g. bench/alloc.sh's alloc.jfr) summed by weight.

    python3 bench/alloc-sites.py $JAVA_HOME/bin/jfr alloc.jfr MODE [PATTERN] [DEPTH] [ROWS]

MODE: top (by the top non-JDK frame), class (by class), pkg (by the top non-JDK frame's package), caravan (by the
nearest gateway frame, dev.caravan or the platform-http extension), under PATTERN (class and stack of the samples whose
nearest gateway frame matches), any PATTERN (stacks with a frame matching it anywhere), stack PATTERN, pkgclass PREFIX.
MAXW=<bytes> in the environment drops samples heavier than that: a thread's first sample carries everything it
allocated since it started.

JFR takes a sample when a thread's allocation buffer (TLAB) runs out, and weighs it by what the thread allocated
since its last sample: a small object allocated at the same point of every request can stand for far more than its
bytes (the request's tree nodes read as 12 % of a run whose request tree is a few hundred bytes). For shares that
hold by site, record with the buffers off, every allocation then a candidate for a sample: GATEWAY_PROPS="-XX:-UseTLAB
-XX:TieredStopAtLevel=1" CONNS=1 (slow, so one connection, and MAXW=100000), and take bytes per request from a
run with them on.
"""
import collections, re, subprocess, sys
jfr, rec = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "top"
pat = sys.argv[4] if len(sys.argv) > 4 else None
depth = int(sys.argv[5]) if len(sys.argv) > 5 else 12
out = subprocess.run([jfr, "print", "--events", "jdk.ObjectAllocationSample", "--stack-depth", "200", rec], capture_output=True, text=True, check=True).stdout
scale = {"bytes": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
evs = []
for block in out.split("jdk.ObjectAllocationSample {")[1:]:
    m = re.search(r"weight = ([\d.]+) (bytes|kB|MB|GB)", block)
    w = float(m.group(1)) * scale[m.group(2)] if m else 0
    c = re.search(r"objectClass = ([\w$.\[\]]+)", block)
    frames = re.findall(r"^\s+([\w$./<>]+)\(", block.split("stackTrace = [", 1)[-1], re.M)
    if w < float(__import__("os").environ.get("MAXW", "1e18")): evs.append((w, c.group(1) if c else "?", frames))
tot = sum(e[0] for e in evs)
JDK = re.compile(r"^(java\.|jdk\.|sun\.)")
def top(frames):
    for f in frames:
        if not JDK.match(f): return f
    return frames[0] if frames else "?"
agg = collections.Counter()
if mode == "top":
    for w, c, fr in evs: agg[top(fr)] += w
elif mode == "class":
    for w, c, fr in evs: agg[c] += w
elif mode == "caravan":
    for w, c, fr in evs:
        agg[next((f for f in fr if f.startswith("dev.caravan") or f.startswith("org.apache.camel.component.platform")), "(none)")] += w
elif mode == "stack":
    for w, c, fr in evs:
        if any(re.search(pat, f) for f in fr[:3]) or re.search(pat, c):
            agg[c + " <- " + " <- ".join(fr[:depth])] += w
elif mode == "any":
    for w, c, fr in evs:
        if any(re.search(pat, f) for f in fr):
            agg[" <- ".join(fr[:depth])] += w
print("total sampled weight %.0f MB, %d samples" % (tot / 1e6, len(evs)))
for k, w in agg.most_common(int(sys.argv[6]) if len(sys.argv) > 6 else 40):
    print("%5.2f%%  %s" % (100 * w / tot, k))
if mode == "pkg":
    agg = collections.Counter()
    for w, c, fr in evs:
        t = top(fr)
        parts = t.split(".")
        agg[".".join(parts[:3])] += w
    for k, w in agg.most_common(30): print("PKG %5.2f%%  %s" % (100 * w / tot, k))
if mode == "under":
    agg = collections.Counter()
    for w, c, fr in evs:
        near = next((f for f in fr if f.startswith("dev.caravan") or f.startswith("org.apache.camel.component.platform")), "(none)")
        if re.search(pat, near):
            agg[c + " @ " + " <- ".join(fr[:depth])] += w
    for k, w in agg.most_common(40): print("U %5.2f%%  %s" % (100 * w / tot, k[:400]))
if mode == "pkgclass":
    agg = collections.Counter()
    for w, c, fr in evs:
        t = top(fr)
        if t.startswith(pat): agg[c + " @ " + t] += w
    for k, w in agg.most_common(30): print("PC %5.2f%%  %s" % (100 * w / tot, k))
