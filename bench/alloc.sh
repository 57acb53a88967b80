#!/usr/bin/env bash
# What the gateway allocates per chat completion on the translated path: the overhead bench's fake upstream (nginx
# answering a fixed chat.completion), Caravan in front of it, a JFR recording of one wrk run. Allocation is counted
# in bytes, not time, so unlike CPU figures it means something on a busy machine.
#
#   bench/alloc.sh                       # 64 connections, 20 s warm-up, 20 s recorded
#   CONNS=16 DURATION=30s bench/alloc.sh
#   REQUEST_BYTES=1048576 CONNS=16 bench/alloc.sh   # 1 MB chat requests (overhead.sh's padded prompt)
#   FLOOR_STACK=shape bench/alloc.sh     # a bench/floor stack in Caravan's place (so also FLOOR_STACK=... bench/camel-steps.sh)
#
# Prints requests served, bytes allocated per request (the JVM's own per-thread counters, JIT and GC threads
# included, at the start and end of the recording), allocation samples per 1,000 requests, and the top allocation
# sites and classes by sampled weight. The recording is kept as alloc.jfr in RESULTS_DIR (or the run directory).
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-20s}         # the recorded wrk run
WARMUP=${WARMUP:-20s}             # JIT warm-up before it, at the same connection count
CONNS=${CONNS:-64}
TOP=${TOP:-25}                    # rows of each top list
RESULTS_DIR=${RESULTS_DIR:-}
GATEWAY_PROPS=${GATEWAY_PROPS:-}  # extra -D options for Caravan
REQUEST_BYTES=${REQUEST_BYTES:-0} # >0: every request is a chat request of about this many bytes, as in overhead.sh
# JFR settings of the recording: profile samples allocation ~150 times a second; a denser file (`jfr configure
# --input profile jdk.ObjectAllocationSample#throttle=2000/s jdk.ExecutionSample#period=2ms --output dense.jfc`)
# gives figures per site that hold from run to run, and CPU samples to compare shares by
JFR_SETTINGS=${JFR_SETTINGS:-profile}
# extra JFR.start options, e.g. method-profiling=max (a CPU sample every millisecond instead of every 10 ms, for
# CPU shares with ten times the samples)
JFR_OPTIONS=${JFR_OPTIONS:-}
FLOOR_STACK=${FLOOR_STACK:-}      # a bench/floor stack (pipe, shape, shape-merged) recorded in Caravan's place, on the same upstream

bound_run_time $(( ${DURATION%s} + ${WARMUP%s} + 480 )) "$0" "$@"
ensure_tools
command -v jq >/dev/null || die "jq is needed (apt-get install jq)"
if [[ -n $FLOOR_STACK ]]; then ensure_floor; else ensure_jar; fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

start_fake_upstream

if ((REQUEST_BYTES > 0)); then
    # words of ~8 bytes, so the token estimate sees text of the size asked for, not one endless token
    python3 -c 'import sys; n=int(sys.argv[1]); w="lorem ipsum dolor sit amet consectetur adipiscing elit ".split(); print("{\"model\":\"fast\",\"messages\":[{\"role\":\"user\",\"content\":\"" + " ".join(w[i % len(w)] for i in range(n // 6 + 1))[:n] + "\"}]}", end="")' \
        $((REQUEST_BYTES > 70 ? REQUEST_BYTES - 60 : 10)) >"$RUN_DIR/request.json"
    export WRK_BODY_FILE="$RUN_DIR/request.json"
    # a large prompt must fit the model's context window, or the gateway refuses it before any call
    GATEWAY_PROPS="-Dcaravan.context-window.gpt-4o-mini=$((REQUEST_BYTES + 100000)) $GATEWAY_PROPS"
    log "requests of $(stat -c %s "$RUN_DIR/request.json") bytes"
fi
# Camel's stacks are deep: JFR's default of 64 frames would cut off the callers that matter.
CARAVAN_JVM_OPTS="${CARAVAN_JVM_OPTS:-} -XX:FlightRecorderOptions:stackdepth=512"
if [[ -n $FLOOR_STACK ]]; then
    FLOOR_JVM_OPTS=${FLOOR_JVM_OPTS-$CARAVAN_JVM_OPTS} start_floor "floor-$FLOOR_STACK" "$FLOOR_STACK" \
        -XX:FlightRecorderOptions:stackdepth=512
    GW_PID=$LAST_PID
    GW_PORT=$FLOOR_PORT
    log "floor stack $FLOOR_STACK in Caravan's place"
else
    start_caravan_on_fake caravan
fi
code=$(curl -s -o "$RUN_DIR/check.json" -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
    -d '{"model":"fast","messages":[{"role":"user","content":"hi"}]}' "http://127.0.0.1:$GW_PORT/v1/chat/completions")
[[ $code == 200 ]] && grep -q '"chat.completion"' "$RUN_DIR/check.json" || die "Caravan answered $code: $(head -c 300 "$RUN_DIR/check.json")"

