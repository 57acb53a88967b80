#!/usr/bin/env python3
"""Resident memory of a JVM by what holds it: NMT's memory map laid over the process's pages.

    python3 bench/nmt-rss.py snap PID NMT_DETAIL_FILE > res.json    # one moment (root: reads /proc/PID/pagemap)
    python3 bench/nmt-rss.py report RUN_DIR REST_LABEL 'GLOB'        # table: rest, the largest sample, max per row
    python3 bench/nmt-rss.py --peak RUN_DIR 'GLOB'                   # label of the sample with the largest RSS

`snap` reads `jcmd PID VM.native_memory detail` (saved in NMT_DETAIL_FILE, taken just before) for the regions the
JVM mapped itself (Java heap, metaspace, class space, code cache, the collector's tables, thread stacks, the CDS
archive), then counts the pages of each mapping in /proc/PID/smaps that are resident (/proc/PID/pagemap), so that
regions the kernel merged into one mapping are still told apart. What no NMT region covers is malloc's (glibc's
arenas, its brk heap, the mmaps it makes for large blocks: Netty's direct buffers, the JIT's arenas, the JVM's own
mallocs) or a file's (libjvm, libc, ...); NMT's malloc figures by category are printed beside it (a part of the
untracked anonymous memory, the rest is malloc's free lists and fragmentation)."""
import bisect, glob, json, os, re, struct, sys

PAGE = os.sysconf('SC_PAGE_SIZE')
KB = 1024


def gc_part(frames):
    for f in frames:
        for key, name in (('MarkStack', 'GC: marking stack'), ('CMBitMap', 'GC: marking bitmap'),
                          ('MarkBitMap', 'GC: marking bitmap'), ('BlockOffset', 'GC: block offset table'),
                          ('CardTable', 'GC: card table'), ('FromCardCache', 'GC: from-card cache'),
                          ('RegionToSpaceMapper', None), ('G1', None)):
            if key in f and name:
                return name
    return 'GC: tables (mapped)'


def parse_nmt(path):
    """Reserved regions (start, end, category) from the virtual memory map, and malloc KB by category."""
    regions, malloc, frames, cur = [], {}, [], None
    cat = None
    head = re.compile(r'^\[(0x[0-9a-f]+) - (0x[0-9a-f]+)\] reserved(?: and committed)? \d+KB for (.+?)(?: from)?$')
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        m = re.match(r'^-\s+(.+?) \(reserved=', line)
        if m:
            cat = m.group(1)
        m = re.match(r'^\s+\(malloc=(\d+)KB', line)
        if m and cat:
            malloc[cat] = int(m.group(1))
        m = re.match(r'^\s+\(arena=(\d+)KB', line)
        if m and cat:
            malloc[cat] = malloc.get(cat, 0) + int(m.group(1))
        m = head.match(line)
        if m:
            if cur:
                regions.append(cur)
            cur = [int(m.group(1), 16), int(m.group(2), 16), m.group(3), []]
            continue
        if cur is not None and re.match(r'^    \[0x', line) and len(cur[3]) < 8:
            cur[3].append(line)
        elif cur is not None and line.startswith('        [0x'):
            pass
    if cur:
        regions.append(cur)
    out = []
    for start, end, name, fr in regions:
        if name == 'GC':
            name = gc_part(fr)
        elif name == 'Class':
            name = 'Class space'
        out.append((start, end, name))
    out.sort()
    return out, malloc


