#!/usr/bin/env bash
# Scenario 1, overhead: what Caravan adds to one chat completion compared with talking to the upstream
# directly and with a plain nginx reverse proxy. The upstream is nginx answering a fixed chat.completion
# JSON with `return 200`, so it costs (nearly) nothing. Everything runs on 127.0.0.1.
#
#   bench/overhead.sh                    # defaults: 2 x 30 s JVM warm-up, 30 s per measured run
#   DURATION=20s WARMUP=20s CONNS="1 64" bench/overhead.sh   # durations in seconds with an "s"
#   REQUEST_BYTES=1048576 bench/overhead.sh   # a 1 MB request; ANSWER_BYTES=1048576 for a 1 MB answer
#   GATEWAY_PROPS=-Dcaravan.provider.fake.apis=none bench/overhead.sh   # the translated path instead of pass-through
#   FLOOR=1 bench/overhead.sh            # the pipe floor (bench/floor) measured in the same run, against the same upstream
#   FLOOR=1 FLOOR_STACK="pipe shape shape-merged" bench/overhead.sh   # and the shape floors beside it (bench/README.md)
#   TAIL=1 CONNS=64 bench/overhead.sh    # and what Caravan's slowest requests met inside it (bench/README.md, "What the
#                                        # slowest 1 % meet")
#
# Prints a table: req/s, p50, p99, added p50/p99 versus direct, at each connection count, and CPU time per
# request of the nginx proxy versus Caravan (and the floor, with Caravan / floor per connection count).
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-30s}         # each measured wrk run
WARMUP=${WARMUP:-30s}             # Caravan's JIT warm-up before the first measured run: this long at WARMUP_CONNS,
                                  # then as long again at 4, which leaves the compiler threads a core to finish on
CONNS=${CONNS:-"1 64"}            # connection counts measured; 1 uses wrk -t1, others -t2
RESULTS_DIR=${RESULTS_DIR:-}      # when set, raw wrk outputs and the table are copied there
RATE_LIMITS=${RATE_LIMITS:-0}     # 1: the upstream sends OpenAI's x-ratelimit-* headers, as OpenAI does (the
                                  # gateway then records, and with caravan.state.store=redis shares, each report)
CLIENT=${CLIENT:-0}               # 1: requests come from a named client with a budget, rpm and tpm (caravan.clients.bench),
                                  # so each is admitted against its ledger (held before the call, settled after)
STORE=${STORE:-local}             # redis: caravan.state.store=redis on a redis-server started here on loopback; with
                                  # CLIENT=1, compare with STORE=local for what the shared ledger adds per request
GATEWAY_PROPS=${GATEWAY_PROPS:-}  # extra -D options for Caravan
PROFILE=${PROFILE:-0}             # 1: record Caravan's measured runs with JFR (profile settings, stack depth 512) into caravan-c<N>.jfr
                                  # (and the floor's into floor-c<N>.jfr)
JFR_OPTIONS=${JFR_OPTIONS:-}      # extra JFR.start options, e.g. method-profiling=max (a CPU sample every millisecond
                                  # instead of every 10 ms: enough samples from a short run on a busy machine)
TAIL=${TAIL:-0}                   # 1: Caravan records bench/tail.jfc from its start (pauses, compilations, deoptimizations,
                                  # lock waits; no attach mid-run) and each of its measured runs is read by
                                  # bench/tail-causes.py against its request log: tail-c<N>.txt; and its event-loop turns
                                  # longer than HELD_AFTER are counted (caravan.http.loop.held, per 1,000 requests)
HELD_AFTER=${HELD_AFTER:-5ms}     # with TAIL=1: caravan.http.loop-held-after
JIT_SETTLE=${JIT_SETTLE:-0}       # >0: after the warm-ups, each JVM runs on at WARMUP_CONNS connections in 5 s slices, at
                                  # most this many, until a slice spends under 50 ms compiling (sun.ci.*Time): a C2
                                  # compilation in a measured run takes one of the two cores from the loops for 0.1-0.4 s
                                  # (bench/README.md, "What the slowest 1 % meet")