t=$((CONNS == 1 ? 1 : 2))
URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"
log "warm-up $WARMUP at $CONNS connection(s)"
run_wrk warmup "$t" "$CONNS" "$WARMUP" "$URL" >/dev/null
JFR_FILE="${RESULTS_DIR:-$RUN_DIR}/alloc.jfr"
# shellcheck disable=SC2086 # JFR_OPTIONS is a list of options
# CPU time of the gateway's threads by name (utime + stime, in ticks), for the GC's share of the recorded run
thread_cpu() { local task; for task in /proc/"$GW_PID"/task/*; do printf '%s\t%s\n' "$(cat "$task/comm")" "$(awk '{print $14 + $15}' "$task/stat")"; done 2>/dev/null; }
thread_cpu >"$RUN_DIR/cpu-start.tsv"
"$JAVA_HOME/bin/jcmd" "$GW_PID" JFR.start name=alloc settings="$JFR_SETTINGS" $JFR_OPTIONS >/dev/null
log "recording $DURATION at $CONNS connection(s)"
# halfway through, the live objects (a class histogram runs a full GC first): what the requests in flight hold
( sleep $(( ${DURATION%s} / 2 )); "$JAVA_HOME/bin/jcmd" "$GW_PID" GC.class_histogram >"$RUN_DIR/histo-loaded.txt" 2>&1 ) &
HISTO_PID=$!
result=$(run_wrk measured "$t" "$CONNS" "$DURATION" "$URL")
wait "$HISTO_PID" || true
"$JAVA_HOME/bin/jcmd" "$GW_PID" JFR.stop name=alloc filename="$JFR_FILE" >/dev/null
read -r n _ _ _ non2xx sock tmo _ <<<"$result"
thread_cpu >"$RUN_DIR/cpu-end.tsv"
# the same histogram once the load has stopped: the difference is what the requests in flight held
"$JAVA_HOME/bin/jcmd" "$GW_PID" GC.class_histogram >"$RUN_DIR/histo-idle.txt" 2>&1
# GC worker, concurrent marking and refinement threads (HotSpot names them "GC Thread#n", "G1 Conc#n", "G1 Refine#n", ...)
gc_share=$(awk -F'\t' 'NR == FNR { start[$1] += $2; next } { end[$1] += $2 }
    END { for (n in end) { d = end[n] - start[n]; all += d; if (n ~ /^(GC Thread|G1 )/) gc += d }
          printf "%.0f %% of %.1f CPU-s", all ? 100 * gc / all : 0, all / 100 }' "$RUN_DIR/cpu-start.tsv" "$RUN_DIR/cpu-end.tsv")

# Each thread's allocated bytes are reported when the recording starts and when it ends: the growth, summed.
allocated=$("$JAVA_HOME/bin/jfr" print --json --events jdk.ThreadAllocationStatistics "$JFR_FILE" | jq '
    [.recording.events[].values | {id: .thread.javaThreadId, a: .allocated}] | group_by(.id)
    | map((map(.a) | max) - (map(.a) | min)) | add')
samples=$("$JAVA_HOME/bin/jfr" summary "$JFR_FILE" | awk '$1 == "jdk.ObjectAllocationSample" { print $2 }')
{
    echo "Allocation per chat completion${FLOOR_STACK:+ through floor stack $FLOOR_STACK}, $CONNS connection(s), $DURATION recorded after $WARMUP warm-up; $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "requests $n (errors $((non2xx + sock + tmo))); allocated $(awk -v a="$allocated" -v n="$n" 'BEGIN{printf "%.1f KB per request", a/n/1024}'); allocation samples $(awk -v s="${samples:-0}" -v n="$n" 'BEGIN{printf "%.1f per 1,000 requests", s*1000/n}'); GC threads $gc_share"
    echo
    "$JAVA_HOME/bin/jfr" view --width 200 --cell-height 1 allocation-by-site "$JFR_FILE" | head -$((TOP + 6))
    "$JAVA_HOME/bin/jfr" view --width 200 --cell-height 1 allocation-by-class "$JFR_FILE" | head -$((TOP + 6))
    echo
    echo "Live heap halfway through the recording (class histogram after a full GC, $CONNS requests in flight at most):"
    head -$((TOP + 3)) "$RUN_DIR/histo-loaded.txt"; grep '^Total' "$RUN_DIR/histo-loaded.txt"
    awk '/^Total/ { t[FILENAME] = $3 } END { for (f in t) if (f ~ /loaded/) l = t[f]; else i = t[f]
        printf "live heap loaded %.1f MB, idle after the run %.1f MB: %.1f MB held per request in flight (if all %d were)\n",
            l / 1048576, i / 1048576, (l - i) / 1048576 / c, c }' c="$CONNS" "$RUN_DIR/histo-loaded.txt" "$RUN_DIR/histo-idle.txt"
} | tee ${RESULTS_DIR:+"$RESULTS_DIR/alloc.txt"}