def snap(pid, nmt_path):
    regions, malloc = parse_nmt(nmt_path)
    starts = [r[0] for r in regions]
    res = {}
    pm = os.open(f'/proc/{pid}/pagemap', os.O_RDONLY)
    vmas = []
    cur = None
    for line in open(f'/proc/{pid}/smaps'):
        m = re.match(r'^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$', line)
        if m:
            cur = [int(m.group(1), 16), int(m.group(2), 16), m.group(3).strip(), 0]
            vmas.append(cur)
        elif line.startswith('Rss:') and cur:
            cur[3] = int(line.split()[1])
    for start, end, name, rss in vmas:
        if rss == 0:
            continue
        # split the mapping at NMT region boundaries; count resident pages of each piece
        pos = start
        while pos < end:
            i = bisect.bisect_right(starts, pos) - 1
            if i >= 0 and regions[i][0] <= pos < regions[i][1]:
                piece_end, label = min(end, regions[i][1]), regions[i][2]
            else:
                nxt = starts[i + 1] if i + 1 < len(starts) else end
                piece_end = min(end, nxt)
                if name.startswith('/'):
                    label = 'file: ' + os.path.basename(name)
                elif name == '[heap]':
                    label = 'malloc: brk heap'
                elif name in ('[stack]', '[vdso]', '[vvar]', '[vsyscall]'):
                    label = 'other: ' + name
                else:
                    label = 'malloc: anonymous (arenas, large blocks)'
            n = (piece_end - pos) // PAGE
            data = os.pread(pm, 8 * n, 8 * (pos // PAGE))
            present = sum(1 for (v,) in struct.iter_unpack('<Q', data) if v >> 63)
            res[label] = res.get(label, 0) + present * PAGE // KB
            pos = piece_end
    os.close(pm)
    total = sum(res.values())
    vmrss = next(int(l.split()[1]) for l in open(f'/proc/{pid}/status') if l.startswith('VmRSS:'))
    return {'resident_kb': res, 'total_kb': total, 'vmrss_kb': vmrss, 'nmt_malloc_kb': malloc}


def load(run_dir, label):
    with open(os.path.join(run_dir, f'res-{label}.json')) as f:
        return json.load(f)


def labels(run_dir, pattern):
    out = []
    for p in sorted(glob.glob(os.path.join(run_dir, f'res-{pattern}.json'))):
        lab = os.path.basename(p)[4:-5]
        try:
            load(run_dir, lab)
            out.append(lab)
        except (ValueError, OSError):
            pass
    return out


def report(run_dir, rest_label, pattern):
    rest = load(run_dir, rest_label)
    samples = {l: load(run_dir, l) for l in labels(run_dir, pattern)}
    if not samples:
        sys.exit('no sample under load')
    peak_label = max(samples, key=lambda l: samples[l]['vmrss_kb'])
    peak = samples[peak_label]
    conns = lambda l: open(os.path.join(run_dir, f'conns-{l}.txt')).read().strip() if os.path.exists(
        os.path.join(run_dir, f'conns-{l}.txt')) else '?'
    rows = set(rest['resident_kb']) | set(k for s in samples.values() for k in s['resident_kb'])
    mb = lambda kb: f'{kb / 1024:7.1f}'
    print(f'Resident MiB by what holds it (NMT detail over /proc/<pid>/pagemap); {len(samples)} samples under load, '
          f'the largest (VmRSS) at {peak_label} with {conns(peak_label)} calls in flight:')
    print(f'  {"":44s} {"rest":>7s} {"peak":>7s} {"max":>7s}')
    order = sorted(rows, key=lambda r: -peak['resident_kb'].get(r, 0))
    for r in order:
        mx = max(s['resident_kb'].get(r, 0) for s in samples.values())
        if max(mx, rest['resident_kb'].get(r, 0)) < 256:
            continue
        print(f'  {r:44s} {mb(rest["resident_kb"].get(r, 0))} {mb(peak["resident_kb"].get(r, 0))} {mb(mx)}')
    heap = lambda s: s['resident_kb'].get('Java Heap', 0)
    print(f'  {"total (VmRSS)":44s} {mb(rest["vmrss_kb"])} {mb(peak["vmrss_kb"])} '
          f'{mb(max(s["vmrss_kb"] for s in samples.values()))}')
    print(f'  {"beside the heap (VmRSS - Java Heap)":44s} {mb(rest["vmrss_kb"] - heap(rest))} '
          f'{mb(peak["vmrss_kb"] - heap(peak))} {mb(max(s["vmrss_kb"] - heap(s) for s in samples.values()))}')
    print('NMT malloc+arena MiB by category (inside the malloc rows above):')
    cats = sorted(set(rest['nmt_malloc_kb']) | set(peak['nmt_malloc_kb']), key=lambda c: -peak['nmt_malloc_kb'].get(c, 0))
    for c in cats:
        mx = max(s['nmt_malloc_kb'].get(c, 0) for s in samples.values())
        if max(mx, rest['nmt_malloc_kb'].get(c, 0)) < 256:
            continue
        print(f'  {c:44s} {mb(rest["nmt_malloc_kb"].get(c, 0))} {mb(peak["nmt_malloc_kb"].get(c, 0))} {mb(mx)}')
    print('(rest: after the JIT warm-up, before the load; peak: the sample with the largest RSS; max: the largest of each'
          ' row over all samples, not at one moment)')


if __name__ == '__main__':
    if sys.argv[1] == 'snap':
        json.dump(snap(int(sys.argv[2]), sys.argv[3]), sys.stdout)
    elif sys.argv[1] == 'report':
        report(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == '--peak':
        ls = labels(sys.argv[2], sys.argv[3])
        if ls:
            print(max(ls, key=lambda l: load(sys.argv[2], l)['vmrss_kb']))
