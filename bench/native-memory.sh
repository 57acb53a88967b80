#!/usr/bin/env bash
# What lies beside the heap with many slow calls in flight: the gateway runs with Native Memory Tracking (detail), a
# JIT warm-up at 64 connections against an instant upstream, then CONNS connections against providers that take
# LATENCY_MS, and every SAMPLE_S seconds the JVM's native memory by category (NMT) is laid over the process's mappings
# (/proc/<pid>/smaps, /proc/<pid>/pagemap: root) by bench/nmt-rss.py: resident memory by what holds it (Java heap, metaspace and class space, code cache, the
# collector's tables, thread stacks, the CDS archive, malloc's arenas with what NMT counts in them, files), at rest
# and at its largest under load. Resident bytes, not reserved or committed: what RSS is made of.
#
#   bench/native-memory.sh                                  # 10,000 connections, 3 s upstream, 40 s
#   CONNS=4000 DURATION=30s bench/native-memory.sh
#   CARAVAN_JVM_OPTS="<the shipped list> -XX:ReservedCodeCacheSize=48m" bench/native-memory.sh
#
# NMT detail costs CPU (a stack walk per malloc) and 5-10 MB of its own (its category, and "Internal": the symbol
# decoder and the report's buffer): read bytes here, never speed; each report takes seconds on a busy machine, so
# fewer samples are taken than SAMPLE_S asks. Same set-up as concurrency.sh (a separate simulator host; providers openai, groq, together behind alias
# 'fast'; provider calls over h2c).
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-10000}
LATENCY_MS=${LATENCY_MS:-3000}
DURATION=${DURATION:-40s}
WARMUP=${WARMUP:-30s}
SAMPLE_S=${SAMPLE_S:-4}
NMT=detail                          # the memory map (NMT summary has none)
PROVIDERS=${PROVIDERS:-"openai groq together"}
GATEWAY_PROPS=${GATEWAY_PROPS:-}
JCMD=${JCMD:-$JAVA_HOME/bin/jcmd}

bound_run_time $(( ${DURATION%s} + ${WARMUP%s} + 240 )) "$0" "$@"
GATEWAY_PROPS="-XX:NativeMemoryTracking=$NMT $(for p in $PROVIDERS; do printf -- '-Dcaravan.provider.%s.http2=true ' "$p"; done)$GATEWAY_PROPS"

ensure_tools
ensure_jar
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) >= CONNS + CONNS / 100 + 200 )) || die "ulimit -n is $(ulimit -n): too low for $CONNS connections"

start_simulator_host
start_gateway_on_simulator

set_latency() { # ms
    local p
    for p in $PROVIDERS; do
        curl -sf -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$SIM_PORT/$p/_faults" -d "{\"latency_ms\":$1}" \
            || die "could not set the latency fault of $p"
    done
}
snap() { # label: NMT and smaps at one moment, and the calls in flight (client connections)
    "$JCMD" "$GW_PID" VM.native_memory "$NMT" >"$RUN_DIR/nmt-$1.txt" 2>&1 || true
    python3 "$BENCH_DIR/nmt-rss.py" snap "$GW_PID" "$RUN_DIR/nmt-$1.txt" >"$RUN_DIR/res-$1.json" 2>>"$RUN_DIR/nmt-rss.err" || true
    ss -Htn state established "( sport = :$GW_PORT )" | wc -l >"$RUN_DIR/conns-$1.txt"
}

set_latency 0
log "JIT warm-up: $WARMUP at 64 connections, upstream latency 0"
run_wrk warmup 2 64 "$WARMUP" "http://127.0.0.1:$GW_PORT/v1/chat/completions" >/dev/null
sleep 3
snap rest
set_latency "$LATENCY_MS"
log "load: $DURATION at $CONNS connections, upstream latency $LATENCY_MS ms; sampling every ${SAMPLE_S}s"
run_wrk load 2 "$CONNS" "$DURATION" "http://127.0.0.1:$GW_PORT/v1/chat/completions" --timeout 10s >"$RUN_DIR/load-result.txt" &
wrk_pid=$!
STARTED_PIDS+=("$wrk_pid")
i=0
while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep "$SAMPLE_S"
    kill -0 "$wrk_pid" 2>/dev/null || break
    snap "load-$(printf %03d $i)"
    i=$((i + 1))
done
wait "$wrk_pid" || true
read -r n rps p50 p99 non2xx sock tmo _ <"$RUN_DIR/load-result.txt" || true

{
    echo
    echo "Beside the heap on 127.0.0.1: $CONNS connections, upstream latency $LATENCY_MS ms, $DURATION; $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "gateway JVM options: ${CARAVAN_JVM_OPTS:-JVM defaults}; MALLOC_ARENA_MAX=${CARAVAN_MALLOC_ARENA_MAX:-unset}"
    echo "gateway overrides: $GATEWAY_PROPS"
    echo "load: $n requests, non-2xx $non2xx, socket errors $sock, timeouts $tmo (req/s and latency under NMT $NMT are not results)"
    python3 "$BENCH_DIR/nmt-rss.py" report "$RUN_DIR" rest 'load-*'
} | tee ${RESULTS_DIR:+"$RESULTS_DIR/native-memory.txt"}
if [[ -n ${RESULTS_DIR:-} ]]; then
    # NMT's summary part of the rest and of the largest sample (the detail's memory map and call sites stay in the run
    # directory, KEEP_RUN_DIR=1), and their resident figures
    peak=$(python3 "$BENCH_DIR/nmt-rss.py" --peak "$RUN_DIR" 'load-*')
    for l in rest $peak; do
        sed '/^Virtual memory map:/,$d' "$RUN_DIR/nmt-$l.txt" >"$RESULTS_DIR/nmt-$l.txt"
        cp "$RUN_DIR/res-$l.json" "$RESULTS_DIR/"
    done
fi