REQUEST_BYTES=${REQUEST_BYTES:-0} # >0: every request is a chat request of about this many bytes (its prompt padded with
                                  # words), instead of the one-line request of post.lua
# Connections of the first warm-up: 64, or 16 with requests of 64 KB and more: 64 one-megabyte requests in flight
# hold some 7 MB of G1 regions each (bench/README.md, "A 1 MB request at the shipped heap"): more than the shipped heap
WARMUP_CONNS=${WARMUP_CONNS:-$((REQUEST_BYTES >= 65536 ? 16 : 64))}
ANSWER_BYTES=${ANSWER_BYTES:-0}   # >0: the fake upstream answers a chat.completion of about this many bytes (a generated
                                  # file), instead of the ~400-byte one
FLOOR=${FLOOR:-0}                 # 1: also the floor: a bench/floor stack (FLOOR_STACK, default pipe: platform-http on
                                  # the gateway's event-loop consumer, Vert.x's client, nothing else) in front of the same
                                  # upstream, warmed up as Caravan is, measured after it at each connection count
FLOOR_STACK=${FLOOR_STACK:-pipe}  # several, space-separated, each a JVM of its own, measured in this order after Caravan:
                                  # FLOOR_STACK="pipe shape shape-merged" (bench/README.md, "The shape floor"). The first
                                  # is the floor the ratios divide by; a target's name is its stack's ("floor" for pipe)
read -ra FLOOR_STACKS <<<"$FLOOR_STACK"
FLOOR_JVM_OPTS=${FLOOR_JVM_OPTS-$CARAVAN_JVM_OPTS}   # the floor's JVM options: Caravan's, so that only the code differs

