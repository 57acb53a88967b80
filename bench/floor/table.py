"""Markdown rows for bench/README.md from a bench/floor.sh rows.txt: per case, CPU us/request at each JSON
connection count and SSE (mean of the passes, and their range), its ratio to nginx's mean, and added p50/p99
against the direct runs' mean.

    python3 bench/floor/table.py bench/results/<run>/rows.txt
"""
import collections
import sys

rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
# case pass kind conns requests rps p50 p99 errors cpu_us load1 others% jit%
by = collections.defaultdict(list)
order = []
for r in rows:
    key = (r[0], r[2], int(r[3]))
    by[key].append(r)
    if r[0] not in order:
        order.append(r[0])
kinds = sorted({(r[2], int(r[3])) for r in rows}, key=lambda k: (k[0] != "json", k[1]))


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def cell(case, kind, conns):
    rs = by.get((case, kind, conns))
    if not rs:
        return "–"
    direct = by.get(("direct", kind, conns), [])
    d50, d99 = mean([float(r[6]) for r in direct]), mean([float(r[7]) for r in direct])
    p50, p99 = mean([float(r[6]) for r in rs]), mean([float(r[7]) for r in rs])
    if case == "direct":
        return f"p50 {p50:.3f} / p99 {p99:.2f} ms"
    cpu = [float(r[9]) for r in rs]
    nginx = by.get(("nginx", kind, conns), [])
    ratio = f", {mean(cpu) / mean([float(r[9]) for r in nginx]):.1f}×" if nginx and case != "nginx" else ""
    spread = f" ({min(cpu):.0f}-{max(cpu):.0f})" if len(cpu) > 1 else ""
    errors = sum(int(r[8]) for r in rs)
    err = f", {errors} errors" if errors else ""
    return f"**{mean(cpu):.0f}**{spread}{ratio}; {p50 - d50:+.2f} / {p99 - d99:+.2f} ms{err}"


print("| case | " + " | ".join(f"{k} c{c}: CPU µs/req; added p50 / p99" for k, c in kinds) + " |")
print("| --- | " + " | ".join("---" for _ in kinds) + " |")
for case in order:
    print(f"| {case} | " + " | ".join(cell(case, k, c) for k, c in kinds) + " |")
loads = [float(r[10]) for r in rows]
others = [int(r[11]) for r in rows]
print(f"\nload1 {min(loads):.2f}-{max(loads):.2f}, others% {min(others)}-{max(others)} over the {len(rows)} runs")
