"""Summarises a JFR recording's execution samples: the share of samples by layer of the top frame (self time), the
share of samples with a layer anywhere on the stack (inclusive), and the top methods, largest first.

    python3 bench/floor/jfr_top.py $JAVA_HOME/bin/jfr recording.jfr [top-n]
"""
import collections
import re
import subprocess
import sys

jfr, recording = sys.argv[1], sys.argv[2]
top_n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
out = subprocess.run([jfr, "print", "--events", "jdk.ExecutionSample", "--stack-depth", "300", recording],
                     capture_output=True, text=True, check=True).stdout
stacks = []
for block in out.split("jdk.ExecutionSample")[1:]:
    frames = re.findall(r"^\s+([\w$.<>]+)\(", block.split("stackTrace = [", 1)[-1], re.M)
    if frames:
        stacks.append(frames)
layers = [
    ("JDK net/nio (sockets, selector)", r"^(sun\.nio|java\.nio|sun\.net|java\.net)"),
    ("Netty", r"^io\.netty"),
    ("Vert.x", r"^io\.vertx"),
    ("Camel", r"^org\.apache\.camel"),
    ("Apache HttpClient 5", r"^org\.apache\.hc"),
    ("dev.caravan (the floor's or the gateway's code)", r"^dev\.caravan"),
    ("JDK virtual threads / concurrency", r"^(java\.util\.concurrent|jdk\.internal\.vm|java\.lang\.VirtualThread)"),
    ("JDK collections/lang", r"^(java\.util|java\.lang)"),
    ("JDK other", r"^(jdk|sun|java)\."),
]


def layer(frame):
    for name, rx in layers:
        if re.match(rx, frame):
            return name
    return "other"


self_time = collections.Counter(layer(s[0]) for s in stacks)
inclusive = collections.Counter()
for s in stacks:
    for name in {layer(f) for f in s}:
        inclusive[name] += 1
markers = {
    "Camel routing engine (CamelInternalProcessor, error handler, reactive executor)":
        r"org\.apache\.camel\.(impl\.engine\.CamelInternalProcessor|processor\.errorhandler|impl\.engine\.DefaultReactiveExecutor)",
    "Camel exchange creation/release": r"org\.apache\.camel\.support\.(DefaultExchange|AbstractExchange|DefaultConsumer\.(createExchange|releaseExchange))",
    "platform-http binding (headers in, reply out)": r"VertxPlatformHttp(Support|Consumer)\.(populate|writeResponse|toHttpResponse|processHttpRequest)",
    "Vert.x Web router and body handler": r"io\.vertx\.ext\.web",
    "Vert.x worker hand-off (executeBlocking)": r"(executeBlocking|WorkerContext|TaskQueue)",
    "socket writes (flush)": r"(SocketChannelImpl\.write|flush0|doWrite)",
    "socket reads": r"(SocketChannelImpl\.read|doReadBytes)",
    "HttpClient 5 classic (request execution)": r"org\.apache\.hc\.client5",
}
marked = collections.Counter()
for s in stacks:
    joined = "\n".join(s)
    for name, rx in markers.items():
        if re.search(rx, joined):
            marked[name] += 1
total = len(stacks) or 1
print(f"{len(stacks)} execution samples (Java code only: JIT, GC and time in the kernel are not sampled here)")
print("self time, by layer of the top frame:")
for name, n in self_time.most_common():
    print(f"  {100 * n / total:5.1f}%  {name}")
print("inclusive, samples with the layer anywhere on the stack:")
for name, n in inclusive.most_common():
    print(f"  {100 * n / total:5.1f}%  {name}")
print("inclusive, samples under:")
for name, n in marked.most_common():
    print(f"  {100 * n / total:5.1f}%  {name}")
print(f"top {top_n} methods (self):")
for f, n in collections.Counter(s[0] for s in stacks).most_common(top_n):
    print(f"  {100 * n / total:5.1f}%  {f}")
