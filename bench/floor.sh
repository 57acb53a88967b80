#!/usr/bin/env bash
# The floors: what a Camel HTTP stack costs on its own. Each floor (bench/floor/stacks/<stack>.camel.yaml, run by
# the tiny project in bench/floor/) passes a client's POST to the upstream and the answer back, nothing else. For
# each case: JSON at 1, 16 and 64 connections against an nginx upstream answering a fixed chat.completion, SSE at
# 16 against the simulator's streamed answer (40 content events, SSE_CHUNK_MS apart); CPU time of the floor's JVM
# per request, p50/p99 added against going straight to the upstream; nginx as a reverse proxy the same way.
#
#   bench/floor.sh                                 # every stack, default JVM options, 2 passes each
#   CASES="http; pipe; pipe-serial pipe -XX:+UseSerialGC" bench/floor.sh
#   STACK=pipe bench/floor.sh                      # one stack
#
# A case is "label [stack [JVM options...]]" (the stack defaults to the label); cases are separated by ';'.
# Stacks: http (platform-http + camel-http, today's), netty, netty-el (camel-netty-http both sides, the exchange on
# Camel's executor / on the I/O thread), vertx, vertx-tuned (platform-http + camel-vertx-http, defaults / shared
# Vert.x and pool), async (vertx-tuned with the exchange on the event loop), pipe (the exchange on the event loop,
# Vert.x's client piping the answer). See bench/README.md, "Floors". Stacks shape and shape-merged (the pipe floor inside
# the gateway's route shape, bench/README.md "The shape floor") serve chat completions only: run them with
# SSE_CONNS= STREAM_CHECK=0, or beside Caravan with overhead.sh FLOOR=1 FLOOR_STACK="pipe shape shape-merged".
#
# With PIN=1 (default) the floor gets core 1 to itself and everything else (wrk, the upstreams, this script) runs
# on core 0: the floor's JVM starts on both cores (its ergonomics see 2 CPUs), warms up there, and is moved to
# core 1 before the measured runs; the nginx proxy runs one worker on core 1.
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-6s}          # each measured wrk run
WARMUP=${WARMUP:-12s}             # JSON at 16 connections; then a third of it SSE at 16 and JSON at 1 (JIT)
CONNS=${CONNS:-"1 16 64"}         # JSON connection counts
SSE_CONNS=${SSE_CONNS-16}         # SSE connection count; empty (SSE_CONNS=): no SSE (and no simulator)
SSE_CHUNK_MS=${SSE_CHUNK_MS:-1}   # the simulator's wait between content events while measuring
PASSES=${PASSES:-2}               # measured passes per case (same JVM, after one warm-up)
PIN=${PIN:-1}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
DEFAULT_CASES="http; netty; netty-el; vertx; vertx-tuned; async; pipe"
CASES=${CASES:-${STACK:-$DEFAULT_CASES}}
# JVM options of every floor, before the case's own (which win). The gateway sets jdk.pollerMode=2 itself
# (the floors keep 1, the mode they were measured with).
FLOOR_JVM_OPTS=${FLOOR_JVM_OPTS:-"-Djdk.pollerMode=1"}
LOAD_MAX=${LOAD_MAX:-}            # before each measured run, wait while the 1-min load average's integer part > this
LOAD_WAIT_MAX=${LOAD_WAIT_MAX:-900}
STREAM_CHECK=${STREAM_CHECK:-1}   # time one slow stream through each floor (first content vs end), and one that the
                                  # client leaves (is the upstream call closed?)
PROFILE=${PROFILE:-}              # labels of cases to record with JFR for one extra run at the last JSON conns
RESULTS_DIR=${RESULTS_DIR:-}
PROVIDERS=openai                  # the simulator host serves the SSE answers as provider openai

