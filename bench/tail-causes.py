#!/usr/bin/env python3
"""What the slowest requests of one measured run met inside the gateway, from the gateway's own side.

    bench/tail-causes.py <recording.jfr> <caravan.log> <from> <to>   # from/to: UTC, 2026-12-07T06:10:00.000

Reads the request log's lines (time stamp at the answer, latency_ms, the thread that answered) whose answer fell in
[from, to], and a JFR recording made with bench/tail.jfc (overhead.sh TAIL=1). Prints:
  - the requests each event loop answered (an unfair spread makes one loop's queue the longer);
  - the gateway's own latency percentiles (time from the exchange's start to its answer, whole milliseconds);
  - what stopped or slowed the loops in the window: collector pauses, compilations (C2 takes one of two cores from the
    loops for the length of each), deoptimizations, other VM operations, lock and monitor waits of 1 ms or more;
  - for the slowest 1 % and 0.1 % by the gateway's own latency, against every request: the share whose time in the
    gateway overlapped a collector pause, a C2 compilation, either, neither.
A cause is load-independent when its share among the slowest is far above its share among all requests: a
machine too busy to run the loops slows every request alike, whatever the JVM did.
"""
import bisect
import collections
import datetime
import json
import os
import re
import subprocess
import sys

JFR = os.path.join(os.environ.get('JAVA_HOME', '/usr'), 'bin', 'jfr')
LINE = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d),(\d{3}) INFO  \[([^\]]*)\] requests - (\{.*)$')
LATENCY = re.compile(r'"latency_ms":(\d+)')


def epoch_ms(text):
    """UTC text (2026-12-07T06:10:00.123456789Z or 2026-12-07T06:10:00,123) as epoch milliseconds, fractional."""
    text = text.rstrip('Z').replace(',', '.')
    whole, _, frac = text.partition('.')
    t = datetime.datetime.strptime(whole, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=datetime.timezone.utc)
    return t.timestamp() * 1000 + (float('0.' + frac) * 1000 if frac else 0)


def millis(duration):
    """A JFR duration (PT0.0023S, PT1M2.5S) in milliseconds."""
    m = re.fullmatch(r'PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?', duration)
    if not m:
        return 0.0
    h, mi, s = m.groups()
    return ((int(h or 0) * 60 + int(mi or 0)) * 60 + float(s or 0)) * 1000


def events(recording, types):
    out = subprocess.run([JFR, 'print', '--json', '--stack-depth', '8', '--events', ','.join(types), recording],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)['recording']['events']


def pct(values, p):
    if not values:
        return 0
    return values[min(len(values) - 1, int(len(values) * p / 100))]


class Spans:
    """Time spans [start, end] in epoch ms, asked whether any overlaps a given span."""

    def __init__(self, spans):
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]
        self.longest = max((e - s for s, e in self.spans), default=0)

    def overlaps(self, start, end):
        i = bisect.bisect_right(self.starts, end)
        # spans starting before `end`; the nearest that began at most `longest` before `start` may still reach it
        j = bisect.bisect_left(self.starts, start - self.longest)
        return any(self.spans[k][1] >= start for k in range(j, i))


