"""Camel's own share of the event loops in a JFR recording (`bench/alloc.sh`'s alloc.jfr, or overhead.sh's profile):
of the execution samples taken on `vert.x-eventloop-thread-*`, those whose innermost frame outside the JDK is Camel's
engine (not platform-http), split into the per-step wrappers (error handler tasks, the reactive executor's queue,
the events raised for a step that goes on asynchronously), the steps' channels (CamelInternalProcessor, its advices,
the unit of work and inflight count) and the exchange and message API (called by the gateway's steps); then the same
by layer, and wrappers' inclusive shares. Shares of samples, which load on a shared machine skews far less than time.

    python3 bench/camel-shares.py $JAVA_HOME/bin/jfr before.jfr after.jfr ...
"""
import collections
import re
import subprocess
import sys

GROUPS = {
    "wrappers (error handler, reactive executor, tasks, events)": {
        "RedeliveryErrorHandler", "NoErrorHandler", "DefaultReactiveExecutor", "ReactiveSteps", "PrototypeTaskFactory",
        "EventHelper"},
    "channels (CamelInternalProcessor, advices, unit of work)": {
        "CamelInternalProcessor", "AdviceIterator", "DefaultInflightRepository", "DefaultUnitOfWork",
        "DelegateSyncProcessor"},
    "exchange and message API": {
        "AbstractExchange", "DefaultExchange", "DefaultMessage", "MessageSupport", "ExchangePropertyKey",
        "ExtendedExchangeExtension"},
}
INCLUSIVE = {"error handler tasks": r"RedeliveryErrorHandler\$", "EventHelper": r"EventHelper\.",
             "Camel's TreeMap headers": r"java\.util\.TreeMap", "TryProcessor": r"TryProcessor",
             "trace checks": r"^\S*\.isTraceEnabled", "thread-local look-ups": r"ThreadLocal\.get",
             "inflight counts": r"DefaultInflightRepository",
             "exchange properties by String": r"AbstractExchange\.(get|set|remove)Property"}


def layer(frame):
    # Caravan's reactive executor does Camel's engine's work (the queue of steps) in Camel's place
    if frame.startswith("dev.caravan.ReactiveSteps"):
        return "camel engine"
    for prefix, name in (("org.apache.camel.component.platform", "camel platform-http"),
                         ("org.apache.camel", "camel engine"), ("io.vertx", "vertx"), ("io.netty", "netty"),
                         ("dev.caravan", "caravan"), ("com.fasterxml", "jackson")):
        if frame.startswith(prefix):
            return name
    return "other"


def main():
    jfr = sys.argv[1]
    for recording in sys.argv[2:]:
        out = subprocess.run([jfr, "print", "--events", "jdk.ExecutionSample", "--stack-depth", "300", recording],
                             capture_output=True, text=True, check=True).stdout
        n = 0
        classes, layers, inclusive = collections.Counter(), collections.Counter(), collections.Counter()
        for block in out.split("jdk.ExecutionSample {")[1:]:
            thread = re.search(r'sampledThread = "([^"]*)"', block)
            if not thread or "eventloop" not in thread.group(1):
                continue
            frames = re.findall(r"^\s+([\w$.<>]+)\(", block.split("stackTrace = [", 1)[-1], re.M)
            if not frames:
                continue
            n += 1
            own = [f for f in frames if not re.match(r"(java|jdk|sun)\.", f)]
            inner = own[0] if own else "JDK"
            layers[layer(inner)] += 1
            if layer(inner) == "camel engine":
                classes[inner.rsplit(".", 1)[0].split(".")[-1].split("$")[0]] += 1
            stack = "\n".join(frames)
            for name, pattern in INCLUSIVE.items():
                if re.search(pattern, stack, re.M):
                    inclusive[name] += 1
        if not n:
            print(f"{recording}: no event-loop samples")
            continue
        print(f"{recording}: {n} event-loop samples")
        print(f"  {100 * layers['camel engine'] / n:5.1f}% Camel's engine, innermost non-JDK frame")
        for name, members in GROUPS.items():
            print(f"  {100 * sum(classes[c] for c in members) / n:5.1f}%   of it {name}")
        print("  by layer: " + ", ".join(f"{k} {100 * v / n:.1f}%" for k, v in layers.most_common()))
        print("  inclusive: " + ", ".join(f"{k} {100 * inclusive[k] / n:.1f}%" for k in INCLUSIVE))


if __name__ == "__main__":
    main()