ncases=$(tr ';' '\n' <<<"$CASES" | grep -c '[^ ]' || true)
nconns=$(wc -w <<<"$CONNS")
runs=$(( nconns + (${#SSE_CONNS} ? 1 : 0) ))
budget=$(( (ncases * (90 + ${WARMUP%s} * 5 / 3 + PASSES * runs * (${DURATION%s} + 8)) + 4 * runs * (${DURATION%s} + 8) + 240)
           + (${#LOAD_MAX} ? (ncases * PASSES + 2) * runs * LOAD_WAIT_MAX : 0) ))
bound_run_time "$budget" "$0" "$@"

ensure_tools
[[ -n $SSE_CONNS ]] && ensure_jar
FLOOR_DIR=$BENCH_DIR/floor
ensure_floor
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
CORES=$(getconf _NPROCESSORS_ONLN)
if [[ $PIN == 1 ]]; then
    (( CORES >= 2 )) || die "PIN=1 needs 2 cores"
    taskset -p -c "$CLIENT_CPU" $$ >/dev/null   # wrk, the upstreams and every helper inherit this
fi
[[ -n $RESULTS_DIR ]] && mkdir -p "$RESULTS_DIR"

UP_PORT=$(free_port)
PROXY_PORT=$(free_port)
mkdir -p "$RUN_DIR/upstream" "$RUN_DIR/proxy"
write_upstream_conf "$RUN_DIR/upstream" "$UP_PORT" "default_type application/json; return 200 '$BENCH_COMPLETION';"
write_proxy_conf "$RUN_DIR/proxy" "$UP_PORT" "$PROXY_PORT" "$([[ $PIN == 1 ]] && echo 1 || echo auto)"
start_nginx upstream "$RUN_DIR/upstream/nginx.conf"; UP_PID=$LAST_PID
start_nginx proxy "$RUN_DIR/proxy/nginx.conf"; PROXY_PID=$LAST_PID
post_json() { # url -> http code; body in $RUN_DIR/check.json
    curl -s -o "$RUN_DIR/check.json" -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
        -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$1" || true
}
for _ in $(seq 1 50); do [[ $(post_json "http://127.0.0.1:$PROXY_PORT/v1/chat/completions") == 200 ]] && break; sleep 0.2; done
[[ $(post_json "http://127.0.0.1:$PROXY_PORT/v1/chat/completions") == 200 ]] || die "the nginx proxy does not answer"
read -ra PROXY_PIDS <<<"$(nginx_pids "$PROXY_PID")"
if [[ $PIN == 1 ]]; then for p in "${PROXY_PIDS[@]}"; do taskset -a -p -c "$SERVER_CPU" "$p" >/dev/null; done; fi
log "upstream nginx on 127.0.0.1:$UP_PORT, proxy nginx on 127.0.0.1:$PROXY_PORT"

set_stream_fault() { # json
    curl -sf -o /dev/null --max-time 5 -X POST "http://127.0.0.1:$SIM_PORT/openai/_faults" -d "$1" \
        || die "could not set the simulator's stream fault"
}
MEASURE_FAULT="{\"stream\":{\"chunk_ms\":$SSE_CHUNK_MS}}"
SLOW_FAULT='{"stream":{"first_token_ms":300,"chunk_ms":100}}'   # "hi": 7 content events, ~0.9 s
SLOW_PORT=$(free_port)
if [[ $STREAM_CHECK == 1 ]]; then
    # the disconnect check's upstream: 30 events 100 ms apart, a log line per request when it ended or was cut
    python3 "$FLOOR_DIR/slow_upstream.py" "$SLOW_PORT" 30 >"$RUN_DIR/slow-upstream.log" 2>&1 &
    STARTED_PIDS+=("$!")
fi
SSE_URL_DIRECT=
if [[ -n $SSE_CONNS ]]; then
    start_simulator_host
    SSE_URL_DIRECT="http://127.0.0.1:$SIM_PORT/openai/v1/chat/completions"
    set_stream_fault "$MEASURE_FAULT"
fi

wait_load() {
    [[ -n $LOAD_MAX ]] || return 0
    local waited=0
    while (( $(cut -d' ' -f1 /proc/loadavg | cut -d. -f1) > LOAD_MAX )) && (( waited < LOAD_WAIT_MAX )); do
        sleep 20; waited=$((waited + 20))
    done
    ((waited > 0)) && log "  waited ${waited}s for the load average to fall to $(cut -d' ' -f1 /proc/loadavg)"
    return 0
}

ROWS=$RUN_DIR/rows.txt
: >"$ROWS"
# measure case pass kind conns url jvm-pid|- server-pid...: one wrk run, one row in $ROWS:
#   case pass kind conns requests rps p50 p99 errors cpu_us load1 others% jit%
measure() {
    local case=$1 pass=$2 kind=$3 conns=$4 url=$5 jvm=$6
    shift 6
    local pids=("$@") script=$BENCH_DIR/post.lua threads=$(( conns == 1 ? 1 : 2 ))
    [[ $kind == sse ]] && script=$FLOOR_DIR/sse.lua
    wait_load
    local load before after result jit=-
    load=$(cut -d' ' -f1 /proc/loadavg)
    [[ $jvm != - ]] && thread_ticks "$jvm" >"$RUN_DIR/threads-before"
    before=$( ((${#pids[@]})) && cpu_ticks "${pids[@]}" || echo 0)
    result=$(WRK_SCRIPT=$script run_wrk "$case-p$pass-$kind-c$conns" "$threads" "$conns" "$DURATION" "$url")
    after=$( ((${#pids[@]})) && cpu_ticks "${pids[@]}" || echo 0)
    if [[ $jvm != - ]]; then
        thread_ticks "$jvm" >"$RUN_DIR/threads-after"
        thread_ticks_diff "$RUN_DIR/threads-before" "$RUN_DIR/threads-after" >"$RUN_DIR/threads-$case-p$pass-$kind-c$conns.txt"
        jit=$(awk '/CompilerThre/{s += $1} END{printf "%.0f", s}' "$RUN_DIR/threads-$case-p$pass-$kind-c$conns.txt")
        [[ -n $RESULTS_DIR ]] && cp "$RUN_DIR/threads-$case-p$pass-$kind-c$conns.txt" "$RESULTS_DIR/"
    fi
    local n rps p50 p99 non2xx sock tmo secs wrkcpu busy
    read -r n rps p50 p99 non2xx sock tmo secs wrkcpu busy <<<"$result"
    local cpu
    cpu=$(awk -v t=$((after - before)) -v n="$n" -v hz="$CLK_TCK" 'BEGIN{printf "%.0f", n ? t/hz*1e6/n : 0}')
    # others%: the machine's busy CPU less wrk's and the servers' of this run (all cores; 0 on a quiet machine)
    local others
    others=$(others_pct "$busy" "$(awk -v t=$((after - before + $(cpu_ticks "${OUR_PIDS[@]}") - OUR_BEFORE)) -v hz="$CLK_TCK" -v w="$wrkcpu" 'BEGIN{print t/hz + w}')" "$secs")
    echo "$case $pass $kind $conns $n $rps $p50 $p99 $((non2xx + sock + tmo)) $cpu $load $others $jit" >>"$ROWS"
    log "  $case pass $pass $kind c$conns: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $((non2xx + sock + tmo)), ${cpu} us/req, load $load, others ${others}%, JIT ${jit}%"
}

# The upstreams' CPU counts as ours in others%: OUR_BEFORE is read just before each run.
OUR_PIDS=($(nginx_pids "$UP_PID") ${SIM_PID:-})
measure_with_upstreams() {
    OUR_BEFORE=$(cpu_ticks "${OUR_PIDS[@]}")
    measure "$@"
}

baselines() { # pass
    local c
    for c in $CONNS; do
        measure_with_upstreams direct "$1" json "$c" "http://127.0.0.1:$UP_PORT/v1/chat/completions" -
        measure_with_upstreams nginx "$1" json "$c" "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" - "${PROXY_PIDS[@]}"
    done
    [[ -n $SSE_CONNS ]] && measure_with_upstreams direct "$1" sse "$SSE_CONNS" "$SSE_URL_DIRECT" -
    return 0
}

log "warm-up: nginx and the upstreams, 5 s"
run_wrk warmup-nginx 2 16 5s "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" >/dev/null
[[ -n $SSE_CONNS ]] && WRK_SCRIPT=$FLOOR_DIR/sse.lua run_wrk warmup-sim 2 16 5s "$SSE_URL_DIRECT" >/dev/null
STREAMS=$RUN_DIR/stream-check.txt
: >"$STREAMS"
if [[ -n $SSE_CONNS && $STREAM_CHECK == 1 ]]; then
    set_stream_fault "$SLOW_FAULT"
    echo "direct $(python3 "$FLOOR_DIR/stream_check.py" "$SSE_URL_DIRECT")" | tee -a "$STREAMS" >&2
    set_stream_fault "$MEASURE_FAULT"
fi
log "baselines, pass 1"
baselines 1

# A client that leaves a slow stream (3 s) after 500 ms: how long after its request the floor's upstream call was
# closed (read from the slow upstream's log), or that the stream ran to its end although nobody read it.
disconnect_check() { # label url
    local before after line i
    before=$(wc -l <"$RUN_DIR/slow-upstream.log")
    python3 "$FLOOR_DIR/stream_check.py" "$2" 10 500 >/dev/null 2>&1 || true
    for ((i = 0; i < 25; i++)); do
        after=$(wc -l <"$RUN_DIR/slow-upstream.log")
        ((after > before)) && break
        sleep 0.2
    done
    line=$(sed -n "$((before + 1))p" "$RUN_DIR/slow-upstream.log")
    case $line in
        *" gone "*) line="client left after 0.5 s; the upstream call was closed ${line##* } s after its request" ;;
        *" end "*) line="client left after 0.5 s; the upstream stream ran to its end (${line##* } s)" ;;
        *) line="client left after 0.5 s; the upstream call was still open 5 s later" ;;
    esac
    echo "$1 $line" | tee -a "$RUN_DIR/disconnects.txt" >&2
}

run_case() { # label stack [jvm options...]
    local label=$1 stack=$2
    shift 2
    local port pid
    port=$(free_port)
    local extra=()
    [[ $stack == netty* ]] && extra+=(-Dcamel.server.enabled=false)
    log "case $label: stack $stack, JVM options: $FLOOR_JVM_OPTS $*"
    cd "$REPO_DIR"
    # shellcheck disable=SC2086 # FLOOR_JVM_OPTS is a list of options
    taskset -c "0-$(( CORES - 1 ))" "$JAVA" $FLOOR_JVM_OPTS "$@" "${extra[@]}" -Dfloor.stack="$stack" -Dfloor.port="$port" \
        -Dfloor.json-upstream="http://127.0.0.1:$UP_PORT" -Dfloor.sse-upstream="http://127.0.0.1:${SIM_PORT:-1}/openai" -Dfloor.slow-upstream="http://127.0.0.1:$SLOW_PORT" \
        -cp "$FLOOR_CP" dev.caravan.floor.FloorMain >"$RUN_DIR/floor-$label.log" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
    cd - >/dev/null
    local url="http://127.0.0.1:$port/v1/chat/completions" sse="http://127.0.0.1:$port/sse/v1/chat/completions" i
    for ((i = 0; i < 300; i++)); do
        [[ $(post_json "$url") == 200 ]] && break
        kill -0 "$pid" 2>/dev/null || { tail -20 "$RUN_DIR/floor-$label.log" >&2; die "floor $label exited"; }
        sleep 0.2
    done
    grep -q '"chat.completion"' "$RUN_DIR/check.json" || die "floor $label answered: $(head -c 300 "$RUN_DIR/check.json")"
    if [[ -n $SSE_CONNS ]]; then
        curl -sN --max-time 10 -H 'Content-Type: application/json' -H 'Authorization: Bearer bench-key' \
            -d '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}' "$sse" >"$RUN_DIR/check.sse" || true
        grep -q 'data: \[DONE\]' "$RUN_DIR/check.sse" || die "floor $label streamed: $(head -c 300 "$RUN_DIR/check.sse")"
    fi
    log "  warm-up: JSON $WARMUP at 16 connections, then a third of it SSE at 16 and JSON at 1"
    local third=$(( ${WARMUP%s} / 3 ))s
    run_wrk "warmup-$label" 2 16 "$WARMUP" "$url" >/dev/null
    [[ -n $SSE_CONNS ]] && WRK_SCRIPT=$FLOOR_DIR/sse.lua run_wrk "warmup-$label-sse" 2 16 "$third" "$sse" >/dev/null
    run_wrk "warmup-$label-c1" 1 1 "$third" "$url" >/dev/null
    if [[ -n $SSE_CONNS && $STREAM_CHECK == 1 ]]; then
        set_stream_fault "$SLOW_FAULT"
        echo "$label $(python3 "$FLOOR_DIR/stream_check.py" "$sse")" | tee -a "$STREAMS" >&2
        set_stream_fault "$MEASURE_FAULT"
    fi
    if [[ $STREAM_CHECK == 1 ]]; then disconnect_check "$label" "http://127.0.0.1:$port/slow/v1/chat/completions"; fi
    [[ $PIN == 1 ]] && taskset -a -p -c "$SERVER_CPU" "$pid" >/dev/null
    sleep 1
    local pass c
    for ((pass = 1; pass <= PASSES; pass++)); do
        for c in $CONNS; do
            measure_with_upstreams "$label" "$pass" json "$c" "$url" "$pid" "$pid"
        done
        [[ -n $SSE_CONNS ]] && measure_with_upstreams "$label" "$pass" sse "$SSE_CONNS" "$sse" "$pid" "$pid"
    done
    if [[ " $PROFILE " == *" $label "* ]]; then
        local last=${CONNS##* } jfr=${RESULTS_DIR:-$RUN_DIR}/floor-$label-c${CONNS##* }.jfr
        "$JAVA_HOME/bin/jcmd" "$pid" JFR.start name=floor settings=profile >/dev/null
        run_wrk "profile-$label" 2 "$last" "$DURATION" "$url" >/dev/null
        "$JAVA_HOME/bin/jcmd" "$pid" JFR.stop name=floor filename="$jfr" >/dev/null
        log "  JFR: $jfr"
        python3 "$FLOOR_DIR/jfr_top.py" "$JAVA_HOME/bin/jfr" "$jfr" | tee "${jfr%.jfr}-top.txt" >&2 || true
    fi
    echo "$label rss_mb=$(awk '/^VmRSS:/{printf "%d", $2/1024}' "/proc/$pid/status") threads=$(awk '/^Threads:/{print $2}' "/proc/$pid/status")" >>"$RUN_DIR/sizes.txt"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    [[ -n $RESULTS_DIR ]] && cp "$RUN_DIR/floor-$label.log" "$RESULTS_DIR/"
    return 0
}

while IFS= read -r entry; do
    read -ra words <<<"$entry"
    ((${#words[@]})) || continue
    label=${words[0]}
    stack=${words[1]:-$label}
    run_case "$label" "$stack" "${words[@]:2}"
done < <(tr ';' '\n' <<<"$CASES")

log "baselines, pass 2"
baselines 2

{
    echo
    echo "Floors on 127.0.0.1, $CORES cores$([[ $PIN == 1 ]] && echo ", floor and nginx proxy pinned to core $SERVER_CPU, wrk and upstreams to core $CLIENT_CPU"):"
    echo "wrk $DURATION per run, $PASSES passes per case after a warm-up ($WARMUP JSON c16, then SSE c16 and JSON c1);"
    echo "SSE: 40 content events, ${SSE_CHUNK_MS} ms apart, from the simulator. Base JVM options: $FLOOR_JVM_OPTS; $(date -u '+%Y-%m-%d %H:%M UTC')"
    printf '%-14s %4s %4s %5s %9s %9s %9s %9s %9s %6s %8s %6s %7s %4s\n' \
        case pass kind conns req/s p50_ms p99_ms +p50_ms +p99_ms errors cpu_us/req load1 others% jit%
    awk 'NR == FNR {if ($1 == "direct") {k = $3 " " $4; p50[k] += $7; p99[k] += $8; n[k]++}; next}
        {k = $3 " " $4; a50 = "-"; a99 = "-"
         if ($1 != "direct" && n[k]) {a50 = sprintf("%.3f", $7 - p50[k] / n[k]); a99 = sprintf("%.3f", $8 - p99[k] / n[k])}
         printf "%-14s %4s %4s %5s %9s %9s %9s %9s %9s %6s %8s %6s %7s %4s\n", $1, $2, $3, $4, $6, $7, $8, a50, a99, $9,
             ($1 == "direct" ? "-" : $10), $11, $12, $13}' "$ROWS" "$ROWS"
    echo
    echo "Summary: CPU us/request (mean of passes, min-max), and x nginx's mean at the same connections:"
    awk '$1 != "direct" {k = $1 SUBSEP $3 " c" $4; s[k] += $10; c[k]++; if (!(k in lo) || $10 < lo[k]) lo[k] = $10; if ($10 > hi[k]) hi[k] = $10
                         if (!($1 in seen)) {seen[$1] = 1; order[++no] = $1}; if (!(($3 " c" $4) in kseen)) {kseen[$3 " c" $4] = 1; kinds[++nk] = $3 " c" $4}}
        END {printf "%-14s", "case"; for (j = 1; j <= nk; j++) printf " %22s", kinds[j]; print ""
             for (i = 1; i <= no; i++) {printf "%-14s", order[i]
                 for (j = 1; j <= nk; j++) {k = order[i] SUBSEP kinds[j]; g = "nginx" SUBSEP kinds[j]
                     if (c[k]) {m = s[k] / c[k]; r = (c[g] && s[g]) ? sprintf(" %.1fx", m / (s[g] / c[g])) : ""
                         printf " %22s", sprintf("%.0f (%d-%d)%s", m, lo[k], hi[k], r)} else printf " %22s", "-"}
                 print ""}}' "$ROWS"
    echo
    echo "cpu_us/req: utime+stime of the floor's whole JVM (JIT and GC included) or of nginx (master + worker) per request."
    echo "+p50/+p99: against the mean of the direct runs at the same connections (wrk -> upstream). load1: 1-min load"
    echo "average when the run started; others%: the machine's CPU used by processes not of this benchmark; jit%: the"
    echo "floor's compiler threads' share of its CPU in the run."
    [[ -s $STREAMS ]] && { echo; echo "A slow stream (7 content events: first after 300 ms, then every 100 ms), timed by bench/floor/stream_check.py:"; cat "$STREAMS"; }
    [[ -s $RUN_DIR/disconnects.txt ]] && { echo; echo "Disconnect check (bench/floor/slow_upstream.py: 30 events, 100 ms apart):"; cat "$RUN_DIR/disconnects.txt"; }
    [[ -s $RUN_DIR/sizes.txt ]] && { echo; echo "At the end of each case:"; cat "$RUN_DIR/sizes.txt"; }
} | tee ${RESULTS_DIR:+"$RESULTS_DIR/floor.txt"}
[[ -n $RESULTS_DIR ]] && cp "$ROWS" "$RESULTS_DIR/rows.txt"
exit 0
