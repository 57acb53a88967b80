"""Shares of a JFR recording that belong to named methods: CPU (execution samples with the method anywhere on the
stack, so a method's callees count for it) and allocation (sampled weight whose nearest dev.caravan frame is in the
method's class, or with the method anywhere on the stack), largest first. Where `jfr_top.py` says which frames are
hot, this says how much of the whole a piece of the gateway's own code costs, before and after a change.

    python3 bench/jfr-shares.py $JAVA_HOME/bin/jfr recording.jfr [pattern ...]

A pattern is a regular expression matched against `class.method` frames (`ChatSummary`, `ProtocolReplies\\.usd`).
Without patterns: the 40 dev.caravan methods with the largest inclusive CPU share, and allocation by nearest
dev.caravan frame.
"""
import collections
import re
import subprocess
import sys

jfr, recording = sys.argv[1], sys.argv[2]
patterns = sys.argv[3:]


def stacks(event):
    out = subprocess.run([jfr, "print", "--events", event, "--stack-depth", "300", recording],
                         capture_output=True, text=True, check=True).stdout
    for block in out.split(event + " {")[1:]:
        weight = re.search(r"^\s+weight = ([\d.]+) (bytes|kB|MB|GB)", block, re.M)
        scale = {"bytes": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
        w = float(weight.group(1)) * scale[weight.group(2)] if weight else 1.0
        frames = re.findall(r"^\s+([\w$.<>]+)\(", block.split("stackTrace = [", 1)[-1], re.M)
        if frames:
            yield w, frames


def report(title, event, per):
    samples = list(stacks(event))
    total = sum(w for w, _ in samples)
    print(f"{title}: {len(samples)} samples")
    if not samples:
        return
    if patterns:
        for p in patterns:
            rx = re.compile(p)
            incl = sum(w for w, f in samples if any(rx.search(x) for x in f))
            top = sum(w for w, f in samples if rx.search(f[0]))
            print(f"  {100 * incl / total:6.2f}% inclusive  {100 * top / total:6.2f}% self   {p}")
        return
    inclusive = collections.Counter()
    for w, f in samples:
        for m in {x for x in f if x.startswith("dev.caravan")}:
            inclusive[m] += w
    for m, w in inclusive.most_common(40):
        print(f"  {100 * w / total:6.2f}% {m}")
    if per:
        nearest = collections.Counter()
        for w, f in samples:
            nearest[next((x for x in f if x.startswith("dev.caravan")), "(no dev.caravan frame)")] += w
        print("  by nearest dev.caravan frame:")
        for m, w in nearest.most_common(40):
            print(f"  {100 * w / total:6.2f}% {m}")


report("CPU (jdk.ExecutionSample)", "jdk.ExecutionSample", False)
report("allocation (jdk.ObjectAllocationSample, by weight)", "jdk.ObjectAllocationSample", True)