# Bound the whole run: targets x connection counts x (duration + slack) + warm-ups + start-up (and the floor's build).
secs=${DURATION%s}
targets=$((FLOOR == 1 ? 3 + ${#FLOOR_STACKS[@]} : 3))
budget=$(( targets * $(wc -w <<<"$CONNS") * (secs + 30 + ${QUIET_WAIT:-0}) + (targets - 1) * ${WARMUP%s} + 180 + FLOOR * 240 + (targets - 2) * JIT_SETTLE * 10 ))
bound_run_time "$budget" "$0" "$@"

ensure_tools
ensure_jar
[[ $FLOOR == 1 ]] && ensure_floor
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

UP_PORT=$(free_port)
PROXY_PORT=$(free_port)
GW_PORT=$(free_port)
MGMT_PORT=$(free_port)

# A realistic, small chat.completion (same shape as OpenAI's) answered instantly.
COMPLETION=$BENCH_COMPLETION
MODELS='{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1715367049,"owned_by":"system"}]}'

mkdir -p "$RUN_DIR/upstream" "$RUN_DIR/proxy"
LIMIT_HEADERS=""
if [[ $RATE_LIMITS == 1 ]]; then
    LIMIT_HEADERS="add_header x-ratelimit-limit-requests 10000; add_header x-ratelimit-remaining-requests 9999; add_header x-ratelimit-reset-requests 6ms; add_header x-ratelimit-limit-tokens 2000000; add_header x-ratelimit-remaining-tokens 1999990; add_header x-ratelimit-reset-tokens 1ms;"
fi
# words of ~8 bytes, so the token estimate sees text of the size asked for, not one endless token
padding() { # bytes
    python3 -c 'import sys; n=int(sys.argv[1]); w="lorem ipsum dolor sit amet consectetur adipiscing elit ".split(); print(" ".join(w[i % len(w)] for i in range(n // 6 + 1))[:n], end="")' "$1"
}
if ((REQUEST_BYTES > 0)); then
    printf '{"model":"fast","messages":[{"role":"user","content":"%s"}]}' \
        "$(padding $((REQUEST_BYTES > 70 ? REQUEST_BYTES - 60 : 10)))" >"$RUN_DIR/request.json"
    export WRK_BODY_FILE="$RUN_DIR/request.json"
    # a large prompt must fit the model's context window, or the gateway refuses it before any call
    GATEWAY_PROPS="-Dcaravan.context-window.gpt-4o-mini=$((REQUEST_BYTES + 100000)) $GATEWAY_PROPS"
    log "requests of $(stat -c %s "$RUN_DIR/request.json") bytes"
fi
ANSWER_LOCATION="default_type application/json; $LIMIT_HEADERS return 200 '$COMPLETION';"
if ((ANSWER_BYTES > 0)); then
    content=$(padding $((ANSWER_BYTES > 500 ? ANSWER_BYTES - 420 : 10)))
    COMPLETION=${COMPLETION/Hello! How can I help you today?/$content}
    printf '%s' "$COMPLETION" >"$RUN_DIR/upstream/answer.json"
    chmod 711 "$RUN_DIR"; chmod 644 "$RUN_DIR/upstream/answer.json"   # nginx's workers run unprivileged
    # a POST to a static file is refused (405): error_page turns it into an internal GET of the file
    ANSWER_LOCATION="root $RUN_DIR/upstream; $LIMIT_HEADERS try_files /answer.json =404; error_page 405 =200 /answer.json;"
    log "answers of $(stat -c %s "$RUN_DIR/upstream/answer.json") bytes"
fi
write_upstream_conf "$RUN_DIR/upstream" "$UP_PORT" "$ANSWER_LOCATION" \
    "location = /answer.json { internal; default_type application/json; $LIMIT_HEADERS root $RUN_DIR/upstream; }
        location = /v1/models { default_type application/json; return 200 '$MODELS'; }"
write_proxy_conf "$RUN_DIR/proxy" "$UP_PORT" "$PROXY_PORT" "auto"

log "fake upstream nginx on 127.0.0.1:$UP_PORT, proxy nginx on 127.0.0.1:$PROXY_PORT"
start_nginx upstream "$RUN_DIR/upstream/nginx.conf"; UP_PID=$LAST_PID
start_nginx proxy "$RUN_DIR/proxy/nginx.conf"; PROXY_PID=$LAST_PID
wait_http "http://127.0.0.1:$UP_PORT/v1/models" 10 "$UP_PID" "$RUN_DIR/upstream/error.log"
wait_http "http://127.0.0.1:$PROXY_PORT/v1/models" 10 "$PROXY_PID" "$RUN_DIR/proxy/error.log"

CLIENT_PROPS=()
AUTH=()
if [[ $CLIENT == 1 ]]; then
    CLIENT_PROPS=(-Dcaravan.clients.bench.key=bench-client-key -Dcaravan.clients.bench.budget=1000000
        -Dcaravan.clients.bench.rpm=100000000 -Dcaravan.clients.bench.tpm=100000000000
        -Dcaravan.price.fake.gpt-4o-mini.input=0.15 -Dcaravan.price.fake.gpt-4o-mini.output=0.6)
    AUTH=(-H "Authorization: Bearer bench-client-key")
fi
if [[ $STORE == redis ]]; then
    command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$RUN_DIR" \
        >"$RUN_DIR/redis.log" 2>&1 &
    STARTED_PIDS+=("$!")
    for ((i = 0; i < 50; i++)); do
        [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && break
        sleep 0.1
    done
    [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] || die "redis-server did not start: $(tail -3 "$RUN_DIR/redis.log")"
    CLIENT_PROPS+=(-Dcaravan.state.store=redis -Dcaravan.state.redis-url="redis://127.0.0.1:$REDIS_PORT")
    log "redis-server on 127.0.0.1:$REDIS_PORT"
fi

# Calls of one Redis command so far (INFO commandstats), 0 without Redis: scripts sent by digest are the
# admissions, scripts sent whole the background exchanges.
redis_calls() {
    [[ $STORE == redis ]] || { echo 0; return; }
    redis-cli -p "$REDIS_PORT" info commandstats | awk -F'[:=,]' -v c="cmdstat_$1" '$1 == c {print $3; f=1} END {if (!f) print 0}'
}

log "Caravan on 127.0.0.1:$GW_PORT (management $MGMT_PORT), one provider 'fake' -> 127.0.0.1:$UP_PORT"
# Camel's stacks are deep: JFR's default of 64 frames would cut off the callers that matter.
[[ $PROFILE == 1 ]] && CARAVAN_JVM_OPTS="${CARAVAN_JVM_OPTS:-} -XX:FlightRecorderOptions:stackdepth=512"
# a recording started with the JVM: starting one by attach mid-run redefines classes and deoptimizes what they touch,
# the very stalls it is meant to see
TAIL_OPTS=()
[[ $TAIL == 1 ]] && TAIL_OPTS=(-XX:StartFlightRecording=name=tail,settings="$BENCH_DIR/tail.jfc"
    -Dcaravan.http.loop-held-after="$HELD_AFTER")
# event-loop turns held past caravan.http.loop-held-after so far
held_turns() {
    curl -s --max-time 5 "http://127.0.0.1:$MGMT_PORT/observe/metrics" \
        | awk '/^caravan_http_loop_held_total[ {]/ {n += $NF} END {printf "%d", n}'
}
start_caravan caravan "${TAIL_OPTS[@]}" \
    -Dcaravan.simulator.enabled=false \
    -Dcaravan.providers=fake \
    -Dcaravan.provider.fake.dialect=openai \
    -Dcaravan.provider.fake.base-url="http://127.0.0.1:$UP_PORT/v1" \
    -Dcaravan.provider.fake.api-keys=bench-key \
    -Dcaravan.model.fast=fake:gpt-4o-mini \
    -Dcaravan.model.smart=fake:gpt-4o \
    -Dcaravan.http.port="$GW_PORT" \
    -Dcamel.management.port="$MGMT_PORT" \
    -Dcaravan.health.interval=1h "${CLIENT_PROPS[@]}" ${GATEWAY_PROPS}
GW_PID=$LAST_PID
# with a named client, /v1/models wants its key: the management port's health says when the routes are up
if [[ $CLIENT == 1 ]]; then
    wait_http "http://127.0.0.1:$MGMT_PORT/observe/health" 90 "$GW_PID" "$RUN_DIR/caravan.log"
else
    wait_http "http://127.0.0.1:$GW_PORT/v1/models" 90 "$GW_PID" "$RUN_DIR/caravan.log"
fi
TARGETS="direct nginx caravan"
declare -A FLOOR_PIDS FLOOR_PORTS FLOOR_OF
FLOOR_TARGETS=()
if [[ $FLOOR == 1 ]]; then
    floor_opts=$FLOOR_JVM_OPTS
    [[ $PROFILE == 1 ]] && floor_opts+=" -XX:FlightRecorderOptions:stackdepth=512"
    for stack in "${FLOOR_STACKS[@]}"; do
        target=$([[ $stack == pipe ]] && echo floor || echo "$stack")
        [[ -z ${FLOOR_OF[$target]:-} ]] || die "FLOOR_STACK names $stack twice"
        FLOOR_JVM_OPTS=$floor_opts start_floor "$target" "$stack"
        FLOOR_PIDS[$target]=$LAST_PID
        FLOOR_PORTS[$target]=$FLOOR_PORT
        FLOOR_OF[$target]=$stack
        FLOOR_TARGETS+=("$target")
        TARGETS+=" $target"
        log "floor $target (stack $stack) on 127.0.0.1:$FLOOR_PORT -> 127.0.0.1:$UP_PORT, JVM options: ${FLOOR_JVM_OPTS:-JVM defaults}"
    done
fi

# Sanity: every path answers a chat completion.
for url in "http://127.0.0.1:$UP_PORT" "http://127.0.0.1:$PROXY_PORT" "http://127.0.0.1:$GW_PORT" \
        $(for t in "${FLOOR_TARGETS[@]}"; do echo "http://127.0.0.1:${FLOOR_PORTS[$t]}"; done); do
    code=$(curl -s -o "$RUN_DIR/check.json" -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' "${AUTH[@]}" \
        -d '{"model":"fast","messages":[{"role":"user","content":"hi"}]}' "$url/v1/chat/completions")
    if [[ $code != 200 ]] || ! grep -q '"chat.completion"' "$RUN_DIR/check.json"; then
        die "$url answered $code: $(head -c 300 "$RUN_DIR/check.json")"
    fi
done

# With every core busy serving, the JIT's compiler threads get little CPU and the last hot methods take minutes to
# reach their final tier (measured: C2 still used 9 % of the gateway's CPU after 90 s at 64 connections, and CPU per
# request stayed ~1.6x the steady figure). A second warm-up at 4 connections leaves them room to finish.
log "warm-up: nginx 5 s, Caravan $WARMUP at $WARMUP_CONNS connections, then $WARMUP at 4 (JIT)$([[ $FLOOR == 1 ]] && echo ", then each floor the same way")"
run_wrk warmup-proxy 2 64 5s "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" >/dev/null
run_wrk warmup-caravan 2 "$WARMUP_CONNS" "$WARMUP" "http://127.0.0.1:$GW_PORT/v1/chat/completions" "${AUTH[@]}" >/dev/null
run_wrk warmup-caravan-c4 1 4 "$WARMUP" "http://127.0.0.1:$GW_PORT/v1/chat/completions" "${AUTH[@]}" >/dev/null
for t in "${FLOOR_TARGETS[@]}"; do
    run_wrk "warmup-$t" 2 "$WARMUP_CONNS" "$WARMUP" "http://127.0.0.1:${FLOOR_PORTS[$t]}/v1/chat/completions" "${AUTH[@]}" >/dev/null
    run_wrk "warmup-$t-c4" 1 4 "$WARMUP" "http://127.0.0.1:${FLOOR_PORTS[$t]}/v1/chat/completions" "${AUTH[@]}" >/dev/null
done
# milliseconds the JIT's compiler threads have spent compiling so far (C1 and C2, OSR included)
compile_ms() { # pid
    "$JAVA_HOME/bin/jcmd" "$1" PerfCounter.print 2>/dev/null | awk -F= '
        $1 == "sun.ci.standardTime" || $1 == "sun.ci.osrTime" {t += $2} $1 == "sun.os.hrt.frequency" {f = $2}
        END {printf "%d", f ? t * 1000 / f : 0}'
}
jit_settle() { # name pid port
    local i c0 c1
    for ((i = 1; i <= JIT_SETTLE; i++)); do
        c0=$(compile_ms "$2")
        # at the connections measured last: settled at 4, the JIT still spent 3.7 s on C2 in the next 10 s at 64
        run_wrk "settle-$1-$i" 2 "$WARMUP_CONNS" 5s "http://127.0.0.1:$3/v1/chat/completions" "${AUTH[@]}" >/dev/null
        c1=$(compile_ms "$2")
        log "  $1: $((c1 - c0)) ms compiling in 5 s at $WARMUP_CONNS connections"
        # under 1 % of the slice: the C1 compilations of rare paths that go on for minutes, no more C2 work
        ((c1 - c0 < 50)) && return
    done
    log "  $1: the JIT still compiled after $JIT_SETTLE slices; measuring anyway"
}
if ((JIT_SETTLE > 0)); then
    log "until the JITs settle (at most $JIT_SETTLE x 5 s each)"
    jit_settle caravan "$GW_PID" "$GW_PORT"
    for t in "${FLOOR_TARGETS[@]}"; do jit_settle "$t" "${FLOOR_PIDS[$t]}" "${FLOOR_PORTS[$t]}"; done
fi
sleep 2

declare -A R CPU OTHERS RCMD P999 PMAX
read -ra ALL_SERVER_PIDS <<<"$(nginx_pids "$UP_PID") $(nginx_pids "$PROXY_PID") $GW_PID ${FLOOR_PIDS[*]}"
for c in $CONNS; do
    t=$((c == 1 ? 1 : 2))
    for target in $TARGETS; do
        case $target in
            direct) url="http://127.0.0.1:$UP_PORT"; pids=() ;;
            nginx) url="http://127.0.0.1:$PROXY_PORT"; read -ra pids <<<"$(nginx_pids "$PROXY_PID")" ;;
            caravan) url="http://127.0.0.1:$GW_PORT"; pids=("$GW_PID") ;;
            *) url="http://127.0.0.1:${FLOOR_PORTS[$target]}"; pids=("${FLOOR_PIDS[$target]}") ;;
        esac
        wait_for_quiet
        log "measuring $target at $c connection(s), $DURATION"
        before=$( ((${#pids[@]})) && cpu_ticks "${pids[@]}" || echo 0)
        all_before=$(cpu_ticks "${ALL_SERVER_PIDS[@]}")
        jvm=
        [[ $target == caravan || -n ${FLOOR_OF[$target]:-} ]] && jvm=${pids[0]}
        # shellcheck disable=SC2086 # JFR_OPTIONS is a list of options
        [[ $PROFILE == 1 && -n $jvm ]] && "$JAVA_HOME/bin/jcmd" "$jvm" JFR.start name=bench settings=profile $JFR_OPTIONS >/dev/null
        [[ -n $jvm ]] && thread_ticks "$jvm" >"$RUN_DIR/threads-before"
        [[ $target == caravan ]] && { sha_before=$(redis_calls evalsha); eval_before=$(redis_calls eval); }
        [[ $TAIL == 1 && $target == caravan ]] && held0=$(held_turns)
        from=$(date -u +%Y-%m-%dT%H:%M:%S.%3N)
        R[$target,$c]=$(run_wrk "$target-c$c" "$t" "$c" "$DURATION" "$url/v1/chat/completions" "${AUTH[@]}")
        until=$(date -u +%Y-%m-%dT%H:%M:%S.%3N)
        read -r _ P999[$target,$c] PMAX[$target,$c] <<<"$(grep '^TAIL ' "$RUN_DIR/wrk-$target-c$c.txt" | tail -1 | cut -d' ' -f2-)"
        if [[ $TAIL == 1 && $target == caravan ]]; then
            tail_jfr="${RESULTS_DIR:-$RUN_DIR}/caravan-c$c-tail.jfr"
            "$JAVA_HOME/bin/jcmd" "$GW_PID" JFR.dump name=tail filename="$tail_jfr" >/dev/null
            held1=$(held_turns)
            sleep 1 # the request log writes its lines within a few milliseconds of their answer
            python3 "$BENCH_DIR/tail-causes.py" "$tail_jfr" "$RUN_DIR/caravan.log" "$from" "$until" \
                >"$RUN_DIR/tail-c$c.txt" 2>&1 || log "tail-causes.py failed: $(tail -2 "$RUN_DIR/tail-c$c.txt")"
            read -r n _ <<<"${R[$target,$c]}"
            awk -v h=$((held1 - held0)) -v n="$n" -v t="$HELD_AFTER" \
                'BEGIN {printf "event-loop turns held past %s: %d (%.2f per 1,000 requests; wall-clock: a descheduled loop counts)\n", t, h, n ? h * 1000 / n : 0}' \
                >>"$RUN_DIR/tail-c$c.txt"
            grep 'HeldLoops' "$RUN_DIR/caravan.log" | awk -v f="$from" '{s = $1; sub(/,/, ".", s)} s >= f' \
                | cut -c1-400 >>"$RUN_DIR/tail-c$c.txt" || true
            [[ -n $RESULTS_DIR ]] && cp "$RUN_DIR/tail-c$c.txt" "$RESULTS_DIR/"
            log "  what Caravan's slowest requests met at $c connection(s):"
            sed 's/^/    /' "$RUN_DIR/tail-c$c.txt" >&2
        fi
        if [[ $PROFILE == 1 && -n $jvm ]]; then
            jfr_file="${RESULTS_DIR:-$RUN_DIR}/$target-c$c.jfr"
            "$JAVA_HOME/bin/jcmd" "$jvm" JFR.stop name=bench filename="$jfr_file" >/dev/null
            log "  JFR recording: $jfr_file (e.g. jfr view hot-methods $jfr_file)"
        fi
        all_after=$(cpu_ticks "${ALL_SERVER_PIDS[@]}")
        after=$( ((${#pids[@]})) && cpu_ticks "${pids[@]}" || echo 0)
        CPU[$target,$c]=$((after - before))
        [[ $target == caravan ]] && RCMD[$c]="$(( $(redis_calls evalsha) - sha_before )) $(( $(redis_calls eval) - eval_before ))"
        if [[ -n $jvm ]]; then
            thread_ticks "$jvm" >"$RUN_DIR/threads-after"
            thread_ticks_diff "$RUN_DIR/threads-before" "$RUN_DIR/threads-after" | head -8 >"$RUN_DIR/threads-$target-c$c"
            log "  $target's CPU by thread at $c connection(s): $(paste -sd';' "$RUN_DIR/threads-$target-c$c")"
            [[ -n $RESULTS_DIR ]] && cp "$RUN_DIR/threads-$target-c$c" "$RESULTS_DIR/$target-threads-c$c.txt"
        fi
        read -r _ _ _ _ _ _ _ secs wrkcpu busy <<<"${R[$target,$c]}"
        OTHERS[$target,$c]=$(others_pct "$busy" "$(awk -v t=$((all_after - all_before)) -v hz="$CLK_TCK" -v w="$wrkcpu" \
            'BEGIN{print t/hz + w}')" "$secs")
        log "  $target c$c: ${R[$target,$c]} (others ${OTHERS[$target,$c]}%)"
        sleep 2
    done
done

{
    echo
    echo "Overhead on 127.0.0.1, $(nproc) cores, wrk ${DURATION} per run, Caravan warmed up ${WARMUP} at ${WARMUP_CONNS} + ${WARMUP} at 4 connections; client ledger: $([[ $CLIENT == 1 ]] && echo "named client, store $STORE" || echo none); request $( ((REQUEST_BYTES > 0)) && stat -c %s "$RUN_DIR/request.json" || echo 62) B, answer $( ((ANSWER_BYTES > 0)) && stat -c %s "$RUN_DIR/upstream/answer.json" || echo ${#COMPLETION}) B; Caravan's JVM options: ${CARAVAN_JVM_OPTS:-JVM defaults}; $(date -u '+%Y-%m-%d %H:%M UTC')"
    printf '%-12s %5s %10s %9s %9s %10s %10s %8s %12s %8s %10s %9s\n' target conns req/s p50_ms p99_ms +p50_ms +p99_ms errors cpu_us/req others% p99.9_ms max_ms
    for c in $CONNS; do
        read -r _ _ dp50 dp99 _ <<<"${R[direct,$c]}"
        for target in $TARGETS; do
            read -r n rps p50 p99 non2xx sock tmo _ <<<"${R[$target,$c]}"
            if [[ $target == direct ]]; then
                add50=-; add99=-; cpu=-
            else
                add50=$(awk -v a="$p50" -v b="$dp50" 'BEGIN{printf "%.3f", a-b}')
                add99=$(awk -v a="$p99" -v b="$dp99" 'BEGIN{printf "%.3f", a-b}')
                cpu=$(awk -v t="${CPU[$target,$c]}" -v n="$n" -v hz="$CLK_TCK" 'BEGIN{printf "%.1f", n ? t/hz*1e6/n : 0}')
            fi
            printf '%-12s %5s %10s %9s %9s %10s %10s %8s %12s %8s %10s %9s\n' "$target" "$c" "$rps" "$p50" "$p99" "$add50" "$add99" \
                "$((non2xx + sock + tmo))" "$cpu" "${OTHERS[$target,$c]}" "${P999[$target,$c]:--}" "${PMAX[$target,$c]:--}"
        done
    done
    if [[ $FLOOR == 1 ]]; then
        base=${FLOOR_TARGETS[0]}
        for c in $CONNS; do
            read -r nc _ <<<"${R[caravan,$c]}"; read -r nf _ <<<"${R[$base,$c]}"; read -r nn _ <<<"${R[nginx,$c]}"
            awk -v c="$c" -v b="$base" -v cc="${CPU[caravan,$c]}" -v nc="$nc" -v cf="${CPU[$base,$c]}" -v nf="$nf" -v cn="${CPU[nginx,$c]}" -v nn="$nn" \
                'function per(t, n) {return n ? t / n : 0}
                 BEGIN {f = per(cf, nf); g = per(cn, nn)
                        printf "CPU per request at %s connection(s): Caravan / %s %s, %s / nginx %s\n", c, b,
                            f ? sprintf("%.2fx", per(cc, nc) / f) : "-", b, g ? sprintf("%.2fx", f / g) : "-"}'
            # each further floor between the first and Caravan (stack shape: how much of Caravan / floor is the shape)
            for t in "${FLOOR_TARGETS[@]:1}"; do
                read -r ns _ <<<"${R[$t,$c]}"
                awk -v c="$c" -v b="$base" -v t="$t" -v cc="${CPU[caravan,$c]}" -v nc="$nc" -v cf="${CPU[$base,$c]}" -v nf="$nf" \
                    -v cs="${CPU[$t,$c]}" -v ns="$ns" \
                    'function per(x, n) {return n ? x / n : 0}
                     BEGIN {f = per(cf, nf); s = per(cs, ns); g = per(cc, nc)
                            printf "CPU per request at %s connection(s): %s / %s %s, Caravan / %s %s\n", c, t, b,
                                f ? sprintf("%.2fx", s / f) : "-", t, s ? sprintf("%.2fx", g / s) : "-"}'
            done
        done
        echo "floors: $(for t in "${FLOOR_TARGETS[@]}"; do printf '%s = bench/floor stack %s; ' "$t" "${FLOOR_OF[$t]}"; done)JVM options: ${FLOOR_JVM_OPTS:-JVM defaults}, each warmed up as Caravan, measured after it."
    fi
    if [[ $STORE == redis ]]; then
        for c in $CONNS; do
            read -r n _ <<<"${R[caravan,$c]}"
            read -r sha ev <<<"${RCMD[$c]}"
            awk -v n="$n" -v s="$sha" -v e="$ev" -v c="$c" 'BEGIN{printf "Redis at %s connection(s): %.3f scripts by digest (admissions) and %.4f whole scripts (background exchanges) per Caravan request\n", c, n ? s/n : 0, n ? e/n : 0}'
        done
    fi
    if [[ $TAIL == 1 ]]; then
        for c in $CONNS; do echo "What Caravan's slowest requests met at $c connection(s) (bench/tail-causes.py):"; cat "$RUN_DIR/tail-c$c.txt"; done
    fi
    echo "errors = non-2xx + socket errors + timeouts; cpu_us/req = (utime+stime of the proxy process(es)) / requests"
    echo "(nginx: master + workers; Caravan and the floor: the whole JVM, JIT and GC included). The load generator and all servers share"
    echo "the same cores. others% = share of the machine's CPU used during the run by processes other than this benchmark's"
    echo "(0 on a quiet machine); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee ${RESULTS_DIR:+"$RESULTS_DIR/overhead.txt"}
