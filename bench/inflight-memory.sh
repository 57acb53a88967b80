#!/usr/bin/env bash
# What one in-flight request holds in the gateway's heap: N chat requests are held open (the simulated providers
# answer after HOLD_MS), and the live objects of the gateway (a class histogram, which runs a full GC first) are
# compared with those of the same gateway warm and idle. The difference divided by the calls the providers received
# meanwhile is the memory per request in flight, by class; RSS and live heap are printed beside it, and with
# -XX:NativeMemoryTracking=summary in GATEWAY_PROPS the JVM's native memory by category, idle and held.
#
#   bench/inflight-memory.sh                      # 2,000 requests held
#   N=3000 GATEWAY_PROPS="-Xmx512m -XX:+UseSerialGC" bench/inflight-memory.sh
#   UPSTREAM_HTTP2=0 bench/inflight-memory.sh     # provider calls over HTTP/1.1 (one connection each) instead of h2c
#
# Same set-up as concurrency.sh (a separate simulator host; providers openai, groq, together behind alias 'fast').
source "$(dirname "$0")/lib.sh"

N=${N:-2000}
HOLD_MS=${HOLD_MS:-120000}          # longer than the whole measurement: nothing completes while it is taken
TOP=${TOP:-25}                      # classes shown
PROVIDERS=${PROVIDERS:-"openai groq together"}
GATEWAY_PROPS=${GATEWAY_PROPS:-}
UPSTREAM_HTTP2=${UPSTREAM_HTTP2:-1}   # as concurrency.sh: the provider calls over h2c, up to 100 per connection
JCMD=${JCMD:-$JAVA_HOME/bin/jcmd}
# 1: also a heap dump of the live objects with the calls held (heap-held.hprof in the run directory, kept with
# KEEP_RUN_DIR=1), and the byte arrays held per call by length (bench/hprof-arrays.py): which buffers a call keeps
HEAP_DUMP=${HEAP_DUMP:-0}

bound_run_time 420 "$0" "$@"
# the attempts' timeout outlasts the hold, and N connects at once on a busy machine may take their time: a call
# timing out or failing over would count twice, and go on on a virtual thread whose stack counts too
HOLD_PROPS="-Dcaravan.defaults.timeout=$(( HOLD_MS / 1000 + 60 ))s -Dcaravan.defaults.connect-timeout=60s"
GATEWAY_PROPS="$HOLD_PROPS -Dcaravan.routing.pool-wait=60s $GATEWAY_PROPS"
if [[ $UPSTREAM_HTTP2 == 1 ]]; then
    GATEWAY_PROPS="$(for p in $PROVIDERS; do printf -- '-Dcaravan.provider.%s.http2=true ' "$p"; done)$GATEWAY_PROPS"
fi

ensure_tools
ensure_jar
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) >= N * 2 + 100 )) || die "ulimit -n is $(ulimit -n): too low for $N requests in flight"

start_simulator_host
start_gateway_on_simulator

