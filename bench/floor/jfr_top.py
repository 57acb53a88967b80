"""Summarises a JFR recording's execution samples: the share of samples by top frame (method), and by the layer
the top frame belongs to (package prefix), largest first.

    python3 bench/floor/jfr_top.py $JAVA_HOME/bin/jfr recording.jfr [top-n]
"""
import collections
import re
import subprocess
import sys

jfr, recording = sys.argv[1], sys.argv[2]
top_n = int(sys.argv[3]) if len(sys.argv) > 3 else 25
out = subprocess.run([jfr, "print", "--events", "jdk.ExecutionSample", "--stack-depth", "1", recording],
                     capture_output=True, text=True, check=True).stdout
frames = re.findall(r"stackTrace = \[\s*\n\s*(\S+?)\(", out)
layers = [
    ("JDK net/nio (sockets, selector)", r"^(sun\.nio|java\.nio|sun\.net|java\.net)"),
    ("Netty", r"^io\.netty"),
    ("Vert.x", r"^io\.vertx"),
    ("Camel", r"^org\.apache\.camel"),
    ("Apache HttpClient 5", r"^org\.apache\.hc"),
    ("JDK virtual threads / concurrency", r"^(java\.util\.concurrent|jdk\.internal\.vm|java\.lang\.(Virtual|Thread))"),
    ("JDK collections/lang", r"^(java\.util|java\.lang)"),
    ("JDK other", r"^(jdk|sun|java)\."),
]
by_layer = collections.Counter()
for f in frames:
    for name, rx in layers:
        if re.match(rx, f):
            by_layer[name] += 1
            break
    else:
        by_layer["other"] += 1
total = len(frames) or 1
print(f"{len(frames)} execution samples (Java frames only; native and GC work are not sampled here)")
print("by layer of the top frame:")
for name, n in by_layer.most_common():
    print(f"  {100 * n / total:5.1f}%  {name}")
print(f"top {top_n} methods:")
for f, n in collections.Counter(frames).most_common(top_n):
    print(f"  {100 * n / total:5.1f}%  {f}")