def main(recording, log, since, until):
    t0, t1 = epoch_ms(since), epoch_ms(until)
    requests = []  # (start, end, latency, thread)
    loops = collections.Counter()
    with open(log, errors='replace') as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            end = epoch_ms(m.group(1) + '.' + m.group(2))
            if not t0 <= end <= t1:
                continue
            lat = LATENCY.search(m.group(4))
            if not lat:
                continue
            latency = int(lat.group(1))
            # the stamp and latency_ms are whole milliseconds: widen the span by one on each side
            requests.append((end - latency - 1, end + 1, latency, m.group(3)))
            loops[m.group(3)] += 1
    if not requests:
        sys.exit('no request log line answered between %s and %s in %s' % (since, until, log))
    window = (t1 - t0) / 1000
    n = len(requests)
    print('%d requests answered in %.1f s (%s to %s UTC)' % (n, window, since, until))
    spread = sorted(loops.items(), key=lambda kv: -kv[1])
    print('answered per thread: ' + ', '.join('%s %d (%.1f %%)' % (t, c, c * 100 / n) for t, c in spread))
    lat = sorted(r[2] for r in requests)
    print('gateway latency ms: p50 %d, p90 %d, p99 %d, p99.9 %d, max %d' % (
        pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 99.9), lat[-1]))

    evs = events(recording, ['jdk.GCPhasePause', 'jdk.Compilation', 'jdk.Deoptimization', 'jdk.ExecuteVMOperation',
                             'jdk.JavaMonitorEnter', 'jdk.ThreadPark'])
    by = collections.defaultdict(list)
    for e in evs:
        v = e['values']
        start = epoch_ms(v['startTime'])
        d = millis(v.get('duration', 'PT0S'))
        if start + d < t0 or start > t1:
            continue
        by[e['type']].append((start, start + d, d, v))
    pauses = by['jdk.GCPhasePause']
    pd = sorted(p[2] for p in pauses)
    print('collector pauses: %d, %.1f ms in all (%.2f %% of the window), median %.2f, longest %.2f ms; %.2f per 1,000 '
          'requests' % (len(pd), sum(pd), sum(pd) / (window * 10), pct(pd, 50), pd[-1] if pd else 0,
                        len(pd) * 1000 / n))
    comps = by['jdk.Compilation']
    c2 = [c for c in comps if c[3].get('compileLevel') == 4]
    c2d = sorted(c[2] for c in c2)
    print('compilations: %d (C2 %d, %.0f ms in all, %d of 50 ms or more, longest %.0f ms%s)' % (
        len(comps), len(c2), sum(c2d), sum(1 for d in c2d if d >= 50), c2d[-1] if c2d else 0,
        (': ' + max(c2, key=lambda c: c[2])[3]['method']['type']['name'].split('/')[-1] + '.'
         + max(c2, key=lambda c: c[2])[3]['method']['name']) if c2 else ''))
    deopts = collections.Counter('%s.%s %s' % (d[3]['method']['type']['name'].split('/')[-1], d[3]['method']['name'],
                                              d[3]['reason']) for d in by['jdk.Deoptimization'])
    print('deoptimizations: %d%s' % (sum(deopts.values()), (', most: ' + '; '.join(
        '%s x%d' % kv for kv in deopts.most_common(4))) if deopts else ''))
    ops = collections.Counter()
    for s, e, d, v in by['jdk.ExecuteVMOperation']:
        if not v['operation'].startswith('G1') and d >= 1:
            ops[v['operation']] += 1
    print('other VM operations of 1 ms or more: %s' % (dict(ops) or 'none'))
    waits = collections.Counter()
    for kind in ('jdk.JavaMonitorEnter', 'jdk.ThreadPark'):
        for s, e, d, v in by[kind]:
            thread = (v.get('eventThread') or {}).get('javaName', '?')
            if 'eventloop' in thread:
                frames = (v.get('stackTrace') or {}).get('frames') or []
                top = next((f['method']['type']['name'].split('/')[-1] + '.' + f['method']['name'] for f in frames
                            if not f['method']['type']['name'].startswith(('java/', 'jdk/', 'sun/'))), '?')
                waits['%s %s' % (kind.split('.')[1], top)] += 1
    print('event-loop waits of 1 ms or more for a monitor or lock: %s' % (dict(waits) or 'none'))

    gc = Spans([(s, e) for s, e, _, _ in pauses])
    jit = Spans([(s, e) for s, e, _, _ in c2])

    def shares(rs):
        g = sum(1 for r in rs if gc.overlaps(r[0], r[1]))
        j = sum(1 for r in rs if jit.overlaps(r[0], r[1]))
        either = sum(1 for r in rs if gc.overlaps(r[0], r[1]) or jit.overlaps(r[0], r[1]))
        k = len(rs) or 1
        return '%6d requests: %5.1f %% met a collector pause, %5.1f %% a C2 compilation, %5.1f %% either, %5.1f %% ' \
               'neither' % (len(rs), g * 100 / k, j * 100 / k, either * 100 / k, 100 - either * 100 / k)

    ranked = sorted(requests, key=lambda r: -r[2])
    print('all     ' + shares(requests))
    print('slowest 1 %  ' + shares(ranked[:max(1, n // 100)]))
    print('slowest 0.1 %' + shares(ranked[:max(1, n // 1000)]))
    slow_loops = collections.Counter(r[3] for r in ranked[:max(1, n // 100)])
    print('slowest 1 % per thread: ' + ', '.join('%s %d' % kv for kv in sorted(slow_loops.items())))


if __name__ == '__main__':
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