set_latency() { # ms
    local p
    for p in $PROVIDERS; do
        curl -sf -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$SIM_PORT/$p/_faults" -d "{\"latency_ms\":$1}" \
            || die "could not set the latency fault of $p"
    done
}
live() { # label: class histogram of live objects and the heap and RSS around it
    "$JCMD" "$GW_PID" GC.class_histogram >"$RUN_DIR/histo-$1.txt" || die "jcmd GC.class_histogram failed"
    awk '/^VmRSS:/{printf "%d", $2/1024}' "/proc/$GW_PID/status" >"$RUN_DIR/rss-$1.txt"
    "$JCMD" "$GW_PID" VM.native_memory summary >"$RUN_DIR/nmt-$1.txt" 2>&1 || true
    rss_parts "$1"
}
# RSS by what holds it (from /proc/<pid>/smaps): the Java heap's mapping, other anonymous memory (metaspace, code,
# the collector's tables, thread stacks, malloc arenas, Netty's direct buffers) and files (libjvm, the CDS archive)
rss_parts() { # label
    local range lo hi
    range=$("$JCMD" "$GW_PID" GC.heap_info 2>/dev/null | grep -o '\[0x[0-9a-f]*, 0x[0-9a-f]*)' | head -1)
    lo=$(sed -E 's/\[0x([0-9a-f]*),.*/\1/' <<<"$range"); hi=$(sed -E 's/.*, 0x([0-9a-f]*)\)/\1/' <<<"$range")
    awk -v lo="$lo" -v hi="$hi" '
        function h2d(x,   i, d) { d = 0; x = tolower(x); for (i = 1; i <= length(x); i++) d = d * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1; return d }
        /^[0-9a-f]+-[0-9a-f]+ / { split($1, a, "-"); start = h2d(a[1]); file = ($6 != "" && $6 !~ /^\[/)
            kind = (lo != "" && start >= h2d(lo) && start < h2d(hi)) ? "heap" : (file ? "files" : "anon") }
        /^Rss:/ { rss[kind] += $2 }
        END { printf "%d %d %d\n", rss["heap"] / 1024, rss["anon"] / 1024, rss["files"] / 1024 }' \
        "/proc/$GW_PID/smaps" >"$RUN_DIR/rss-parts-$1.txt"
}
upstream() { ss -Htn state established "( dport = :$SIM_PORT )" | wc -l; }
# chat calls the simulated providers received so far: pooled connections idle since the warm-up are not calls
received() { curl -s --max-time 5 "http://127.0.0.1:$SIM_PORT/_providers" | jq '[.[].chat_calls] | add'; }

# lazily built things (JIT, pools, per-route caches) exist before the idle picture
set_latency 0
log "warm-up: 15s at 32 connections"
run_wrk warm 2 32 15s "http://127.0.0.1:$GW_PORT/v1/chat/completions" >/dev/null
sleep 2
live idle
if [[ $HEAP_DUMP == 1 ]]; then
    "$JCMD" "$GW_PID" GC.heap_dump "$RUN_DIR/heap-idle.hprof" >/dev/null || die "jcmd GC.heap_dump failed"
fi
before=$(received)

set_latency "$HOLD_MS"
log "holding $N requests (upstream answers after $HOLD_MS ms)"
wrk -t2 -c"$N" -d$(( HOLD_MS / 1000 ))s --timeout $(( HOLD_MS / 1000 ))s -s "$BENCH_DIR/post.lua" \
    "http://127.0.0.1:$GW_PORT/v1/chat/completions" >"$RUN_DIR/wrk-hold.txt" 2>&1 &
STARTED_PIDS+=("$!")
for _ in $(seq 1 150); do
    (( $(received) - before >= N )) && break
    sleep 1
done
held=$(( $(received) - before ))
(( held > 0 )) || die "no request reached the providers"
(( held >= N * 95 / 100 )) || log "only $held of $N requests reached the providers: the figures are per call received"
sleep 2
threads=$(awk '/^Threads:/{print $2}' "/proc/$GW_PID/status")
fds=$(ls "/proc/$GW_PID/fd" | wc -l)
ups=$(upstream)
live held
if [[ $HEAP_DUMP == 1 ]]; then
    "$JCMD" "$GW_PID" GC.heap_dump "$RUN_DIR/heap-held.hprof" >/dev/null || die "jcmd GC.heap_dump failed"
fi
heap=$(awk '/^Total/{printf "%d", $3 / 1048576}' "$RUN_DIR/histo-held.txt")

{
    echo
    echo "Memory per in-flight request on 127.0.0.1: $held calls held open (upstream latency $HOLD_MS ms), providers" \
        "$(tr ' ' ',' <<<"$PROVIDERS"); $(date -u '+%Y-%m-%d %H:%M UTC')"
    [[ -n $GATEWAY_PROPS ]] && echo "gateway options: $GATEWAY_PROPS"
    echo "gateway: RSS idle $(cat "$RUN_DIR/rss-idle.txt") MB, held $(cat "$RUN_DIR/rss-held.txt") MB; live heap held" \
        "$heap MB (idle $(awk '/^Total/{printf "%d", $3 / 1048576}' "$RUN_DIR/histo-idle.txt") MB); $threads threads," \
        "$fds descriptors, $ups provider connections ($( ((UPSTREAM_HTTP2 == 1)) && echo h2c || echo HTTP/1.1))"
    read -r hi ai fi <"$RUN_DIR/rss-parts-idle.txt"; read -r hh ah fh <"$RUN_DIR/rss-parts-held.txt"
    echo "RSS by mapping, MB idle -> held: Java heap $hi -> $hh, other anonymous $ai -> $ah, files $fi -> $fh"
    awk -v n="$held" -v top="$TOP" '
        FNR == 1 { file++ }
        $1 ~ /^[0-9]+:$/ { if (file == 1) { ib[$4] = $3; ii[$4] = $2 } else { hb[$4] = $3; hi[$4] = $2 } }
        END {
            for (c in hb) { d = hb[c] - ib[c]; if (d > 0) { total += d; delta[c] = d; objs += hi[c] - ii[c] } }
            printf "live heap per in-flight request: %.1f KB, %.0f objects; largest shares:\n", total / n / 1024, objs / n
            printf "%10s %9s  %s\n", "bytes/req", "objs/req", "class"
            for (i = 0; i < top; i++) {
                best = ""; for (c in delta) if (best == "" || delta[c] > delta[best]) best = c
                if (best == "") break
                printf "%10.0f %9.2f  %s\n", delta[best] / n, (hi[best] - ii[best]) / n, best
                delete delta[best]
            }
        }' "$RUN_DIR/histo-idle.txt" "$RUN_DIR/histo-held.txt"
    if grep -q committed= "$RUN_DIR/nmt-held.txt"; then
        echo "native memory (NMT), committed MB idle -> held, and KB per call held:"
        awk -v n="$held" '
            FNR == 1 { file++ }
            /committed=/ && /^(Total|-)/ {
                name = $0; sub(/^-? */, "", name); sub(/ *\(.*/, "", name); sub(/:.*/, "", name)
                c = $0; sub(/.*committed=/, "", c); sub(/KB.*/, "", c)
                if (file == 1) idle[name] = c; else { held[name] = c; order[++k] = name }
            }
            END {
                for (i = 1; i <= k; i++) { m = order[i]; if (held[m] >= 1024 || held[m] - idle[m] >= 1024)
                    printf "  %-22s %7.1f -> %7.1f  %6.2f\n", m, idle[m] / 1024, held[m] / 1024, (held[m] - idle[m]) / n }
            }' "$RUN_DIR/nmt-idle.txt" "$RUN_DIR/nmt-held.txt"
    fi
} | tee ${RESULTS_DIR:+"$RESULTS_DIR/inflight-memory.txt"}
